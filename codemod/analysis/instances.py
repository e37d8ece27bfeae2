"""Follow each ``LLM(...)`` construction to the calls made on it.

The tracker is one of the visitors of the file's single batched traversal. It understands:

* local variables, in statement order (a reassignment starts a new binding; a reassignment inside a branch
  of a name that was already bound makes both constructions ambiguous);
* module globals read inside functions (only when the module binds the name exactly once);
* ``self.<attr> = LLM(...)`` used from other methods of the same class (only when the class assigns that
  attribute exactly once);
* module-level factory functions whose every ``return`` yields the same construction;
* pytest fixtures that return or yield a construction, received as parameters by tests and other fixtures
  (``analysis.fixtures``);
* parameters annotated as ``LLM``, ``Optional[LLM]``, ``LLM | None`` (``analysis.annotations``): the receiver is
  certainly an LLM, but its construction is unknown.

Anything else a construction flows into (an argument, a container, a ``return`` outside a factory, an alias
we cannot follow) is an *escape*: the codemod then reports what it sees but never fixes the construction,
because uses it cannot see may need another task.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, QualifiedNameProvider, ScopeProvider

from vllm_pooling_migrate.codemod.analysis import fixtures
from vllm_pooling_migrate.codemod.analysis.annotations import annotates_llm
from vllm_pooling_migrate.codemod.analysis.symbols import LLM, root_of_qualified_name, symbol_of_qualified_name
from vllm_pooling_migrate.codemod.analysis.bindings import (POOLING_METHODS, UNKNOWN, Ambiguous, AnnotatedLLM,
                                                           Binding, Bound, ClosureRef, Construction, FactoryResult,
                                                           FixtureRef, Frame, GlobalRef, InheritedAttrRef,
                                                           InlineRef, Reference, SelfAttrRef, TrackedFacts, Use,
                                                           binding_constructions, unknown)
from vllm_pooling_migrate.codemod.analysis.resolution import resolve_deferred
from vllm_pooling_migrate.codemod.analysis.call_flow import CallFlow
from vllm_pooling_migrate.codemod.analysis.fixtures import FixtureTracking
from vllm_pooling_migrate.codemod.analysis.frames import FrameStack

__all__ = ["InstanceTracker", "Construction", "Use", "POOLING_METHODS"]

class InstanceTracker(FixtureTracking, CallFlow, FrameStack):
    METADATA_DEPENDENCIES = (QualifiedNameProvider, ScopeProvider, ExpressionContextProvider)

    def __init__(self, path: str = "") -> None:
        super().__init__()
        self.facts = TrackedFacts()
        self._conftest = fixtures.is_conftest(path)  # its fixtures serve other files
        self._attribute_values: set[int] = set()  # Name/Attribute nodes that are the `.value` of an Attribute
        self._prior: dict[int, dict[str, Binding]] = {}
        self._called_funcs: set[int] = set()  # the `func` of every call: `llm.embed` in `llm.embed(x)`
        self._assign_targets: set[int] = set()  # Names bound by a plain assignment (handled in leave_Assign)

    # --- scopes (the frame stack itself is ``analysis.frames``) -------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        outer = self._frame
        frame = Frame("function", name=node.name.value)
        params = [*node.params.posonly_params, *node.params.params]
        if outer.kind == "class" and params:
            frame.self_name = params[0].name.value
            frame.class_frame = outer
        self._declarations.add(id(node.name))
        requests = self._requested_fixtures(node, outer)
        for param in [*params, *node.params.kwonly_params, node.params.star_arg, node.params.star_kwarg]:
            if not isinstance(param, cst.Param):
                continue
            self._declarations.add(id(param.name))
            annotated = param.annotation is not None and annotates_llm(self, param.annotation.annotation)
            name = param.name.value
            if name in requests:
                frame.env[name] = FixtureRef(name, outer if outer.kind == "class" else None, annotated)
            else:
                frame.env[name] = AnnotatedLLM() if annotated else self._param_ref(node, outer, param)
        frame.assigned = self._names_bound_in(node.body)
        self._record_function(node, outer)
        if outer.kind == "module" or (outer.kind == "class" and len(self._frames) == 2):
            frame.fixture = fixtures.fixture_name(self, node)  # pytest collects fixtures of modules and classes
        self._frames.append(frame)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        frame = self._frames.pop()
        if frame.fixture is not None:
            self._register_fixture(frame, original_node)
        elif self._frame.kind == "module":
            factory = self._factory_construction(frame)
            self.facts.factories[original_node.name.value] = factory
            if factory is None:  # returned from a function we do not follow as a factory: escaped
                for binding in frame.returns:
                    for construction in binding_constructions(binding):
                        construction.escapes.append(original_node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._declarations.add(id(node.name))
        bases = tuple(base.value.value for base in node.bases if isinstance(base.value, cst.Name) and base.keyword is None)
        self._frames.append(Frame("class", name=node.name.value, bases=bases,
                                  parametrized=fixtures.parametrized_names(self, node.decorators)))
        self.facts.class_frames.append(self._frame)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        frame = self._frames.pop()
        # Calls on self.<attr> were deferred until every method of the class had been seen.
        uses = self.facts.deferred_uses
        for index in frame.self_uses:
            use, ref = uses[index]
            assert isinstance(ref, SelfAttrRef)
            if ref.attr not in frame.attr_bindings:
                # Set somewhere else (a base class, a subclass, a mixin): settled at the end of the file, from
                # the classes of this file it inherits from or that inherit from it.
                uses[index] = (use, InheritedAttrRef(frame, ref.attr))
                continue
            uses[index] = (use, self._single_binding(frame.attr_bindings[ref.attr]))
        escapes = self.facts.deferred_escapes
        for index in frame.self_escapes:
            node, ref = escapes[index]
            assert isinstance(ref, SelfAttrRef)
            escapes[index] = (node, self._single_binding(frame.attr_bindings.get(ref.attr, [])))

    def _defer_use(self, use: Use, ref: Reference) -> None:
        if isinstance(ref, SelfAttrRef):
            ref.frame.self_uses.append(len(self.facts.deferred_uses))
        self.facts.deferred_uses.append((use, ref))

    def _defer_escape(self, node: cst.CSTNode, ref: Reference) -> None:
        if isinstance(ref, SelfAttrRef):
            ref.frame.self_escapes.append(len(self.facts.deferred_escapes))
        self.facts.deferred_escapes.append((node, ref))

    # --- constructions and uses ------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        self._called_funcs.add(id(node.func))
        lookup = fixtures.fixture_lookup(node)
        if lookup is not None:
            self.facts.fixture_lookups.append(lookup)
        if isinstance(node.func, cst.Name):
            self.facts.plain_calls.append(node)
        self._record_call_site(node)
        qualified = self._llm_root(node.func)
        if qualified:
            construction = Construction(node, qualified)
            self.facts.constructions.append(construction)
            self.facts.by_call[id(node)] = construction
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in POOLING_METHODS:
            ref = self._reference_of(func.value)
            if ref is None and not self._is_followable(func.value):
                return
            use = Use(node, func.attr.value, expects_error=self._expecting_errors > 0)
            self.facts.uses.append(use)
            self._defer_use(use, ref)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        self._attribute_values.add(id(node.value))
        if node.attr.value in POOLING_METHODS and id(node) not in self._called_funcs:
            # `f = llm.classify`, `partial(llm.encode, ...)`: a use whose task we cannot see.
            receiver = self._reference_of(node.value)
            if receiver is not None:
                self._defer_escape(node, receiver)
        ref = self._self_attr_ref(node)
        if ref is None and self._context(node) is not ExpressionContext.STORE:
            self.facts.foreign_attrs.setdefault(node.attr.value, node)
        if ref is not None and id(node) not in self._called_funcs:
            self._record_passed_on(node)
        if id(node) in self._attribute_values:
            return  # part of a longer chain such as self.llm.embed: not a bare use
        if ref is not None and self._context(node) is ExpressionContext.LOAD:
            self._defer_escape(node, ref)

    def visit_Name(self, node: cst.Name) -> None:
        if id(node) in self._declarations:
            return
        if id(node) in self._attribute_values or self._context(node) is not ExpressionContext.LOAD:
            if self._context(node) is ExpressionContext.STORE and id(node) not in self._assign_targets:
                # for-targets, with/except-as, walrus, unpacking: a rebinding we do not follow.
                for construction in binding_constructions(self._frame.env.get(node.value)):
                    construction.ambiguous = True
                self._store(node.value, UNKNOWN)
            return
        if id(node) not in self._called_funcs:
            self._record_passed_on(node)
        ref = self._lookup(node.value, node)
        if ref is not None:
            self._defer_escape(node, ref)

    def visit_Return(self, node: cst.Return) -> None:
        self._hand_out(node.value)

    def leave_Return(self, original_node: cst.Return) -> None:
        self._handed_out(original_node.value)

    def visit_Yield(self, node: cst.Yield) -> None:
        if self._frame.fixture is not None and not isinstance(node.value, cst.From):
            self._hand_out(node.value)

    def leave_Yield(self, original_node: cst.Yield) -> None:
        if self._frame.fixture is not None and not isinstance(original_node.value, cst.From):
            self._handed_out(original_node.value)

    def _hand_out(self, value: cst.BaseExpression | None) -> None:
        if value is None or not self._in_factory_candidate():
            return
        value = fixtures.fixture_value(self, value) if self._frame.fixture is not None else value
        if isinstance(value, cst.Name):
            self._attribute_values.add(id(value))  # returned from a factory or fixture: followed, not escaped

    def _handed_out(self, value: cst.BaseExpression | None) -> None:
        if value is None or not self._in_factory_candidate():
            return
        value = fixtures.fixture_value(self, value) if self._frame.fixture is not None else value
        self._frame.returns.append(self._binding_of(value, mark_handled=True))

    def _in_factory_candidate(self) -> bool:
        """Module-level functions may be factories, fixtures (also in classes) hand out what they return or yield;
        returns elsewhere are escapes."""
        frame = self._frame
        return frame.kind == "function" and (len(self._frames) == 2 or frame.fixture is not None)

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
            self._unpacked(target.target, original_node.value)

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
                for construction in binding_constructions(binding):
                    construction.ambiguous = True  # bound for an enclosing function we do not follow
                return
            if frame.kind == "module" or name in frame.globals:
                self.facts.module_assign_counts[name] = self.facts.module_assign_counts.get(name, 0) + 1
            if frame.kind == "function" and name not in frame.globals:
                frame.bound.setdefault(name, []).extend(binding_constructions(binding))
            previous = prior.get(name)
            if frame.block_depth and not unknown(previous) and previous is not binding:
                # Reassigned in a branch: which construction reaches a later use depends on run time.
                binding = Ambiguous(binding_constructions(previous) + binding_constructions(binding))
                for construction in binding.constructions:
                    construction.ambiguous = True
            self._store(name, binding)
            constructed = self.facts.by_call.get(id(value))
            if constructed is not None:
                constructed.names.append(name)
        elif (self_attr := self._self_attr_ref(target)) is not None:
            if isinstance(value, cst.Name) and value.value == "None":
                return  # a placeholder (`self.llm = None` in __init__, or on close): no instance to compete with
            binding = self._binding_of(value, mark_handled=True)
            self_attr.frame.attr_bindings.setdefault(self_attr.attr, []).append(binding)
            constructed = self.facts.by_call.get(id(value))
            if constructed is not None:
                constructed.names.append(f"self.{self_attr.attr}")

    def _store(self, name: str, binding: Binding) -> None:
        frame = self._frames[0] if name in self._frame.globals else self._frame
        frame.env[name] = binding

    # --- resolution helpers ----------------------------------------------------------------------

    def _binding_of(self, value: cst.BaseExpression, *, mark_handled: bool) -> Binding:
        construction = self.facts.by_call.get(id(value))
        if construction is not None:
            if mark_handled:
                self.facts.handled.add(id(value))
            return Bound(construction)
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and not self._is_local(value.func):
            self.facts.handled_factory_calls.add(id(value))
            return FactoryResult(value.func.value)
        if isinstance(value, cst.Call) and (returned := self._returned(value)) is not None:
            return returned
        if isinstance(value, cst.Name):
            ref = self._lookup(value.value, value)
            return ref if not isinstance(ref, (GlobalRef, SelfAttrRef)) else UNKNOWN
        return UNKNOWN

    def _reference_of(self, receiver: cst.BaseExpression) -> Reference:
        if isinstance(receiver, cst.Call):
            if isinstance(receiver.func, cst.Name) and not self._is_local(receiver.func):
                if self._llm_root(receiver.func) is None:
                    self.facts.handled_factory_calls.add(id(receiver))
                    return FactoryResult(receiver.func.value)
            return InlineRef(receiver)
        if isinstance(receiver, cst.Name):
            return self._lookup(receiver.value, receiver)
        return self._self_attr_ref(receiver)

    def _is_followable(self, receiver: cst.BaseExpression) -> bool:
        return isinstance(receiver, (cst.Name, cst.Call)) or self._self_attr_ref(receiver) is not None

    def _lookup(self, name: str, node: cst.CSTNode) -> Binding | GlobalRef:
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
                return UNKNOWN if innermost else ClosureRef(name, frame)
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

    def _self_attr_ref(self, node: cst.BaseExpression) -> SelfAttrRef | None:
        """``self.<attr>`` in a method (or a function nested in one), else None."""
        method = self._method_frame()
        if method is None or method.class_frame is None:  # _method_frame only returns frames with a class
            return None
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == method.self_name:
            return SelfAttrRef(method.class_frame, node.attr.value)
        return None

    def _single_binding(self, bindings: list[Binding]) -> Binding:
        if len(bindings) == 1:
            return bindings[0]
        constructions = tuple(c for b in bindings for c in binding_constructions(b))
        for construction in constructions:
            construction.ambiguous = True
        return UNKNOWN

    def _factory_construction(self, frame: Frame) -> Construction | None:
        constructions = {id(c): c for b in frame.returns for c in binding_constructions(b)}
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

    @property
    def constructions(self) -> list[Construction]:
        return self.facts.constructions

    @property
    def uses(self) -> list[Use]:
        return self.facts.uses

    def leave_Module(self, original_node: cst.Module) -> None:
        resolve_deferred(self.facts, self._frames[0].env)
