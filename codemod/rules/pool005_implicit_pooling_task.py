"""POOL005: a pooling ``LLM`` used for one task that can differ from the model's default task.

From vLLM 0.19 a non-default task warns, from 0.21 it raises (M06 -> M07). When every use of one construction
requests the same task T, pinning ``pooler_config=PoolerConfig(task=T)`` keeps the code working on every release
from 0.19. Only uses whose task can differ from the default are reported by default: token-level tasks,
``hf_overrides`` seen to name architectures (a dict literal, or a name bound once to one; overrides read from a
config are not evidence), and models whose default is known to be another task (the
registry's ``MODEL_FAMILIES`` table, or a local model folder's ``config.json``). Ordinary ``embed()``/``classify()``
users behave the same on 0.21: pinning their task is POOL022's (opt-in), which shares this module's analysis.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache

import libcst as cst

from vllm_pooling_migrate.codemod.analysis.instances import Construction, Use
from vllm_pooling_migrate.codemod.analysis.symbols import POOLER_CONFIG
from vllm_pooling_migrate.codemod.analysis.tasks import (ConstructionConfig, TaskSummary, config_of_value,
                                                         construction_config, summarize)
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.python.edits import (AddDictEntry, AddKeyword, PythonFix, keyword_arg,
                                                       keyword_index, quote_like, string_value)
from vllm_pooling_migrate.codemod.python.rule import PythonRule
from vllm_pooling_migrate.codemod.rules.pool001_llm_task_argument import (EngineArgSources, EngineArgSourcesFeed,
                                                                          dict_entry, task_option_fix)
from vllm_pooling_migrate.registry import MODEL_FAMILIES

#: Tasks an ordinary embedding or classification model does not default to: using one alone breaks on 0.21.
TOKEN_LEVEL = frozenset({"token_embed", "token_classify", "embed&token_classify"})
#: Tasks whose use never depends on the default (``plugin`` skips the default-task check).
NEVER_CHECKED = frozenset({"plugin"})


def line_ref(rows: list[int]) -> str:
    """``line 3`` / ``lines 3, 7``: the one spelling of line references in messages (Markdown and notebooks
    relocate them to the file's rows)."""
    return ("line " if len(rows) == 1 else "lines ") + ", ".join(str(r) for r in rows)


# --- what is known about the model --------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelFacts:
    """What the construction says about its model, and the default task that follows when it is known."""

    model: str | None = None  # the model id or path, when it is a literal
    overridden: bool = False  # hf_overrides name architectures (a dict literal, or a name bound once to one)
    default: str | None = None  # the model's default pooling task, when known
    source: str = ""  # how the default is known, for messages


def architecture_default(names: list[str], convert: str | None = None) -> str | None:
    """The default pooling task of a checkpoint with these architecture names (vLLM 0.19-0.21), or None.

    The resolution steps of ``ModelConfig.get_pooling_task``: a token-classification name wins, then the first
    supported task in priority order, from what each kind of model supports (spec §3.2-§3.4).
    """
    if not names:
        return None
    if any("ForTokenClassification" in name for name in names):
        return "token_classify"
    name = names[0]
    if name == "BgeM3EmbeddingModel":
        return "embed&token_classify"
    if re.search(r"ColBERT|ColPali|ColQwen|ColModernVBert|JinaForRanking", name):
        return "token_embed"
    if name in ("Qwen2ForRewardModel", "InternLM2ForRewardModel", "Qwen2ForProcessRewardModel"):
        return "token_classify"
    if re.search(r"(?:Classification|ClassificationModel)$", name):
        return "classify"
    if re.search(r"(?:ForCausalLM|ForConditionalGeneration|ChatModel|LMHeadModel)$", name):
        return {"embed": "embed", "classify": "classify"}.get(convert or "")  # generative unless converted
    if re.search(r"(?:ForTextEncoding|EmbeddingModel|ForRewardModeling|RewardModel|Model)$", name):
        return "embed"
    return None


@lru_cache(maxsize=256)
def _config_architectures(folder: str) -> tuple[str, ...] | None:
    try:
        with open(os.path.join(folder, "config.json"), encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError):
        return None
    names = config.get("architectures") if isinstance(config, dict) else None
    if isinstance(names, list) and all(isinstance(n, str) for n in names):
        return tuple(names)
    return None


def local_architectures(model: str, path: str) -> tuple[str, ...] | None:
    """Architectures from the ``config.json`` of a local model folder named by a literal path.

    A relative path is looked up next to the file, then from the working directory; hub ids (``org/name``)
    that are no folder here give None.
    """
    candidates = [model] if os.path.isabs(model) else [os.path.join(os.path.dirname(path), model), model]
    for folder in candidates:
        if os.path.isdir(folder):
            found = _config_architectures(os.path.realpath(folder))
            if found is not None:
                return found
    return None


def model_facts(call: cst.Call, rule: PythonRule) -> ModelFacts:
    """The model, ``hf_overrides`` and ``convert`` of an ``LLM(...)`` call, also through ``**vars(args)``
    (argparse defaults) and ``**kwargs`` (a dict bound once), and the default task they imply."""
    sources = EngineArgSources.of(rule.context)

    def value_of(key: str, position: int | None = None) -> cst.BaseExpression | None:
        arg = keyword_arg(call, key)
        if arg is not None:
            return arg.value
        if position is not None:
            positional = [a for a in call.args if a.keyword is None and not a.star]
            if len(positional) > position:
                return positional[position].value
        for consumer in (c for c in sources.consumers.values() if c.call is call):
            if consumer.namespace:
                defaults = [d for d in sources.parser_defaults() if keyword_index(d, key) is not None]
                if len(defaults) == 1:
                    found = keyword_arg(defaults[0], key)
                    return found.value if found is not None else None
            else:
                value = sources.splatted_dict(consumer)
                if isinstance(value, cst.Dict):
                    index = dict_entry(value, key)
                    element = value.elements[index] if index is not None else None
                    return element.value if isinstance(element, cst.DictElement) else None
                if isinstance(value, cst.Call):
                    found = keyword_arg(value, key)
                    return found.value if found is not None else None
        return None

    model = _literal(value_of("model", 0), sources)
    convert = _literal(value_of("convert"), sources)
    overrides = value_of("hf_overrides")
    if isinstance(overrides, cst.Name):
        overrides = sources.bound_value(overrides)  # ``HF_OVERRIDES = {...}`` bound once
    architectures: list[str] | None = None
    overridden = False
    if overrides is not None:
        # Only overrides seen to name architectures count: a value read from a config may well leave them alone.
        overridden = isinstance(overrides, cst.Dict) and dict_entry(overrides, "architectures") is not None
        if isinstance(overrides, cst.Dict):
            index = dict_entry(overrides, "architectures")
            element = overrides.elements[index] if index is not None else None
            if isinstance(element, cst.DictElement) and isinstance(element.value, cst.List):
                names = [string_value(e.value) for e in element.value.elements]
                architectures = [n for n in names if n is not None] if None not in names else None
    if architectures:
        default = architecture_default(architectures, convert)
        if default is not None:
            return ModelFacts(model, True, default, f"`hf_overrides` makes it `{architectures[0]}`")
        return ModelFacts(model, True)
    if overridden:
        return ModelFacts(model, True)
    if model is not None:
        local = local_architectures(model, rule.context.path)
        if local:
            default = architecture_default(list(local), convert)
            if default is not None:
                return ModelFacts(model, False, default, f"its `config.json` says `{local[0]}`")
        for family in MODEL_FAMILIES:
            if re.search(family.pattern, model, re.IGNORECASE):
                return ModelFacts(model, False, family.default_task, family.name.split(" (")[0])
    return ModelFacts(model)


def _literal(value: cst.BaseExpression | None, sources: EngineArgSources) -> str | None:
    """A string literal, or a name bound once (in its scope) to one: ``MODEL = "BAAI/bge-m3"``."""
    if value is None:
        return None
    literal = string_value(value)
    if literal is not None or not isinstance(value, cst.Name):
        return literal
    assignments = sources._assignments(value)
    if assignments is not None and len(assignments) == 1:
        return string_value(sources.dict_values.get(id(assignments[0].node)))
    return None


@dataclass(frozen=True)
class Verdict:
    differs: bool  # the task can differ from the default: the code can break on 0.21
    why: str  # for the message


def verdict(task: str, facts: ModelFacts) -> Verdict:
    """Whether using ``task`` alone can break on 0.21, for a model described by ``facts``."""
    if task in NEVER_CHECKED:
        return Verdict(False, "is never checked against the default task")
    if facts.default is not None:
        if facts.default == task:
            return Verdict(False, f"is the model's default task ({facts.source})")
        return Verdict(True, f"is not the model's default task: that is `{facts.default}` ({facts.source})")
    if facts.overridden:
        return Verdict(True, "may not be the default task once `hf_overrides` changes the architecture")
    if task in TOKEN_LEVEL:
        return Verdict(True, "is not the default task of an embedding or classification model")
    return Verdict(False, "is the default task of an ordinary embedding or classification model")


# --- the rule ------------------------------------------------------------------------------------------------


class ImplicitPoolingTask(EngineArgSourcesFeed, PythonRule):
    CODE = "POOL005"
    MESSAGE = ("this `LLM` is used for one task that can differ from the model's default: vLLM 0.21 raises; "
               "pin it with `PoolerConfig(task=...)`")
    #: True: report the uses whose task can differ from the default (POOL005); False: the others (POOL022).
    BREAKING = True

    VALID = [
        Valid('from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(task="token_embed"))\nllm.encode(["a"], pooling_task="token_embed")\n'),
        Valid('from vllm import LLM\nllm = LLM("m")\nllm.generate(["a"])\n'),  # not a pooling use
        Valid('from sentence_transformers import SentenceTransformer\nimport vllm\nm = SentenceTransformer("x")\nm.encode(["a"])\n'),
        Valid('from vllm import LLM\nllm = LLM("m")\nllm.encode(["a"], pooling_task="token_embed")\n', target="0.18"),  # no default task before 0.19
        Valid('from vllm import LLM\nllm = LLM("intfloat/e5-small")\nllm.embed(["a"])\n'),  # the default: POOL022's
        Valid('from vllm import LLM\nllm = LLM("colbert-ir/colbertv2.0")\nllm.encode(q, pooling_task="token_embed")\n'),  # ColBERT's default
        Valid('from vllm import LLM\nprm = LLM("Qwen/Qwen2.5-Math-PRM-7B")\nprm.encode(x, pooling_task="token_classify")\n'),
    ]
    INVALID = [
        Invalid(
            'from vllm import LLM\ntagger = LLM(model="my-org/bert-seqcls", runner="pooling")\nper_token = tagger.encode(sentences, pooling_task="token_classify")\n',
            'from vllm import LLM\nfrom vllm.config import PoolerConfig\ntagger = LLM(model="my-org/bert-seqcls", runner="pooling", pooler_config=PoolerConfig(task="token_classify"))\nper_token = tagger.encode(sentences, pooling_task="token_classify")\n',
        ),
        Invalid(
            'from vllm import LLM\nfrom vllm.config import PoolerConfig as PC\nllm = LLM(\n    "m",\n    pooler_config=PC(pooling_type="MEAN"),  # keep me\n)\nllm.encode(texts, pooling_task="token_embed")\n',
            'from vllm import LLM\nfrom vllm.config import PoolerConfig as PC\nllm = LLM(\n    "m",\n    pooler_config=PC(pooling_type="MEAN", task="token_embed"),  # keep me\n)\nllm.encode(texts, pooling_task="token_embed")\n',
        ),
        Invalid(
            "from vllm import LLM\nllm = LLM('m', pooler_config={'pooling_type': 'MEAN'})\nllm.encode(texts, pooling_task='token_embed')\n",
            "from vllm import LLM\nllm = LLM('m', pooler_config={'pooling_type': 'MEAN', 'task': 'token_embed'})\nllm.encode(texts, pooling_task='token_embed')\n",
        ),
        Invalid(  # bge-m3 as BgeM3EmbeddingModel defaults to embed&token_classify
            'import vllm\n\nclass Service:\n    def __init__(self):\n        self.engine = vllm.LLM("BAAI/bge-m3", hf_overrides={"architectures": ["BgeM3EmbeddingModel"]})\n\n    def vectors(self, texts):\n        return self.engine.embed(texts)\n',
            'import vllm\nfrom vllm.config import PoolerConfig\n\nclass Service:\n    def __init__(self):\n        self.engine = vllm.LLM("BAAI/bge-m3", hf_overrides={"architectures": ["BgeM3EmbeddingModel"]}, pooler_config=PoolerConfig(task="embed"))\n\n    def vectors(self, texts):\n        return self.engine.embed(texts)\n',
        ),
        Invalid(  # a ColBERT model's default is token_embed
            'from vllm import LLM\n\ndef build():\n    return LLM("answerdotai/answerai-colbert-small-v1")\n\ndef main():\n    llm = build()\n    return llm.embed(["x"])\n',
            'from vllm import LLM\nfrom vllm.config import PoolerConfig\n\ndef build():\n    return LLM("answerdotai/answerai-colbert-small-v1", pooler_config=PoolerConfig(task="embed"))\n\ndef main():\n    llm = build()\n    return llm.embed(["x"])\n',
        ),
        Invalid(  # spec §14 A: the task goes into the script's set_defaults
            'from vllm import LLM, EngineArgs\nparser.set_defaults(model="m", runner="pooling")\nargs = parser.parse_args()\nllm = LLM(**vars(args))\nllm.encode(p, pooling_task="token_embed")\n',
            'from vllm import LLM, EngineArgs\nfrom vllm.config import PoolerConfig\nparser.set_defaults(model="m", runner="pooling", pooler_config=PoolerConfig(task="token_embed"))\nargs = parser.parse_args()\nllm = LLM(**vars(args))\nllm.encode(p, pooling_task="token_embed")\n',
        ),
        Invalid('from vllm import LLM\nllm = LLM("m")\nllm.encode(["a"], pooling_task="token_embed")\nsend(llm)\n'),  # escapes: report only
        Invalid(  # also scores: the message says so, and the fix is left to the author
            'from vllm import LLM\nllm = LLM("m")\nllm.encode(q, pooling_task="token_embed")\nllm.score(q, d)\n'
        ),
        Invalid(
            'from vllm import LLM\nllm = LLM("m")\nllm.reward(["a"])\n',
            'from vllm import LLM\nfrom vllm.config import PoolerConfig\nllm = LLM("m", pooler_config=PoolerConfig(task="token_classify"))\nllm.reward(["a"])\n',
            target="0.19",
        ),
    ]

    def finish(self) -> None:
        for construction in self.context.tracker.constructions:
            config = construction_config(construction, self.symbol)
            if config.has_task or self._sets_task_elsewhere(construction):
                continue
            summary = summarize(construction, self.symbol)
            if len(summary.tasks) != 1 or summary.missing or summary.dynamic:
                continue  # no pooling use or only score(): POOL008; several tasks: POOL004; no task: POOL006
            task = summary.tasks[0]
            judged = verdict(task, model_facts(construction.call, self))
            if judged.differs != self.BREAKING:
                continue
            message = self._message(construction, summary, task, judged)
            reason = self._unprovable(construction, summary)
            if reason:
                self.report(construction.call, message, unfixable_reason=reason)
                continue
            fix, reason = self._fix(construction, config, task)
            self.report(construction.call, message, fix=fix, unfixable_reason=reason)

    def _message(self, construction: Construction, summary: TaskSummary, task: str, judged: Verdict) -> str:
        name = construction.display_name
        rows = self._rows(summary.by_task[task])
        if summary.score:
            used = f"`{name}` is used for `{task}` ({line_ref(rows)}) and for `score()` ({line_ref(self._rows(summary.score))})"
        else:
            used = f"`{name}` is used only for `{task}` ({line_ref(rows)})"
        pin = f'`pooler_config=PoolerConfig(task="{task}")`'
        if self.BREAKING:
            return f"{used}; `{task}` {judged.why}: vLLM 0.21 raises for it; pin it with {pin}"
        return (f"{used}; `{task}` {judged.why}, so it behaves the same on vLLM 0.21; pin it anyway with {pin} to "
                "make that explicit")

    def _rows(self, uses: list[Use]) -> list[int]:
        return [self.context.position(u.call).start.line for u in uses]

    def _sets_task_elsewhere(self, construction: Construction) -> bool:
        """A ``pooler_config`` with a task in the argparse defaults or the dict that feed the construction."""
        sources = EngineArgSources.of(self.context)
        for consumer in (c for c in sources.consumers.values() if c.call is construction.call):
            values: list[cst.BaseExpression] = []
            if consumer.namespace:
                values = [a.value for d in sources.parser_defaults() for a in d.args
                          if a.keyword is not None and a.keyword.value in ("pooler_config", "override_pooler_config")]
            else:
                found = sources.splatted_dict(consumer)
                if isinstance(found, cst.Dict):
                    index = dict_entry(found, "pooler_config")
                    element = found.elements[index] if index is not None else None
                    values = [element.value] if isinstance(element, cst.DictElement) else []
                elif isinstance(found, cst.Call):
                    arg = keyword_arg(found, "pooler_config")
                    values = [arg.value] if arg is not None else []
            if any(config_of_value(v, self.symbol).has_task or config_of_value(v, self.symbol).kind == "opaque"
                   for v in values):
                return True
        return False

    def _unprovable(self, construction: Construction, summary: TaskSummary) -> str | None:
        if summary.score:
            return "it also calls score(), whose method follows the default task (see POOL008)"
        if summary.expected_errors:
            where = self.context.position(summary.expected_errors[0].call).start.line
            return f"a call at line {where} is expected to raise (inside `pytest.raises`): pinning the task may change why"
        if construction.ambiguous:
            return "the name is rebound in a branch, so which construction a call uses is decided at run time"
        if construction.escapes:
            where = self.context.position(construction.escapes[0]).start.line
            return f"the instance is passed on at line {where}, where its uses cannot be followed"
        return None

    def _fix(self, construction: Construction, config: ConstructionConfig, task: str):
        call = construction.call
        blocked = self._task_option_left(call)
        if blocked:
            return None, blocked
        reference = next((a.value for a in call.args if isinstance(a.value, cst.SimpleString)), None)
        literal = quote_like(reference, task)
        if config.kind == "call":
            assert isinstance(config.value, cst.Call)
            quote_source = _first_string(config.value) or reference
            return PythonFix().on(config.value, AddKeyword("task", quote_like(quote_source, task))), None
        if config.kind == "dict":
            assert config.value is not None
            return PythonFix().on(config.value, AddDictEntry("task", literal)), None
        if config.kind == "absent":
            return self._new_pooler_config(construction, call, literal)
        if config.star_kwargs:
            return self._via_set_defaults(construction, literal)
        return None, "pooler_config= is not a literal PoolerConfig(...) or dict to merge the task into"

    def _task_option_left(self, call: cst.Call) -> str | None:
        """Why a pin must wait: the call still passes ``task=`` (removed in 0.13) that this run does not fix.

        Pinning next to it would leave code that raises on the target; POOL001's fix of the same call, applied in
        the same pass, removes it.
        """
        if keyword_index(call, "task") is None:
            return None
        options = self.context.options
        if options.enabled("POOL001") and task_option_fix(call)[1] is not None:
            return None
        return "the construction still passes `task=`, which vLLM 0.13 removed: replace it first (POOL001)"

    def _new_pooler_config(self, construction: Construction, call: cst.Call, literal: cst.SimpleString):
        need = self.context.import_for(construction.root, "vllm.config", POOLER_CONFIG)
        if need is None:
            return None, "vLLM is imported conditionally here: import PoolerConfig next to LLM and pin the task by hand"
        value = cst.Call(func=cst.Name(need.local), args=[cst.Arg(keyword=cst.Name("task"), value=literal,
                         equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")))])
        fix = PythonFix()
        fix.on(call, AddKeyword("pooler_config", value))
        fix.imports.append(need)
        return fix, None

    def _via_set_defaults(self, construction: Construction, literal: cst.SimpleString):
        """``LLM(**vars(args))``: the task goes into the parser's ``set_defaults(...)``, where the script sets its
        argument defaults (spec §14 A), also when ``args`` reaches the construction through ``main(args)``."""
        sources = EngineArgSources.of(self.context)
        if not any(c.call is construction.call and c.namespace for c in sources.consumers.values()):
            return None, "built from **kwargs that are not `vars(args)` of an argument parser"
        calls = sources.parser_defaults()
        if len(calls) > 1:
            calls = [c for c in calls if keyword_index(c, "model") is not None]
        if len(calls) != 1:
            return None, "built from `vars(args)`, but not one set_defaults(...) call gives its defaults"
        defaults = calls[0]
        blocked = self._task_option_left(defaults)
        if blocked:
            return None, blocked
        index = keyword_index(defaults, "pooler_config")
        if index is None:
            index = keyword_index(defaults, "override_pooler_config")  # POOL003 renames it in the same pass
        if index is None:
            return self._new_pooler_config(construction, defaults, literal)
        existing = config_of_value(defaults.args[index].value, self.symbol)
        if existing.kind in ("call", "dict") and not existing.has_task:
            assert existing.value is not None  # config_of_value sets the value of a "call" or "dict" config
            op = AddKeyword("task", literal) if existing.kind == "call" else AddDictEntry("task", literal)
            return PythonFix().on(existing.value, op), None
        return None, "set_defaults(pooler_config=...) is not a literal to merge the task into"


def _first_string(call: cst.Call):
    return next((a.value for a in call.args if string_value(a.value) is not None), None)
