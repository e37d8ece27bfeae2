"""The analysis' shortcuts answer as libcst would: lazy qualified names, statement rows, the compiler's unbound
names; and the tracker's closures are scoped to the function they read from."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import QualifiedNameProvider, QualifiedNameSource

from vllm_pooling_migrate.codemod.analysis.symbols import install_lazy_qualified_names
from vllm_pooling_migrate.codemod.engine import check_python_source
from vllm_pooling_migrate.codemod.options import Options
from vllm_pooling_migrate.codemod.python.fix_proof import compiled_unbound_names, unbound_names

FIXTURES = sorted((Path(__file__).resolve().parent / "fixtures").glob("*/*.in.py"))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_lazy_qualified_names_equal_libcsts(path):
    source = path.read_text()
    eager = cst.MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    names = eager.resolve(QualifiedNameProvider)
    lazy = cst.MetadataWrapper(eager.module, unsafe_skip_copy=True)
    install_lazy_qualified_names(lazy)
    lazy_names = lazy.resolve(QualifiedNameProvider)
    for node, value in names.items():
        libcsts, ours = set(value() if callable(value) else value), set(lazy_names[node])
        if isinstance(node, (cst.Name, cst.Attribute)) and ours != libcsts:  # a class alias, subclass or actor
            assert libcsts < ours and all(q.source is QualifiedNameSource.IMPORT for q in ours - libcsts)
        else:
            assert ours == libcsts


ALIASES = '''import typing
import vllm
from typing import cast
plain = vllm.LLM
casted = cast("type[LLM]", vllm.PoolerConfig)
long_cast = typing.cast("type[LLM]", vllm.LLM)
twice = vllm.LLM
twice = object
def f():
    inner: type = vllm.LLM
    return plain, casted, long_cast, twice, inner
'''


def test_a_name_bound_once_to_a_class_has_the_class_names():
    wrapper = cst.MetadataWrapper(cst.parse_module(ALIASES), unsafe_skip_copy=True)
    install_lazy_qualified_names(wrapper)
    names = wrapper.resolve(QualifiedNameProvider)
    returned = wrapper.module.body[-1].body.body[-1].body[0].value  # the tuple `f` returns
    found = {e.value.value: {q.name for q in names[e.value] if q.source is QualifiedNameSource.IMPORT}
             for e in returned.elements}
    assert found == {"plain": {"vllm.LLM"}, "casted": {"vllm.PoolerConfig"}, "long_cast": {"vllm.LLM"},
                     "twice": set(), "inner": {"vllm.LLM"}}


@pytest.mark.parametrize(
    "source",
    [
        "import os\nfrom x import *\ndef f(a):\n    def g():\n        return a + b + os.path\n    return g\n",
        "class C:\n    y = 1\n    def m(self):\n        return y\nz = [q for q in range(3)]\nprint(missing, __file__)\n",
        "def f():\n    global late\n    late = 1\nlate\n",
        "try:\n    import json\nexcept ImportError:\n    json = None\nlambda v: v + w\n",
    ],
)
def test_compiled_unbound_names_equal_libcsts(source):
    assert compiled_unbound_names(source) == unbound_names(cst.parse_module(source))


def test_a_closure_puts_in_doubt_only_its_own_functions_engine():
    source = (
        "from vllm import LLM\n\n"
        "def a(x, y):\n    def helper():\n        return llm.classify(x)\n    llm = LLM('m')\n"
        "    llm.encode(y, pooling_task='token_embed')\n    return helper()\n\n"
        "def b(t):\n    llm = LLM('n')\n    return llm.encode(t, pooling_task='token_embed')\n"
    )
    result = check_python_source(source, "x.py", Options(fix=True))
    fixed = result.fixed_source.splitlines()
    assert fixed[6] == "    llm = LLM('m')"  # read by a closure before it is bound: left alone
    assert fixed[11] == "    llm = LLM('n', pooler_config=PoolerConfig(task='token_embed'))"  # another function's


def test_with_many_fixes_one_that_fails_its_proof_is_found_and_dropped_alone(monkeypatch):
    """Above a few fixes, the ones that do not verify are found by halving the set: the others still apply."""
    from vllm_pooling_migrate.codemod.python import fix_proof

    real = fix_proof.verify_fixed_source
    proofs = []

    def reject_m7(original, new_source):
        proofs.append(1)
        return "simulated conflict" if 'LLM("m7", pooler_config=' in new_source else real(original, new_source)

    monkeypatch.setattr(fix_proof, "verify_fixed_source", reject_m7)
    body = "".join(f'e{i} = LLM("m{i}", override_pooler_config={{"pooling_type": "MEAN"}})\n' for i in range(40))
    result = check_python_source("from vllm import LLM\n" + body, "x.py", Options(fix=True))
    reasons = {f.location.row: f.unfixable_reason for f in result.findings}
    assert reasons[9] == "simulated conflict" and all(reason is None for row, reason in reasons.items() if row != 9)
    assert result.fixed_source.count("pooler_config=PoolerConfig(") == 39
    assert 'e7 = LLM("m7", override_pooler_config={"pooling_type": "MEAN"})' in result.fixed_source
    assert len(proofs) < 40  # not one proof per fix
