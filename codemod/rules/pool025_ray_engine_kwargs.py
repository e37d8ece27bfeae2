"""POOL025: Ray's ``engine_kwargs`` pass vLLM's removed ``task``/``override_pooler_config``; ``task_type="score"``.

``ray.data.llm.vLLMEngineProcessorConfig`` and ``ray.serve.llm.LLMConfig`` hand ``engine_kwargs`` to vLLM's engine
arguments, which refuse ``task`` since 0.13 (Ray Serve: ``Unknown engine argument: task``, ray#64466) and
``override_pooler_config`` since 0.12. Ray Data has its own ``task_type=`` for the task (Ray >= 2.55 turns it into
``runner``/``convert``); Ray Serve takes vLLM's ``runner``/``convert`` in ``engine_kwargs``. ``task_type="score"``
becomes ``convert="reward"``, which vLLM refuses since 0.16, and sends the ``score`` task vLLM 0.19 removed: report.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import QualifiedNameSource

from vllm_pooling_migrate.codemod.analysis.symbols import qualified_names
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import (AddKeyword, PythonFix, RenameDictKey, ReplaceValue,
                                                       keyword_arg, keyword_index, quote_like, string_value)
from vllm_pooling_migrate.codemod.python.rule import PythonRule
from vllm_pooling_migrate.codemod.rules.pool001_llm_task_argument import (EngineArgSources, EngineArgSourcesFeed,
                                                                          dict_entry, dict_task_fix, replacement_pairs,
                                                                          replacement_text)

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
        Invalid(  # Ray maps score to convert="reward", refused by vLLM since 0.16
            'from ray.data.llm import vLLMEngineProcessorConfig\ncfg = vLLMEngineProcessorConfig(model_source="m", task_type="score")\n'
        ),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self._named: dict[int, tuple[cst.Call, str, cst.Name]] = {}

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
        inline = isinstance(value, cst.Dict)
        if isinstance(value, cst.Name):
            self._named[id(node)] = (node, kind, value)
        elif inline:
            assert isinstance(value, cst.Dict)
            self._check(node, kind, value, index)

    def finish(self) -> None:
        sources = EngineArgSources.of(self.context)
        for call, kind, name in self._named.values():
            assignments = sources._assignments(name)
            value = sources.dict_values.get(id(assignments[0].node)) if assignments and len(assignments) == 1 else None
            if isinstance(value, cst.Dict):
                self._check(call, kind, value, None)

    def _ray_symbol(self, func: cst.BaseExpression) -> str | None:
        for qualified in qualified_names(self.context.qualified_names, func):
            if qualified.source is QualifiedNameSource.IMPORT and qualified.name in RAY_SYMBOLS:
                return RAY_SYMBOLS[qualified.name]
        return None

    def _check(self, call: cst.Call, kind: str, kwargs: cst.Dict, index: int | None) -> None:
        """``index`` is the position of ``engine_kwargs=`` in ``call`` when the dict is written there."""
        override = dict_entry(kwargs, "override_pooler_config")
        if override is not None:
            element = kwargs.elements[override]
            assert isinstance(element, cst.DictElement)
            if dict_entry(kwargs, "pooler_config") is not None:
                self.report(kwargs, '`engine_kwargs` has both `"override_pooler_config"` and `"pooler_config"`: '
                            "merge them (vLLM removed the override in 0.12)", unfixable_reason="both keys are given")
            else:
                fix = PythonFix().on(kwargs, RenameDictKey(override, quote_like(element.key, "pooler_config")))
                self.report(kwargs, '`"override_pooler_config"` in Ray\'s `engine_kwargs` reaches vLLM, which removed '
                            'it in 0.12: use `"pooler_config"`', fix=fix)
        task_at = dict_entry(kwargs, "task")
        if task_at is None:
            return
        if kind == RAY_DATA_CONFIG:
            self._data_task(call, kwargs, task_at, index)
        else:
            self._serve_task(call, kwargs, task_at, index)

    def _data_task(self, call: cst.Call, kwargs: cst.Dict, task_at: int, index: int | None) -> None:
        element = kwargs.elements[task_at]
        assert isinstance(element, cst.DictElement)
        task = string_value(element.value)
        wanted = RAY_TASK_TYPE.get(task or "")
        shown = f'`"task": "{task}"`' if task else '`"task"`'
        message = f"{shown} in Ray Data's `engine_kwargs` reaches vLLM, which removed it in 0.13"
        if wanted is None:
            self.report(kwargs, f"{message}: choose Ray's `task_type=` for the model",
                        unfixable_reason="no Ray `task_type` reproduces it")
            return
        message += f': use `task_type="{wanted}"` on `vLLMEngineProcessorConfig`' if wanted else ": drop it"
        given = keyword_arg(call, "task_type")
        if given is not None and wanted and string_value(given.value) != wanted:
            self.report(kwargs, message, unfixable_reason="`task_type=` already says something else")
            return
        if index is None:
            self.report(kwargs, message, unfixable_reason="the dict is not written in the call: move the task by hand")
            return
        fix = PythonFix().on(call, ReplaceValue(index, _without(kwargs, task_at)))
        if wanted and given is None:
            fix.on(call, AddKeyword("task_type", quote_like(element.value, wanted)))
        self.report(kwargs, message, fix=fix)

    def _serve_task(self, call: cst.Call, kwargs: cst.Dict, task_at: int, index: int | None) -> None:
        element = kwargs.elements[task_at]
        assert isinstance(element, cst.DictElement)
        task = string_value(element.value)
        shown = f'`"task": "{task}"`' if task else '`"task"`'
        message = (f"{shown} in Ray Serve's `engine_kwargs` reaches vLLM, which removed it in 0.13 "
                   f"(`Unknown engine argument: task`): use {replacement_text(task, ':')}")
        _, fix, reason = dict_task_fix(kwargs, task_at)
        pairs = replacement_pairs(task) if task is not None else None
        if fix is None and index is not None and pairs is not None:
            keys = {string_value(e.key) for e in kwargs.elements if isinstance(e, cst.DictElement)}
            if not keys & {"runner", "convert"}:
                fix = PythonFix().on(call, ReplaceValue(index, _replaced(kwargs, task_at, pairs)))
                reason = None
        self.report(kwargs, message, fix=fix, unfixable_reason=reason)


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
