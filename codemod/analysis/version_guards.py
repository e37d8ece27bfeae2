"""Code under an explicit vLLM version check is written for one range of releases: it is reported, never rewritten.

``if vllm.__version__ < "0.11":`` (or ``version.parse(vllm.__version__) >= Version("0.19")``, a
``packaging.version`` comparison, ``importlib.metadata.version("vllm")``, a tuple such as ``(0, 19)``, a name
assigned one of these, ``not``/``and``/``or`` of them, an ``elif`` chain, a conditional expression) splits the code
into branches that run on different releases. A branch that only runs on releases older than the target keeps the
old API on purpose; one that also runs on older releases would break there if rewritten for the target. Only a
branch that provably runs on the target and later releases alone is rewritten like any other code.

The visitor records every ``if`` and simple assignment during the traversal (no analysis there); the conditions
are read only when the file has a finding, with the positions and qualified names the rules already resolved.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import libcst as cst
from libcst.metadata import CodeRange, QualifiedName

from vllm_pooling_migrate.codemod.analysis.symbols import qualified_names
from vllm_pooling_migrate.codemod.visitors import CachedVisitors
from vllm_pooling_migrate.registry import Version, format_version

#: Qualified names that hold the installed vLLM's version.
_VERSION_NAMES = frozenset(
    {"vllm.__version__", "vllm.__version_tuple__", "vllm.version.__version__", "vllm.version.__version_tuple__"}
)
#: Functions that read an installed distribution's version: ``version("vllm")``, ``get_distribution("vllm")``.
_DISTRIBUTION_READERS = frozenset({"version", "get_distribution", "distribution", "require"})
#: Wrappers that turn a version string into a comparable value.
_VERSION_PARSERS = frozenset({"parse", "Version", "LooseVersion", "StrictVersion", "parse_version", "version_tuple"})
_LEADING_VERSION = re.compile(r"^\s*v?(\d+(?:\.\d+)*)")


@dataclass(frozen=True)
class Interval:
    """The releases a branch runs on: ``lo``..``hi``, each bound inclusive or not; None is unbounded."""

    lo: Version | None = None
    lo_inclusive: bool = True
    hi: Version | None = None
    hi_inclusive: bool = False

    def intersect(self, other: Interval) -> Interval:
        lo, lo_inclusive = self.lo, self.lo_inclusive
        if other.lo is not None and (lo is None or other.lo > lo or (other.lo == lo and not other.lo_inclusive)):
            lo, lo_inclusive = other.lo, other.lo_inclusive
        hi, hi_inclusive = self.hi, self.hi_inclusive
        if other.hi is not None and (hi is None or other.hi < hi or (other.hi == hi and not other.hi_inclusive)):
            hi, hi_inclusive = other.hi, other.hi_inclusive
        return Interval(lo, lo_inclusive, hi, hi_inclusive)

    def hull(self, other: Interval) -> Interval:
        """The smallest interval holding both (an over-approximation of their union)."""
        lo = None if self.lo is None or other.lo is None else min(self.lo, other.lo)
        hi = None if self.hi is None or other.hi is None else max(self.hi, other.hi)
        lo_inclusive = lo is None or any(i.lo == lo and i.lo_inclusive for i in (self, other))
        hi_inclusive = hi is not None and any(i.hi == hi and i.hi_inclusive for i in (self, other))
        return Interval(lo, lo_inclusive, hi, hi_inclusive)

    def only_before(self, target: Version) -> bool:
        """Every release in the interval is older than ``target``."""
        return self.hi is not None and (self.hi < target or (self.hi == target and not self.hi_inclusive))

    def only_from(self, target: Version) -> bool:
        """Every release in the interval is ``target`` or later."""
        return self.lo is not None and self.lo >= target

    def describe(self) -> str:
        low = None if self.lo is None else f"{'>=' if self.lo_inclusive else '>'} {format_version(self.lo)}"
        high = None if self.hi is None else f"{'<=' if self.hi_inclusive else '<'} {format_version(self.hi)}"
        return ", ".join(part for part in (low, high) if part) or "any release"


ANY = Interval()


@dataclass(frozen=True)
class Condition:
    """When a test is true and when it is false, as intervals (ANY when it cannot be told)."""

    true: Interval
    false: Interval

    def negated(self) -> Condition:
        return Condition(self.false, self.true)


UNKNOWN = Condition(ANY, ANY)


@dataclass(frozen=True)
class Region:
    """A branch under a version check: where it lies, the releases it runs on, the check's line."""

    start: tuple[int, int]
    end: tuple[int, int]
    interval: Interval
    line: int

    def contains(self, where: CodeRange) -> bool:
        return self.start <= (where.start.line, where.start.column) and (where.end.line, where.end.column) <= self.end


class VersionGuards(CachedVisitors):
    """Collects, during the file's traversal, every ``if`` (statement or expression) and simple assignment."""

    def __init__(self) -> None:
        super().__init__()
        self.branches: list[cst.If | cst.IfExp] = []
        self.assigned: dict[str, list[cst.BaseExpression]] = {}

    def visit_If(self, node: cst.If) -> None:
        self.branches.append(node)

    def visit_IfExp(self, node: cst.IfExp) -> None:
        self.branches.append(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self.assigned.setdefault(target.target.value, []).append(node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and node.value is not None:
            self.assigned.setdefault(node.target.value, []).append(node.value)

    def regions(
        self,
        names: Mapping[cst.CSTNode, Collection[QualifiedName]],
        position: Callable[[cst.CSTNode], CodeRange],
    ) -> list[Region]:
        """The branches of every vLLM version check of the file."""
        reader = _Reader(names, self.assigned)
        regions = []
        for node in self.branches:
            condition = reader.condition(node.test)
            if condition is None:
                continue
            line = position(node).start.line
            branches: list[tuple[cst.CSTNode | None, Interval]] = [(node.body, condition.true), (node.orelse, condition.false)]
            for branch, interval in branches:
                if branch is not None:
                    where = position(branch)
                    start, end = (where.start.line, where.start.column), (where.end.line, where.end.column)
                    regions.append(Region(start, end, interval, line))
        return regions


def guard_reason(regions: list[Region], where: CodeRange, target: Version) -> str | None:
    """Why code at ``where`` must not be rewritten for ``target``; None when no version check stands in the way."""
    inside = [region for region in regions if region.contains(where)]
    if not inside:
        return None
    interval = ANY
    for region in inside:
        interval = interval.intersect(region.interval)
    if interval.only_from(target):
        return None
    line = max(inside, key=lambda region: region.start).line
    if interval.only_before(target):
        return (
            f"this code runs only on vLLM {interval.describe()} (the version check on line {line}): "
            "it is kept for that release, not rewritten"
        )
    if interval == ANY:
        return f"this code is under a vLLM version check (line {line}): not rewritten"
    return (
        f"this code also runs on vLLM releases older than {format_version(target)} (the version check on line "
        f"{line}: {interval.describe()}): a rewrite for {format_version(target)} could break it there; not rewritten"
    )


class _Reader:
    """Reads test expressions as conditions on the installed vLLM's version."""

    def __init__(self, names: Mapping[cst.CSTNode, Collection[QualifiedName]], assigned: dict[str, list[cst.BaseExpression]]):
        self.names = names
        self.assigned = assigned
        self._depth = 0

    def _alias(self, node: cst.BaseExpression) -> cst.BaseExpression | None:
        """The value a name was assigned, when it was assigned exactly once."""
        if isinstance(node, cst.Name):
            values = self.assigned.get(node.value, [])
            if len(values) == 1 and self._depth < 8:
                return values[0]
        return None

    def condition(self, node: cst.BaseExpression) -> Condition | None:
        """None when the test does not involve vLLM's version at all."""
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            inner = self.condition(node.expression)
            return None if inner is None else inner.negated()
        if isinstance(node, cst.BooleanOperation):
            left, right = self.condition(node.left), self.condition(node.right)
            if left is None and right is None:
                return None
            if isinstance(node.operator, cst.And):
                true = (left.true if left else ANY).intersect(right.true if right else ANY)
                false = left.false.hull(right.false) if left and right else ANY
                return Condition(true, false)
            true = left.true.hull(right.true) if left and right else ANY
            false = (left.false if left else ANY).intersect(right.false if right else ANY)
            return Condition(true, false)
        if isinstance(node, cst.Comparison):
            return self._comparison(node)
        alias = self._alias(node)
        if alias is not None:
            self._depth += 1
            try:
                return self.condition(alias)
            finally:
                self._depth -= 1
        return UNKNOWN if self._mentions_version(node) else None

    def _comparison(self, node: cst.Comparison) -> Condition | None:
        result: Condition | None = None
        left = node.left
        for target in node.comparisons:
            pair = self._pair(left, target.operator, target.comparator)
            left = target.comparator
            if pair is None:
                continue
            result = pair if result is None else Condition(result.true.intersect(pair.true), ANY)
        return result

    def _pair(self, left: cst.BaseExpression, operator: cst.BaseCompOp, right: cst.BaseExpression) -> Condition | None:
        left_installed, right_installed = self._mentions_version(left), self._mentions_version(right)
        if not left_installed and not right_installed:
            return None
        if left_installed and right_installed:
            return UNKNOWN
        literal = self._literal(right if left_installed else left)
        if literal is None:
            return UNKNOWN
        op = type(operator).__name__
        if not left_installed:  # "0.19" <= version: the installed version on the right
            op = _MIRRORED.get(op, op)
        return _condition_of(op, literal)

    def _literal(self, node: cst.BaseExpression) -> Version | None:
        """A version written in the code: ``"0.19"``, ``(0, 19)``, ``Version("0.19")``, a name assigned one."""
        if isinstance(node, cst.SimpleString):
            value = node.evaluated_value
            match = _LEADING_VERSION.match(value) if isinstance(value, str) else None
            return _normal(tuple(int(p) for p in match.group(1).split("."))) if match else None
        if isinstance(node, cst.Tuple) and node.elements:
            parts = [e.value for e in node.elements]
            if all(isinstance(p, cst.Integer) for p in parts):
                return _normal(tuple(int(p.value) for p in parts if isinstance(p, cst.Integer)))
            return None
        if isinstance(node, cst.Call) and _last_name(node.func) in _VERSION_PARSERS and len(node.args) == 1:
            return self._literal(node.args[0].value)
        alias = self._alias(node)
        if alias is not None:
            self._depth += 1
            try:
                return self._literal(alias)
            finally:
                self._depth -= 1
        return None

    def _mentions_version(self, node: cst.CSTNode) -> bool:
        """The expression reads the installed vLLM's version (possibly parsed, split or wrapped)."""
        if isinstance(node, (cst.Name, cst.Attribute)):
            if any(q.name in _VERSION_NAMES for q in qualified_names(self.names, node)):
                return True
        if isinstance(node, cst.Call) and _last_name(node.func) in _DISTRIBUTION_READERS:
            first = node.args[0].value if node.args else None
            if isinstance(first, cst.SimpleString) and first.evaluated_value in ("vllm", "vllm-openai"):
                return True
        alias = self._alias(node) if isinstance(node, cst.BaseExpression) else None
        if alias is not None:
            self._depth += 1
            try:
                if self._mentions_version(alias):
                    return True
            finally:
                self._depth -= 1
        return any(self._mentions_version(child) for child in node.children)


#: A comparison read from the other side: ``"0.19" < v`` is ``v > "0.19"``.
_MIRRORED = {"LessThan": "GreaterThan", "GreaterThan": "LessThan", "LessThanEqual": "GreaterThanEqual",
             "GreaterThanEqual": "LessThanEqual"}


def _condition_of(op: str, version: Version) -> Condition:
    """``installed <op> version`` (``op`` names a libcst comparison operator class)."""
    if op == "LessThan":
        return Condition(Interval(hi=version), Interval(lo=version))
    if op == "LessThanEqual":
        return Condition(Interval(hi=version, hi_inclusive=True), Interval(lo=version, lo_inclusive=False))
    if op == "GreaterThan":
        return Condition(Interval(lo=version, lo_inclusive=False), Interval(hi=version, hi_inclusive=True))
    if op == "GreaterThanEqual":
        return Condition(Interval(lo=version), Interval(hi=version))
    if op == "Equal":
        return Condition(Interval(version, True, version, True), ANY)
    if op == "NotEqual":
        return Condition(ANY, Interval(version, True, version, True))
    return UNKNOWN


def _normal(version: Version) -> Version:
    """``(0, 19, 0)`` and ``(0, 19)`` are the same release."""
    while len(version) > 1 and version[-1] == 0:
        version = version[:-1]
    return version


def _last_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None
