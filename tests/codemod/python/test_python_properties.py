"""Properties over generated programs: fixing parses, is idempotent and never leaves a name unbound;
look-alike code from other libraries never produces a finding."""

import builtins
import importlib.abc
import importlib.machinery
import inspect
import symtable
import sys
import types
from contextlib import contextmanager

import libcst as cst
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vllm_pooling_migrate.codemod.engine import check_python_source
from vllm_pooling_migrate.codemod.options import Options

IMPORTS = [
    ("from vllm import LLM\n", "LLM"),
    ("import vllm\n", "vllm.LLM"),
    ("import vllm as v\n", "v.LLM"),
    ("from vllm import LLM as Engine\n", "Engine"),
    ("from vllm.entrypoints.llm import LLM\n", "LLM"),
]
CONFIG_IMPORTS = ["", "from vllm.config import PoolerConfig\n", "from vllm.config import PoolerConfig as PC\n", "from vllm import PoolingParams\n"]
CONSTRUCTOR_ARGS = [
    '"m"',
    "'m'",
    'model="m", runner="pooling"',
    '"m", task="embed"',
    '"m", override_pooler_config={"pooling_type": "MEAN"}',
    '\n    "m",  # comment\n    trust_remote_code=True,\n',
    '"m", **kwargs',
]
USES = [
    "{r}.embed(texts)",
    "{r}.classify(texts)",
    "{r}.reward(texts)",
    '{r}.encode(texts, pooling_task="token_embed")',
    "{r}.encode(texts, pooling_task='token_classify')",
    "{r}.encode(texts)",
    "{r}.score(q, docs)",
    "{r}.generate(prompts)",
    "send({r})",
]


@st.composite
def programs(draw):
    header, llm = draw(st.sampled_from(IMPORTS))
    extra = draw(st.sampled_from(CONFIG_IMPORTS))
    args = draw(st.sampled_from(CONSTRUCTOR_ARGS))
    uses = draw(st.lists(st.sampled_from(USES), min_size=0, max_size=3))
    shape = draw(st.sampled_from(["module", "function", "class", "factory"]))
    body_uses = "\n".join(u.format(r="llm") for u in uses)
    if shape == "module":
        body = f"llm = {llm}({args})\n{body_uses}\n"
    elif shape == "function":
        inner = "\n".join("    " + u.format(r="llm") for u in uses) or "    pass"
        body = f"def main(texts, q, docs, prompts, kwargs):\n    llm = {llm}({args})\n{inner}\n"
    elif shape == "class":
        inner = "\n".join("        " + u.format(r="self.llm") for u in uses) or "        pass"
        body = f"class S:\n    def __init__(self, kwargs):\n        self.llm = {llm}({args})\n\n    def run(self, texts, q, docs, prompts):\n{inner}\n"
    else:
        inner = "\n".join("    " + u.format(r="llm") for u in uses) or "    pass"
        body = f"def build(kwargs):\n    return {llm}({args})\n\ndef main(texts, q, docs, prompts):\n    llm = build({{}})\n{inner}\n"
    return header + extra + "\n" + body


def free_global_names(source: str) -> set[str]:
    """Names the program reads as globals but never binds at module level, by CPython's own symbol table
    (independent of the codemod's ``unbound_names``)."""
    top = symtable.symtable(source, "gen.py", "exec")
    bound = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    read: set[str] = set()

    def visit(table: symtable.SymbolTable) -> None:
        for symbol in table.get_symbols():
            at_module = table is top
            if symbol.is_referenced() and (at_module or symbol.is_global()):
                read.add(symbol.get_name())
        for child in table.get_children():
            visit(child)

    visit(top)
    return read - bound - set(dir(builtins))


class _Anything:
    """Stands in for every vLLM object: any call and any attribute give another one."""

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        return _Anything()

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()


class _StubVllm(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``vllm`` and every ``vllm.*`` module, each giving ``_Anything`` for any name imported from it."""

    def find_spec(self, name, path=None, target=None):
        if name == "vllm" or name.startswith("vllm."):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__getattr__ = lambda attr: _Anything  # PEP 562: ``from vllm import LLM`` gets the stub class
        return module

    def exec_module(self, module):
        pass


@contextmanager
def stub_vllm():
    finder = _StubVllm()
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [n for n in sys.modules if n == "vllm" or n.startswith("vllm.")]:
            del sys.modules[name]


INPUTS = {"texts": ["a"], "q": "q", "docs": ["d"], "prompts": ["p"], "kwargs": {}, "send": lambda engine: None}


def run_program(source: str) -> None:
    """Execute a generated program against a stub vLLM, calling its entry points: a NameError or ImportError
    means a fix left a name unbound or imported something that does not exist."""

    def call(function, **extra):
        wanted = inspect.signature(function).parameters
        return function(**{name: extra.get(name, INPUTS.get(name)) for name in wanted})

    namespace: dict = {"__name__": "gen", **INPUTS}
    with stub_vllm():
        exec(compile(source, "gen.py", "exec"), namespace)
        if "main" in namespace:
            call(namespace["main"])
        if "S" in namespace:
            call(call(namespace["S"]).run)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.booleans())
def test_fixing_parses_is_idempotent_and_binds_every_name(source, unsafe):
    options = Options(fix=True, unsafe_fixes=unsafe)
    first = check_python_source(source, "gen.py", options)
    assert first.error is None
    fixed = first.fixed_source or source
    cst.parse_module(fixed)  # every output parses
    assert free_global_names(fixed) <= free_global_names(source), fixed
    run_program(source)
    run_program(fixed)  # and runs, every name bound
    second = check_python_source(fixed, "gen.py", options)
    assert second.fixed_source is None, f"not idempotent:\n{fixed}\n---\n{second.fixed_source}"


def test_the_name_checks_catch_an_unbound_name():
    """The two oracles above can fail: a program that lost its import is caught by both."""
    source = "from vllm import LLM\nllm = LLM('m')\nllm.embed(texts)\n"
    broken = "llm = LLM('m')\nllm.embed(texts)\n"
    assert free_global_names(source) == {"texts"}
    assert free_global_names(broken) == {"LLM", "texts"}
    assert free_global_names("def f():\n    return PoolerConfig(task='embed')\n") == {"PoolerConfig"}
    assert free_global_names("class S:\n    def m(self):\n        return self.x, y\n") == {"y"}
    run_program(source)
    with pytest.raises(NameError):
        run_program(broken)
    with pytest.raises(NameError):
        run_program("from vllm.config import PoolerConfig\ndef main(texts):\n    return PoolingParams(task='embed')\n")


LOOKALIKES = [
    "from sentence_transformers import SentenceTransformer\nm = SentenceTransformer('x')\nm.encode(['a'], normalize_embeddings=True)\n",
    "from transformers import AutoTokenizer\nt = AutoTokenizer.from_pretrained('x')\nt.encode('a')\n",
    "class LLM:\n    def embed(self, x): ...\nllm = LLM()\nllm.embed(1)\nllm.encode(2)\nllm.reward(3)\n",
    "from langchain_community.llms import VLLM\nllm = VLLM(model='m')\nllm.invoke('x')\n",
    "from openai import OpenAI\nc = OpenAI(base_url='http://localhost:8000/v1')\nc.embeddings.create(model='m', input=['x'])\n",
    "import gymnasium as gym\nenv = gym.make('x')\nenv.reward(1)\n",
    "from mylib import PoolerConfig, PoolingParams\nPoolerConfig(normalize=True, pooling_task='x')\nPoolingParams(task='score')\n",
]


@pytest.mark.parametrize("prefix", ["", "# uses vllm elsewhere\n", "import vllm\n"], ids=["plain", "comment", "import-vllm"])
@pytest.mark.parametrize("source", LOOKALIKES, ids=lambda source: source.split("\n", 1)[0][:40])
def test_lookalikes_from_other_libraries_are_never_flagged(source, prefix):
    result = check_python_source(prefix + source, "other.py", Options(fix=True, unsafe_fixes=True))
    assert result.error is None
    assert result.findings == []
    assert result.fixed_source is None
