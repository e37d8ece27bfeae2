"""Run the transformer over a packed batch and return one hidden state per real token, flat ``[T, hidden]``.

Two implementations over the same loaded weights:

* ``PackedBertEncoder`` — BERT, RoBERTa and XLM-R with absolute positions. The linear layers run on the flat
  token matrix (no padding rows), Q/K/V are one fused GEMM, and attention runs on a padded view of each
  length-sorted batch (the padding there is small) through ``scaled_dot_product_attention``.
* ``PaddedBackbone`` — any other transformers model: a right-padded batch through the model's own forward.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, TypeGuard

import torch
import torch.nn.functional as F
from torch import nn

from vllm_pooling_migrate.runtime.batching import PackedBatch, bucketed_rows
from vllm_pooling_migrate.runtime.model_info import OFFSET_POSITION_MODEL_TYPES

_PACKED_MODEL_TYPES = frozenset({"bert", "roberta", "xlm-roberta", "camembert"})

# The parts of a transformers BERT-family model that PackedBertEncoder reads. nn.Module types its submodules as
# ``Tensor | Module``; these name what the BERT, RoBERTa and XLM-R classes hold there.
LayerNormParts = tuple[list[int], torch.Tensor, torch.Tensor, float]


class _BertConfig(Protocol):
    model_type: str
    num_attention_heads: int
    pad_token_id: int
    type_vocab_size: int
    hidden_act: str


class _BertEmbeddings(Protocol):
    word_embeddings: nn.Embedding
    position_embeddings: nn.Embedding
    token_type_embeddings: nn.Embedding
    LayerNorm: nn.LayerNorm


class _BertSelfAttention(Protocol):
    query: nn.Linear
    key: nn.Linear
    value: nn.Linear


class _DenseAndNorm(Protocol):
    dense: nn.Linear
    LayerNorm: nn.LayerNorm


class _BertAttention(Protocol):
    self: _BertSelfAttention
    output: _DenseAndNorm


class _BertIntermediate(Protocol):
    dense: nn.Linear
    intermediate_act_fn: Callable[[torch.Tensor], torch.Tensor]


class _BertLayer(Protocol):
    attention: _BertAttention
    intermediate: _BertIntermediate
    output: _DenseAndNorm


class _BertEncoder(Protocol):
    layer: Iterable[_BertLayer]


class BertFamilyModel(Protocol):
    config: _BertConfig
    embeddings: _BertEmbeddings
    encoder: _BertEncoder


class PaddedBackbone:
    def __init__(self, base_model: nn.Module, pad_token_id: int):
        self.model = base_model
        self.pad_token_id = pad_token_id
        self._takes_token_types = getattr(base_model.config, "type_vocab_size", 0) > 1

    def __call__(self, batch: PackedBatch) -> torch.Tensor:
        shape = (len(batch.seq_lens), batch.max_len)
        flat_ids = batch.input_ids.new_full((shape[0] * shape[1],), self.pad_token_id)
        input_ids = flat_ids.index_copy_(0, batch.padded_rows, batch.input_ids).view(shape)
        mask = torch.zeros_like(flat_ids).index_fill_(0, batch.padded_rows, 1).view(shape)
        kwargs = {"input_ids": input_ids, "attention_mask": mask}
        if self._takes_token_types and batch.token_type_ids is not None:
            flat_types = torch.zeros_like(flat_ids).index_copy_(0, batch.padded_rows, batch.token_type_ids)
            kwargs["token_type_ids"] = flat_types.view(shape)
        hidden = self.model(**kwargs).last_hidden_state
        return hidden.reshape(shape[0] * shape[1], -1)[batch.padded_rows]


class PackedBertEncoder:
    """BERT-family encoder over the flat layout. It reads the transformers module's parameters; fusing Q/K/V
    re-points the three projections at slices of one tensor, so no weight is held twice.

    With ``fp32_residual`` and half-precision weights, the GEMMs and attention run in the weights' dtype while the
    residual stream and LayerNorms stay in fp32 (what CPU autocast does): a bf16 model on an AMX CPU then keeps
    most of fp32's accuracy at bf16 speed. The LayerNorm parameters are copied to fp32 for that (2 × hidden
    values per norm).

    With ``bucket_rows`` (on a CPU) the flat matrix gets padding rows up to :func:`bucketed_rows`, so the GEMMs
    see a bounded set of shapes and memory stays flat over a long run. The padding rows (token 0, position 0) go
    through the linear layers and LayerNorms, which are row-wise, but attention reads only the real rows, so no
    real token sees them; they are dropped at the end."""

    def __init__(self, base_model: BertFamilyModel, fp32_residual: bool, bucket_rows: bool = False):
        config = base_model.config
        self.embeddings = base_model.embeddings
        self.layers = list(base_model.encoder.layer)
        self.num_heads = config.num_attention_heads
        self.position_offset = config.pad_token_id + 1 if config.model_type in OFFSET_POSITION_MODEL_TYPES else 0
        # XLM-R has a single token type: a pair's segment ids from the tokenizer must not index past it.
        self.uses_token_types = config.type_vocab_size > 1
        self.fused_qkv = [_fuse_qkv(layer.attention.self) for layer in self.layers]
        self.compute_dtype = self.embeddings.word_embeddings.weight.dtype
        self.stream_dtype = torch.float32 if fp32_residual else self.compute_dtype
        self.embedding_norm = self._norm(self.embeddings.LayerNorm)
        self.layer_norms = [
            (self._norm(layer.attention.output.LayerNorm), self._norm(layer.output.LayerNorm)) for layer in self.layers
        ]
        self.fuse_gelu = _onednn_gelu_works(config, self.embeddings.word_embeddings.weight)
        self.bucket_rows = bucket_rows

    def _norm(self, layer_norm: nn.LayerNorm) -> LayerNormParts:
        dtype = self.stream_dtype
        shape = list(layer_norm.normalized_shape)
        return shape, layer_norm.weight.to(dtype), layer_norm.bias.to(dtype), layer_norm.eps

    @staticmethod
    def supports(base_model: nn.Module) -> TypeGuard[BertFamilyModel]:
        from transformers import PretrainedConfig

        config = base_model.config
        if not isinstance(config, PretrainedConfig):  # not a transformers model
            return False
        return packs(config) and hasattr(base_model, "embeddings") and hasattr(base_model, "encoder")

    def __call__(self, batch: PackedBatch) -> torch.Tensor:
        emb, stream, compute = self.embeddings, self.stream_dtype, self.compute_dtype
        input_ids, position_ids = batch.input_ids, batch.position_ids
        token_types = batch.token_type_ids
        if token_types is None or not self.uses_token_types:
            token_types = torch.zeros_like(input_ids)
        tokens = input_ids.shape[0]
        rows = bucketed_rows(tokens) if self.bucket_rows else tokens
        if rows > tokens:
            input_ids, position_ids, token_types = (F.pad(ids, (0, rows - tokens)) for ids in (
                input_ids, position_ids, token_types))
        x = emb.word_embeddings(input_ids).to(stream)
        x += emb.position_embeddings(position_ids + self.position_offset)
        x += emb.token_type_embeddings(token_types)
        x = F.layer_norm(x, *self.embedding_norm)
        attention = _PaddedAttention(batch, self.num_heads, rows)
        for layer, (qkv_weight, qkv_bias), (attention_norm, output_norm) in zip(
            self.layers, self.fused_qkv, self.layer_norms
        ):
            context = attention(F.linear(x.to(compute), qkv_weight, qkv_bias))
            x = F.layer_norm(layer.attention.output.dense(context).to(stream).add_(x), *attention_norm)
            up = layer.intermediate.dense
            if self.fuse_gelu:
                intermediate = torch.ops.mkldnn._linear_pointwise(x.to(compute), up.weight, up.bias, "gelu", [], "none")
            else:
                intermediate = layer.intermediate.intermediate_act_fn(up(x.to(compute)))
            x = F.layer_norm(layer.output.dense(intermediate).to(stream).add_(x), *output_norm)
        return x[:tokens]


def packs(config) -> bool:
    """Whether a model with this config runs through :class:`PackedBertEncoder` (decidable before loading)."""
    return (
        getattr(config, "model_type", None) in _PACKED_MODEL_TYPES
        and getattr(config, "position_embedding_type", "absolute") == "absolute"
        and not getattr(config, "is_decoder", False)
    )


def _onednn_gelu_works(config: _BertConfig, weight: torch.Tensor) -> bool:
    """On a CPU, oneDNN can apply the exact (erf) GELU inside the up-projection GEMM: one pass over the widest
    activation instead of two, and one parallel region less (those suffer most on a busy host). The op is
    private to torch, so it is probed once and the plain path is used if it is missing or disagrees."""
    if config.hidden_act != "gelu" or weight.device.type != "cpu" or not torch.backends.mkldnn.is_available():
        return False
    try:
        probe = torch.linspace(-3, 3, 16, dtype=weight.dtype).view(2, 8)
        layer_weight = torch.eye(8, dtype=weight.dtype)
        fused = torch.ops.mkldnn._linear_pointwise(probe, layer_weight, None, "gelu", [], "none")
    except (AttributeError, RuntimeError):
        return False
    return torch.allclose(fused.float(), F.gelu(probe.float()), atol=1e-2)


def _fuse_qkv(self_attention: _BertSelfAttention) -> tuple[torch.Tensor, torch.Tensor]:
    projections = (self_attention.query, self_attention.key, self_attention.value)
    weight = torch.cat([p.weight.data for p in projections])
    bias = torch.cat([p.bias.data for p in projections])
    rows = projections[0].weight.shape[0]
    for i, projection in enumerate(projections):
        projection.weight.data = weight[i * rows : (i + 1) * rows]
        projection.bias.data = bias[i * rows : (i + 1) * rows]
    return weight, bias


class _PaddedAttention:
    """Self-attention for a flat batch: scatter Q/K/V into ``[B, heads, L, d]``, run SDPA with a key-padding mask,
    gather the real rows back. When every sequence has the same length the scatter is a free reshape.

    ``rows`` ≥ the real token count: the input's extra rows (bucket padding) are never read, and the output has
    ``rows`` rows again (the extra ones copies of row 0, finite, dropped later) for the next GEMM."""

    def __init__(self, batch: PackedBatch, num_heads: int, rows: int):
        self.batch_size = len(batch.seq_lens)
        self.max_len = batch.max_len
        self.num_heads = num_heads
        self.uniform = batch.uniform
        self.tokens = batch.input_ids.shape[0]
        self.extra = rows - self.tokens
        self.rows = batch.padded_rows
        if not self.uniform:
            positions = torch.arange(self.max_len, device=batch.lens.device)
            self.mask = (positions[None, :] < batch.lens[:, None])[:, None, None, :]
            # One gather builds the padded output: the extra rows read row 0.
            self.gather = F.pad(self.rows, (0, self.extra)) if self.extra else self.rows

    def __call__(self, qkv: torch.Tensor) -> torch.Tensor:
        width = qkv.shape[1]
        hidden = width // 3
        qkv = qkv[: self.tokens] if self.extra else qkv
        if not self.uniform:
            padded = qkv.new_zeros(self.batch_size * self.max_len, width)
            padded[self.rows] = qkv
            qkv = padded
        q, k, v = qkv.view(self.batch_size, self.max_len, 3, self.num_heads, hidden // self.num_heads).permute(
            2, 0, 3, 1, 4
        )
        context = F.scaled_dot_product_attention(q, k, v, attn_mask=None if self.uniform else self.mask)
        context = context.transpose(1, 2).reshape(self.batch_size * self.max_len, hidden)
        if not self.uniform:
            return context[self.gather]
        return F.pad(context, (0, 0, 0, self.extra)) if self.extra else context


def build_backbone(
    base_model: nn.Module, pad_token_id: int, fp32_residual: bool, bucket_rows: bool = False
) -> PackedBertEncoder | PaddedBackbone:
    if PackedBertEncoder.supports(base_model):
        return PackedBertEncoder(base_model, fp32_residual, bucket_rows)
    return PaddedBackbone(base_model, pad_token_id)
