"""Follow each ``LLM(...)`` construction to the calls made on it.

The tracker is one of the visitors of the file's single batched traversal. It understands:

* local variables, in statement order (a reassignment starts a new binding; a reassignment inside a branch
  of a name that was already bound makes both constructions ambiguous);
* module globals read inside functions (only when the module binds the name exactly once);
* ``self.<attr> = LLM(...)`` used from other methods of the same class (only when the class assigns that
  attribute exactly once);
* module-level factory functions whose every ``return`` yields the same construction;
* parameters annotated as ``LLM`` (the receiver is certainly an LLM, but its construction is unknown).

Anything else a construction flows into (an argument, a container, a ``return`` outside a factory, an alias
we cannot follow) is an *escape*: the codemod then reports what it sees but never fixes the construction,
because uses it cannot see may need another task.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, QualifiedNameProvider, ScopeProvider

from vllm_pooling_migrate.codemod.analysis.symbols import LLM, resolve_symbol, root_of_qualified_name, symbol_of_qualified_name
from vllm_pooling_migrate.codemod.visitors import CachedVisitors

#: Methods of ``LLM`` that run a pooling task (or choose one, for ``score``).
POOLING_METHODS = frozenset({"embed", "classify", "encode", "reward", "score"})


@dataclass(eq=False)
class Construction:
    call: cst.Call
    root: str  # "vllm" or SHIM_MODULE: where the LLM class was imported from
    uses: list["Use"] = field(default_factory=list)
    escapes: list[cst.CSTNode] = field(default_factory=list)
    ambiguous: bool = False
    names: list[str] = field(default_factory=list)  # what the code calls it, for messages

    @property
    def display_name(self) -> str:
        return self.names[0] if self.names else "LLM(...)"

    @property
    def provable(self) -> bool:
        """True when every use of this instance is visible here."""
        return not self.escapes and not self.ambiguous


@dataclass(eq=False)
class Use:
    call: cst.Call  # the whole ``receiver.method(...)`` call
    method: str
    construction: Construction | None = None  # resolved at the end of the traversal
    annotated_llm: bool = False  # receiver is a parameter annotated as LLM

    @property
    def is_llm(self) -> bool:
        return self.construction is not None or self.annotated_llm


# --- bindings: what a name refers to at some point of the traversal ---------------------------------


@dataclass(frozen=True, eq=False)
class Bound:
    construction: Construction


@dataclass(frozen=True, eq=False)
class FactoryResult:
    function: str


@dataclass(frozen=True, eq=False)
class AnnotatedLLM:
    pass


@dataclass(frozen=True, eq=False)
class Ambiguous:
    constructions: tuple[Construction, ...]


UNKNOWN = None  # a binding we cannot follow

Binding = Bound | FactoryResult | AnnotatedLLM | Ambiguous | None


@dataclass(frozen=True, eq=False)
class InlineRef:
    """``LLM(...).embed(...)``: the receiver is a call visited after the use."""

    call: cst.Call


@dataclass(frozen=True, eq=False)
class ClosureRef:
    """A name an inner function reads from an enclosing function that binds it after (or around) here."""

    name: str


@dataclass(frozen=True, eq=False)
class GlobalRef:
    name: str


@dataclass(frozen=True, eq=False)
class SelfAttrRef:
    frame: "Frame"
    attr: str


Reference = Binding | GlobalRef | SelfAttrRef | InlineRef | ClosureRef


@dataclass(eq=False)
class Frame:
    kind: str  # "module" | "function" | "class"
    env: dict[str, Binding] = field(default_factory=dict)
    self_name: str | None = None  # first parameter of a method
    class_frame: "Frame | None" = None  # for methods: the class they belong to
    attr_bindings: dict[str, list[Binding]] = field(default_factory=dict)  # class frames: self.<attr> = ...
    returns: list[Binding] = field(default_factory=list)  # function frames
    block_depth: int = 0  # compound statements entered inside this frame
    assigned: frozenset[str] = frozenset()  # every name the function binds, wherever in its body
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)


def _binding_constructions(binding: Binding) -> tuple[Construction, ...]:
    if isinstance(binding, Bound):
        return (binding.construction,)
    if isinstance(binding, Ambiguous):
        return binding.constructions
    return ()


class InstanceTracker(CachedVisitors):
    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider, ExpressionContextProvider)

    def __init__(self) -> None:
        super().__init__()
        self.constructions: list[Construction] = []
        self.uses: list[Use] = []
        self._by_call: dict[int, Construction] = {}
        self._frames: list[Frame] = [Frame("module")]
        self._attribute_values: set[int] = set()  # Name/Attribute nodes that are the `.value` of an Attribute
        self._handled: set[int] = set()  # constructions bound to something we follow
        self._deferred_uses: list[tuple[Use, Reference]] = []
        self._deferred_escapes: list[tuple[cst.CSTNode, Reference]] = []
        self._factories: dict[str, Construction | None] = {}
        self._module_assign_counts: dict[str, int] = {}
        self._prior: dict[int, dict[str, Binding]] = {}
        self._declarations: set[int] = set()  # names of defs, classes and parameters
        self._called_funcs: set[int] = set()  # the `func` of every call: `llm.embed` in `llm.embed(x)`
        self._assign_targets: set[int] = set()  # Names bound by a plain assignment (handled in leave_Assign)
        self._foreign_attrs: dict[str, cst.CSTNode] = {}  # `x.attr` read on something other than self
        self._class_frames: list[Frame] = []
        self._function_bindings: dict[str, list[Construction]] = {}  # constructions bound to a name in a function
        self._plain_calls: list[cst.Call] = []  # `name(...)` calls: maybe factory calls
        self._handled_factory_calls: set[int] = set()

    # --- scopes ----------------------------------------------------------------------------------

    @property
    def _frame(self) -> Frame:
        return self._frames[-1]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        outer = self._frame
        frame = Frame("function")
        params = [*node.params.posonly_params, *node.params.params]
        if outer.kind == "class" and params:
            frame.self_name = params[0].name.value
            frame.class_frame = outer
        self._declarations.add(id(node.name))
        for param in [*params, *node.params.kwonly_params, node.params.star_arg, node.params.star_kwarg]:
            if not isinstance(param, cst.Param):
                continue
            self._declarations.add(id(param.name))
            annotated = param.annotation is not None and self._is_llm_expr(param.annotation.annotation)
            frame.env[param.name.value] = AnnotatedLLM() if annotated else UNKNOWN
        frame.assigned = self._names_bound_in(node.body)
        self._frames.append(frame)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        frame = self._frames.pop()
        if self._frame.kind == "module":
            factory = self._factory_construction(frame)
            self._factories[original_node.name.value] = factory
            if factory is None:  # returned from a function we do not follow as a factory: escaped
                for binding in frame.returns:
                    for construction in _binding_constructions(binding):
                        construction.escapes.append(original_node)

    def _names_bound_in(self, body: cst.CSTNode) -> frozenset[str]:
        try:
            scope = self.get_metadata(ScopeProvider, body, None)
        except KeyError:
            scope = None
        return frozenset(a.name for a in scope.assignments) if scope is not None else frozenset()

    # Lambdas and comprehensions have scopes of their own: their parameters and targets are not
    # rebindings of the enclosing names.
    def _push_inner_scope(self, params: cst.Parameters | None = None, inside: cst.CSTNode | None = None) -> None:
        frame = Frame("function")
        if inside is not None:
            frame.assigned = self._names_bound_in(inside)
        if params is not None:
            every = [*params.posonly_params, *params.params, *params.kwonly_params, params.star_arg, params.star_kwarg]
            for param in every:
                if isinstance(param, cst.Param):
                    self._declarations.add(id(param.name))
                    frame.env[param.name.value] = UNKNOWN
        self._frames.append(frame)

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._push_inner_scope(node.params)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._frames.pop()

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._push_inner_scope(inside=node.elt)

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self._frames.pop()

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._push_inner_scope(inside=node.elt)

    def leave_SetComp(self, original_node: cst.SetComp) -> None:
        self._frames.pop()

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._push_inner_scope(inside=node.key)

    def leave_DictComp(self, original_node: cst.DictComp) -> None:
        self._frames.pop()

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._push_inner_scope(inside=node.elt)

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._frames.pop()

    def visit_Global(self, node: cst.Global) -> None:
        self._frame.globals.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self._frame.nonlocals.update(item.name.value for item in node.names)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._declarations.add(id(node.name))
        self._frames.append(Frame("class"))
        self._class_frames.append(self._frame)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        frame = self._frames.pop()
        # Calls on self.<attr> were deferred until every method of the class had been seen.
        remaining_uses = []
        for use, ref in self._deferred_uses:
            if isinstance(ref, SelfAttrRef) and ref.frame is frame:
                if ref.attr not in frame.attr_bindings:
                    # Set somewhere else (a base class, a mixin): uses of that attribute are not all here.
                    self._foreign_attrs.setdefault(ref.attr, use.call)
                ref = self._single_binding(frame.attr_bindings.get(ref.attr, []))
            remaining_uses.append((use, ref))
        self._deferred_uses = remaining_uses
        remaining_escapes = []
        for node, ref in self._deferred_escapes:
            if isinstance(ref, SelfAttrRef) and ref.frame is frame:
                ref = self._single_binding(frame.attr_bindings.get(ref.attr, []))
            remaining_escapes.append((node, ref))
        self._deferred_escapes = remaining_escapes

    # Compound statements: a binding made inside one may or may not happen at run time.
    # (libcst finds visitor methods by their __name__, so each needs its own def.)
    def visit_If(self, node: cst.If) -> None:
        self._frame.block_depth += 1

    def leave_If(self, original_node: cst.If) -> None:
        self._frame.block_depth -= 1

    def visit_For(self, node: cst.For) -> None:
        self._frame.block_depth += 1

    def leave_For(self, original_node: cst.For) -> None:
        self._frame.block_depth -= 1

    def visit_Match(self, node: cst.Match) -> None:
        self._frame.block_depth += 1

    def leave_Match(self, original_node: cst.Match) -> None:
        self._frame.block_depth -= 1

    def visit_While(self, node: cst.While) -> None:
        self._frame.block_depth += 1

    def leave_While(self, original_node: cst.While) -> None:
        self._frame.block_depth -= 1

    def visit_Try(self, node: cst.Try) -> None:
        self._frame.block_depth += 1

    def leave_Try(self, original_node: cst.Try) -> None:
        self._frame.block_depth -= 1

    def visit_With(self, node: cst.With) -> None:
        self._frame.block_depth += 1

    def leave_With(self, original_node: cst.With) -> None:
        self._frame.block_depth -= 1

    # --- constructions and uses ------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        self._called_funcs.add(id(node.func))
        if isinstance(node.func, cst.Name):
            self._plain_calls.append(node)
        qualified = self._llm_root(node.func)
        if qualified:
            construction = Construction(node, qualified)
            self.constructions.append(construction)
            self._by_call[id(node)] = construction
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in POOLING_METHODS:
            ref = self._reference_of(func.value)
            if ref is None and not self._is_followable(func.value):
                return
            use = Use(node, func.attr.value)
            self.uses.append(use)
            self._deferred_uses.append((use, ref))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._attribute_values.add(id(node.value))
        if node.attr.value in POOLING_METHODS and id(node) not in self._called_funcs:
            # `f = llm.classify`, `partial(llm.encode, ...)`: a use whose task we cannot see.
            receiver = self._reference_of(node.value)
            if receiver is not None:
                self._deferred_escapes.append((node, receiver))
        ref = self._self_attr_ref(node)
        if ref is None and self._context(node) is not ExpressionContext.STORE:
            self._foreign_attrs.setdefault(node.attr.value, node)
        if id(node) in self._attribute_values:
            return  # part of a longer chain such as self.llm.embed: not a bare use
        if ref is not None and self._context(node) is ExpressionContext.LOAD:
            self._deferred_escapes.append((node, ref))

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) in self._declarations:
            return
        if id(node) in self._attribute_values or self._context(node) is not ExpressionContext.LOAD:
            if self._context(node) is ExpressionContext.STORE and id(node) not in self._assign_targets:
                # for-targets, with/except-as, walrus, unpacking: a rebinding we do not follow.
                for construction in _binding_constructions(self._frame.env.get(node.value)):
                    construction.ambiguous = True
                self._store(node.value, UNKNOWN)
            return
        ref = self._lookup(node.value, node)
        if ref is not None:
            self._deferred_escapes.append((node, ref))

    def visit_Return(self, node: cst.Return) -> None:
        if self._in_factory_candidate() and isinstance(node.value, cst.Name):
            self._attribute_values.add(id(node.value))  # returned from a factory: followed, not escaped

    def leave_Return(self, original_node: cst.Return) -> None:
        if original_node.value is not None and self._in_factory_candidate():
            self._frame.returns.append(self._binding_of(original_node.value, mark_handled=True))

    def _in_factory_candidate(self) -> bool:
        """Module-level functions may be factories; returns elsewhere are escapes."""
        return len(self._frames) == 2 and self._frame.kind == "function"

    # --- assignments -----------------------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        self._assign_targets.update(id(t.target) for t in node.targets if isinstance(t.target, cst.Name))
        if isinstance(node.value, cst.Name) and all(isinstance(t.target, cst.Name) for t in node.targets):
            self._attribute_values.add(id(node.value))  # `alias = llm` is followed, not an escape
        self._prior[id(node)] = {
            t.target.value: self._frame.env.get(t.target.value)
            for t in node.targets
            if isinstance(t.target, cst.Name)
        }

    def leave_Assign(self, original_node: cst.Assign) -> None:
        prior = self._prior.pop(id(original_node), {})
        for target in original_node.targets:
            self._assign(target.target, original_node.value, prior)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name):
            self._assign_targets.add(id(node.target))
            self._prior[id(node)] = {node.target.value: self._frame.env.get(node.target.value)}

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        prior = self._prior.pop(id(original_node), {})
        if original_node.value is not None:
            self._assign(original_node.target, original_node.value, prior)

    def _assign(self, target: cst.BaseExpression, value: cst.BaseExpression, prior: dict[str, Binding]) -> None:
        frame = self._frame
        if isinstance(target, cst.Name):
            binding = self._binding_of(value, mark_handled=True)
            name = target.value
            if name in frame.nonlocals:
                for construction in _binding_constructions(binding):
                    construction.ambiguous = True  # bound for an enclosing function we do not follow
                return
            if frame.kind == "module" or name in frame.globals:
                self._module_assign_counts[name] = self._module_assign_counts.get(name, 0) + 1
            if frame.kind == "function" and name not in frame.globals:
                self._function_bindings.setdefault(name, []).extend(_binding_constructions(binding))
            previous = prior.get(name)
            if frame.block_depth and previous is not None and previous is not binding:
                # Reassigned in a branch: which construction reaches a later use depends on run time.
                binding = Ambiguous(_binding_constructions(previous) + _binding_constructions(binding))
                for construction in binding.constructions:
                    construction.ambiguous = True
            self._store(name, binding)
            construction = self._by_call.get(id(value))
            if construction is not None:
                construction.names.append(name)
        elif self._is_self_attr(target):
            frame_of_method = self._method_frame()
            binding = self._binding_of(value, mark_handled=True)
            attr = target.attr.value
            frame_of_method.class_frame.attr_bindings.setdefault(attr, []).append(binding)
            construction = self._by_call.get(id(value))
            if construction is not None:
                construction.names.append(f"self.{attr}")

    def _store(self, name: str, binding: Binding) -> None:
        frame = self._frames[0] if name in self._frame.globals else self._frame
        frame.env[name] = binding

    # --- resolution helpers ----------------------------------------------------------------------

    def _binding_of(self, value: cst.BaseExpression, *, mark_handled: bool) -> Binding:
        construction = self._by_call.get(id(value))
        if construction is not None:
            if mark_handled:
                self._handled.add(id(value))
            return Bound(construction)
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and not self._is_local(value.func):
            self._handled_factory_calls.add(id(value))
            return FactoryResult(value.func.value)
        if isinstance(value, cst.Name):
            ref = self._lookup(value.value, value)
            return ref if not isinstance(ref, (GlobalRef, SelfAttrRef)) else UNKNOWN
        return UNKNOWN

    def _reference_of(self, receiver: cst.BaseExpression) -> Reference:
        if isinstance(receiver, cst.Call):
            if isinstance(receiver.func, cst.Name) and not self._is_local(receiver.func):
                if self._llm_root(receiver.func) is None:
                    self._handled_factory_calls.add(id(receiver))
                    return FactoryResult(receiver.func.value)
            return InlineRef(receiver)
        if isinstance(receiver, cst.Name):
            return self._lookup(receiver.value, receiver)
        return self._self_attr_ref(receiver)

    def _is_followable(self, receiver: cst.BaseExpression) -> bool:
        return isinstance(receiver, (cst.Name, cst.Call)) or self._self_attr_ref(receiver) is not None

    def _lookup(self, name: str, node: cst.CSTNode) -> Reference:
        innermost = True
        for frame in reversed(self._frames):
            if frame.kind == "class":
                continue  # class bodies are not enclosing scopes for methods
            if frame.kind == "module":
                return frame.env.get(name) if len(self._frames) == 1 else GlobalRef(name)
            if name in frame.globals:
                return GlobalRef(name)
            if name in frame.nonlocals:
                return UNKNOWN
            if name in frame.env:
                return frame.env[name]
            if name in frame.assigned:
                # Bound later in this function; or, read from an inner function, bound in the enclosing one.
                return UNKNOWN if innermost else ClosureRef(name)
            innermost = False
        return UNKNOWN

    def _is_local(self, name: cst.Name) -> bool:
        return len(self._frames) > 1 and any(name.value in f.env for f in self._frames[1:])

    def _method_frame(self) -> Frame | None:
        """The method we are in, also from a function nested in it (closures see its `self`)."""
        for frame in reversed(self._frames):
            if frame.kind == "class":
                return None
            if frame.kind == "function" and frame.class_frame is not None:
                return frame
        return None

    def _is_self_attr(self, node: cst.BaseExpression) -> bool:
        method = self._method_frame()
        return (
            method is not None
            and isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value == method.self_name
        )

    def _self_attr_ref(self, node: cst.BaseExpression) -> SelfAttrRef | None:
        if not self._is_self_attr(node):
            return None
        return SelfAttrRef(self._method_frame().class_frame, node.attr.value)

    def _single_binding(self, bindings: list[Binding]) -> Binding:
        if len(bindings) == 1:
            return bindings[0]
        constructions = tuple(c for b in bindings for c in _binding_constructions(b))
        for construction in constructions:
            construction.ambiguous = True
        return UNKNOWN

    def _factory_construction(self, frame: Frame) -> Construction | None:
        constructions = {id(c): c for b in frame.returns for c in _binding_constructions(b)}
        if len(constructions) == 1 and all(isinstance(b, Bound) for b in frame.returns):
            return next(iter(constructions.values()))
        return None

    def _context(self, node: cst.CSTNode) -> ExpressionContext | None:
        try:
            return self.get_metadata(ExpressionContextProvider, node, None)
        except KeyError:
            return None

    def _llm_root(self, func: cst.BaseExpression) -> str | None:
        try:
            names = self.get_metadata(QualifiedNameProvider, func, set())
        except KeyError:
            return None
        for qualified in names:
            if symbol_of_qualified_name(qualified.name) == LLM:
                return root_of_qualified_name(qualified.name)
        return None

    def _is_llm_expr(self, node: cst.BaseExpression) -> bool:
        return resolve_symbol(self, node) == LLM

    # --- the end of the traversal: resolve what was deferred ------------------------------------

    def leave_Module(self, original_node: cst.Module) -> None:
        module_env = self._frames[0].env

        def resolve(ref: Reference) -> Binding:
            if isinstance(ref, ClosureRef):
                for construction in self._function_bindings.get(ref.name, []):
                    construction.ambiguous = True
                return UNKNOWN
            if isinstance(ref, InlineRef):
                construction = self._by_call.get(id(ref.call))
                if construction is None:
                    return UNKNOWN
                self._handled.add(id(ref.call))
                return Bound(construction)
            if isinstance(ref, GlobalRef):
                if self._module_assign_counts.get(ref.name, 0) != 1:
                    return self._ambiguous_global(ref.name)
                ref = module_env.get(ref.name)
            if isinstance(ref, FactoryResult):
                construction = self._factories.get(ref.function)
                return Bound(construction) if construction is not None else UNKNOWN
            return ref if not isinstance(ref, SelfAttrRef) else UNKNOWN

        for use, ref in self._deferred_uses:
            binding = resolve(ref)
            if isinstance(binding, Bound):
                use.construction = binding.construction
                binding.construction.uses.append(use)
            use.annotated_llm = isinstance(binding, AnnotatedLLM)
        for node, ref in self._deferred_escapes:
            for construction in _binding_constructions(resolve(ref)):
                construction.escapes.append(node)
        for construction in self.constructions:
            if id(construction.call) not in self._handled:
                construction.escapes.append(construction.call)
        for frame in self._class_frames:
            for attr, bindings in frame.attr_bindings.items():
                if attr in self._foreign_attrs:  # `obj.<attr>` read outside the class's own methods
                    for construction in (c for b in bindings for c in _binding_constructions(b)):
                        construction.escapes.append(self._foreign_attrs[attr])
        for call in self._plain_calls:
            factory = self._factories.get(call.func.value)
            if factory is not None and id(call) not in self._handled_factory_calls:
                factory.escapes.append(call)  # the factory's instance is passed on, not followed

    def _ambiguous_global(self, name: str) -> Binding:
        binding = self._frames[0].env.get(name)
        for construction in _binding_constructions(binding):
            construction.ambiguous = True
        return UNKNOWN

