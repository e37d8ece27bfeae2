"""``PoolerConfig`` and ``PoolingParams`` with each release's field set and validation (spec §9.1, §9.2).

vLLM's ``PoolerConfig`` is a pydantic dataclass: its construction errors are pydantic ``ValidationError``s, a
``ValueError`` subclass whose text holds a ``Value error, <vLLM text> [type=value_error, ...]`` line. The shim
raises :class:`ValidationError`, also a ``ValueError`` subclass, with the same first line and the same error
lines (pydantic's trailing "For further information visit ..." URL is left out). ``PoolingParams`` is a
``msgspec.Struct``: an unknown keyword is a ``TypeError("Unexpected keyword argument 'x'")``; it takes keywords
only (positional fields are not supported).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vllm_pooling_migrate import registry
from vllm_pooling_migrate.shim.deprecations import removed, warn
from vllm_pooling_migrate.shim.messages import LOGGER_POOLER_CONFIG, LOGGER_POOLING_PARAMS, old_flag_text, render, text
from vllm_pooling_migrate.shim.tasks import EMBED_LIKE, POOLING_TASKS, PoolingTask
from vllm_pooling_migrate.shim.validation import FieldKind, Invalid, check_type, coerce
from vllm_pooling_migrate.shim.versions import profile
from vllm_pooling_migrate.tasks import is_pooling_task

OLD_ACTIVATION_FLAGS = ("normalize", "softmax", "activation")  # POOL010, all meaning use_activation


class ValidationError(ValueError):
    """pydantic-shaped construction error: ``errors`` holds (field or None, message, error type, input value)."""

    def __init__(self, title: str, errors: list[tuple[str | None, str, str, object]]) -> None:
        self.title = title
        self.errors = errors
        count = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} for {title}"
        lines = [count]
        for field, message, error_type, value in errors:
            if field is not None:
                lines.append(field)
            lines.append(f"  {message} [type={error_type}, input_value={value!r}, input_type={type(value).__name__}]")
        super().__init__("\n".join(lines))


def _value_error(vllm_text: str, kwargs: dict) -> ValidationError:
    return ValidationError("PoolerConfig", [(None, f"Value error, {vllm_text}", "value_error", kwargs)])


def _unexpected_keywords(kwargs: dict, names: list[str]) -> ValidationError:
    return ValidationError("PoolerConfig", [(n, "Unexpected keyword argument", "unexpected_keyword_argument",
                                             kwargs[n]) for n in names])


def _literal_error(field: str, allowed: tuple[str, ...], value: object,
                   title: str = "PoolerConfig") -> ValidationError:
    quoted = [repr(a) for a in allowed]
    choices = ", ".join(quoted[:-1]) + f" or {quoted[-1]}"
    return ValidationError(title, [(field, f"Input should be {choices}", "literal_error", value)])


def model_config_error(field: str, allowed: tuple[str, ...], value: object) -> ValidationError:
    """vLLM's ``ModelConfig`` (a pydantic dataclass) refusing a literal value: ``runner``, ``convert``."""
    return _literal_error(field, allowed, value, title="ModelConfig")


SEQ_POOLING_TYPES = ("CLS", "LAST", "MEAN")
TOK_POOLING_TYPES = ("ALL", "STEP")

#: The typed (non-literal) fields of vLLM's PoolerConfig, validated as pydantic's lax mode does.
_FIELD_KINDS: dict[str, FieldKind] = {
    "use_activation": "bool", "dimensions": "int", "enable_chunked_processing": "bool", "max_embed_len": "int",
    "logit_mean": "float", "logit_sigma": "float", "logit_bias": "float", "logit_scale": "float",
    "step_tag_id": "int", "returned_token_ids": "int_list",
}

_FIELDS_0_20 = ("task", "pooling_type", "seq_pooling_type", "tok_pooling_type", "use_activation", "dimensions",
                "enable_chunked_processing", "max_embed_len", "logit_mean", "logit_sigma", "logit_bias",
                "logit_scale", "step_tag_id", "returned_token_ids")


def pooler_config_fields() -> tuple[str, ...]:
    """The target release's fields: ``task`` arrived in 0.19; ``logit_mean``/``logit_sigma`` and the
    deprecated ``logit_scale`` in 0.20 (before, ``logit_bias`` was the only calibration field)."""
    p = profile()
    absent = set() if p.has_default_task else {"task"}
    if p.logit_fields == "plain":
        absent |= {"logit_mean", "logit_sigma", "logit_scale"}
    return tuple(f for f in _FIELDS_0_20 if f not in absent)


class PoolerConfig:
    """vLLM's ``PoolerConfig``. Legacy spellings are translated (and warned about) in warn mode only.

    Every field of ``_FIELDS_0_20`` is set on each instance (None when not given), with vLLM's types; the
    construction checks ``task`` and the pooling types, the other values are taken as given.
    """

    task: PoolingTask | None
    pooling_type: str | None
    seq_pooling_type: str | None
    tok_pooling_type: str | None
    use_activation: bool | None
    dimensions: int | None
    enable_chunked_processing: bool
    max_embed_len: int | None
    logit_mean: float | None
    logit_sigma: float | None
    logit_bias: float | None
    logit_scale: float | None
    step_tag_id: int | None
    returned_token_ids: list[int] | None

    def __init__(self, **kwargs: object) -> None:
        p = profile()
        given = dict(kwargs)
        kwargs = _translate_old_activation_flags(
            kwargs, LOGGER_POOLER_CONFIG, lambda flag, all_kwargs: _unexpected_keywords(all_kwargs, [flag]))
        if "pooling_task" in kwargs:
            if p.warn_mode and p.has_default_task:
                warn("POOL012", registry.get("POOL012").title)  # no vLLM release has a text for it
                kwargs.setdefault("task", kwargs.pop("pooling_task"))
            else:
                raise removed("POOL012", _unexpected_keywords(kwargs, ["pooling_task"]))
        fields = pooler_config_fields()
        unknown = [name for name in kwargs if name not in fields]
        if unknown:
            raise _unexpected_keywords(kwargs, unknown)
        kwargs = _coerced_fields(kwargs)
        for name in _FIELDS_0_20:
            setattr(self, name, kwargs.get(name))
        self.enable_chunked_processing = bool(self.enable_chunked_processing)
        self._validate_task()
        self._validate_pooling_types(given)
        if p.logit_fields == "alias":
            self._resolve_logit_aliases(given)

    def _validate_task(self) -> None:
        if self.task is None or self.task in POOLING_TASKS:
            return
        if self.task == "score":
            if profile().warn_mode:
                warn("POOL021", text("M17"), log=(LOGGER_POOLING_PARAMS, text("M17"), ()))
                self.task = "classify"
                return
            raise removed("POOL021", _literal_error("task", POOLING_TASKS, self.task))
        raise _literal_error("task", POOLING_TASKS, self.task)

    def _validate_pooling_types(self, given: dict[str, object]) -> None:
        for field, allowed in (("pooling_type", SEQ_POOLING_TYPES + TOK_POOLING_TYPES),
                               ("seq_pooling_type", SEQ_POOLING_TYPES), ("tok_pooling_type", TOK_POOLING_TYPES)):
            value = getattr(self, field)
            if value is not None and value not in allowed:
                raise _literal_error(field, allowed, value)
        if self.pooling_type is None:
            return
        if self.seq_pooling_type is not None:
            raise _value_error(text("pooling-type-seq"), given)
        if self.tok_pooling_type is not None:
            raise _value_error(text("pooling-type-tok"), given)
        if self.pooling_type in SEQ_POOLING_TYPES:
            self.seq_pooling_type = self.pooling_type
        else:
            self.tok_pooling_type = self.pooling_type

    def _resolve_logit_aliases(self, given: dict[str, object]) -> None:
        """0.20+: ``logit_bias``/``logit_scale`` are aliases, warned about on every construction (M50-M55)."""
        if self.logit_bias is not None:
            if self.logit_mean is not None:
                raise _value_error(text("M52"), given)
            warn("POOL011", text("M50"), log=(LOGGER_POOLER_CONFIG, text("M50"), ()), log_once=False)
            self.logit_mean = self.logit_bias
        if self.logit_scale is not None:
            if self.logit_sigma is not None:
                raise _value_error(text("M53"), given)
            warn("POOL011", text("M51"), log=(LOGGER_POOLER_CONFIG, text("M51"), ()), log_once=False)
            if self.logit_scale == 0:
                raise _value_error(text("M54"), given)
            self.logit_sigma = 1 / self.logit_scale
        if self.logit_sigma == 0:
            raise _value_error(text("M55"), given)

    def engine_overrides(self) -> dict[str, object]:
        """The user-set fields, in the engine's (0.20) names. 0.18/0.19's plain logit fields mean the same."""
        logit_mean = self.logit_mean if self.logit_mean is not None else self.logit_bias
        logit_sigma = self.logit_sigma
        if logit_sigma is None and self.logit_scale:
            logit_sigma = 1 / self.logit_scale
        values = {
            "seq_pooling_type": self.seq_pooling_type, "tok_pooling_type": self.tok_pooling_type,
            "use_activation": self.use_activation, "dimensions": self.dimensions, "logit_mean": logit_mean,
            "logit_sigma": logit_sigma, "step_tag_id": self.step_tag_id,
            "returned_token_ids": self.returned_token_ids,
        }
        return {name: value for name, value in values.items() if value is not None}

    def _set_fields(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in _FIELDS_0_20 if getattr(self, name) not in (None, False)}

    def __repr__(self) -> str:
        return "PoolerConfig(" + ", ".join(f"{k}={v!r}" for k, v in self._set_fields().items()) + ")"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PoolerConfig) and self._set_fields() == other._set_fields()


def _coerced_fields(kwargs: dict[str, object]) -> dict[str, object]:
    """pydantic's lax validation of the typed fields: ``"no"`` becomes False, ``"8"`` becomes 8 (as in vLLM);
    every value it cannot interpret is collected into one ``ValidationError``."""
    coerced = dict(kwargs)
    errors = []
    for name, kind in _FIELD_KINDS.items():
        if name not in kwargs or (kwargs[name] is None and name != "enable_chunked_processing"):
            continue
        try:
            coerced[name] = coerce(name, kind, kwargs[name])
        except Invalid as invalid:
            errors.append(invalid.error)
    if errors:
        raise ValidationError("PoolerConfig", [(field, message, error_type, value)
                                               for field, message, error_type, value in errors])
    return coerced


def _translate_old_activation_flags(
    kwargs: dict[str, object], logger_name: str, reject: Callable[[str, dict[str, object]], Exception]
) -> dict[str, object]:
    """POOL010: ``normalize``/``softmax``/``activation`` become ``use_activation`` (same value) in warn mode.

    0.14.1+ semantics (the value is kept); the 0.11.2-0.13.0 "any value means True" bug is not reproduced.
    """
    kwargs = dict(kwargs)
    for flag in OLD_ACTIVATION_FLAGS:
        if flag not in kwargs:
            continue
        if not profile().warn_mode:
            raise removed("POOL010", reject(flag, kwargs))
        warn("POOL010", old_flag_text(flag), log=(logger_name, old_flag_text(flag), ()))
        value = kwargs.pop(flag)
        kwargs.setdefault("use_activation", value)
    return kwargs


_POOLING_PARAMS_FIELDS = ("use_activation", "dimensions", "step_tag_id", "returned_token_ids", "task",
                          "requires_token_ids", "skip_reading_prefix_cache", "late_interaction_params",
                          "extra_kwargs", "output_kind")


#: msgspec checks no type at construction, so ``use_activation="no"`` passed in vLLM and normalised; refused here.
_POOLING_PARAMS_KINDS: dict[str, FieldKind] = {
    "use_activation": "bool", "dimensions": "int", "step_tag_id": "int", "returned_token_ids": "int_list",
}


class PoolingParams:
    """vLLM's ``PoolingParams`` (0.18-0.21 fields). ``task`` is internal in vLLM; ``LLM`` checks it (M10).

    Every field of ``_POOLING_PARAMS_FIELDS`` is set on each instance (None when not given). ``task`` stays a
    plain string: a legacy ``"score"`` or a typo is the ``LLM``'s to diagnose.
    """

    use_activation: bool | None
    dimensions: int | None
    step_tag_id: int | None
    returned_token_ids: list[int] | None
    task: str | None
    requires_token_ids: bool | None
    skip_reading_prefix_cache: bool | None
    late_interaction_params: object
    extra_kwargs: dict[str, Any] | None
    output_kind: object

    def __init__(self, **kwargs: object) -> None:
        kwargs = _translate_old_activation_flags(
            kwargs, LOGGER_POOLING_PARAMS, lambda flag, _: TypeError(f"Unexpected keyword argument {flag!r}"))
        for name in kwargs:
            if name not in _POOLING_PARAMS_FIELDS:
                raise TypeError(f"Unexpected keyword argument {name!r}")
        for name, kind in _POOLING_PARAMS_KINDS.items():
            kwargs[name] = check_type("PoolingParams", name, kind, kwargs.get(name))
        if kwargs.get("task") is not None and not isinstance(kwargs["task"], str):
            raise TypeError(f"PoolingParams.task must be a str or None, got {type(kwargs['task']).__name__}")
        for name in _POOLING_PARAMS_FIELDS:
            setattr(self, name, kwargs.get(name))

    def __repr__(self) -> str:
        set_fields = {n: getattr(self, n) for n in _POOLING_PARAMS_FIELDS if getattr(self, n) is not None}
        return "PoolingParams(" + ", ".join(f"{k}={v!r}" for k, v in set_fields.items()) + ")"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PoolingParams) and repr(self) == repr(other)


@dataclass(frozen=True)
class RequestParams:
    """What one request asks of the engine after §9.2 verification."""

    use_activation: bool | None = None
    dimensions: int | None = None


_VALID_PARAMETERS: dict[PoolingTask, list[str]] = {
    "embed": ["dimensions", "use_activation"], "token_embed": ["dimensions", "use_activation"],
    "classify": ["use_activation"], "token_classify": ["use_activation"],
}


def verify_request_params(params: PoolingParams | None, task: str, info, settings) -> RequestParams:
    """§9.2 steps 2-7 for one request: merge the model's pooler defaults, check M18 (matryoshka) and M19.

    ``task`` is any task name a request carries: one without parameter rules is not verified, as in vLLM.
    ``info``/``settings`` are the engine's ``ModelInfo``/``PoolerSettings`` (settings = resolved §10.1 defaults).
    """
    valid = _VALID_PARAMETERS.get(task) if is_pooling_task(task) else None
    if valid is None:  # plugin, embed&token_classify: vLLM skips verification
        return RequestParams()
    params = params or PoolingParams()
    step_given = [n for n in ("step_tag_id", "returned_token_ids") if getattr(params, n) is not None]
    if step_given:
        if settings.tok_pooling_type != "STEP":
            raise ValueError(render("M19-step", task=task, valid_list=valid, invalid_list=step_given))
        raise NotImplementedError("pooling shim: per-request step_tag_id/returned_token_ids are not supported; "
                                  "set them on PoolerConfig")
    invalid = [n for n in ("dimensions", "use_activation") if n not in valid and getattr(params, n) is not None]
    if invalid:
        raise ValueError(render("M19", task_repr=repr(task), valid_list=valid, invalid_list=invalid))
    # Unset values take the model's resolved pooler defaults; an activation still unset is on.
    use_activation = next(v for v in (params.use_activation, settings.use_activation, True) if v is not None)
    dimensions = None
    if task in EMBED_LIKE:
        dimensions = params.dimensions if params.dimensions is not None else settings.dimensions
        if dimensions is not None:
            _check_matryoshka(dimensions, info)
    return RequestParams(use_activation=use_activation, dimensions=dimensions)


def _check_matryoshka(dimensions: int, info) -> None:
    if not info.is_matryoshka:
        raise ValueError(render("M18a", served_model_name=info.served_model_name))
    if info.matryoshka_dimensions:
        if dimensions not in info.matryoshka_dimensions:
            raise ValueError(render("M18b", served_model_name_repr=repr(info.served_model_name),
                                    mds=str(list(info.matryoshka_dimensions))))
    elif dimensions < 1:
        raise ValueError(render("M18c"))

