"""The end of the instance tracker's traversal: settle every reference it deferred.

Uses and escapes seen before their construction (``LLM(...).embed()``, a global read in a function defined above
its assignment, a factory called before its ``return`` is read) are recorded as references; once the whole file
has been read each one resolves to a construction, to "an annotated LLM", or to nothing followable. A
construction nothing followable binds, or whose name is read where the tracker cannot see, escapes.
"""

from __future__ import annotations

import libcst as cst

from vllm_pooling_migrate.codemod.analysis.bindings import (UNKNOWN, AnnotatedLLM, Binding, Bound, ClosureRef,
                                                           FactoryResult, FixtureRef, GlobalRef, InheritedAttrRef,
                                                           InlineRef, ParamRef, Reference, ReturnRef, SelfAttrRef,
                                                           TrackedFacts, binding_constructions)
from vllm_pooling_migrate.codemod.analysis.class_family import class_family


def resolve_deferred(facts: TrackedFacts, module_env: dict[str, Binding]) -> None:
    """Attach every deferred use and escape to its construction, and mark what escapes."""
    for name, node in facts.fixture_lookups:  # request.getfixturevalue(...): handed out where we cannot follow
        for (_, fixture), definitions in facts.fixtures.items():
            if name is None or fixture == name:
                for construction in (c for c in definitions if c is not None):
                    construction.escapes.append(node)
    for use, ref in facts.deferred_uses:
        binding = _resolve(facts, module_env, ref)
        if isinstance(ref, InheritedAttrRef) and binding is UNKNOWN:
            # Set outside this file's classes (an imported base, a mixin): uses of the attribute are not all here.
            facts.foreign_attrs.setdefault(ref.attr, use.call)
        if isinstance(binding, Bound):
            use.construction = binding.construction
            binding.construction.uses.append(use)
        use.annotated_llm = isinstance(binding, AnnotatedLLM)
    for node, ref in facts.deferred_escapes:
        for construction in binding_constructions(_resolve(facts, module_env, ref)):
            construction.escapes.append(node)
    for construction in facts.constructions:
        if id(construction.call) not in facts.handled:
            construction.escapes.append(construction.call)
    for frame in facts.class_frames:
        for attr, bindings in frame.attr_bindings.items():
            if attr in facts.foreign_attrs:  # `obj.<attr>` read outside the class's own methods
                for construction in (c for b in bindings for c in binding_constructions(b)):
                    construction.escapes.append(facts.foreign_attrs[attr])
    for call in facts.plain_calls:
        assert isinstance(call.func, cst.Name)  # the tracker records only `name(...)` calls as plain calls
        factory = facts.factories.get(call.func.value)
        if factory is not None and id(call) not in facts.handled_factory_calls:
            factory.escapes.append(call)  # the factory's instance is passed on, not followed


def _resolve(facts: TrackedFacts, module_env: dict[str, Binding], ref: Reference,
             seen: frozenset[int] = frozenset()) -> Binding:
    if isinstance(ref, ClosureRef):
        for bound in ref.frame.bound.get(ref.name, []):
            bound.ambiguous = True
        return UNKNOWN
    if isinstance(ref, InlineRef):
        construction = facts.by_call.get(id(ref.call))
        if construction is None:
            return UNKNOWN
        facts.handled.add(id(ref.call))
        return Bound(construction)
    if isinstance(ref, GlobalRef):
        if facts.module_assign_counts.get(ref.name, 0) != 1:
            return _ambiguous_global(module_env, ref.name)
        ref = module_env.get(ref.name)
    if isinstance(ref, FixtureRef):
        return _fixture(facts, ref)
    if isinstance(ref, ParamRef):
        return _parameter(facts, module_env, ref, seen | {id(ref)}) if id(ref) not in seen else UNKNOWN
    if isinstance(ref, FactoryResult):
        construction = facts.factories.get(ref.function)
        if construction is None:
            ref = ReturnRef(None, ref.function)  # not a factory we follow: its annotation may still say LLM
        else:
            return Bound(construction)
    if isinstance(ref, ReturnRef):
        shape = facts.return_shapes.get((ref.owner, ref.function))
        return AnnotatedLLM() if shape is not None and shape.says_llm(ref.index) else UNKNOWN
    if isinstance(ref, InheritedAttrRef):
        return _inherited(facts, module_env, ref, seen)
    return ref if not isinstance(ref, SelfAttrRef) else UNKNOWN


def _inherited(facts: TrackedFacts, module_env: dict[str, Binding], ref: InheritedAttrRef,
               seen: frozenset[int]) -> Binding:
    """What ``self.<attr>`` holds when only related classes set it: their one construction; "an LLM" when each of
    several sets an LLM; nothing followable when any of them sets something else."""
    family = class_family(facts.class_frames, ref.frame)
    bindings = [b for frame in family or [] for b in frame.attr_bindings.get(ref.attr, [])]
    resolved = [_resolve(facts, module_env, b, seen) for b in bindings]
    if not resolved or not all(isinstance(r, (Bound, AnnotatedLLM)) for r in resolved):
        return UNKNOWN
    constructions = {id(r.construction): r.construction for r in resolved if isinstance(r, Bound)}
    if len(constructions) == 1 and len(resolved) == 1:
        return resolved[0]
    for construction in constructions.values():
        construction.ambiguous = True  # the use may run on any of them
    return AnnotatedLLM()


def _ambiguous_global(module_env: dict[str, Binding], name: str) -> Binding:
    binding = module_env.get(name)
    for construction in binding_constructions(binding):
        construction.ambiguous = True
    return UNKNOWN


def _fixture(facts: TrackedFacts, ref: FixtureRef) -> Binding:
    """The construction pytest passes for ``ref``: the class's own fixture of that name, else the module's."""
    definitions = facts.fixtures.get((ref.owner, ref.name)) if ref.owner is not None else None
    if definitions is None:
        definitions = facts.fixtures.get((None, ref.name), [])
    if len(definitions) == 1 and definitions[0] is not None:
        return Bound(definitions[0])
    return AnnotatedLLM() if ref.annotated else UNKNOWN


def _parameter(facts: TrackedFacts, module_env: dict[str, Binding], ref: ParamRef, seen: frozenset[int]) -> Binding:
    """An LLM when the function is called here, never handed on, and every call passes an LLM for ``ref``
    (``analysis.call_flow``); never a construction: other files may call it with another instance."""
    if ref.owner is None:
        key = (ref.owner, ref.function)
        sites, handed_on = facts.call_sites.get(key, []), key in facts.passed_on
    else:  # ``self.f(...)`` in a subclass, ``obj.f(...)``, ``super().f(...)`` may call the method too
        sites = [s for (owner, name), found in facts.call_sites.items() if owner is not None and name == ref.function
                 for s in found]
        handed_on = ref.function in facts.foreign_attrs or any(
            owner is not None and name == ref.function for owner, name in facts.passed_on)
    if not sites or handed_on:
        return UNKNOWN
    for site in sites:
        if site.opaque:
            return UNKNOWN
        if ref.name in site.keywords:
            argument = site.keywords[ref.name]
        elif ref.position is not None and ref.position < len(site.positional):
            argument = site.positional[ref.position]
        else:
            return UNKNOWN  # the default is used: not an LLM we know of
        if not isinstance(_resolve(facts, module_env, argument, seen), (Bound, AnnotatedLLM)):
            return UNKNOWN
    return AnnotatedLLM()
