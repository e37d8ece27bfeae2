"""POOL025: Ray's ``engine_kwargs`` pass vLLM's removed ``task``/``override_pooler_config``; ``task_type="score"``.

``ray.data.llm.vLLMEngineProcessorConfig`` and ``ray.serve.llm.LLMConfig`` hand ``engine_kwargs`` to vLLM's engine
arguments, which refuse ``task`` since 0.13 (Ray Serve: ``Unknown engine argument: task``, ray#64466) and
``override_pooler_config`` since 0.12. Ray Data has its own ``task_type=`` for the task (Ray >= 2.55 turns it into
``runner``/``convert``); Ray Serve takes vLLM's ``runner``/``convert`` in ``engine_kwargs``. ``task_type="score"``
becomes ``convert="reward"``, which vLLM refuses since 0.16, and sends the ``score`` task vLLM 0.19 removed: report.

``engine_kwargs`` is read as a dict literal or a ``dict(...)`` call, written in the call or bound once to a name.
A ``dict(**base, task=...)`` call gets no fix where a new keyword could collide with one ``base`` holds.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import QualifiedNameSource

from vllm_pooling_migrate.codemod.analysis.symbols import qualified_names
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import (AddKeyword, PythonFix, RemoveArg, RenameDictKey, RenameKeyword,
                                                       ReplaceValue, keyword_arg, keyword_index, quote_like,
                                                       string_value)
from vllm_pooling_migrate.codemod.python.rule import PythonRule
from vllm_pooling_migrate.codemod.rules.pool001_llm_task_argument import (EngineArgSources, EngineArgSourcesFeed,
                                                                          dict_entry, dict_task_fix, replacement_pairs,
                                                                          replacement_text, task_option_fix)

RAY_DATA_CONFIG = "vLLMEngineProcessorConfig"
RAY_SERVE_CONFIG = "LLMConfig"
RAY_SYMBOLS = {
    "ray.data.llm.vLLMEngineProcessorConfig": RAY_DATA_CONFIG,
    "ray.llm._internal.batch.processor.vllm_engine_proc.vLLMEngineProcessorConfig": RAY_DATA_CONFIG,
    "ray.serve.llm.LLMConfig": RAY_SERVE_CONFIG,
    "ray.llm._internal.serve.configs.server_models.LLMConfig": RAY_SERVE_CONFIG,
}
#: The old ``task`` value -> Ray Data's ``task_type`` ("" : the default, drop the entry); others are reported.
RAY_TASK_TYPE = {"embed": "embed", "embedding": "embed", "classify": "classify", "generate": "", "auto": ""}


class RayEngineKwargs(EngineArgSourcesFeed, PythonRule):
    CODE = "POOL025"
    MESSAGE = "Ray's `engine_kwargs` reach vLLM's engine arguments: `task`/`override_pooler_config` were removed"

    VALID = [
        Valid('from ray.data.llm import vLLMEngineProcessorConfig\ncfg = vLLMEngineProcessorConfig(model_source="m", task_type="embed")\n'),
        Valid('from ray.serve.llm import LLMConfig\ncfg = LLMConfig(model_loading_config={"model_id": "m"}, '
              'engine_kwargs={"runner": "pooling", "convert": "embed"})\n'),
        Valid('from mylib import LLMConfig\ncfg = LLMConfig(engine_kwargs={"task": "embed"})\n'),  # not Ray's
        Valid('from ray.serve.llm import LLMConfig\ncfg = LLMConfig(engine_kwargs=dict(model="m", max_model_len=512))\n'),
    ]
    INVALID = [
        Invalid(
            'from ray.data.llm import vLLMEngineProcessorConfig\n'
            'config = vLLMEngineProcessorConfig(\n    model_source="BAAI/bge-small-en-v1.5",\n'
            '    engine_kwargs={"task": "embed", "max_model_len": 512},\n)\n',
            'from ray.data.llm import vLLMEngineProcessorConfig\n'
            'config = vLLMEngineProcessorConfig(\n    model_source="BAAI/bge-small-en-v1.5",\n'
            '    engine_kwargs={"max_model_len": 512},\n    task_type="embed",\n)\n',
        ),
        Invalid(
            'from ray.serve.llm import LLMConfig\nllm_config = LLMConfig(model_loading_config={"model_id": "m"}, '
            'engine_kwargs={"task": "embed"})\n',
            'from ray.serve.llm import LLMConfig\nllm_config = LLMConfig(model_loading_config={"model_id": "m"}, '
            'engine_kwargs={"convert": "embed", "runner": "pooling"})\n',
        ),
        Invalid(
            'import ray.data.llm\nkwargs = {"override_pooler_config": {"pooling_type": "MEAN"}}\n'
            'cfg = ray.data.llm.vLLMEngineProcessorConfig(model_source="m", task_type="embed", engine_kwargs=kwargs)\n',
            'import ray.data.llm\nkwargs = {"pooler_config": {"pooling_type": "MEAN"}}\n'
            'cfg = ray.data.llm.vLLMEngineProcessorConfig(model_source="m", task_type="embed", engine_kwargs=kwargs)\n',
        ),
        Invalid(  # the dict(...) form, as in Ray's own vLLM-compatibility guide
            'from ray.serve.llm import LLMConfig\nllm_config = LLMConfig(\n    model_loading_config=dict(model_id="m"),\n'
            '    engine_kwargs=dict(\n        task="embed",\n    ),\n)\n',
            'from ray.serve.llm import LLMConfig\nllm_config = LLMConfig(\n    model_loading_config=dict(model_id="m"),\n'
            '    engine_kwargs=dict(\n        runner="pooling",\n        convert="embed",\n    ),\n)\n',
        ),
        Invalid(
            'from ray.data.llm import vLLMEngineProcessorConfig\n'
            'cfg = vLLMEngineProcessorConfig(model_source="m", engine_kwargs=dict(task="classify", max_model_len=512))\n',
            'from ray.data.llm import vLLMEngineProcessorConfig\n'
            'cfg = vLLMEngineProcessorConfig(model_source="m", engine_kwargs=dict(max_model_len=512), task_type="classify")\n',
        ),
        Invalid(  # `base` may hold "runner"/"convert": dict() would get a keyword twice
            'from ray.serve.llm import LLMConfig\ncfg = LLMConfig(engine_kwargs=dict(**base, task="embed"))\n'
        ),
        Invalid(  # Ray maps score to convert="reward", refused by vLLM since 0.16
            'from ray.data.llm import vLLMEngineProcessorConfig\ncfg = vLLMEngineProcessorConfig(model_source="m", task_type="score")\n'
        ),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self._named: dict[int, tuple[cst.Call, str, cst.Name]] = {}
        self._dict_calls: dict[int, cst.Call] = {}  # id(Name target) -> the dict(...) call bound to it

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name) and self._is_dict_call(node.value):
            assert isinstance(node.value, cst.Call)
            self._dict_calls[id(node.targets[0].target)] = node.value

    def visit_Call(self, node: cst.Call) -> None:
        super().visit_Call(node)
        kind = self._ray_symbol(node.func)
        if kind is None:
            return
        if kind == RAY_DATA_CONFIG:
            task_type = keyword_arg(node, "task_type")
            if task_type is not None and string_value(task_type.value) == "score":
                self.report(node, 'Ray maps `task_type="score"` to vLLM\'s `convert="reward"`, refused since vLLM '
                            '0.16, and sends the `score` task vLLM 0.19 removed: for a cross-encoder use '
                            '`task_type="classify"`', unfixable_reason="which task the model serves is the author's to say")
        index = keyword_index(node, "engine_kwargs")
        if index is None:
            return
        value = node.args[index].value
        if isinstance(value, cst.Name):
            self._named[id(node)] = (node, kind, value)
        elif isinstance(value, cst.Dict):
            self._check(node, kind, value, index)
        elif isinstance(value, cst.Call) and self._is_dict_call(value):
            self._check_call(node, kind, value, index)

    def finish(self) -> None:
        sources = EngineArgSources.of(self.context)
        for call, kind, name in self._named.values():
            assignments = sources._assignments(name)
            if not assignments or len(assignments) != 1:
                continue
            value = sources.dict_values.get(id(assignments[0].node))
            if isinstance(value, cst.Dict):
                self._check(call, kind, value, None)
            elif id(assignments[0].node) in self._dict_calls:
                self._check_call(call, kind, self._dict_calls[id(assignments[0].node)], None)

    def _ray_symbol(self, func: cst.BaseExpression) -> str | None:
        for qualified in qualified_names(self.context.qualified_names, func):
            if qualified.source is QualifiedNameSource.IMPORT and qualified.name in RAY_SYMBOLS:
                return RAY_SYMBOLS[qualified.name]
        return None

    def _is_dict_call(self, value: cst.BaseExpression) -> bool:
        """``dict(...)``, the builtin (not a name the file binds)."""
        return (isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict"
                and any(q.name == "builtins.dict" and q.source is QualifiedNameSource.BUILTIN
                        for q in qualified_names(self.context.qualified_names, value.func)))

    def _check(self, call: cst.Call, kind: str, kwargs: cst.Dict, index: int | None) -> None:
        """``index`` is the position of ``engine_kwargs=`` in ``call`` when the dict is written there."""
        override = dict_entry(kwargs, "override_pooler_config")
        if override is not None:
            element = kwargs.elements[override]
            assert isinstance(element, cst.DictElement)
            if dict_entry(kwargs, "pooler_config") is not None:
                self.report(kwargs, BOTH_POOLER_CONFIGS, unfixable_reason="both keys are given")
            else:
                fix = PythonFix().on(kwargs, RenameDictKey(override, quote_like(element.key, "pooler_config")))
                self.report(kwargs, OVERRIDE_MESSAGE, fix=fix)
        task_at = dict_entry(kwargs, "task")
        if task_at is None:
            return
        element = kwargs.elements[task_at]
        assert isinstance(element, cst.DictElement)
        if kind == RAY_DATA_CONFIG:
            removal = None if index is None else PythonFix().on(call, ReplaceValue(index, _without(kwargs, task_at)))
            self._data_task(call, kwargs, element.value, removal)
        else:
            self._serve_task(call, kwargs, task_at, index)

    def _check_call(self, call: cst.Call, kind: str, kwargs: cst.Call, index: int | None) -> None:
        """``engine_kwargs=dict(...)``: the same findings as for a dict literal, the fixes on the keywords."""
        spread = any(arg.keyword is None for arg in kwargs.args)  # dict(base, ...) or dict(**base, ...)
        collide = "a mapping spread into `dict(...)` may already hold it: move the entry by hand"
        override = keyword_index(kwargs, "override_pooler_config")
        if override is not None:
            if keyword_index(kwargs, "pooler_config") is not None:
                self.report(kwargs, BOTH_POOLER_CONFIGS, unfixable_reason="both keys are given")
            elif spread:
                self.report(kwargs, OVERRIDE_MESSAGE, unfixable_reason=collide)
            else:
                self.report(kwargs, OVERRIDE_MESSAGE, fix=PythonFix().on(kwargs, RenameKeyword(override, "pooler_config")))
        task_at = keyword_index(kwargs, "task")
        if task_at is None:
            return
        if kind == RAY_DATA_CONFIG:
            removal = None if index is None else PythonFix().on(kwargs, RemoveArg(task_at))
            self._data_task(call, kwargs, kwargs.args[task_at].value, removal, "=")
            return
        task, fix, reason = task_option_fix(kwargs, task_at)
        message = (f"{_shown(task, '=')} in Ray Serve's `engine_kwargs` reaches vLLM, which removed it in 0.13 "
                   f"(`Unknown engine argument: task`): use {replacement_text(task)}")
        if fix is not None and spread:
            fix, reason = None, collide
        self.report(kwargs, message, fix=fix, unfixable_reason=reason)

    def _data_task(self, call: cst.Call, kwargs: cst.BaseExpression, value: cst.BaseExpression,
                   removal: PythonFix | None, assign: str = ":") -> None:
        """``removal`` takes the task out of ``engine_kwargs`` (None when the dict is not written in the call)."""
        task = string_value(value)
        wanted = RAY_TASK_TYPE.get(task or "")
        message = f"{_shown(task, assign)} in Ray Data's `engine_kwargs` reaches vLLM, which removed it in 0.13"
        if wanted is None:
            self.report(kwargs, f"{message}: choose Ray's `task_type=` for the model",
                        unfixable_reason="no Ray `task_type` reproduces it")
            return
        message += f': use `task_type="{wanted}"` on `vLLMEngineProcessorConfig`' if wanted else ": drop it"
        given = keyword_arg(call, "task_type")
        if given is not None and wanted and string_value(given.value) != wanted:
            self.report(kwargs, message, unfixable_reason="`task_type=` already says something else")
            return
        if removal is None:
            self.report(kwargs, message, unfixable_reason="the dict is not written in the call: move the task by hand")
            return
        if wanted and given is None:
            removal.on(call, AddKeyword("task_type", quote_like(value, wanted)))
        self.report(kwargs, message, fix=removal)

    def _serve_task(self, call: cst.Call, kwargs: cst.Dict, task_at: int, index: int | None) -> None:
        element = kwargs.elements[task_at]
        assert isinstance(element, cst.DictElement)
        task = string_value(element.value)
        message = (f"{_shown(task)} in Ray Serve's `engine_kwargs` reaches vLLM, which removed it in 0.13 "
                   f"(`Unknown engine argument: task`): use {replacement_text(task, ':')}")
        _, fix, reason = dict_task_fix(kwargs, task_at)
        pairs = replacement_pairs(task) if task is not None else None
        if fix is None and index is not None and pairs is not None:
            keys = {string_value(e.key) for e in kwargs.elements if isinstance(e, cst.DictElement)}
            if not keys & {"runner", "convert"}:
                fix = PythonFix().on(call, ReplaceValue(index, _replaced(kwargs, task_at, pairs)))
                reason = None
        self.report(kwargs, message, fix=fix, unfixable_reason=reason)


OVERRIDE_MESSAGE = '`"override_pooler_config"` in Ray\'s `engine_kwargs` reaches vLLM, which removed it in 0.12: use `"pooler_config"`'
BOTH_POOLER_CONFIGS = ('`engine_kwargs` has both `"override_pooler_config"` and `"pooler_config"`: merge them (vLLM '
                       "removed the override in 0.12)")


def _shown(task: str | None, assign: str = ":") -> str:
    """How the old entry is written: ``"task": "embed"`` in a dict literal, ``task="embed"`` in ``dict(...)``."""
    if assign == "=":
        return f'`task="{task}"`' if task else "`task=`"
    return f'`"task": "{task}"`' if task else '`"task"`'


def _without(value: cst.Dict, index: int) -> cst.Dict:
    """The dict without its ``index``-th element; the element before takes over its comma when it was last."""
    elements = list(value.elements)
    removed = elements.pop(index)
    if index == len(elements) and elements:
        elements[-1] = elements[-1].with_changes(comma=removed.comma)
    return value.with_changes(elements=elements)


def _replaced(value: cst.Dict, index: int, pairs: list[tuple[str, str]]) -> cst.Dict:
    """The dict with its ``index``-th element replaced by ``pairs`` (string entries in the dict's quote style)."""
    elements = list(value.elements)
    old = elements[index]
    assert isinstance(old, cst.DictElement)
    separator = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    new = [cst.DictElement(key=quote_like(old.key, key), value=quote_like(old.value, want), comma=separator)
           for key, want in pairs]
    if new:
        new[-1] = new[-1].with_changes(comma=old.comma)
        elements[index:index + 1] = new
        return value.with_changes(elements=elements)
    return _without(value, index)
