"""Uses of an LLM the tracker cannot attribute must block the one-task fix (review findings, one case each)."""

import pytest

from codemod.engine import check_python_source
from codemod.options import Options

HEADER = "from vllm import LLM\n"

HIDDEN_SECOND_TASK = {
    "bound method": 'llm = LLM("m")\nf = llm.classify\nllm.embed(["a"])\nf(["b"])\n',
    "partial": 'import functools\nllm = LLM("m")\nllm.embed(["a"])\ng = functools.partial(llm.encode, pooling_task="token_embed")\n',
    "closure defined before the binding": "def main(x, y):\n    def helper():\n        return llm.classify(x)\n    llm = LLM('m')\n    llm.embed(y)\n    return helper()\n",
    "nonlocal": "def outer(x, w):\n    llm = None\n    def init():\n        nonlocal llm\n        llm = LLM('m')\n        llm.embed(w)\n    init()\n    return llm.classify(x)\n",
    "self in a nested def": "class S:\n    def __init__(self):\n        self.llm = LLM('m')\n    def a(self, x):\n        return self.llm.embed(x)\n    def b(self, x):\n        def inner():\n            return self.llm.classify(x)\n        return inner()\n",
    "attribute read outside the class": "class S:\n    def __init__(self):\n        self.llm = LLM('m')\n    def a(self, x):\n        return self.llm.embed(x)\ns = S()\ns.llm.classify(['x'])\n",
    "subclass use": "class Base:\n    def __init__(self):\n        self.llm = LLM('m')\n    def a(self, x):\n        return self.llm.embed(x)\nclass Child(Base):\n    def b(self, x):\n        return self.llm.classify(x)\n",
    "factory result passed on": "def build():\n    return LLM('m')\nllm = build()\nllm.embed(['a'])\nWrapper(build())\n",
    "function that is not a factory": "def get_llm(p, w):\n    llm = LLM(p)\n    llm.embed(w)\n    if not p:\n        return None\n    return llm\nget_llm('m', []).classify(['x'])\n",
    "lambda parameter of the same name": 'llm = LLM("m")\nllm.embed(["a"])\nkey = lambda llm: llm.name\nllm.classify(["b"])\n',
    "except-as rebinding": 'def f():\n    llm = LLM("m")\n    llm.embed(["a"])\n    try:\n        pass\n    except Exception as llm:\n        pass\n    llm.classify(["b"])\n',
    "match branch": 'llm = LLM("a")\nllm.embed(["x"])\nmatch mode:\n    case "tok":\n        llm = LLM("b")\nllm.encode(["y"], pooling_task="token_embed")\n',
}


@pytest.mark.parametrize("source", HIDDEN_SECOND_TASK.values(), ids=HIDDEN_SECOND_TASK.keys())
def test_hidden_use_blocks_the_fix(source):
    result = check_python_source(HEADER + source, "x.py", Options(fix=True))
    assert result.error is None
    assert "PoolerConfig(task=" not in (result.fixed_source or ""), result.fixed_source


def test_global_statement_links_uses_across_functions():
    source = HEADER + (
        "def init(w):\n    global llm\n    llm = LLM('m')\n    llm.embed(w)\n\n"
        "def predict(x):\n    return llm.classify(x)\n"
    )
    result = check_python_source(source, "x.py", Options(fix=True))
    assert [f.code for f in result.findings] == ["POOL004"]
    assert result.fixed_source is None


def test_comprehension_target_does_not_rebind_the_engine():
    source = HEADER + 'llm = LLM("m")\nnames = [llm for llm in ["a", "b"]]\nllm.embed(["a"])\n'
    result = check_python_source(source, "x.py", Options(fix=True))
    assert 'PoolerConfig(task="embed")' in result.fixed_source


@pytest.mark.parametrize(
    "source",
    [
        "try:\n    from vllm import LLM\nexcept ImportError:\n    LLM = None\n\ndef embed(t):\n    llm = LLM('m')\n    return llm.embed(t)\n",
        "def embed(t):\n    from vllm import LLM\n    llm = LLM('m')\n    return llm.embed(t)\n",
    ],
    ids=["try-import", "function-import"],
)
def test_no_unconditional_import_is_added_where_vllm_is_optional(source):
    result = check_python_source(source, "x.py", Options(fix=True))
    assert [f.code for f in result.findings] == ["POOL005"]
    assert result.fixed_source is None
    assert "conditionally" in result.findings[0].unfixable_reason


def test_set_defaults_of_an_unrelated_parser_is_not_touched():
    source = HEADER + (
        'sub.set_defaults(func=run)\nengine_kwargs = {"model": "m", "pooler_config": {"task": "classify"}}\n'
        'llm = LLM(**engine_kwargs)\nllm.embed(["a"])\n'
    )
    result = check_python_source(source, "x.py", Options(fix=True))
    assert result.fixed_source is None
