"""The binding model of the instance tracker: what an ``LLM(...)`` construction is, where it is used, and what a
name or attribute refers to at some point of the traversal (a binding), or will once the file is read (a reference).

``analysis.instances`` builds these during the one traversal; ``analysis.resolution`` settles the references at
the end of the file. Nothing here visits code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

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
    expects_error: bool = False  # written inside ``with pytest.raises(...)``: the test wants it to fail

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


@dataclass(frozen=True, eq=False)
class ClosureRef:
    """A name an inner function reads from an enclosing function that binds it after (or around) here.

    Also a binding: ``alias = name`` in the inner function binds ``alias`` to this reference, so that a use of
    ``alias`` is settled like a use of ``name`` at the end of the file. ``frame`` is the enclosing function that
    binds the name: only its constructions of that name are in doubt, not those of other functions.
    """

    name: str
    frame: "Frame"


@dataclass(frozen=True, eq=False)
class FixtureRef:
    """A parameter of a test or of a fixture that pytest fills with the fixture of the same name.

    Settled at the end of the file (a fixture may be defined after the tests that use it): the fixture that
    ``owner``'s class defines, else the module's, when exactly one such fixture returns or yields one
    construction; otherwise nothing followable (or "an annotated LLM" when ``annotated``).
    """

    name: str
    owner: "Frame | None"  # the class of a test method (its fixtures come first); None for a module-level test
    annotated: bool = False  # the parameter is also annotated as ``LLM``


@dataclass(frozen=True, eq=False)
class ReturnRef:
    """What a module function (``owner`` None) or a method of ``owner``'s class returns, as its return annotation
    says: element ``index`` of a tuple, or the whole value (``index`` None). Settled at the end of the file."""

    owner: "Frame | None"
    function: str
    index: int | None = None


@dataclass(frozen=True, eq=False)
class ParamRef:
    """A parameter of a module function or a method, filled by the calls of it in this file (``analysis.call_flow``):
    an LLM when every call passes one. ``position`` counts the positional parameters after ``self``; None for a
    keyword-only one."""

    owner: "Frame | None"
    function: str
    name: str
    position: int | None


UNKNOWN = None  # a binding we cannot follow

Binding = Bound | FactoryResult | AnnotatedLLM | Ambiguous | ClosureRef | FixtureRef | ReturnRef | ParamRef | None


def unknown(binding: "Binding") -> bool:
    """Nothing known binds the name (a parameter is known only once its calls are read, at the end of the file)."""
    return binding is None or isinstance(binding, ParamRef)


@dataclass(frozen=True, eq=False)
class InlineRef:
    """``LLM(...).embed(...)``: the receiver is a call visited after the use."""

    call: cst.Call


@dataclass(frozen=True, eq=False)
class GlobalRef:
    name: str


@dataclass(frozen=True, eq=False)
class SelfAttrRef:
    frame: "Frame"
    attr: str


@dataclass(frozen=True, eq=False)
class InheritedAttrRef:
    """``self.<attr>`` read in a class that never sets it: a base class or a subclass in this file may. Settled at
    the end of the file over the class's in-file ancestors and descendants (``analysis.class_family``)."""

    frame: "Frame"
    attr: str


Reference = Binding | GlobalRef | SelfAttrRef | InlineRef | ClosureRef | InheritedAttrRef


@dataclass(eq=False)
class Frame:
    kind: str  # "module" | "function" | "class"
    name: str = ""  # of the function or class
    env: dict[str, Binding] = field(default_factory=dict)
    self_name: str | None = None  # first parameter of a method
    class_frame: "Frame | None" = None  # for methods: the class they belong to
    attr_bindings: dict[str, list[Binding]] = field(default_factory=dict)  # class frames: self.<attr> = ...
    bases: tuple[str, ...] = ()  # class frames: the bases written as plain names (`class Qwen(PrmServer)`)
    returns: list[Binding] = field(default_factory=list)  # function frames (fixtures: also what they yield)
    fixture: str | None = None  # pytest fixtures: the name tests request it by ("" when it is not a literal)
    parametrized: frozenset[str] | None = frozenset()  # names parametrize gives directly (None: not literal)
    block_depth: int = 0  # compound statements entered inside this frame
    assigned: frozenset[str] = frozenset()  # every name the function binds, wherever in its body
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    bound: dict[str, list[Construction]] = field(default_factory=dict)  # function frames: constructions per name
    #: Class frames: the indexes, in ``TrackedFacts.deferred_uses``/``deferred_escapes``, of the references to
    #: ``self.<attr>`` of this class, settled when the class ends (without rereading every deferred reference).
    self_uses: list[int] = field(default_factory=list)
    self_escapes: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class ReturnShape:
    """A return annotation: whether the whole value is an LLM, and which elements of a ``tuple[...]`` are."""

    whole: bool = False
    elements: tuple[bool, ...] = ()

    def says_llm(self, index: int | None) -> bool:
        if index is None:
            return self.whole
        return index < len(self.elements) and self.elements[index]


@dataclass(eq=False)
class CallSite:
    """One call of a function or method: what each argument is bound to (``opaque`` with ``*args``/``**kwargs``)."""

    positional: list[Binding] = field(default_factory=list)
    keywords: dict[str, Binding] = field(default_factory=dict)
    opaque: bool = False


def binding_constructions(binding: Binding) -> tuple[Construction, ...]:
    if isinstance(binding, Bound):
        return (binding.construction,)
    if isinstance(binding, Ambiguous):
        return binding.constructions
    return ()




@dataclass(eq=False)
class TrackedFacts:
    """What the traversal collected and the end-of-file resolution reads."""

    constructions: list[Construction] = field(default_factory=list)
    uses: list[Use] = field(default_factory=list)
    by_call: dict[int, Construction] = field(default_factory=dict)
    handled: set[int] = field(default_factory=set)  # constructions bound to something we follow
    deferred_uses: list[tuple[Use, Reference]] = field(default_factory=list)
    deferred_escapes: list[tuple[cst.CSTNode, Reference]] = field(default_factory=list)
    factories: dict[str, Construction | None] = field(default_factory=dict)
    module_assign_counts: dict[str, int] = field(default_factory=dict)
    foreign_attrs: dict[str, cst.CSTNode] = field(default_factory=dict)  # `x.attr` read on something not self
    class_frames: list[Frame] = field(default_factory=list)
    plain_calls: list[cst.Call] = field(default_factory=list)  # `name(...)` calls: maybe factory calls
    handled_factory_calls: set[int] = field(default_factory=set)
    #: pytest fixtures by (class frame or None for the module, name): what each definition yields or returns.
    fixtures: dict[tuple["Frame | None", str], list[Construction | None]] = field(default_factory=dict)
    #: ``request.getfixturevalue(...)`` calls: the fixture name when it is a literal, else None (any fixture).
    fixture_lookups: list[tuple[str | None, cst.CSTNode]] = field(default_factory=list)
    #: Functions and methods by (class frame or None, name): what their return annotation says is an LLM.
    return_shapes: dict[tuple["Frame | None", str], "ReturnShape"] = field(default_factory=dict)
    #: The calls of each function or method this file makes, with what each argument is bound to.
    call_sites: dict[tuple["Frame | None", str], list["CallSite"]] = field(default_factory=dict)
    #: Functions and methods read without being called (a callback, ``self.method`` handed on): called elsewhere.
    passed_on: set[tuple["Frame | None", str]] = field(default_factory=set)
