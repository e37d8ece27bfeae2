"""vLLM's user-facing texts, byte for byte (spec §6 and §8).

Every text is copied from the spec's JSON string literal; ``tests/shim/test_messages.py`` re-reads the spec and
compares them. Placeholders keep the spec's names: ``{task_repr}``-style ones are filled with ``str.format``
(:func:`render`), ``%s`` ones are logging templates whose arguments stay separate (vLLM de-duplicates on them).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    id: str
    text: str
    #: Where the spec defines the text: a message id (its entry is searched) or None (searched anywhere).
    spec_ref: str | None


def _catalogue(*messages: Message) -> dict[str, Message]:
    return {m.id: m for m in messages}


M = Message

MESSAGES: dict[str, Message] = _catalogue(
    # §6.1 offline
    M("M01", "LLM.encode() is only supported for pooling models. Try passing `--runner pooling` to use the model as a pooling model.", "M01"),
    M("M02a", "pooling_task required for `LLM.encode`\nPlease use one of the more specific methods or set the pooling_task when using `LLM.encode`:\n  - For embeddings, use `LLM.embed(...)` or `pooling_task=\"embed\"`.\n  - For classification logits, use `LLM.classify(...)` or `pooling_task=\"classify\"`.\n  - For similarity scores, use `LLM.score(...)`.\n  - For rewards, use `LLM.reward(...)` or `pooling_task=\"token_classify\"`\n  - For token classification, use `pooling_task=\"token_classify\"`\n  - For multi-vector retrieval, use `pooling_task=\"token_embed\"`", "M02a"),
    M("M02b", "\n                pooling_task required for `LLM.encode`.\n                Please use one of the more specific methods or set the pooling_task when using `LLM.encode`:\n                  - For embeddings, use `LLM.embed(...)` or `pooling_task=\"embed\"`.\n                  - For classification logits, use `LLM.classify(...)` or `pooling_task=\"classify\"`.\n                  - For similarity scores, use `LLM.score(...)`.\n                  - For rewards, `pooling_task=\"classify\"` or `pooling_task=\"token_classify\"`.\n                  - For token classification, use `pooling_task=\"token_classify\"`.\n                  - For multi-vector retrieval, use `pooling_task=\"token_embed\"`.\n                ", "M02b"),
    M("M03", "Embedding API is not supported by this model. Try converting the model using `--convert embed`.", "M03"),
    M("M04", "Classification API is not supported by this model. Try converting the model using `--convert classify`.", "M04"),
    M("M05", "Unsupported task: {task_repr} Supported tasks: {tuple_repr}", "M05"),
    M("M05e", "Unsupported task: {task_repr} Supported tasks: {list_repr}", "M05e"),
    M("M06", "Pooling multitask support is deprecated and will be removed in v0.20. When the default pooling task is not what you want, you need to manually specify it via PoolerConfig(task=\"%s\"). ", "M06"),
    M("M07", "Try switching the model's pooling_task via `PoolerConfig(task=\"{task}\")`", "M07"),
    M("M08", "No IOProcessor plugin installed. Please refer to the documentation and to the 'prithvi_geospatial_mae_io_processor' offline inference example for more details.", "M08"),
    M("M09", "The 'data' field is only supported for the 'plugin' pooling task.", "M09"),
    M("M10", "You cannot overwrite param.task={param_task_repr} with pooling_task={task_repr}!", "M10"),
    M("M11", "`llm.reward` api is deprecated and will be removed in v0.23. Please use `LLM.encode` with `pooling_task=\"classify\"` or `pooling_task=\"token_classify\"` instead.", "M11"),
    M("M20", "LLM.score() is only supported for pooling models. Try passing `--runner pooling` to use the model as a pooling model.", "M20"),
    M("M21", "Score API is not supported by this model. Try converting the model using `--convert embed` or `--convert classify`.", "M21"),
    M("M22", "Score API is only enabled for num_labels == 1.", "M22"),
    M("M23", "chat_template is only supported for cross-encoder models.", "M23"),
    M("M25", "Scoring API is only enabled for num_labels == 1.", "M25"),
    M("M26", "This model does not support the Scoring API.", "M26"),
    M("M40", "Supported pooling task: %s", "M40"),
    M("M40-0.18", "Supported tasks: %s", "M40"),
    # §6.3 PoolingParams / PoolerConfig
    M("M17", "`score` task is deprecated and will be removed in v0.20. Please use `classify` instead.", "M17"),
    M("M18a", "Model \"{served_model_name}\" does not support matryoshka representation, changing output dimensions will lead to poor results.", "M18a"),
    M("M18b", "Model {served_model_name_repr} only supports {mds} matryoshka dimensions, use other output dimensions will lead to poor results.", "M18b"),
    M("M18c", "Dimensions must be greater than 0", "M18c"),
    M("M19", "Task {task_repr} only supports {valid_list} parameters, does not support {invalid_list} parameters", "M19"),
    M("M19-step", "Task {task} only supports {valid_list} parameters, does not support {invalid_list} parameters", "M19"),
    M("M50", "`logit_bias` is deprecated and will be removed in v0.21. Use `logit_mean` instead.", "M50"),
    M("M51", "`logit_scale` is deprecated and will be removed in v0.21. Use `logit_sigma` instead (logit_sigma = 1/logit_scale).", "M51"),
    M("M52", "Cannot set both `logit_bias` and `logit_mean`. `logit_bias` is deprecated, use `logit_mean` instead.", "M52"),
    M("M53", "Cannot set both `logit_scale` and `logit_sigma`. `logit_scale` is deprecated, use `logit_sigma` instead.", "M53"),
    M("M54", "logit_scale cannot be 0 (division by zero)", "M54"),
    M("M55", "logit_sigma cannot be 0 (division by zero)", "M55"),
    M("pooling-type-seq", "Cannot set both `pooling_type` and `seq_pooling_type`", None),
    M("pooling-type-tok", "Cannot set both `pooling_type` and `tok_pooling_type`", None),
    # §8 older deprecations: the last texts vLLM printed before removing the spelling
    M("M60", "The 'task' option has been deprecated and will be removed in v0.13.0 or v1.0, whichever comes first.", "M60"),
    M("M60-remove", "Please remove this option.", None),
    M("M60-convert", "Please replace this option with `--convert {convert}` to continue using this model as a pooling model.", None),
    M("M61", "`override_pooler_config` is deprecated and will be removed in v0.12.0 or v1.0.0, whichever is sooner. Please use `pooler_config` instead.", "M61"),
    # The spec gives the `normalize` text and says "likewise `softmax`, `activation`": see old_flag_text().
    M("M64", "`normalize` is deprecated and will be removed in v0.15. Please use `use_activation` instead.", "M64"),
    M("M67", "`LLM.encode` is currently using `pooling_task = %s`.\nPlease use one of the more specific methods or set the task directly when using `LLM.encode`:\n  - For embeddings, use `LLM.embed(...)` or `pooling_task=\"embed\"`.\n  - For classification logits, use `LLM.classify(...)` or `pooling_task=\"classify\"`.\n  - For rewards, use `LLM.reward(...)` or `pooling_task=\"reward\"`\n  - For similarity scores, use `LLM.score(...)`.", "M67"),
)

#: Logger names vLLM used for these records (spec §7).
LOGGER_OFFLINE = "vllm.entrypoints.llm"
LOGGER_POOLING_PARAMS = "vllm.pooling_params"
LOGGER_POOLER_CONFIG = "vllm.config.pooler"
LOGGER_MODEL_CONFIG = "vllm.config.model"


def text(message_id: str) -> str:
    return MESSAGES[message_id].text


def render(message_id: str, **fields: object) -> str:
    """Fill a ``{name}`` template; texts without placeholders come back unchanged."""
    return MESSAGES[message_id].text.format(**fields) if fields else MESSAGES[message_id].text


def old_flag_text(flag: str) -> str:
    """M64 for ``normalize``/``softmax``/``activation`` (the three texts differ only in the name)."""
    return text("M64").replace("`normalize`", f"`{flag}`", 1)
