"""Which pooling task each call requests, and what a construction already says about its task."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.metadata import CodeRange

from vllm_pooling_migrate.codemod.analysis.instances import Construction, Use
from vllm_pooling_migrate.codemod.analysis.symbols import POOLER_CONFIG, POOLING_PARAMS
from vllm_pooling_migrate.codemod.python.edits import keyword_arg, keyword_index, string_value
from vllm_pooling_migrate.tasks import METHOD_TASKS, RENAMED_TASK_VALUES

#: How a rule resolves an expression to a vLLM symbol (``PythonRule.symbol``).
SymbolOf = Callable[[cst.BaseExpression], str | None]


def current_task_value(value: str) -> str:
    """A legacy task value's current spelling (``score`` -> ``classify``); any other value unchanged."""
    if value in RENAMED_TASK_VALUES:
        return RENAMED_TASK_VALUES[value]
    return value


@dataclass
class Request:
    """What one use asks for: a task literal, or why it is not known."""

    task: str | None = None
    missing: bool = False  # encode() with no task at all
    dynamic: bool = False  # a task given as an expression
    score: bool = False


def pooling_params_arg(use: Use) -> tuple[int, cst.Arg] | None:
    """The ``pooling_params`` argument: keyword, or ``encode``'s second positional argument."""
    index = keyword_index(use.call, "pooling_params")
    if index is None and use.method == "encode":
        positional = [i for i, a in enumerate(use.call.args) if a.keyword is None and not a.star]
        index = positional[1] if len(positional) > 1 else None
    return None if index is None else (index, use.call.args[index])


def params_task(call: cst.BaseExpression | None, symbol_of: SymbolOf) -> tuple[cst.Arg, str | None] | None:
    """``PoolingParams(task=...)``: the task argument and its literal value (None if not a literal)."""
    if not isinstance(call, cst.Call) or symbol_of(call.func) != POOLING_PARAMS:
        return None
    arg = keyword_arg(call, "task")
    return None if arg is None else (arg, string_value(arg.value))


def requested(use: Use, symbol_of: SymbolOf) -> Request:
    if use.method == "score":
        return Request(score=True)
    if use.method in METHOD_TASKS:
        return Request(task=METHOD_TASKS[use.method])
    arg = keyword_arg(use.call, "pooling_task")
    if arg is not None:
        value = string_value(arg.value)
        return Request(task=current_task_value(value)) if value else Request(dynamic=True)
    params = pooling_params_arg(use)
    found = params_task(params[1].value, symbol_of) if params else None
    if found is not None:
        value = found[1]
        return Request(task=current_task_value(value)) if value else Request(dynamic=True)
    if any(arg.star for arg in use.call.args):
        return Request(dynamic=True)  # ``encode(*args, **kwargs)`` hands on what its caller gave: the task may be there
    return Request(missing=True)


@dataclass
class TaskSummary:
    by_task: dict[str, list[Use]] = field(default_factory=dict)
    missing: list[Use] = field(default_factory=list)
    dynamic: list[Use] = field(default_factory=list)
    score: list[Use] = field(default_factory=list)
    expected_errors: list[Use] = field(default_factory=list)  # inside ``pytest.raises``: meant to fail, not counted

    @property
    def tasks(self) -> list[str]:
        return list(self.by_task)


def summarize(construction: Construction, symbol_of: SymbolOf) -> TaskSummary:
    summary = TaskSummary()
    for use in construction.uses:
        request = requested(use, symbol_of)
        if use.expects_error:
            summary.expected_errors.append(use)
        elif request.score:
            summary.score.append(use)
        elif request.missing:
            summary.missing.append(use)
        elif request.dynamic:
            summary.dynamic.append(use)
        else:
            assert request.task is not None  # requested() names the task unless score, missing or dynamic
            summary.by_task.setdefault(request.task, []).append(use)
    return summary


@dataclass
class ConstructionConfig:
    """What the ``LLM(...)`` call says about pooling. ``kind`` tells how a task could be merged in."""

    kind: str  # "absent" | "call" | "dict" | "opaque"
    value: cst.BaseExpression | None = None  # the PoolerConfig(...) call or dict literal
    explicit_task: str | None = None  # literal task already there
    has_task: bool = False  # a task is set (literal or not)
    star_kwargs: bool = False


def construction_config(construction: Construction, symbol_of: SymbolOf) -> ConstructionConfig:
    call = construction.call
    arg = keyword_arg(call, "pooler_config") or keyword_arg(call, "override_pooler_config")
    star = any(a.star == "**" for a in call.args)
    if arg is None:
        return ConstructionConfig("opaque" if star else "absent", star_kwargs=star)
    return config_of_value(arg.value, symbol_of, star)


def config_of_value(value: cst.BaseExpression, symbol_of: SymbolOf, star: bool = False) -> ConstructionConfig:
    if isinstance(value, cst.Call) and symbol_of(value.func) == POOLER_CONFIG:
        # ``pooling_task=`` is the typo spelling of ``task=`` (POOL012 renames it): it states the task too.
        task = keyword_arg(value, "task") or keyword_arg(value, "pooling_task")
        if any(a.star for a in value.args):
            return ConstructionConfig("opaque", value, star_kwargs=star)
        return ConstructionConfig(
            "call", value, string_value(task.value) if task else None, task is not None, star_kwargs=star
        )
    if isinstance(value, cst.Dict):
        for element in value.elements:
            if not isinstance(element, cst.DictElement):
                return ConstructionConfig("opaque", value, star_kwargs=star)
            if string_value(element.key) in ("task", "pooling_task"):
                return ConstructionConfig("dict", value, string_value(element.value), True, star_kwargs=star)
        return ConstructionConfig("dict", value, star_kwargs=star)
    return ConstructionConfig("opaque", value, star_kwargs=star)


def lines_of(uses: Sequence[Use], position: Callable[[cst.CSTNode], CodeRange]) -> str:
    return ", ".join(str(position(u.call).start.line) for u in uses)
