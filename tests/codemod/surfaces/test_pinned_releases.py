"""A file pinned to a vLLM release is migrated only as far as that release allows; the finding names the release
the fix needs."""

from __future__ import annotations

from vllm_pooling_migrate.codemod.formats import scan_file
from vllm_pooling_migrate.codemod.options import Options

FIX = Options(fix=True)


def _scan(path: str, text: str):
    result = scan_file(path, text, FIX, None)
    assert result.error is None
    return result


def test_an_old_image_keeps_its_spelling_and_says_which_release_the_fix_needs():
    text = 'FROM vllm/vllm-openai:v0.9.2\nCMD ["--model", "M", "--override-pooler-config", "{\\"pooling_type\\": \\"MEAN\\"}"]\n'
    result = _scan("Dockerfile", text)
    [finding] = result.findings
    assert finding.code == "POOL014" and finding.fix is None
    assert finding.message.endswith("(`--pooler-config` needs vLLM >= 0.11.0; this image is 0.9.2)")
    assert finding.unfixable_reason == "`--pooler-config` needs vLLM >= 0.11.0; this image is 0.9.2"
    assert result.fixed_source is None


def test_a_new_enough_image_is_fixed():
    text = 'FROM vllm/vllm-openai:v0.12.0\nCMD ["--model", "M", "--override-pooler-config", "{}"]\n'
    assert _scan("Dockerfile", text).fixed_source == text.replace("--override-pooler-config", "--pooler-config")


def test_each_stage_has_its_own_release():
    text = (
        "FROM python:3.11 AS tools\nRUN pip install vllm==0.11.0 && \\\n"
        "    vllm serve M --pooler-config '{\"normalize\": true}' --help\n\n"
        "FROM vllm/vllm-openai:v0.12.0\nCMD [\"--model\", \"M\", \"--pooler-config\", \"{\\\"softmax\\\": true}\"]\n"
    )
    result = _scan("Dockerfile", text)
    assert [(f.code, f.fix is None) for f in result.findings] == [("POOL015", True), ("POOL015", False)]
    assert "`use_activation` needs vLLM >= 0.11.2; this file installs vLLM 0.11.0" in result.findings[0].message
    assert result.fixed_source == text.replace('\\"softmax\\"', '\\"use_activation\\"')


def test_a_script_that_installs_an_old_release():
    text = 'pip install "vllm==0.10.0"\nvllm serve M --task embed\n'
    [finding] = _scan("serve.sh", text).findings
    assert finding.fix is None and "needs vLLM >= 0.10.1.1; this file installs vLLM 0.10.0" in finding.message


def test_an_image_named_in_the_command_pins_that_command():
    text = "docker run --gpus all vllm/vllm-openai:v0.9.2 --model M --task embed\nvllm serve M --task embed\n"
    result = _scan("serve.sh", text)
    assert [f.fix is None for f in result.findings] == [True, False]
    assert result.fixed_source == text.replace(
        "vllm serve M --task embed", "vllm serve M --runner pooling --convert embed"
    )


def test_a_kubernetes_container_image():
    text = (
        "containers:\n  - name: vllm\n    image: vllm/vllm-openai:v0.9.2\n"
        "    args: [--model, M, --override-pooler-config, '{}']\n"
    )
    [finding] = _scan("k8s.yaml", text).findings
    assert finding.fix is None and "this image is 0.9.2" in finding.message


def test_look_alikes_are_not_pins():
    ranged = "pip install 'vllm>=0.9'\nvllm serve M --task embed\n"  # a lower bound, not a release
    assert _scan("serve.sh", ranged).fixed_source == ranged.replace("--task embed", "--runner pooling --convert embed")
    latest = 'FROM vllm/vllm-openai:latest\nCMD ["--model", "M", "--override-pooler-config", "{}"]\n'
    assert _scan("Dockerfile", latest).fixed_source is not None
    other = "pip install vllm-flash-attn==0.9.2 myvllm==0.1\nvllm serve M --task embed\n"
    assert _scan("serve.sh", other).fixed_source is not None
