"""What a model is, decided from its architecture names the way vLLM 0.19–0.21 decides it (spec §3.2, §3.4, §10.1).

Pure functions over strings and config values; no torch. ``ModelInfo`` is what the engine reports to the shim.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, get_args

from vllm_pooling_migrate.tasks import POOLING_TASKS, PoolingTask

if TYPE_CHECKING:
    from transformers import PretrainedConfig

SEQUENCE_POOLING_TYPES = ("CLS", "LAST", "MEAN")
TOKEN_POOLING_TYPES = ("ALL", "STEP")

Runner = Literal["pooling", "generate"]
Convert = Literal["embed", "classify", "none"]
#: The user's ``convert`` argument: a conversion, or "auto" to let the architecture name decide.
ConvertOption = Literal["auto", "none", "embed", "classify"]
CONVERT_OPTIONS: tuple[ConvertOption, ...] = get_args(ConvertOption)
ScoreType = Literal["bi-encoder", "cross-encoder", "late-interaction"]

# Spec §3.4: name suffix → (runner, convert); the first match wins and the bare ``Model`` suffix comes last.
_SUFFIX_RULES: tuple[tuple[tuple[str, ...], Runner, Convert], ...] = (
    (("ForCausalLM", "ForConditionalGeneration", "ChatModel", "LMHeadModel"), "generate", "none"),
    (("ForTextEncoding", "EmbeddingModel"), "pooling", "embed"),
    (
        (
            "ForSequenceClassification",
            "ForTokenClassification",
            "ForAudioClassification",
            "ForImageClassification",
            "ForVideoClassification",
            "ClassificationModel",
        ),
        "pooling",
        "classify",
    ),
    (("ForRewardModeling", "RewardModel"), "pooling", "embed"),
    (("Model",), "pooling", "embed"),
)

# Encoder families whose vLLM pooling classes default to CLS pooling (spec §10.1 step 3); vLLM implements them
# natively, so an explicit ``convert`` leaves them unchanged (spec §3.4).
ENCODER_MODEL_TYPES = frozenset(
    {
        "bert",
        "roberta",
        "xlm-roberta",
        "modernbert",
        "ernie",
        "new",
        "nomic_bert",
        "distilbert",
        "electra",
        "deberta-v2",
        "camembert",
        "mpnet",
    }
)

# RoBERTa-style position ids start after the padding index, which costs ``pad_token_id + 1`` positions.
OFFSET_POSITION_MODEL_TYPES = frozenset({"roberta", "xlm-roberta", "camembert"})


@dataclass(frozen=True)
class ModelInfo:
    """Facts about the loaded model that the vLLM-compatible layer needs (all after ``hf_overrides``)."""

    architectures: tuple[str, ...]
    model_type: str
    served_model_name: str
    supported_tasks: tuple[PoolingTask, ...]
    num_labels: int | None
    problem_type: str | None
    id2label: dict[int, str] = field(hash=False)
    max_model_len: int
    hidden_size: int
    embedding_size: int
    is_matryoshka: bool
    matryoshka_dimensions: tuple[int, ...] | None
    architecture_score_type: ScoreType
    runner: Runner
    convert: Convert
    st_activation_fn: str | None


def runner_and_convert(
    architectures: tuple[str, ...], model_type: str, *, has_st_pooling: bool, convert: ConvertOption
) -> tuple[Runner, Convert]:
    """Spec §3.4. ``convert`` is the user's value ("auto", "none", "embed" or "classify"); "embed"/"classify" are
    no-ops on the encoder families vLLM implements natively as pooling models, "none" never adapts a model."""
    arch = architectures[0] if architectures else "Model"
    runner: Runner = "pooling"
    arch_convert: Convert = "embed"
    for suffixes, rule_runner, rule_convert in _SUFFIX_RULES:
        if arch.endswith(suffixes):
            runner, arch_convert = rule_runner, rule_convert
            break
    if runner == "generate" and ((has_st_pooling and convert == "auto") or convert in ("embed", "classify")):
        # An ST Pooling module or an explicit convert turns a generative name into a pooling model.
        runner, arch_convert = "pooling", "embed"
    if runner == "generate":
        return "generate", "none"
    if convert in ("embed", "classify") and model_type not in ENCODER_MODEL_TYPES:
        arch_convert = convert
    return runner, arch_convert


def is_token_classification(architectures: tuple[str, ...]) -> bool:
    return any("ForTokenClassification" in name for name in architectures)


BGE_M3_ARCHITECTURE = "BgeM3EmbeddingModel"
#: vLLM's ColBERT on a BERT backbone (``ColBERTModel``; ``HF_ColBERT`` is stanford-futuredata's name for it): a
#: bias-free linear projection of every token state, ``token_embed`` only, scored by MaxSim.
COLBERT_ARCHITECTURES = frozenset({"ColBERTModel", "HF_ColBERT"})


def is_colbert(architectures: tuple[str, ...]) -> bool:
    return any(name in COLBERT_ARCHITECTURES for name in architectures)


def supported_tasks(architectures: tuple[str, ...], runner: Runner, convert: Convert) -> tuple[PoolingTask, ...]:
    """Spec §3.2, the 0.19–0.21 column, in the canonical order (vLLM's own order comes from a set)."""
    tasks: set[PoolingTask]
    if runner != "pooling":
        tasks = set()
    elif BGE_M3_ARCHITECTURE in architectures:
        tasks = {"embed", "token_embed", "token_classify", "embed&token_classify"}
    elif is_colbert(architectures):
        tasks = {"token_embed"}
    elif convert == "classify":
        tasks = {"token_classify"} if is_token_classification(architectures) else {"classify", "token_classify"}
    else:
        tasks = {"embed", "token_embed"}
    return tuple(task for task in POOLING_TASKS if task in tasks)


def architecture_score_type(convert: Convert, architectures: tuple[str, ...] = ()) -> ScoreType:
    """Spec §4.4 (0.18–0.20): cross-encoder for classify conversions, else the class default (bi-encoder; the
    ColBERT classes declare late interaction)."""
    if convert == "classify":
        return "cross-encoder"
    return "late-interaction" if is_colbert(architectures) else "bi-encoder"


def default_pooling_types(model_type: str) -> tuple[str, str]:
    """Model-class defaults (spec §10.1 step 3): (sequence type, token type). Token tasks default to ALL."""
    return ("CLS" if model_type in ENCODER_MODEL_TYPES else "LAST"), "ALL"


def classifier_labels(config: PretrainedConfig) -> dict[int, str]:
    """The classifier's labels by index; ``config.num_labels`` is their count."""
    if config.id2label is None:  # transformers fills it in for every config it builds; only an override unsets it
        raise ValueError("A classification model's config needs id2label (hf_overrides set it to None)")
    return {int(index): label for index, label in config.id2label.items()}


def model_max_len(config: PretrainedConfig, st_max_seq_length: int | None, requested: int | None) -> int:
    """The model's position limit (RoBERTa-style models lose ``pad_token_id + 1`` positions to their offset),
    lowered to sentence-transformers' max_seq_length as vLLM does; a requested length may only shrink it."""
    # The config keys vLLM reads for the length, and its fallback when none is present.
    keys = ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length", "max_sequence_length")
    limit = next((getattr(config, key) for key in keys if getattr(config, key, None)), 2048)
    if config.model_type in OFFSET_POSITION_MODEL_TYPES:
        limit -= (config.pad_token_id or 0) + 1
    if st_max_seq_length:
        limit = min(limit, st_max_seq_length)
    if requested is None:
        return limit
    if not isinstance(requested, int) or isinstance(requested, bool):
        raise TypeError(f"max_model_len must be an int, got {type(requested).__name__} {requested!r}")
    if requested < 1:
        raise ValueError(f"max_model_len must be a positive integer, got {requested}")
    if requested > limit:
        raise ValueError(f"max_model_len ({requested}) is greater than the model's maximum length ({limit})")
    return requested
