"""``ReachingBindings``: which bindings of a name reach one use of it (the values HTTP bodies are read from)."""

from __future__ import annotations

import libcst as cst
import pytest

from vllm_pooling_migrate.codemod.python.reaching import ReachingBindings


def _reaching(source: str) -> list[int] | None:
    """Lines of the bindings of ``x`` that reach the last ``use(x)`` of ``source``; None when unknown."""
    wrapper = cst.MetadataWrapper(cst.parse_module(source))
    uses: list[cst.Name] = []

    class Uses(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(node.func, cst.Name) and node.func.value == "use" and isinstance(node.args[0].value, cst.Name):
                uses.append(node.args[0].value)

    wrapper.module.visit(Uses())
    bindings = ReachingBindings(wrapper)
    found = bindings.of(uses[-1])
    if found is None:
        return None
    positions = wrapper.resolve(cst.metadata.PositionProvider)
    return [positions[a.node].start.line for a in found]


@pytest.mark.parametrize(
    "source, lines",
    [
        ("x = 1\nuse(x)\n", [1]),
        ("x = 1\nuse(x)\nx = 2\nuse(x)\n", [3]),
        ("x = 1\nx = 2\nuse(x)\n", [2]),
        ("x = 1\nx = f(x)\nuse(x)\n", [2]),
        ("if c:\n    x = 1\nelse:\n    x = 2\nuse(x)\n", [2, 4]),
        ("x = 0\nif c:\n    x = 1\nuse(x)\n", [1, 3]),
        ("x = 0\nfor i in y:\n    use(x)\n    x = i\n", [1, 4]),
        ("x = 0\nwhile c:\n    x = 1\nuse(x)\n", [1, 3]),
        ("x = 0\ntry:\n    x = 1\nexcept E:\n    use(x)\n", [1, 3]),
        ("def f(x):\n    use(x)\n    x = 1\n", [1]),
        ("def f(x):\n    x = 1\n    use(x)\n", [2]),
        ("for x in y:\n    pass\nx = 1\nuse(x)\n", [3]),
        ("x = 1\nfor x in y:\n    pass\nuse(x)\n", [1, 2]),
        ("x = 1\nx += 2\nuse(x)\n", [2]),
        ("if c: x = 1\nelse: x = 2\nuse(x)\n", [1, 2]),
        ("x = 1\nx = 2\n[use(x) for _ in y]\n", [2]),
        ("x = 1\nwith lock:\n    x = 2\nuse(x)\n", [3]),  # a with body always runs
        ("x = 1\nwith a:\n    with b:\n        x = 2\nuse(x)\n", [4]),
        ("x = 1\nwith a:\n    if c:\n        x = 2\nuse(x)\n", [1, 4]),
    ],
)
def test_reaching(source, lines):
    assert _reaching(source) == lines


@pytest.mark.parametrize(
    "source",
    [
        "x = 1\nx = 2\ndef f():\n    use(x)\n",  # read when f runs: either binding
        "use(x)\n",  # never bound here
        "x = 1\ndef f():\n    global x\n    x = 2\n    use(x)\n",
    ],
)
def test_unknown(source):
    assert _reaching(source) is None
