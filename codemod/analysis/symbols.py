"""Resolve an expression to one of the vLLM symbols the rules care about, through any import form.

``import vllm as v; v.LLM``, ``from vllm import LLM as Engine``, ``from vllm.entrypoints.llm import LLM``,
``vllm.config.pooler.PoolerConfig`` all resolve through libcst's qualified names; a user's own class named
``LLM`` or another library's ``encode`` never does, because its qualified name is not under ``vllm``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping

import libcst as cst
from libcst.metadata import QualifiedName, QualifiedNameProvider, QualifiedNameSource, ScopeProvider

from vllm_pooling_migrate.codemod.analysis.class_aliases import ClassAliases, unwrapped_class

#: This project's shim: code written against it is vLLM's API too. A user's own ``shim`` module is not.
SHIM_MODULE = "vllm_pooling_migrate.shim"
#: Packages whose pooling API is vLLM's: vLLM itself and this project's shim.
VLLM_ROOTS = ("vllm", SHIM_MODULE)


def _under(qualified: str, package: str) -> bool:
    return qualified == package or qualified.startswith(package + ".")

LLM = "LLM"
POOLER_CONFIG = "PoolerConfig"
POOLING_PARAMS = "PoolingParams"
ENGINE_ARGS = "EngineArgs"
ASYNC_ENGINE_ARGS = "AsyncEngineArgs"
MODEL_CONFIG = "ModelConfig"
#: The engines below ``LLM`` (``vllm.AsyncLLMEngine``, ``vllm.v1.engine.async_llm.AsyncLLM``, ``vllm.LLMEngine``)
#: and their protocol (``vllm.engine.protocol.EngineClient``).
ASYNC_LLM_ENGINE = "AsyncLLMEngine"
ASYNC_LLM = "AsyncLLM"
LLM_ENGINE = "LLMEngine"
ENGINE_CLIENT = "EngineClient"

KNOWN_SYMBOLS = frozenset(
    {LLM, POOLER_CONFIG, POOLING_PARAMS, ENGINE_ARGS, ASYNC_ENGINE_ARGS, MODEL_CONFIG, ASYNC_LLM_ENGINE, ASYNC_LLM,
     LLM_ENGINE, ENGINE_CLIENT}
)


def symbol_of_qualified_name(qualified: str) -> str | None:
    """``vllm.config.pooler.PoolerConfig`` -> ``PoolerConfig``; anything outside vLLM -> None."""
    if not any(_under(qualified, root) and qualified != root for root in VLLM_ROOTS):
        return None
    symbol = qualified.rpartition(".")[2]
    return symbol if symbol in KNOWN_SYMBOLS else None


#: Where qualified names come from: a visitor during the traversal, or the resolved mapping afterwards.
NameSource = cst.MetadataDependent | Mapping[cst.CSTNode, Collection[QualifiedName]]


def qualified_names(source: NameSource, node: cst.CSTNode) -> Collection[QualifiedName]:
    """Qualified names of ``node``; ``source`` is a visitor during the traversal, or the resolved
    qualified-name mapping afterwards (libcst resolves its values lazily)."""
    if isinstance(source, cst.MetadataDependent):
        try:
            return source.get_metadata(QualifiedNameProvider, node, set())
        except KeyError:
            return set()
    names = source.get(node, set())
    return names() if callable(names) else names


def resolve_symbol(source: NameSource, node: cst.CSTNode) -> str | None:
    """The vLLM symbol an expression (a Name or Attribute) refers to, or None."""
    for qualified in qualified_names(source, node):
        if qualified.source is QualifiedNameSource.IMPORT:
            symbol = symbol_of_qualified_name(qualified.name)
            if symbol:
                return symbol
    return None


def root_of_qualified_name(qualified: str) -> str:
    """``SHIM_MODULE`` for a name from this project's shim, else "vllm": where a fix imports new names from."""
    return SHIM_MODULE if _under(qualified, SHIM_MODULE) else "vllm"


def resolve_root(source: NameSource, node: cst.CSTNode) -> str:
    """``SHIM_MODULE`` when the expression comes from this project's shim, else "vllm"."""
    shim = any(root_of_qualified_name(q.name) == SHIM_MODULE for q in qualified_names(source, node))
    return SHIM_MODULE if shim else "vllm"


class _LazyQualifiedNames(Mapping[cst.CSTNode, Collection[QualifiedName]]):
    """``QualifiedNameProvider``'s mapping, computed for a node when it is first asked for.

    libcst's provider walks the whole module once more and stores a closure for every node; the rules ask for
    the names of a few calls and attributes. Same answers: the scope's ``get_qualified_names_for``, plus, for a
    name bound once to a vLLM class (``llm_cls = cast("type[LLM]", vllm.LLM)``), the class's own names
    (``analysis.class_aliases``).
    """

    def __init__(self, scopes: Mapping[cst.CSTNode, object], module: cst.Module) -> None:
        self._scopes = scopes
        self._known: dict[cst.CSTNode, Collection[QualifiedName]] = {}
        self._aliases = ClassAliases(module)

    def __getitem__(self, node: cst.CSTNode) -> Collection[QualifiedName]:
        known = self._known.get(node)
        if known is None:
            scope = self._scopes.get(node)
            known = scope.get_qualified_names_for(node) if scope is not None else set()  # type: ignore[attr-defined]
            self._known[node] = known  # before following an alias: `a = b; b = a` ends here
            if scope is not None and not any(q.source is QualifiedNameSource.IMPORT and symbol_of_qualified_name(q.name)
                                             for q in known):
                # Only vLLM's own classes: a user's ``class Config(BaseModel)`` keeps libcst's answer.
                imported = {q for value in self._stands_for(scope, node) for q in self[value]
                            if q.source is QualifiedNameSource.IMPORT and symbol_of_qualified_name(q.name)}
                if imported:
                    known = self._known[node] = {*known, *imported}
        return known

    def _stands_for(self, scope: object, node: cst.CSTNode) -> list[cst.BaseExpression]:
        """A name bound to a class (``analysis.class_aliases``); ``X.remote`` / ``X.options(...).remote`` of a Ray
        actor class builds what ``X`` builds."""
        if isinstance(node, cst.Name):
            return self._aliases.values_of(scope, node)  # type: ignore[arg-type]
        if isinstance(node, cst.Attribute) and node.attr.value == "remote":
            actor = node.value
            if (isinstance(actor, cst.Call) and isinstance(actor.func, cst.Attribute)
                    and actor.func.attr.value == "options"):
                actor = actor.func.value
            if isinstance(actor, cst.Call):  # ``ray.remote(num_gpus=1)(LLM).remote(...)``
                inner = unwrapped_class(actor, scope)  # type: ignore[arg-type]
                return [inner] if inner is not None else []
            return [actor] if isinstance(actor, (cst.Name, cst.Attribute)) else []
        return []

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._scopes)

    def __len__(self) -> int:
        return len(self._scopes)


def install_lazy_qualified_names(wrapper: cst.MetadataWrapper) -> None:
    """Let ``wrapper`` answer ``QualifiedNameProvider`` lazily (see ``_LazyQualifiedNames``); left as it is when
    this libcst keeps its metadata elsewhere."""
    metadata = getattr(wrapper, "_metadata", None)
    if not isinstance(metadata, dict) or QualifiedNameProvider in metadata:
        return
    metadata[QualifiedNameProvider] = _LazyQualifiedNames(wrapper.resolve(ScopeProvider), wrapper.module)
