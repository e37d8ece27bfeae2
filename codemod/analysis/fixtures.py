"""pytest fixtures, as the instance tracker sees them.

A fixture (a function decorated ``@pytest.fixture``, ``@pytest.fixture(scope=...)`` or
``@pytest_asyncio.fixture``) that builds an ``LLM`` and returns or yields it (also as ``weakref.proxy(llm)``,
which behaves as the instance) hands that one construction to every test and fixture of the module that names
it as a parameter: their uses are uses of the construction.

What pytest does and the tracker follows:

* a parameter without a default of a test (``test*`` at module level, or a ``test*`` method of a ``Test*``
  class) or of a fixture is filled with the fixture of that name: the class's own fixture first, then the
  module's; a name defined twice is not followed;
* ``@pytest.mark.parametrize("llm", ...)`` on the test or its class, or in the module's ``pytestmark``, gives the
  value directly: no fixture; argument names that are not literals make every parameter of that test unknown;
* a fixture's parameter with its own name is the fixture it overrides (from a ``conftest.py``): unknown;
* ``request.getfixturevalue("llm")`` hands the instance out where the tracker cannot see: it escapes;
* a fixture in a ``conftest.py`` serves other files: its instance escapes;
* a call inside ``with pytest.raises(...)`` is written to fail: rules that say "this fails on 0.21" leave it.

A parameter that no fixture of this file fills stays unknown: the tracker does not invent an instance for it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import QualifiedNameSource

from vllm_pooling_migrate.codemod.analysis.bindings import Frame, binding_constructions
from vllm_pooling_migrate.codemod.analysis.symbols import qualified_names
from vllm_pooling_migrate.codemod.python.edits import keyword_arg, string_value

if TYPE_CHECKING:  # the mixin's host: frames.py imports this module, so the base exists for the type checker only
    from vllm_pooling_migrate.codemod.analysis.bindings import Construction, TrackedFacts
    from vllm_pooling_migrate.codemod.analysis.frames import FrameStack as _Host
else:
    _Host = object

RAISES = "pytest.raises"
FIXTURE_DECORATORS = frozenset({"pytest.fixture", "pytest_asyncio.fixture"})
PARAMETRIZE = "pytest.mark.parametrize"
#: Wrappers a fixture may yield that behave as the object itself.
TRANSPARENT_WRAPPERS = frozenset({"weakref.proxy"})
CONFTEST = "conftest.py"


def _imported_names(source: cst.MetadataDependent, node: cst.CSTNode) -> set[str]:
    return {q.name for q in qualified_names(source, node) if q.source is QualifiedNameSource.IMPORT}


def fixture_name(source: cst.MetadataDependent, node: cst.FunctionDef) -> str | None:
    """The name tests request this fixture by; "" for a fixture whose ``name=`` is not a literal; None when the
    function is no fixture."""
    for decorator in node.decorators:
        expr = decorator.decorator
        call = expr if isinstance(expr, cst.Call) else None
        if _imported_names(source, call.func if call is not None else expr) & FIXTURE_DECORATORS:
            named = keyword_arg(call, "name") if call is not None else None
            if named is None:
                return node.name.value
            return string_value(named.value) or ""
    return None


def parametrized_names(source: cst.MetadataDependent, decorators: Sequence[cst.Decorator]) -> frozenset[str] | None:
    """The argument names ``@pytest.mark.parametrize`` decorators give directly; None when one is not a literal."""
    return _parametrized(source, [decorator.decorator for decorator in decorators])


def module_marks(source: cst.MetadataDependent, module: cst.Module) -> frozenset[str] | None:
    """The argument names a module-level ``pytestmark = pytest.mark.parametrize(...)`` (or a list of marks) gives
    every test of the module; None when one is not a literal."""
    marks: list[cst.BaseExpression] = []
    for statement in module.body:
        smalls = statement.body if isinstance(statement, cst.SimpleStatementLine) else ()
        for small in smalls:
            if isinstance(small, cst.Assign):
                targets, value = [t.target for t in small.targets], small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                targets, value = [small.target], small.value
            else:
                continue
            if any(isinstance(t, cst.Name) and t.value == "pytestmark" for t in targets):
                marks.extend([e.value for e in value.elements] if isinstance(value, (cst.List, cst.Tuple)) else [value])
    return _parametrized(source, marks)


def _parametrized(source: cst.MetadataDependent, marks: Sequence[cst.BaseExpression]) -> frozenset[str] | None:
    names: set[str] = set()
    for expr in marks:
        if not isinstance(expr, cst.Call) or PARAMETRIZE not in _imported_names(source, expr.func):
            continue
        given = keyword_arg(expr, "argnames")
        if given is None:
            positional = [a for a in expr.args if a.keyword is None and not a.star]
            given = positional[0] if positional else None
        found = _argnames(given.value) if given is not None else None
        if found is None:
            return None
        names |= found
    return frozenset(names)


def _argnames(value: cst.BaseExpression) -> set[str] | None:
    text = string_value(value)
    if text is not None:
        return {part.strip() for part in text.split(",") if part.strip()}
    if isinstance(value, (cst.List, cst.Tuple)):
        items = [string_value(e.value) for e in value.elements]
        return None if None in items else {i for i in items if i}
    return None


def is_test_function(name: str, class_name: str | None) -> bool:
    """pytest's default collection: ``test*`` functions, and ``test*`` methods of ``Test*`` classes."""
    return name.startswith("test") and (class_name is None or class_name.startswith("Test"))


def fixture_value(source: cst.MetadataDependent, value: cst.BaseExpression) -> cst.BaseExpression:
    """What a fixture hands out: ``weakref.proxy(llm)`` is ``llm``."""
    if isinstance(value, cst.Call) and _imported_names(source, value.func) & TRANSPARENT_WRAPPERS:
        positional = [a for a in value.args if a.keyword is None and not a.star]
        if len(positional) == 1 and len(value.args) == 1:
            return positional[0].value
    return value


def fixture_lookup(call: cst.Call) -> tuple[str | None, cst.Call] | None:
    """``request.getfixturevalue(name)``: the name when it is a literal (else None), or None for another call."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value != "getfixturevalue":
        return None
    first = call.args[0].value if call.args else None
    return (string_value(first) if first is not None else None), call


def is_conftest(path: str) -> bool:
    return os.path.basename(path) == CONFTEST


def expects_error(source: cst.MetadataDependent, node: cst.With) -> bool:
    """``with pytest.raises(...)``: the calls in its body are meant to raise."""
    return any(
        isinstance(item.item, cst.Call) and RAISES in _imported_names(source, item.item.func) for item in node.items
    )


class FixtureTracking(_Host):
    """Mixin of ``InstanceTracker``: which parameters pytest fills, and what each fixture hands out (it supplies
    ``facts``, ``_frames``, ``_frame``, ``_conftest`` and ``_factory_construction``)."""

    facts: TrackedFacts
    _conftest: bool

    if TYPE_CHECKING:
        def _factory_construction(self, frame: Frame) -> Construction | None: ...

    def visit_Module(self, node: cst.Module) -> None:
        self._frames[0].parametrized = module_marks(self, node)

    def _requested_fixtures(self, node: cst.FunctionDef, outer: Frame) -> frozenset[str]:
        """The parameters pytest fills with fixtures, when ``node`` is a test or a fixture (``analysis.fixtures``)."""
        in_class = outer.kind == "class"
        if outer.kind not in ("module", "class") or (in_class and len(self._frames) != 2):
            return frozenset()
        own = fixture_name(self, node)
        if own is None and not is_test_function(node.name.value, outer.name if in_class else None):
            return frozenset()
        given = parametrized_names(self, node.decorators)
        module = self._frames[0].parametrized
        if given is None or outer.parametrized is None or module is None:
            return frozenset()
        given = given | module
        params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        return frozenset(
            p.name.value for i, p in enumerate(params)
            if not (in_class and i == 0) and p.default is None and p.name.value not in given | outer.parametrized
            and p.name.value != own
        )

    def _register_fixture(self, frame: Frame, node: cst.FunctionDef) -> None:
        """What a fixture hands to the tests that request it: one construction, or nothing followable (then what
        it returns escapes). A conftest.py fixture serves tests in other files: its instance escapes."""
        construction = self._factory_construction(frame) if frame.fixture else None
        owner = self._frame if self._frame.kind == "class" else None
        self.facts.fixtures.setdefault((owner, frame.fixture or ""), []).append(construction)
        if construction is not None and not construction.names and frame.fixture:
            construction.names.append(frame.fixture)  # what the tests call it, for messages
        if construction is None or self._conftest:
            for binding in frame.returns:
                for escaped in binding_constructions(binding):
                    escaped.escapes.append(node.name)

