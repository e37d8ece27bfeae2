"""The proof a fixed Python text must pass before it is kept: it parses, compiles where the original did, and uses
no name that the original did not already leave unbound."""

from __future__ import annotations

import builtins
import symtable

import libcst as cst
from libcst.metadata import ScopeProvider


def verify_fixed_source(original: cst.Module, new_source: str) -> str | None:
    """None when the fixed text parses, compiles (when the original did) and uses no name the original did not
    already leave unbound.

    When the original compiles, CPython's compiler and symbol table answer (fast, in C); otherwise libcst's
    parser and scopes do.
    """
    compiles, unbound = _original_facts(original)
    if compiles:
        if not _compiles(new_source):
            try:
                cst.parse_module(new_source)
            except cst.ParserSyntaxError as error:
                return f"the fix would not parse ({error.message}); file left unchanged"
            return "the fix would not compile (e.g. a repeated keyword argument); file left unchanged"
        introduced = compiled_unbound_names(new_source) - unbound
    else:
        try:
            fixed = cst.parse_module(new_source)
        except cst.ParserSyntaxError as error:
            return f"the fix would not parse ({error.message}); file left unchanged"
        introduced = unbound_names(fixed) - unbound_names(original)
    if introduced:
        return f"the fix would use unbound names {sorted(introduced)}; file left unchanged"
    return None


#: What verification needs to know about the module being fixed: (module, it compiles, its unbound names). One
#: entry: every proof of a pass is against the same original.
_original: tuple[cst.Module, bool, frozenset[str]] | None = None


def remember_original(module: cst.Module, source: str) -> None:
    global _original
    compiles = _compiles(source)
    _original = (module, compiles, frozenset(compiled_unbound_names(source)) if compiles else frozenset())


def forget_original() -> None:
    """Let the pass's module go (a large module's tree is most of the memory a run holds)."""
    global _original
    _original = None


def _original_facts(original: cst.Module) -> tuple[bool, frozenset[str]]:
    if _original is None or _original[0] is not original:
        remember_original(original, original.code)
    assert _original is not None
    return _original[1], _original[2]


def _compiles(source: str) -> bool:
    """CPython's own checks beyond the grammar (repeated keywords, misplaced arguments)."""
    try:
        compile(source, "<fixed>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError):
        return False
    return True


_ALWAYS_BOUND = frozenset({"__file__", "__name__"})


def compiled_unbound_names(source: str) -> set[str]:
    """Names the code reads that nothing binds (nor builtins), from CPython's symbol table: what
    ``unbound_names`` finds with libcst's scopes, for source that compiles."""
    top = symtable.symtable(source, "<fixed>", "exec")
    everywhere = [top]
    for table in everywhere:
        everywhere.extend(table.get_children())
    bound_here = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    bound_here |= {  # ``global x; x = ...`` in a function binds the module's x
        s.get_name() for table in everywhere[1:] for s in table.get_symbols() if s.is_declared_global() and s.is_assigned()
    }
    unbound = set()
    for table in everywhere:
        for symbol in table.get_symbols():
            name = symbol.get_name()
            if not symbol.is_referenced() or name in bound_here or name in _ALWAYS_BOUND or hasattr(builtins, name):
                continue
            if table is top or symbol.is_global():
                unbound.add(name)
    return unbound


def unbound_names(module: cst.Module) -> set[str]:
    scopes = cst.MetadataWrapper(module, unsafe_skip_copy=True).resolve(ScopeProvider)
    unbound = set()
    for scope in {s for s in scopes.values() if s is not None}:
        for access in scope.accesses:
            name = access.node.value if isinstance(access.node, cst.Name) else None
            if name and not access.referents and not hasattr(builtins, name) and name not in _ALWAYS_BOUND:
                unbound.add(name)
    return unbound
