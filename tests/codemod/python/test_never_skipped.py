"""Nothing is skipped silently: the pre-filter and the parser see through BOMs, cookies and line ends; the
pre-filter lets through files that start servers or call pooling routes without importing vLLM; deep nesting
is analysed."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.codemod.engine import check_python_source
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.codemod.python.prefilter import may_be_affected

AFFECTED = {
    "bom": b"\xef\xbb\xbffrom vllm import LLM\n",
    "cr line ends": b"x = 1\rfrom vllm import LLM\r",
    "semicolon": b"import os; import vllm\n",
    "backslash": b"from \\\n    vllm import LLM\n",
    "import list": b"import os, \\\n    vllm\n",
    "server fixture": b'with RemoteOpenAIServer(MODEL, ["--task", "embed"]) as server:\n',
    "docker list": b'cmd = ["docker", "run", image, "--task=embed"]\n',
    "override flag": b'args = ["--override-pooler-config", cfg]\n',
    "pooler config flag": b"args = ['--pooler-config.task', 'embed']\n",
    "convert reward": b'["--convert", "reward"]\n',
    "pooling route": b'requests.post("http://localhost:8000/pooling", json=body)\n',
    "embeddings route": b'httpx.post(f"{base}/v1/embeddings", json=body)\n',
    "rerank route": b'requests.post(url + "/v2/rerank", json=body)\n',
    "score route": b"session.post(BASE + '/score', json=body)\n",
    "test server": b'with RemoteOpenAIServer(MODEL, ["--task", "generate"]) as server:\n',
    "bge-m3 override": b"""args = ["--hf-overrides", '{"architectures": ["BgeM3EmbeddingModel"]}']\n""",
    "ray data": b"from ray.data.llm import vLLMEngineProcessorConfig\n",
    "ray serve module": b"import ray.serve.llm as serve_llm\n",
    "ray serve name": b"from ray.serve import llm\n",
    "server command string": b'os.system(f"vllm serve {model} --task {task}")\n',
    "api server string": b'cmd = "python -m vllm.entrypoints.openai.api_server --model m"\n',
    "server argv list": b'subprocess.run(["vllm", "serve", args.model, "--task", args.task])\n',
}
NOT_AFFECTED = {
    "comment": b"# from vllm import LLM\n",
    "docstring": b'"""Works with vllm too."""\n',
    "grep": b'subprocess.run(["grep", "--task", "embedded", "log"])\n',
    "other route": b'requests.post(f"{base}/scoreboard", json=body)\n',
    "plain ray": b"import ray\nray.init()\n",
}


@pytest.mark.parametrize("data", AFFECTED.values(), ids=AFFECTED.keys())
def test_pre_filter_lets_through(data):
    assert may_be_affected(data) and may_be_affected(data.decode())


@pytest.mark.parametrize("data", NOT_AFFECTED.values(), ids=NOT_AFFECTED.keys())
def test_pre_filter_skips(data):
    assert not may_be_affected(data)


LEGACY = 'from vllm import LLM\nllm = LLM("m")\nllm.embed(["a"])\nllm.encode(["b"], pooling_task="token_embed")\n'


def test_a_bom_is_set_aside_and_put_back():
    plain = check_python_source(LEGACY, "x.py", Options(fix=True))
    bom = check_python_source("\ufeff" + LEGACY, "x.py", Options(fix=True))
    assert [(f.code, f.location) for f in bom.findings] == [(f.code, f.location) for f in plain.findings] != []


@pytest.mark.parametrize("terms", [450, 2500])
def test_a_long_string_concatenation_is_analysed(terms):
    concatenation = " + ".join(f'"part {i} "' for i in range(terms))
    source = f'from vllm import LLM\nllm = LLM("m", override_pooler_config={{"pooling_type": "MEAN"}})\nprompt = {concatenation}\nllm.embed([prompt])\n'
    result = check_python_source(source, "x.py", Options(fix=True))
    assert result.error is None
    assert [f.code for f in result.findings] == ["POOL003"]
    assert 'pooler_config=PoolerConfig(pooling_type="MEAN")' in result.fixed_source
    assert f'"part {terms - 1} "' in result.fixed_source


def test_argv_lists_without_vllm_are_read_when_a_vllm_only_flag_is_there():
    source = (
        'import subprocess\nMODEL = "BAAI/bge-base-en-v1.5"\n'
        'with RemoteOpenAIServer(MODEL, ["--task", "embed"]) as server:\n    pass\n'
        'subprocess.run(["docker", "run", "--gpus", "all", "-p", "8000:8000", image, "--task=embed"])\n'
        'subprocess.run([VLLM, "serve", MODEL, "--task", "classify"])\n'
        'subprocess.run(["grep", "--task", "embed", "log.txt"])\n'
        'subprocess.run(["python", "-m", "my_launcher", "--task", "embed"])\n'
    )
    result = check_python_source(source, "x.py", Options(fix=True))
    assert [(f.code, f.location.row) for f in result.findings] == [("POOL013", 3), ("POOL013", 5), ("POOL013", 6)]
    fixed = result.fixed_source.splitlines()
    assert fixed[2] == 'with RemoteOpenAIServer(MODEL, ["--runner", "pooling", "--convert", "embed"]) as server:'
    assert fixed[4].endswith('image, "--runner=pooling", "--convert=embed"])')
    assert fixed[5] == 'subprocess.run([VLLM, "serve", MODEL, "--runner", "pooling", "--convert", "classify"])'
    assert fixed[6:] == source.splitlines()[6:]  # grep's and an unknown launcher's arguments are not vLLM's
