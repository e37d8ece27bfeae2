"""POOL026: an engine-level ``encode``/``add_request`` given a ``PoolingParams`` that names no task.

``LLM.encode`` has required a task since vLLM 0.11.2 (POOL006); the engine below it never did. Given a
``PoolingParams`` without ``task``, ``AsyncLLMEngine.encode``/``AsyncLLM.encode`` and ``add_request`` use the
first supported of ``token_embed``, ``token_classify``, ``plugin`` (spec §5.4): an embedding model returns one
vector per token instead of one per prompt, a classifier one row of logits per token, with no error and no warning.

Only a receiver that is certainly an engine is followed: a name or ``self.<attr>`` bound only to
``AsyncLLMEngine``/``AsyncLLM``/``LLMEngine`` (their constructor, ``from_engine_args`` or ``from_vllm_config``) or
``None``, or a parameter annotated with one of them or ``EngineClient``. The ``PoolingParams`` must be visible: a
``PoolingParams(...)`` call without ``task`` (or ``task=None``), written inline or bound once to a name that is
used for nothing else, or a helper's parameter that every call of the helper in this file fills so (a helper read
without being called, a callback, may be called from anywhere and is not followed). Report only: which task the author meant, and which output shape the code after it
expects, is theirs to say.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from collections.abc import Sequence

import libcst as cst
from libcst.metadata import Assignment, ScopeProvider

from vllm_pooling_migrate.codemod.analysis.annotations import annotates
from vllm_pooling_migrate.codemod.analysis.symbols import (ASYNC_LLM, ASYNC_LLM_ENGINE, ENGINE_CLIENT, LLM_ENGINE,
                                                           POOLING_PARAMS)
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import keyword_arg
from vllm_pooling_migrate.codemod.python.rule import PythonRule

#: Engine classes whose pooling entry points fall back to a per-token task when ``PoolingParams.task`` is None.
ENGINES = frozenset({ASYNC_LLM_ENGINE, ASYNC_LLM, LLM_ENGINE})
#: What a parameter may be annotated with to be an engine (the protocol has the same ``encode``).
ENGINE_TYPES = ENGINES | {ENGINE_CLIENT}
#: Class methods that build an engine.
ENGINE_FACTORIES = frozenset({"from_engine_args", "from_vllm_config"})
#: Engine method -> (index of the ``PoolingParams`` among the positional arguments, its keyword).
POOLING_PARAMS_ARGUMENT = {"encode": (1, "pooling_params"), "add_request": (2, "params")}
#: How many helpers deep a ``PoolingParams`` is followed back through parameters.
MAX_HELPER_DEPTH = 3


@dataclass
class _Method:
    """A method (or a function nested in one): the class it belongs to and the name of its ``self``."""

    cls: cst.ClassDef
    self_name: str


@dataclass
class _Seen:
    calls: list[tuple[cst.Call, cst.BaseExpression, _Method | None]] = field(default_factory=list)
    values: dict[int, cst.BaseExpression] = field(default_factory=dict)  # id(Name target) -> assigned value
    #: (class, attribute) -> every value ``self.<attribute>`` is assigned in the class's methods.
    attributes: dict[tuple[int, str], list[cst.BaseExpression]] = field(default_factory=dict)
    foreign_attributes: set[str] = field(default_factory=set)  # ``x.<attribute> = ...`` on anything but self
    #: id(Param) -> (id of the method's class or None, the function's name, its position among the arguments a
    #: caller passes, the parameter's name).
    params: dict[int, tuple[int | None, str, int | None, str]] = field(default_factory=dict)
    #: (id of the class or None, name) -> the calls ``name(...)`` (None) and ``self.name(...)`` in that class's methods.
    calls_by_owner: dict[tuple[int | None, str], list[cst.Call]] = field(default_factory=dict)
    call_counts: dict[str, int] = field(default_factory=dict)  # every ``name(...)`` or ``<anything>.name(...)``
    read_names: dict[str, int] = field(default_factory=dict)  # how often a name is read, called or not


class EngineEncodeWithoutTask(PythonRule):
    CODE = "POOL026"
    MESSAGE = ("engine-level `encode()` with a `PoolingParams` that names no task: the engine falls back to "
               "`token_embed` (one vector per token) since vLLM 0.11.2")

    VALID = [
        Valid('from vllm import AsyncLLMEngine, PoolingParams\nengine = AsyncLLMEngine.from_engine_args(args)\n'
              'results = engine.encode(prompt, PoolingParams(task="embed"), request_id)\n'),
        Valid('from vllm import LLM, PoolingParams\nllm = LLM("m")\n'
              'llm.encode(p, PoolingParams(), pooling_task="embed")\n'),
        Valid('from vllm import PoolingParams\nfrom my_project import Engine\nengine = Engine()\n'
              'engine.encode(prompt, PoolingParams(), request_id)\n'),  # not vLLM's engine
        Valid('from vllm import AsyncLLMEngine, PoolingParams\nengine = AsyncLLMEngine.from_engine_args(args)\n'
              'params = PoolingParams()\nparams.task = "embed"\nengine.encode(prompt, params, request_id)\n'),
    ]
    INVALID = [
        Invalid(  # handed to a helper that calls the engine
            "from vllm import AsyncLLMEngine, PoolingParams\n\n\nclass Embedder:\n"
            "    def __init__(self, args):\n        self.engine = AsyncLLMEngine.from_engine_args(args)\n\n"
            "    async def _one(self, prompt, params):\n"
            "        return [out async for out in self.engine.encode(prompt, params, \"0\")]\n\n"
            "    async def embed(self, prompt):\n        params = PoolingParams()\n        return await self._one(prompt, params)\n"
        ),
        Invalid('from vllm import AsyncLLMEngine, PoolingParams\nengine = AsyncLLMEngine.from_engine_args(args)\n'
                'results = engine.encode(prompt, PoolingParams(), request_id)\n'),
        Invalid(
            "from vllm import AsyncEngineArgs, AsyncLLMEngine, PoolingParams\n\n\nclass Backend:\n"
            "    def __init__(self, args):\n        self.engine = None\n"
            "        self.engine = AsyncLLMEngine.from_engine_args(AsyncEngineArgs(**args))\n\n"
            "    async def embed(self, prompts):\n        params = PoolingParams()\n\n"
            "        async def one(prompt, request_id):\n"
            "            return [out async for out in self.engine.encode(prompt, params, request_id)]\n\n"
            "        return [await one(p, str(i)) for i, p in enumerate(prompts)]\n"
        ),
        Invalid('from vllm import LLMEngine, PoolingParams\nengine = LLMEngine.from_engine_args(args)\n'
                'engine.add_request("0", prompt, PoolingParams(dimensions=256))\n'),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self._seen = _Seen()
        self._methods: list[_Method | None] = [None]
        self._classes: list[cst.ClassDef | None] = [None]

    # --- the traversal: calls, assigned values, self.<attribute> bindings ---------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)
        self._methods.append(None)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()
        self._methods.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        params = [*node.params.posonly_params, *node.params.params]
        cls = self._classes[-1]
        is_method = cls is not None and self._methods[-1] is None
        reads = self._seen.read_names
        reads[node.name.value] = reads.get(node.name.value, 0) - 1  # the name in `def name` is not a read
        owner = id(cls) if is_method else None
        for position, param in enumerate(params[1:] if is_method else params):
            self._seen.params[id(param)] = (owner, node.name.value, position, param.name.value)
        for param in node.params.kwonly_params:
            self._seen.params[id(param)] = (owner, node.name.value, None, param.name.value)
        if cls is not None and is_method:  # a method: its first parameter is self
            self._methods.append(_Method(cls, params[0].name.value) if params else None)
        else:  # a nested function sees the enclosing method's self, unless a parameter hides it
            method = self._methods[-1]
            every = [*params, *node.params.kwonly_params]
            hidden = method is not None and any(p.name.value == method.self_name for p in every)
            self._methods.append(None if hidden else method)
        self._classes.append(None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._methods.pop()
        self._classes.pop()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in POOLING_PARAMS_ARGUMENT:
            self._seen.calls.append((node, func.value, self._methods[-1]))
        called = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else None
        if called is None:
            return
        self._seen.call_counts[called] = self._seen.call_counts.get(called, 0) + 1
        method = self._methods[-1]
        if isinstance(func, cst.Name):
            self._seen.calls_by_owner.setdefault((None, called), []).append(node)
        elif (method is not None and isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
              and func.value.value == method.self_name):
            self._seen.calls_by_owner.setdefault((id(method.cls), called), []).append(node)

    def visit_Name(self, node: cst.Name) -> None:  # a bare name, and the `attr` of `x.attr`
        self._seen.read_names[node.value] = self._seen.read_names.get(node.value, 0) + 1

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self._seen.values[id(target)] = value
        elif isinstance(target, cst.Attribute):
            method = self._methods[-1]
            if method is not None and isinstance(target.value, cst.Name) and target.value.value == method.self_name:
                self._seen.attributes.setdefault((id(method.cls), target.attr.value), []).append(value)
            else:
                self._seen.foreign_attributes.add(target.attr.value)

    # --- after the traversal -----------------------------------------------------------------------------

    def finish(self) -> None:
        scopes = self.context.wrapper.resolve(ScopeProvider)
        candidates = [(call, receiver, method) for call, receiver, method in self._seen.calls
                      if self._is_engine(receiver, method, scopes)]
        argument_ids = {id(value) for call, _, _ in candidates if (value := _params_value(call)) is not None}
        for call, _, _ in candidates:
            value = _params_value(call)
            if value is not None and self._without_task(value, scopes, argument_ids):
                self.report(call, self._message(call))

    def _message(self, call: cst.Call) -> str:
        method = call.func.attr.value if isinstance(call.func, cst.Attribute) else "encode"
        return (f"engine-level `{method}()` with a `PoolingParams` that names no task: since vLLM 0.11.2 the engine "
                "then uses the first supported of `token_embed`, `token_classify`, `plugin`, so an embedding model "
                "returns one vector per token, not one per prompt (no error, no warning); set "
                '`PoolingParams(task="embed")` (or the task you need)')

    def _is_engine(self, receiver: cst.BaseExpression, method: _Method | None, scopes) -> bool:
        if isinstance(receiver, cst.Name):
            assignments = _assignments(receiver, scopes)
            return assignments is not None and self._all_engines([self._assigned(a, scopes) for a in assignments])
        if (isinstance(receiver, cst.Attribute) and method is not None and isinstance(receiver.value, cst.Name)
                and receiver.value.value == method.self_name):
            attr = receiver.attr.value
            if attr in self._seen.foreign_attributes:
                return False
            return self._all_engines(self._seen.attributes.get((id(method.cls), attr), []))
        return False

    def _assigned(self, assignment: Assignment, scopes) -> cst.BaseExpression | bool | None:
        """What an assignment binds: its value, True for a parameter annotated as an engine, None otherwise."""
        node = assignment.node
        if isinstance(node, cst.Name):
            return self._seen.values.get(id(node))
        if isinstance(node, cst.Param) and node.annotation is not None:
            annotation = node.annotation.annotation
            return annotates(self.context.qualified_names, scopes.get(annotation), annotation, ENGINE_TYPES) or None
        return None

    def _all_engines(self, values: Sequence[cst.BaseExpression | bool | None]) -> bool:
        """Every value is an engine (or a ``None`` placeholder), and one at least is an engine."""
        engines = [v for v in values if v is True or (isinstance(v, cst.BaseExpression) and self._builds_engine(v))]
        nones = [v for v in values if isinstance(v, cst.Name) and v.value == "None"]
        return bool(engines) and len(engines) + len(nones) == len(values)

    def _builds_engine(self, value: cst.BaseExpression) -> bool:
        if not isinstance(value, cst.Call):
            return False
        func = value.func
        if isinstance(func, cst.Attribute) and func.attr.value in ENGINE_FACTORIES:
            return self.symbol(func.value) in ENGINES
        return self.symbol(func) in ENGINES

    def _without_task(self, value: cst.BaseExpression, scopes, argument_ids: set[int], depth: int = 0) -> bool:
        """``PoolingParams(...)`` without a task, inline or bound once to a name used only as such an argument; or a
        parameter of a helper that every call of it in this file fills so (``_encode_one(prompt, params)``)."""
        if isinstance(value, cst.Name):
            assignments = _assignments(value, scopes)
            if assignments is None or len(assignments) != 1:
                return False
            (assignment,) = assignments
            if any(id(access.node) not in argument_ids for access in assignment.references):
                return False  # read elsewhere: it may be changed (``params.task = ...``) or passed on
            if isinstance(assignment.node, cst.Param):
                return self._filled_without_task(assignment.node, scopes, argument_ids, depth)
            bound = self._seen.values.get(id(assignment.node)) if isinstance(assignment.node, cst.Name) else None
            return bound is not None and self._taskless_params(bound)
        return self._taskless_params(value)

    def _filled_without_task(self, param: cst.Param, scopes, argument_ids: set[int], depth: int) -> bool:
        """Every call of the parameter's function in this file passes a ``PoolingParams`` without a task, and the
        function is only ever called (a function handed on may be called from anywhere)."""
        found = self._seen.params.get(id(param))
        if found is None or depth >= MAX_HELPER_DEPTH:
            return False
        owner, function, position, name = found
        calls = self._seen.calls_by_owner.get((owner, function), [])
        if not calls or self._seen.read_names.get(function, 0) != self._seen.call_counts.get(function, 0):
            return False  # read without being called somewhere: handed on, so called from where we cannot see
        arguments = [_argument(call, position, name) for call in calls]
        if any(argument is None for argument in arguments):
            return False  # a default, or a ``*args``: not visible
        passed = argument_ids | {id(a) for a in arguments if a is not None}
        return all(self._without_task(a, scopes, passed, depth + 1) for a in arguments if a is not None)

    def _taskless_params(self, value: cst.BaseExpression) -> bool:
        if not isinstance(value, cst.Call) or self.symbol(value.func) != POOLING_PARAMS:
            return False
        if any(a.star or a.keyword is None for a in value.args):
            return False  # **kwargs or positional arguments: the task may be among them
        task = keyword_arg(value, "task")
        return task is None or (isinstance(task.value, cst.Name) and task.value.value == "None")


def _argument(call: cst.Call, position: int | None, name: str) -> cst.BaseExpression | None:
    """What ``call`` passes for a parameter (by keyword, or by position when it has one); None when not visible."""
    found = keyword_arg(call, name)
    if found is not None:
        return found.value
    if position is None or any(a.star for a in call.args):
        return None
    positional = [a for a in call.args if a.keyword is None]
    return positional[position].value if position < len(positional) else None


def _params_value(call: cst.Call) -> cst.BaseExpression | None:
    """The ``PoolingParams`` argument of an engine ``encode``/``add_request`` call."""
    assert isinstance(call.func, cst.Attribute)  # only such calls are collected
    index, keyword = POOLING_PARAMS_ARGUMENT[call.func.attr.value]
    found = keyword_arg(call, keyword)
    if found is not None:
        return found.value
    if any(a.star for a in call.args):
        return None
    positional = [a for a in call.args if a.keyword is None]
    return positional[index].value if len(positional) > index else None


def _assignments(name: cst.Name, scopes) -> list[Assignment] | None:
    """Every assignment of ``name`` where it is read (enclosing functions included); None when one is not a plain
    assignment or parameter (an import, a ``for`` target is still a Name; a ``def`` or ``class`` is not)."""
    scope = scopes.get(name)
    if scope is None or name.value not in scope:
        return None
    found = list(scope[name.value])
    plain = [a for a in found if isinstance(a, Assignment) and isinstance(a.node, (cst.Name, cst.Param))]
    return plain if plain and len(plain) == len(found) else None

