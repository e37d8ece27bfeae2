"""``LLM``: vLLM's offline pooling API (spec §4) on the runtime engine, behaving like the target release.

The shim decides everything vLLM's frontend decides (tasks, the default task, verification, messages, request
parameters, the score type); the engine computes. One engine per ``LLM``: a non-default task runs on the same
loaded weights (vLLM 0.21 would ask for a second ``LLM``, and with it a second copy of the weights).
"""

from __future__ import annotations

import copy
import itertools
import logging
import os
from collections.abc import Sequence
from typing import Any, Literal

from vllm_pooling_migrate.shim.config import (
    PoolerConfig,
    PoolingParams,
    RequestParams,
    ValidationError,
    model_config_error,
    verify_request_params,
)
from vllm_pooling_migrate.shim.deprecations import removed, warn
from vllm_pooling_migrate.shim.messages import (
    LOGGER_MODEL_CONFIG,
    LOGGER_OFFLINE,
    LOGGER_POOLING_PARAMS,
    render,
    text,
)
from vllm_pooling_migrate.shim.outputs import (
    ClassificationRequestOutput,
    EmbeddingRequestOutput,
    PoolingOutput,
    PoolingRequestOutput,
    ScoringOutput,
    ScoringRequestOutput,
)
from vllm_pooling_migrate.shim.prompt_limits import refuse_long_texts, renderer_refusal
from vllm_pooling_migrate.shim.prompts import EnginePrompt, prompt_list, score_pairs
from vllm_pooling_migrate.shim.tasks import (
    CLASSIFY_LIKE,
    EMBED_LIKE,
    SCORE_TYPE_BY_DEFAULT_TASK,
    TASK_BY_SCORE_TYPE,
    PoolingTask,
    resolve_default_task,
    supported_tasks_for,
)
from vllm_pooling_migrate.shim.validation import Invalid, coerce
from vllm_pooling_migrate.shim.versions import profile
from vllm_pooling_migrate.tasks import is_pooling_task

logger = logging.getLogger(LOGGER_OFFLINE)

#: vLLM engine arguments that tune a GPU server and mean nothing to this engine: accepted and ignored.
IGNORED_ENGINE_ARGS = frozenset({"tensor_parallel_size", "gpu_memory_utilization", "enforce_eager",
                                 "disable_log_stats", "enable_prefix_caching", "swap_space"})
#: POOL001: old ``task=`` values that meant a pooling conversion (spec §8, M60 table).
LEGACY_TASK_CONVERT = {"embed": "embed", "embedding": "embed", "classify": "classify", "reward": "reward"}
ENGINE_CONVERTS = ("embed", "classify")
#: vLLM's ``ModelConfig`` literals (0.16+ converts; spec §3.4) and its ``dtype`` names.
RUNNER_OPTIONS = ("auto", "generate", "pooling", "draft")
CONVERT_OPTIONS = ("auto", "none", "embed", "classify")
DTYPE_OPTIONS = ("auto", "half", "float16", "bfloat16", "float", "float32")


def runtime_api():
    """The engine package, imported on first use so that importing the shim does not import torch.

    Unit tests replace this function to put a fake engine under ``LLM``.
    """
    from vllm_pooling_migrate import runtime

    return runtime


def _unexpected_engine_arg(name: str) -> TypeError:
    return TypeError(f"EngineArgs.__init__() got an unexpected keyword argument {name!r}")


class LLM:
    """``vllm.LLM`` for pooling models. ``llm.pooling_task`` is the resolved default task (§3.3)."""

    def __init__(self, model: str, *, runner: str = "auto", convert: str = "auto", tokenizer: str | None = None,
                 pooler_config: PoolerConfig | dict | None = None, dtype: str = "auto",
                 max_model_len: int | None = None, hf_overrides: dict | None = None, trust_remote_code: bool = False,
                 seed: int | None = 0, device: str | None = None, max_num_batched_tokens: int | None = None,
                 max_num_seqs: int | None = None, **engine_args: object) -> None:
        profile()  # the emulated release first: a bad POOLING_SHIM_TARGET_VERSION fails here, naming the known ones
        if not isinstance(model, str | os.PathLike):
            raise TypeError(f"model must be a path or a repo id (str), got {type(model).__name__} {model!r}")
        if tokenizer not in (None, model):
            raise NotImplementedError("pooling shim: a tokenizer other than the model's own is not supported")
        max_model_len, seed, max_num_batched_tokens, max_num_seqs = _checked_engine_numbers(
            runner, convert, dtype, max_model_len, seed, max_num_batched_tokens, max_num_seqs)
        if hf_overrides is not None and not isinstance(hf_overrides, dict):
            if callable(hf_overrides):
                raise NotImplementedError("pooling shim: hf_overrides as a function is not supported; pass a dict")
            raise TypeError(f"hf_overrides must be a dict, got {type(hf_overrides).__name__}")
        legacy_task = self._pop_legacy_engine_arg(engine_args, "task", "POOL001")
        override = self._pop_legacy_engine_arg(engine_args, "override_pooler_config", "POOL003")
        for name in engine_args:
            if name not in IGNORED_ENGINE_ARGS:
                raise _unexpected_engine_arg(name)
        config = _as_pooler_config(pooler_config)
        if override is not None:
            warn("POOL003", text("M61"), log=(LOGGER_MODEL_CONFIG, text("M61"), ()))
            config = _merged(config, _as_pooler_config(override))  # 0.11: the override wins on conflicts
        # enable_chunked_processing/max_embed_len: inert offline, as in vLLM (docs/runtime.md, "Long inputs").
        if legacy_task is not None and convert == "auto" and LEGACY_TASK_CONVERT.get(legacy_task) in ENGINE_CONVERTS:
            convert = LEGACY_TASK_CONVERT[legacy_task]
        load_args = dict(device=device, dtype=dtype, max_model_len=max_model_len,
                         trust_remote_code=trust_remote_code, hf_overrides=hf_overrides, seed=seed,
                         pooler_overrides=config.engine_overrides() or None,
                         max_num_batched_tokens=max_num_batched_tokens, max_num_seqs=max_num_seqs)
        self.engine = runtime_api().load_engine(model, convert=convert, **load_args)
        if runner == "pooling" and self.engine.info.runner != "pooling":
            # §3.4: runner="pooling" on an architecture without a pooling match falls back to convert="embed".
            self.engine = runtime_api().load_engine(model, convert="embed", **load_args)
        if legacy_task is not None:
            warn("POOL001", f"{text('M60')} {self._legacy_task_hint(legacy_task)}")
        self.pooler_config = config
        self._finish_init(runner)

    @staticmethod
    def _pop_legacy_engine_arg(engine_args: dict, name: str, code: str):
        if name not in engine_args:
            return None
        if not profile().warn_mode:
            raise removed(code, _unexpected_engine_arg(name))
        return engine_args.pop(name)

    def _legacy_task_hint(self, legacy_task: str) -> str:
        convert = LEGACY_TASK_CONVERT.get(legacy_task)
        if legacy_task == "score":
            convert = "classify" if "classify" in self.engine.info.supported_tasks else "embed"
        return render("M60-convert", convert=convert) if convert else text("M60-remove")

    def _finish_init(self, runner: str) -> None:
        if runner == "draft":
            raise NotImplementedError("pooling shim: runner='draft' (speculative-decoding drafts) is not emulated")
        p = profile()
        info = self.engine.info
        self.runner = info.runner if runner == "auto" else runner
        pooling = self.runner == "pooling"
        self.supported_tasks = supported_tasks_for(info.supported_tasks, p.score_is_task) if pooling else ()
        self.pooling_task = (resolve_default_task(self.pooler_config.task, self.supported_tasks, info.architectures)
                             if pooling and p.has_default_task else None)
        # What an encode() without a task runs in warn mode: the default task, or (0.18) what §3.3 would pick.
        self._implicit_task = self.pooling_task or (
            resolve_default_task(None, self.supported_tasks, info.architectures) if pooling else None)
        if p.has_default_task and self.pooling_task:
            logger.info(text("M40"), self.pooling_task)
        elif not p.has_default_task and pooling:
            logger.info(text("M40-0.18"), self.supported_tasks)
        self._request_ids = itertools.count()

    def get_tokenizer(self):
        return self.engine.tokenizer

    # -- the public pooling calls -------------------------------------------------------------------------------

    def encode(self, prompts, pooling_params: PoolingParams | Sequence[PoolingParams] | None = None, *,
               truncate_prompt_tokens: int | None = None, use_tqdm: bool = True, lora_request=None,
               pooling_task: str | None = None, tokenization_kwargs: dict | None = None
               ) -> list[PoolingRequestOutput[PoolingOutput]]:
        _reject_unsupported(lora_request, tokenization_kwargs)
        return self._pool(prompts, pooling_params, pooling_task, truncate_prompt_tokens, use_tqdm)

    def embed(self, prompts, *, truncate_prompt_tokens: int | None = None, use_tqdm: bool = True,
              pooling_params: PoolingParams | Sequence[PoolingParams] | None = None, lora_request=None,
              tokenization_kwargs: dict | None = None) -> list[EmbeddingRequestOutput]:
        _reject_unsupported(lora_request, tokenization_kwargs)
        if not profile().has_default_task and "embed" not in self.supported_tasks:
            raise ValueError(text("M03"))  # 0.18 checked before calling encode
        outputs = self._pool(prompts, pooling_params, "embed", truncate_prompt_tokens, use_tqdm)
        return [EmbeddingRequestOutput.from_base(o) for o in outputs]

    def classify(self, prompts, *, truncate_prompt_tokens: int | None = None, use_tqdm: bool = True,
                 pooling_params: PoolingParams | Sequence[PoolingParams] | None = None, lora_request=None,
                 tokenization_kwargs: dict | None = None) -> list[ClassificationRequestOutput]:
        _reject_unsupported(lora_request, tokenization_kwargs)
        if not profile().has_default_task and "classify" not in self.supported_tasks:
            raise ValueError(text("M04"))
        outputs = self._pool(prompts, pooling_params, "classify", truncate_prompt_tokens, use_tqdm)
        return [ClassificationRequestOutput.from_base(o) for o in outputs]

    def reward(self, prompts, *, truncate_prompt_tokens: int | None = None, use_tqdm: bool = True,
               pooling_params: PoolingParams | Sequence[PoolingParams] | None = None, lora_request=None,
               tokenization_kwargs: dict | None = None) -> list[PoolingRequestOutput[PoolingOutput]]:
        _reject_unsupported(lora_request, tokenization_kwargs)
        if profile().reward_deprecated:
            warn("POOL009", text("M11"), log=(LOGGER_OFFLINE, text("M11"), ()))
        return self._pool(prompts, pooling_params, "token_classify", truncate_prompt_tokens, use_tqdm)

    def score(self, data_1, data_2, /, *, truncate_prompt_tokens: int | None = None, use_tqdm: bool = True,
              pooling_params: PoolingParams | None = None, lora_request=None, chat_template: str | None = None,
              tokenization_kwargs: dict | None = None) -> list[ScoringRequestOutput]:
        """§4.4: the score type comes from the architecture (0.18-0.20) or from the default task (0.21)."""
        _reject_unsupported(lora_request, tokenization_kwargs)
        p = profile()
        if self.runner != "pooling":
            raise ValueError(text("M20"))
        score_type = self.score_type
        task: PoolingTask | Literal["score"] = TASK_BY_SCORE_TYPE[score_type]
        num_labels = self.engine.info.num_labels
        if p.score_messages == "0.18":
            if score_type != "late-interaction" and not {"embed", "classify"} & set(self.supported_tasks):
                raise ValueError(text("M21"))
            if score_type == "cross-encoder" and num_labels != 1:
                raise ValueError(text("M22"))
            if score_type != "cross-encoder" and chat_template is not None:
                raise ValueError(text("M23"))
            if p.score_verifies_task and p.has_default_task and score_type != "cross-encoder":
                self._verify_task(task)  # 0.19: the embed and late-interaction paths may warn M06
            if p.score_is_task and score_type == "cross-encoder":
                task = "score"
        else:
            if score_type == "cross-encoder" and num_labels != 1:
                raise ValueError(text("M25"))
            if task not in self.supported_tasks:
                raise ValueError(text("M26"))
        if chat_template is not None:
            raise NotImplementedError("pooling shim: chat_template is not supported")
        if pooling_params is not None and not isinstance(pooling_params, PoolingParams):
            raise TypeError(f"LLM.score takes one PoolingParams (or None) for all pairs, got "
                            f"{type(pooling_params).__name__}")
        pairs = score_pairs(data_1, data_2)
        params = self._normalised_params(pooling_params, 1)[0]
        self._check_params_task([params], task)
        request = verify_request_params(params, "classify" if task == "score" else task,
                                        self.engine.info, self.engine.settings)
        scored = self.engine.score_details(pairs, score_type, use_activation=request.use_activation,
                                           use_tqdm=use_tqdm, truncate_prompt_tokens=truncate_prompt_tokens)
        return [ScoringRequestOutput(str(next(self._request_ids)), ScoringOutput(score), list(token_ids))
                for score, token_ids in scored]

    # -- verification (§4.1, §4.2) -------------------------------------------------------------------------------

    def _pool(self, prompts, pooling_params, pooling_task: str | None, truncate_prompt_tokens: int | None,
              use_tqdm: bool) -> list[PoolingRequestOutput[PoolingOutput]]:
        p = profile()
        items = prompt_list(prompts)
        params = self._normalised_params(pooling_params, len(items))
        has_data_prompt = any(isinstance(item, dict) for item in items)
        if p.data_prompt_needs_plugin and has_data_prompt and pooling_task != "plugin":
            raise ValueError(text("M09"))
        if not p.missing_task_checked_first and self.runner != "pooling":
            raise ValueError(text("M01"))
        task = self._task_or_legacy_fallback(pooling_task, params)
        if p.missing_task_checked_first and self.runner != "pooling":
            raise ValueError(text("M01"))
        if task == "score" and not p.score_is_task:
            task = self._legacy_score_task(self.supported_tasks)
        if p.has_default_task:
            self._verify_task(task)
        # The shim has no IO-processor plugins: a data prompt goes down that path and ends in M08 (0.18/0.19
        # route it there directly; 0.20+ raised M09 above unless the task is plugin); from 0.20 a plugin task
        # fails M08 inside verification (spec §4.1 step 6).
        if has_data_prompt or (task == "plugin" and p.data_prompt_needs_plugin):
            raise ValueError(text("M08"))
        if task == "embed&token_classify" and p.combined_task_asserts:
            raise AssertionError  # 0.20+: no IO processor for this task (spec §4.2)
        self._check_params_task(params, task)
        if task == "plugin":  # 0.18/0.19: past the M10 check, the engine rejects it or finds no plugin
            if task not in self.supported_tasks:
                raise ValueError(render("M05e", task_repr=repr(task), list_repr=repr(list(self.supported_tasks))))
            raise ValueError(text("M08"))
        if not p.has_default_task and task not in self.supported_tasks:
            raise ValueError(render("M05e", task_repr=repr(task), list_repr=repr(list(self.supported_tasks))))
        engine_task = "classify" if task == "score" else task  # 0.18: a classifier's score task is classify
        if not is_pooling_task(engine_task):  # not reached: the checks above let only the model's tasks through
            raise ValueError(render("M05e", task_repr=repr(task), list_repr=repr(list(self.supported_tasks))))
        requests = [verify_request_params(param, engine_task, self.engine.info, self.engine.settings)
                    for param in params]
        results = self._run(engine_task, items, requests, truncate_prompt_tokens, use_tqdm)
        return [PoolingRequestOutput(str(next(self._request_ids)), PoolingOutput(r.data), list(r.prompt_token_ids))
                for r in results]

    def _task_or_legacy_fallback(self, pooling_task: str | None, params: list[PoolingParams | None]) -> str:
        """A missing ``pooling_task``: vLLM raises M02a/M02b; warn mode runs the legacy meaning instead."""
        if pooling_task is not None:
            return pooling_task
        p = profile()
        params_task = next((param.task for param in params if param is not None and param.task), None)
        code = "POOL007" if params_task is not None else "POOL006"
        if not p.warn_mode:
            raise removed(code, ValueError(text(p.missing_task_message)))
        if params_task is not None:
            warn(code, text(p.missing_task_message))
            return params_task
        if self._implicit_task is None:
            raise ValueError(text(p.missing_task_message))
        warn(code, text("M67") % self._implicit_task, log=(LOGGER_OFFLINE, text("M67"), (self._implicit_task,)))
        return self._implicit_task

    @staticmethod
    def _legacy_score_task(supported: tuple[str, ...]) -> str:
        """POOL021: ``"score"`` stopped being a task in 0.19; warn mode maps it to ``classify`` as 0.19/0.20's
        PoolingParams did (M17). The preview raises what verification raises for it (M05)."""
        if not profile().warn_mode:
            raise removed("POOL021", ValueError(render("M05", task_repr="'score'", tuple_repr=repr(supported))))
        warn("POOL021", text("M17"), log=(LOGGER_POOLING_PARAMS, text("M17"), ()))
        return "classify"

    def _verify_task(self, task: str) -> None:
        """§4.1 steps 3-5 (0.19+); the runner and missing-task checks are done by the caller."""
        supported = self.supported_tasks
        if task in EMBED_LIKE and task not in supported:
            raise ValueError(text("M03"))
        if task in CLASSIFY_LIKE and task not in supported:
            raise ValueError(text("M04"))
        if task == "plugin" or task == self.pooling_task:
            return
        if task not in supported:
            raise ValueError(render("M05", task_repr=repr(task), tuple_repr=repr(tuple(supported))))
        mode = profile().non_default_task
        if mode == "warn":
            warn("POOL005", text("M06") % task, log=(LOGGER_OFFLINE, text("M06"), (task,)))
        elif mode == "raise":
            raise removed("POOL005", ValueError(render("M07", task=task)))

    def _normalised_params(self, pooling_params, count: int) -> list[PoolingParams | None]:
        """One PoolingParams (or None) per prompt; warn mode maps the legacy ``task="score"`` (POOL021)."""
        if pooling_params is None or isinstance(pooling_params, PoolingParams):
            params = [pooling_params] * count
        else:
            if not isinstance(pooling_params, list | tuple):
                raise TypeError("pooling_params must be a PoolingParams or a list of them (one per prompt), got "
                                f"{type(pooling_params).__name__}")
            for index, param in enumerate(pooling_params):
                if param is not None and not isinstance(param, PoolingParams):
                    raise TypeError(f"pooling_params[{index}] must be a PoolingParams, got {type(param).__name__}")
            params = list(pooling_params)
            if len(params) != count:
                raise ValueError("The lengths of prompts and pooling_params must be the same.")
        if any(param is not None and param.task == "score" for param in params) and profile().warn_mode \
                and not profile().score_is_task:
            mapped = self._legacy_score_task(self.supported_tasks)
            params = [_with_task(param, mapped) if param is not None and param.task == "score" else param
                      for param in params]
        return params

    @staticmethod
    def _check_params_task(params: list[PoolingParams | None], task: str) -> None:
        """M10: a per-request ``PoolingParams.task`` may not contradict the call's task (0.20+: except plugin)."""
        if task == "plugin" and profile().data_prompt_needs_plugin:
            return
        for param in params:
            if param is not None and param.task is not None and param.task != task:
                error = ValueError(render("M10", param_task_repr=repr(param.task), task_repr=repr(task)))
                legacy_score = param.task == "score" and not profile().score_is_task
                raise removed("POOL021", error) if legacy_score else error

    @property
    def score_type(self) -> str:
        """What ``score`` computes (§4.4): from the architecture, or in 0.21 the default task (else M26)."""
        if profile().score_type_from == "default_task":
            default_task = self.pooling_task
            score_type = None if default_task is None else SCORE_TYPE_BY_DEFAULT_TASK.get(default_task)
            if score_type is None:
                raise ValueError(text("M26"))
            return score_type
        return self.engine.info.architecture_score_type

    # -- engine calls --------------------------------------------------------------------------------------------

    def _run(self, task: PoolingTask, items: list[EnginePrompt], requests: list[RequestParams],
             truncate_prompt_tokens: int | None, use_tqdm: bool):
        task_params = runtime_api().TaskParams
        refuse_long_texts(items, self.engine, truncate_prompt_tokens)
        try:
            return self.engine.run(task, items, [task_params(use_activation=r.use_activation,
                                                             dimensions=r.dimensions) for r in requests],
                                   use_tqdm=use_tqdm, truncate_prompt_tokens=truncate_prompt_tokens)
        except ValueError as error:
            refusal = renderer_refusal(error)  # vLLM's renderer checks first, in its own words
            if refusal is None:
                raise
            raise refusal from None


def _reject_unsupported(lora_request, tokenization_kwargs) -> None:
    if lora_request is not None or tokenization_kwargs:
        raise NotImplementedError("pooling shim: lora_request and tokenization_kwargs are not supported; "
                                  "use truncate_prompt_tokens")


def _as_pooler_config(value: PoolerConfig | dict | None) -> PoolerConfig:
    if value is None:
        return PoolerConfig()  # vLLM always gives pooling models an empty PoolerConfig
    if isinstance(value, PoolerConfig):
        return value
    if not isinstance(value, dict):
        raise TypeError(f"pooler_config must be a PoolerConfig or a dict of its fields, got {type(value).__name__}")
    return PoolerConfig(**value)


def _checked_engine_numbers(runner: object, convert: object, dtype: object, *numbers: object) -> list[Any]:
    """vLLM's ``ModelConfig``/``SchedulerConfig`` validation of the engine arguments: literal errors for
    ``runner``/``convert``, pydantic's lax ints for the numbers (``"512"`` is 512), then clear errors for values no
    engine can run (a length, a batch size below 1) and dtype names vLLM does not know."""
    if runner not in RUNNER_OPTIONS:
        raise model_config_error("runner", RUNNER_OPTIONS, runner)
    if convert not in CONVERT_OPTIONS:
        raise model_config_error("convert", CONVERT_OPTIONS, convert)
    if not (dtype in DTYPE_OPTIONS or type(dtype).__name__ == "dtype" and type(dtype).__module__ == "torch"):
        raise ValueError(f"dtype must be one of {', '.join(map(repr, DTYPE_OPTIONS))} or a torch.dtype, "
                         f"got {dtype!r}")
    names = ("max_model_len", "seed", "max_num_batched_tokens", "max_num_seqs")
    titles = ("ModelConfig", "ModelConfig", "SchedulerConfig", "SchedulerConfig")
    checked: list[object] = []
    for name, title, value in zip(names, titles, numbers, strict=True):
        if value is None:
            checked.append(None)
            continue
        try:
            number = coerce(name, "int", value)
        except Invalid as invalid:
            raise ValidationError(title, [invalid.error]) from None
        if name != "seed" and isinstance(number, int) and number < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
        checked.append(number)
    return checked


def _merged(base: PoolerConfig, override: PoolerConfig) -> PoolerConfig:
    merged = copy.copy(base)
    for name, value in vars(override).items():
        if value not in (None, False):
            setattr(merged, name, value)
    return merged


def _with_task(params: PoolingParams, task: str) -> PoolingParams:
    params = copy.copy(params)
    params.task = task
    return params
