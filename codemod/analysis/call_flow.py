"""What the instance tracker learns from calls it can see whole: return annotations, and the arguments that every
call of a function or method in this file passes.

* ``def get_llm(self) -> tuple[Optional[LLM], Any]`` followed by ``llm, tok = self.get_llm()``: ``llm`` is an
  LLM (or None), as the annotation says; ``x = build()`` likewise when ``build`` is annotated ``-> LLM``.
* A parameter of a module function or of a method (``self.run(llm=llm)``) is an LLM when the file calls that
  function at least once, every call passes an LLM for it (a construction, an annotated value, another such
  parameter), and the function is never handed on uncalled (a callback, ``self.run`` passed somewhere) nor
  decorated. Calls with ``*args``/``**kwargs`` say nothing.

Both give "an LLM" only, never a construction: code elsewhere may call the function with another instance, so
rules that need the model or the configured task (pinning, multi-task) learn nothing from them; rules that need
only "this receiver is vLLM's ``LLM``" (``encode()`` without a task) do.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ScopeProvider

from vllm_pooling_migrate.codemod.analysis.annotations import annotates
from vllm_pooling_migrate.codemod.analysis.bindings import (UNKNOWN, AnnotatedLLM, Binding, Bound, CallSite,
                                                           ClosureRef, FactoryResult, Frame, ParamRef, ReturnRef,
                                                           ReturnShape)
from vllm_pooling_migrate.codemod.analysis.symbols import LLM, qualified_names

TUPLES = frozenset({"builtins.tuple", "typing.Tuple", "typing_extensions.Tuple"})
_LLM = frozenset({LLM})


class CallFlow:
    """Mixin of ``InstanceTracker`` (it supplies ``facts``, ``_frame``, ``_frames``, ``_lookup``, ``_is_local``,
    ``_method_frame`` and the metadata)."""

    def _callee_key(self, node: cst.FunctionDef, outer: Frame) -> tuple[Frame | None, str] | None:
        """Module functions and methods of top-level classes: the functions whose calls are read."""
        if outer.kind == "module":
            return None, node.name.value
        if outer.kind == "class" and len(self._frames) == 2:  # type: ignore[attr-defined]
            return outer, node.name.value
        return None

    def _record_function(self, node: cst.FunctionDef, outer: Frame) -> None:
        key = self._callee_key(node, outer)
        if key is not None and node.returns is not None:
            self.facts.return_shapes[key] = self._return_shape(node.returns.annotation)  # type: ignore[attr-defined]

    def _param_ref(self, node: cst.FunctionDef, outer: Frame, param: cst.Param) -> ParamRef | None:
        """The parameter's binding when calls in this file may fill it, else None."""
        key = self._callee_key(node, outer)
        if key is None or node.decorators or param is node.params.star_arg or param is node.params.star_kwarg:
            return None  # a decorator may call the function its own way
        positional = [*node.params.posonly_params, *node.params.params]
        if key[0] is not None:
            if positional and positional[0] is param:
                return None  # self
            positional = positional[1:]
        position = next((i for i, p in enumerate(positional) if p is param), None)
        return ParamRef(key[0], key[1], param.name.value, position)

    def _return_shape(self, annotation: cst.BaseExpression) -> ReturnShape:
        scope = self._scope(annotation)
        if isinstance(annotation, cst.Subscript) and self._names(annotation.value) & TUPLES:
            members = [e.slice.value for e in annotation.slice if isinstance(e.slice, cst.Index)]
            if len(members) == len(annotation.slice) and not any(_is_ellipsis(m) for m in members):
                shapes = (annotates(self, self._scope(m), m, _LLM) for m in members)  # type: ignore[arg-type]
                return ReturnShape(elements=tuple(shapes))
            return ReturnShape()
        return ReturnShape(whole=annotates(self, scope, annotation, _LLM))  # type: ignore[arg-type]

    def _names(self, node: cst.CSTNode) -> set[str]:
        return {q.name for q in qualified_names(self, node)}  # type: ignore[arg-type]

    def _scope(self, node: cst.CSTNode):
        try:
            return self.get_metadata(ScopeProvider, node, None)  # type: ignore[attr-defined]
        except KeyError:
            return None

    # --- calls -------------------------------------------------------------------------------------------------

    def _called_key(self, func: cst.BaseExpression) -> tuple[Frame | None, str] | None:
        """``name(...)`` of a module function, or ``self.name(...)`` in a method: the callee's key."""
        if isinstance(func, cst.Name) and not self._is_local(func):  # type: ignore[attr-defined]
            return None, func.value
        method = self._method_frame()  # type: ignore[attr-defined]
        if (method is not None and isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                and func.value.value == method.self_name):
            return method.class_frame, func.attr.value
        return None

    def _record_call_site(self, call: cst.Call) -> None:
        key = self._called_key(call.func)
        if key is None:
            return
        site = CallSite(opaque=any(a.star for a in call.args))
        for arg in call.args:
            binding = self._argument_binding(arg.value)
            if arg.keyword is not None:
                site.keywords[arg.keyword.value] = binding
            elif not arg.star:
                site.positional.append(binding)
        self.facts.call_sites.setdefault(key, []).append(site)  # type: ignore[attr-defined]

    def _argument_binding(self, value: cst.BaseExpression) -> Binding:
        """What an argument is bound to, without taking it over (a construction passed on still escapes)."""
        construction = self.facts.by_call.get(id(value))  # type: ignore[attr-defined]
        if construction is not None:
            return Bound(construction)
        if isinstance(value, cst.Name):
            ref = self._lookup(value.value, value)  # type: ignore[attr-defined]
            return ref if not isinstance(ref, ClosureRef) else UNKNOWN
        if isinstance(value, cst.Call) and self._llm_root(value.func):  # type: ignore[attr-defined]
            return AnnotatedLLM()  # ``f(LLM(...))``: visited after this call; an LLM whose uses in f are not its own
        if isinstance(value, cst.Call):
            key = self._called_key(value.func)
            if key is not None and key[0] is None:
                return FactoryResult(key[1])  # ``f(build())``: a factory's instance, or what build() is annotated as
            return ReturnRef(key[0], key[1]) if key is not None else UNKNOWN
        return UNKNOWN

    def _record_passed_on(self, node: cst.Name | cst.Attribute) -> None:
        """A function or method read without being called: it may be called elsewhere, with anything."""
        key = self._called_key(node)
        if key is not None:
            self.facts.passed_on.add(key)  # type: ignore[attr-defined]

    def _unpacked(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        """``a, b = self.get_llm()``: each name is element i of what the callee's annotation says it returns."""
        if not isinstance(target, (cst.Tuple, cst.List)) or not isinstance(value, cst.Call):
            return
        key = self._called_key(value.func)
        names = [e.value for e in target.elements]
        if key is None or self._frame.block_depth or not all(  # type: ignore[attr-defined]
            isinstance(e, cst.Element) and isinstance(n, cst.Name) for e, n in zip(target.elements, names)
        ):
            return
        for index, name in enumerate(names):
            assert isinstance(name, cst.Name)
            self._store(name.value, ReturnRef(key[0], key[1], index))  # type: ignore[attr-defined]

    def _returned(self, value: cst.Call) -> ReturnRef | None:
        """``x = self.get_llm()``: what the method's annotation says it returns."""
        key = self._called_key(value.func)
        if key is None or key[0] is None:
            return None  # module functions: ``FactoryResult``, which falls back to the annotation
        return ReturnRef(key[0], key[1])


def _is_ellipsis(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Ellipsis)
