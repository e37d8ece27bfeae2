"""Pooling heads, in fp32 (spec §10.2, §10.3): the embedding head (ST Dense projector → matryoshka truncation →
L2 normalisation) and the classifier head (classifier → logit_mean/logit_sigma → activation)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from vllm_pooling_migrate.runtime.loading import activation_module

logger = logging.getLogger(__name__)

Classifier = Callable[[torch.Tensor], torch.Tensor]


class EmbeddingHead:
    def __init__(self, projector: nn.Module | None):
        self.projector = projector

    def __call__(self, pooled: torch.Tensor, dimensions: int | None, normalize: bool) -> torch.Tensor:
        x = self.projector(pooled) if self.projector is not None else pooled
        if dimensions is not None:
            x = x[..., :dimensions]  # truncate first, then normalise: the result has norm 1
        return F.normalize(x, p=2, dim=-1) if normalize else x


class ClassifierActivation:
    """Spec §10.3, first match wins: problem_type, then the sentence-transformers activation_fn, then the
    label-count rule (fewer than 2 labels → sigmoid, else softmax over the last axis)."""

    def __init__(self, problem_type: str | None, st_activation_fn: str | None, num_labels: int):
        self.num_labels = num_labels
        self.module: nn.Module | None = None
        self.fixed_label_count = False
        if problem_type == "regression":
            self.rule = "identity"
        elif problem_type == "single_label_classification":
            self.rule = "label_count"
        elif problem_type == "multi_label_classification":
            self.rule = "sigmoid"
        elif st_activation_fn:
            module = activation_module(st_activation_fn)
            if isinstance(module, nn.Identity):
                self.rule = "identity"
            elif isinstance(module, nn.Sigmoid | nn.Softmax):
                # vLLM maps these to the label-count rule with the config's label count, in every task.
                self.rule, self.fixed_label_count = "label_count", True
            else:
                self.rule, self.module = "module", module
        else:
            self.rule = "label_count"
        if self.rule == "label_count" and num_labels == 0:
            logger.warning(
                "num_labels should be > 0 for classification models, falling back to softmax. "
                "Please check if the configuration is correct."
            )

    def __call__(self, logits: torch.Tensor, per_token: bool) -> torch.Tensor:
        if self.rule == "identity":
            return logits
        if self.rule == "sigmoid":
            return torch.sigmoid(logits)
        if self.module is not None:  # only the "module" rule keeps one
            return self.module(logits)
        # classify reads num_labels from the config; token_classify from the output's last axis.
        label_count = logits.shape[-1] if per_token and not self.fixed_label_count else self.num_labels
        return torch.sigmoid(logits) if label_count < 2 else torch.softmax(logits, dim=-1)


class ClassifierHead:
    def __init__(
        self,
        sequence_classifier: Classifier,
        token_classifier: Classifier,
        activation: ClassifierActivation,
        logit_mean: float | None,
        logit_sigma: float | None,
    ):
        self.sequence_classifier = sequence_classifier
        self.token_classifier = token_classifier
        self.activation = activation
        self.logit_mean = logit_mean
        self.logit_sigma = logit_sigma

    def sequences(self, pooled: torch.Tensor, use_activation: bool) -> torch.Tensor:
        return self._finish(self.sequence_classifier(pooled), use_activation, per_token=False)

    def tokens(
        self, rows: torch.Tensor, use_activation: bool, returned_token_ids: tuple[int, ...] | None
    ) -> torch.Tensor:
        logits = self.token_classifier(rows)
        if returned_token_ids:
            logits = logits[:, list(returned_token_ids)]
        return self._finish(logits, use_activation, per_token=True)

    def _finish(self, logits: torch.Tensor, use_activation: bool, per_token: bool) -> torch.Tensor:
        if self.logit_mean is not None:
            logits = logits - self.logit_mean
        if self.logit_sigma is not None:
            logits = logits / self.logit_sigma
        return self.activation(logits, per_token) if use_activation else logits


def classifiers_of(model: nn.Module) -> tuple[Classifier, Classifier]:
    """The (sequence, per-token) classifier functions of a transformers *For*Classification model, in fp32.

    BERT: the pooler's dense + tanh then ``classifier`` for sequences, ``classifier`` alone per token.
    RoBERTa/XLM-R: ``classifier.dense`` + tanh + ``classifier.out_proj`` (its forward takes the first token
    itself, so the parts are called directly on pooled rows). Decoders: the ``score`` projection.
    """
    head = getattr(model, "classifier", None)
    score = getattr(model, "score", None)
    if head is not None and hasattr(head, "out_proj"):
        dense, out_proj = _fp32(head.dense), _fp32(head.out_proj)

        def roberta_style(x: torch.Tensor) -> torch.Tensor:
            return out_proj(torch.tanh(dense(x)))

        return roberta_style, roberta_style
    if isinstance(head, nn.Linear):
        classifier = _fp32(head)
        pooler = getattr(model.base_model, "pooler", None)
        if pooler is None:
            return classifier, classifier
        pooler_dense = _fp32(pooler.dense)

        def bert_style(x: torch.Tensor) -> torch.Tensor:
            return classifier(pooler.activation(pooler_dense(x)))

        return bert_style, classifier
    if isinstance(score, nn.Linear):
        classifier = _fp32(score)
        return classifier, classifier
    raise ValueError(f"Unsupported classification head on {type(model).__name__}")


def _fp32(module: nn.Module) -> nn.Module:
    """Heads run in fp32 (vLLM's head_dtype). An fp32 model's head is used as is; a half-precision model gets an
    fp32 copy of the (small) head, leaving the original in place for the model's own forward."""
    if all(p.dtype == torch.float32 for p in module.parameters()):
        return module
    return copy.deepcopy(module).float()


class BgeM3Heads:
    """bge-m3's extra heads (``hf_overrides={"architectures": ["BgeM3EmbeddingModel"]}``, spec §3.2, §10.2).

    ColBERT vectors (token_embed): ``colbert_linear`` on every token but the BOS token. Sparse lexical weights
    (token_classify): ``sparse_linear`` (one output) on every token but BOS and EOS, then ReLU.
    """

    def __init__(self, colbert: nn.Linear, sparse: nn.Linear, bos_token_id: int | None, eos_token_id: int | None):
        self.colbert = colbert.float()
        self.sparse = sparse.float()
        self.bos_token_id = bos_token_id
        self.eos_token_id = eos_token_id

    def colbert_rows(self, rows: list[torch.Tensor], token_ids: list[list[int]]) -> list[torch.Tensor]:
        return [self.colbert(self._trim(r, ids, drop_eos=False)) for r, ids in zip(rows, token_ids, strict=True)]

    def sparse_rows(self, rows: list[torch.Tensor], token_ids: list[list[int]]) -> list[torch.Tensor]:
        return [self.sparse(self._trim(r, ids, drop_eos=True)) for r, ids in zip(rows, token_ids, strict=True)]

    @staticmethod
    def sparse_activation(weights: torch.Tensor, use_activation: bool) -> torch.Tensor:
        return torch.relu(weights) if use_activation else weights

    def _trim(self, rows: torch.Tensor, ids: list[int], drop_eos: bool) -> torch.Tensor:
        start = 1 if ids and ids[0] == self.bos_token_id else 0
        end = len(ids) - 1 if drop_eos and ids and ids[-1] == self.eos_token_id else len(ids)
        return rows[start:end]
