"""Less common paths through the file kinds: Python pass-through, exec-form RUN, console blocks,
merges with nested keys, a fix that would break YAML, notebooks that cannot be rewritten safely."""

from __future__ import annotations

import json

from vllm_pooling_migrate.codemod.argv import scan_commands, shell_commands
from vllm_pooling_migrate.codemod.formats import add_noqa_to_file, scan_file
from vllm_pooling_migrate.codemod.formats.fixing import UnreadableText, check_and_fix
from vllm_pooling_migrate.codemod.options import Options

FIX = Options(fix=True)
FIX_UNSAFE = Options(fix=True, unsafe_fixes=True)


def test_python_files_go_to_the_engine_and_honour_noqa(check_python):
    text = "a = LEGACY\nb = LEGACY  # noqa: POOL001\n"
    result = scan_file("m.py", text, Options(), check_python)
    assert [f.location.row for f in result.findings] == [1]
    assert scan_file("m.py", text, Options(ignore_noqa=True), check_python).findings[1].location.row == 2


def test_add_noqa_to_python_and_shell_files(check_python):
    text = 'x = f("""\nLEGACY\n""")\n'
    findings = scan_file("m.py", text, Options(), check_python).findings
    findings = [f.__class__(**{**f.__dict__, "statement_rows": (1, 3)}) for f in findings]
    assert add_noqa_to_file("m.py", text, findings) == 'x = f("""\nLEGACY\n""")  # noqa: POOL001\n'
    shell = "vllm serve M \\\n  --convert reward\n"
    result = scan_file("s.sh", shell, Options(), check_python)
    assert add_noqa_to_file("s.sh", shell, result.findings) == "vllm serve M \\\n  --convert reward  # noqa: POOL017\n"


def test_dockerfile_run_exec_form(check_python):
    text = 'FROM python\nRUN ["vllm", "serve", "M", "--convert=reward"]\n'
    result = scan_file("Dockerfile", text, FIX, check_python)
    assert result.fixed_source == text.replace("--convert=reward", "--convert=embed")


def test_markdown_console_blocks_read_prompts_and_their_continuations(check_python):
    text = "```console\n$ vllm serve M \\\n  --convert reward\nvllm serve M --convert reward\n```\n"
    result = scan_file("a.md", text, Options(), check_python)
    assert [(f.code, f.location.row) for f in result.findings] == [("POOL017", 3)]


def test_merge_builds_nested_keys_and_splits_plus_lists(check_python):
    text = (
        'vllm serve M --pooler-config \'{"task": "embed"}\' '
        "--pooler-config.returned_token_ids+ 1,2 --pooler-config.extra.depth 3\n"
    )
    result = scan_file("s.sh", text, FIX_UNSAFE, check_python)
    merged = result.fixed_source.split("--pooler-config ", 1)[1].strip()
    assert json.loads(merged.strip("'")) == {"task": "embed", "returned_token_ids": [1, 2], "extra": {"depth": 3}}


def test_two_json_forms_with_a_dotted_one_are_reported_not_merged(check_python):
    text = "vllm serve M --pooler-config '{}' --pooler-config '{\"a\": 1}' --pooler-config.task embed\n"
    [finding] = scan_file("s.sh", text, FIX_UNSAFE, check_python).findings
    assert finding.code == "POOL018" and finding.fix is None and "by hand" in finding.unfixable_reason


def test_a_fix_whose_result_does_not_validate_is_not_written():
    text = "vllm serve M --convert reward\n"

    def find(current: str):
        return scan_commands(shell_commands(current), path="x.yaml", options=FIX)

    def find_unreadable_after_fixing(current: str):
        if current != text:
            raise UnreadableText("broken")
        return find(current)

    result = check_and_fix(text, "x.yaml", FIX, find_unreadable_after_fixing)
    assert result.fixed_source is None and result.applied == []
    [finding] = result.remaining
    assert finding.fix is None and "would not parse" in finding.unfixable_reason
    assert check_and_fix(text, "x.yaml", FIX, find).fixed_source == "vllm serve M --convert embed\n"


def test_yaml_flow_list_and_literal_block_command(check_python):
    text = (
        "a:\n  command: [vllm, serve, M, --task, embed]\n"
        "b:\n  command: |\n    vllm serve M \\\n      --convert reward\n"
    )
    result = scan_file("x.yml", text, FIX_UNSAFE, check_python)
    assert result.fixed_source == text.replace("--task, embed", "--runner, pooling, --convert, embed").replace(
        "--convert reward", "--convert embed"
    )


def _notebook(source: list[str], **dump) -> str:
    cell = {"cell_type": "code", "execution_count": None, "id": "a", "metadata": {}, "outputs": [], "source": source}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, **dump)


def test_notebook_in_a_layout_that_cannot_be_reproduced_is_reported_not_rewritten(check_python):
    minified = _notebook(["x = LEGACY\n"], separators=(",", ":"))
    result = scan_file("n.ipynb", minified, FIX, check_python)
    assert result.fixed_source is None and "cannot be reproduced" in result.error
    assert [f.code for f in result.findings] == ["POOL001"]
    compact = _notebook(["x = LEGACY\n"])  # json.dumps defaults, no final newline
    assert scan_file("n.ipynb", compact, FIX, check_python).fixed_source == compact.replace("LEGACY", "MODERN")


def test_notebook_is_not_rewritten_when_the_engine_loses_the_cell_markers(check_python):
    def drops_comments(source, path, options):
        result = check_python(source, path, options)
        if result.fixed_source is not None:
            result.fixed_source = "\n".join(
                line for line in result.fixed_source.split("\n") if not line.startswith("#")
            )
        return result

    result = scan_file("n.ipynb", _notebook(["x = LEGACY\n"], indent=1), FIX, drops_comments)
    assert result.fixed_source is None and "cell markers" in result.error


HELM = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "chart.fullname" . }}
spec:
  template:
    spec:
      containers:
        - name: vllm-server
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          args:
            - --model
            - {{ .Values.model | quote }}
            {{- if .Values.legacy }}
            - --override-pooler-config
            - '{"normalize": true}'
            {{- end }}
            - --convert={{ .Values.convert }}
            - --task={{ .Values.task }}
"""


def test_helm_templates_are_scanned_with_expressions_blanked(check_python):
    result = scan_file("chart/templates/deploy.yaml", HELM, FIX, check_python)
    assert result.error is None
    assert result.fixed_source == HELM.replace("--override-pooler-config", "--pooler-config").replace(
        "normalize", "use_activation"
    )
    [task] = [f for f in result.findings if f.code == "POOL013"]
    assert task.fix is None and "`--task {{...}}`" in task.message
    assert scan_file("t.yaml", "a: {{ b\n  c: [\n", Options(), check_python).error  # still not YAML: an error


def test_vllm_config_dotted_key_dash_and_report_only_task_values(check_python):
    text = "model: M\ntask: score\nrunner: pooling\npooler_config.pooling-type: MEAN\n"
    result = scan_file("c.yaml", text, FIX_UNSAFE, check_python)
    assert result.fixed_source == "model: M\nrunner: pooling\npooler_config.pooling_type: MEAN\n"
    text = "model: M\ntask: encode\nrunner: pooling\n"  # not a value the old option took
    [task] = scan_file("c.yaml", text, FIX_UNSAFE, check_python).findings
    assert task.fix is None and "for the model at hand" in task.message
    conflict = scan_file("c.yaml", "model: M\ntask: embed\nconvert: classify\n", FIX_UNSAFE, check_python)
    assert conflict.fixed_source is None and "something else" in conflict.findings[0].unfixable_reason


def test_vllm_config_task_next_to_runner_or_convert(check_python):
    def fixed(text: str) -> str:
        return scan_file("c.yaml", text, FIX_UNSAFE, check_python).fixed_source

    assert fixed("model: M\ntask: embed\nconvert: embed\n") == "model: M\nrunner: pooling\nconvert: embed\n"
    assert fixed("model: M\ntask: classify\nrunner: pooling\n") == "model: M\nconvert: classify\nrunner: pooling\n"
    both = "model: M\ntask: embed  # old\nrunner: pooling\nconvert: embed\n"
    assert fixed(both) == "model: M\nrunner: pooling\nconvert: embed\n"
    # The last line of a file without a final newline goes with the line break before it: still no final newline.
    assert fixed("model: M\nrunner: pooling\nconvert: embed\ntask: embed") == "model: M\nrunner: pooling\nconvert: embed"


def test_vllm_config_escaped_json_string_is_rewritten_in_its_own_style(check_python):
    text = 'model: M\npooler-config: "{\\"normalize\\": true}"\n'
    result = scan_file("c.yaml", text, FIX, check_python)
    assert [f.code for f in result.findings] == ["POOL015"]
    assert result.fixed_source == 'model: M\npooler-config: "{\\"use_activation\\": true}"\n'


def test_yaml_structures_that_are_not_argv_are_skipped(check_python):
    text = (
        "a:\n  image: vllm/vllm-openai\n  args: [--convert, [reward]]\n"
        "b:\n  image: vllm/vllm-openai\n  command: 5\n"
        "c:\n  image: vllm/vllm-openai\n  entrypoint: [sh]\n  args: [--convert, reward]\n"
    )
    assert scan_file("x.yaml", text, Options(), check_python).findings == []


def test_dockerfile_exec_form_that_is_not_json_is_read_as_shell(check_python):
    text = "FROM vllm/vllm-openai\nCMD [--model, M] --convert reward\n"
    [finding] = scan_file("Dockerfile", text, Options(), check_python).findings
    assert finding.code == "POOL017"


def test_a_deletion_never_crosses_from_cmd_into_entrypoint(check_python):
    text = 'FROM ubuntu\nENTRYPOINT ["vllm", "serve"]\nCMD ["--pooler-config.task", "embed", "--pooler-config", "{}"]\n'
    result = scan_file("Dockerfile", text, FIX_UNSAFE, check_python)
    assert result.fixed_source == (
        'FROM ubuntu\nENTRYPOINT ["vllm", "serve"]\nCMD ["--pooler-config", "{\\"task\\":\\"embed\\"}"]\n'
    )


def test_dockerfile_noqa_lives_on_the_comment_line_above(check_python):
    text = (
        "FROM vllm/vllm-openai\n"
        "# warm up\n"
        "RUN vllm serve M --convert reward --help\n"
        'CMD ["--model", "M", "--convert", "reward"]\n'
    )
    result = scan_file("Dockerfile", text, Options(), check_python)
    with_noqa = add_noqa_to_file("Dockerfile", text, result.findings)
    assert with_noqa == (
        "FROM vllm/vllm-openai\n"
        "# warm up  # noqa: POOL017\n"
        "RUN vllm serve M --convert reward --help\n"
        "# noqa: POOL017\n"
        'CMD ["--model", "M", "--convert", "reward"]\n'
    )
    assert scan_file("Dockerfile", with_noqa, FIX, check_python).findings == []


def test_dockerfile_noqa_goes_above_the_instruction_not_inside_it(check_python):
    text = "FROM x\nRUN pip install a && \\\n    vllm serve M --convert reward\n"
    result = scan_file("Dockerfile", text, Options(), check_python)
    assert result.findings[0].statement_rows == (2, 3)
    with_noqa = add_noqa_to_file("Dockerfile", text, result.findings)
    assert with_noqa == "FROM x\n# noqa: POOL017\nRUN pip install a && \\\n    vllm serve M --convert reward\n"
    assert scan_file("Dockerfile", with_noqa, Options(), check_python).findings == []


def test_crlf_dockerfile_continuations_and_comments(check_python):
    text = "FROM x\r\nRUN pip install a \\\r\n  # a comment\r\n  && vllm serve M \\\r\n  --convert reward\r\n"
    result = scan_file("Dockerfile", text, FIX, check_python)
    assert result.fixed_source == text.replace("reward", "embed")
    assert result.findings[0].statement_rows == (2, 5)  # the whole RUN instruction


def test_vllm_config_bge_m3_multi_task_without_a_task(check_python):
    base = "model: BAAI/bge-m3\nhf-overrides:\n  architectures: [BgeM3EmbeddingModel]\n"
    [finding] = scan_file("c.yaml", base, Options(), check_python).findings
    assert finding.code == "POOL019" and finding.fix is None and finding.location.row == 2
    for pinned in (
        "pooler-config.task: embed\n",
        "pooler-config:\n  task: token_embed\n",
        'pooler_config: \'{"task": "embed"}\'\n',
    ):
        assert scan_file("c.yaml", base + pinned, Options(), check_python).findings == []
    as_json = 'model: M\nhf_overrides: \'{"architectures": ["BgeM3EmbeddingModel"]}\'\n'
    assert [f.code for f in scan_file("c.yaml", as_json, Options(), check_python).findings] == ["POOL019"]
