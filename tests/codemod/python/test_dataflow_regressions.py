"""Uses of an LLM the tracker cannot attribute must block the one-task fix (review findings, one case each).

Run with every rule selected (``ALL``): the pin of an ordinary ``embed()`` user is the opt-in POOL022's, and it
shares POOL005's analysis."""

import pytest

from vllm_pooling_migrate.codemod.engine import check_python_source
from vllm_pooling_migrate.codemod.options import Options

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
    result = check_python_source(HEADER + source, "x.py", Options(fix=True, select=("ALL",)))
    assert result.error is None
    assert "PoolerConfig(task=" not in (result.fixed_source or ""), result.fixed_source


def test_global_statement_links_uses_across_functions():
    source = HEADER + (
        "def init(w):\n    global llm\n    llm = LLM('m')\n    llm.embed(w)\n\n"
        "def predict(x):\n    return llm.classify(x)\n"
    )
    result = check_python_source(source, "x.py", Options(fix=True, select=("ALL",)))
    assert [f.code for f in result.findings] == ["POOL004"]
    assert result.fixed_source is None


def test_comprehension_target_does_not_rebind_the_engine():
    source = HEADER + 'llm = LLM("m")\nnames = [llm for llm in ["a", "b"]]\nllm.embed(["a"])\n'
    result = check_python_source(source, "x.py", Options(fix=True, select=("ALL",)))
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
    result = check_python_source(source, "x.py", Options(fix=True, select=("ALL",)))
    assert [f.code for f in result.findings] == ["POOL022"]  # the model's default task: the opt-in pin
    assert result.fixed_source is None
    assert "conditionally" in result.findings[0].unfixable_reason


def test_set_defaults_of_an_unrelated_parser_is_not_touched():
    source = HEADER + (
        'sub.set_defaults(func=run)\nengine_kwargs = {"model": "m", "pooler_config": {"task": "classify"}}\n'
        'llm = LLM(**engine_kwargs)\nllm.embed(["a"])\n'
    )
    result = check_python_source(source, "x.py", Options(fix=True, select=("ALL",)))
    assert result.fixed_source is None


def test_reward_with_pooling_params_task_migrates_in_one_consistent_fix():
    source = HEADER + 'from vllm import PoolingParams\nprm = LLM("m")\nprm.reward(xs, pooling_params=PoolingParams(task="reward", dimensions=2))\n'
    result = check_python_source(source, "x.py", Options(fix=True, select=("ALL",)))
    assert 'prm.encode(xs, pooling_params=PoolingParams(dimensions=2), pooling_task="token_classify")' in result.fixed_source
    compile(result.fixed_source, "x.py", "exec")


def test_conflicting_fixes_are_dropped_one_at_a_time(monkeypatch):
    """A fix that would not compile is rejected alone; the other fixes of the file still apply."""
    from vllm_pooling_migrate.codemod.python import fix_proof

    real = fix_proof.verify_fixed_source

    def reject_reward_fix(original, new_source):
        return "simulated conflict" if "token_classify" in new_source else real(original, new_source)

    monkeypatch.setattr(fix_proof, "verify_fixed_source", reject_reward_fix)
    source = HEADER + 'prm = LLM("p")\nprm.reward(xs)\nfrom vllm.config import PoolerConfig\ncfg = PoolerConfig(normalize=False)\n'
    result = check_python_source(source, "x.py", Options(fix=True, select=("ALL",)))
    assert "use_activation=False" in result.fixed_source and "prm.reward(xs)" in result.fixed_source
    reasons = {f.code: f.unfixable_reason for f in result.findings}
    assert reasons["POOL009"] == "simulated conflict" and reasons["POOL010"] is None


def test_encode_handing_on_star_kwargs_is_not_reported():
    # A wrapper's `encode(*args, **kwargs)` hands on its caller's task: nothing here shows it missing.
    source = HEADER + 'from vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(task="token_embed"))\nllm.encode(texts, **kw)\n'
    result = check_python_source(source, "x.py", Options(fix=True, select=("ALL",)))
    assert result.findings == [] and result.fixed_source is None
    plain = source.replace("llm.encode(texts, **kw)", "llm.encode(texts)")
    assert [f.code for f in check_python_source(plain, "x.py", Options(select=("ALL",))).findings] == ["POOL006"]


def test_positional_pooling_params_keeps_the_positions_after_it():
    source = HEADER + 'from vllm import PoolingParams\nllm = LLM("m")\nllm.encode(texts, PoolingParams(task="token_embed"), True)\n'
    result = check_python_source(source, "x.py", Options(fix=True, select=("ALL",)))
    assert 'llm.encode(texts, None, True, pooling_task="token_embed")' in result.fixed_source


def test_no_pooler_config_task_below_0_19():
    source = HEADER + 'llm = LLM("m", override_pooler_config={"task": "embed"})\n'
    result = check_python_source(source, "x.py", Options(fix=True, target_version=(0, 18)))
    assert result.fixed_source is None
