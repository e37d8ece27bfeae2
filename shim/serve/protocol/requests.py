"""The request models of each route (online-serving.md §2). Models whose fields differ by release are built per
release: ``/pooling``'s ``task`` literal (0.18 still has ``score``; 0.19+ has ``embed&token_classify``) and the
score/rerank ``max_tokens_per_query``/``max_tokens_per_doc`` fields (0.20+)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal, Union

from pydantic import create_model

from vllm_pooling_migrate.shim.serve.protocol.base import (ChatInputMixin, CompletionInputMixin, EncodingMixin,
                                                           OpenAIBaseModel, PoolingBasicRequestMixin)


class EmbeddingCompletionRequest(PoolingBasicRequestMixin, CompletionInputMixin, EncodingMixin):
    dimensions: int | None = None
    use_activation: bool | None = None


class EmbeddingChatRequest(PoolingBasicRequestMixin, ChatInputMixin, EncodingMixin):
    dimensions: int | None = None
    use_activation: bool | None = None


EmbeddingRequest = Union[EmbeddingCompletionRequest, EmbeddingChatRequest]


class ClassificationCompletionRequest(PoolingBasicRequestMixin, CompletionInputMixin):
    use_activation: bool | None = None


class ClassificationChatRequest(PoolingBasicRequestMixin, ChatInputMixin):
    use_activation: bool | None = None


ClassificationRequest = Union[ClassificationCompletionRequest, ClassificationChatRequest]


class IOProcessorRequest(OpenAIBaseModel):
    """A ``/pooling`` body with ``data``: its task is ``plugin`` whatever the body says."""

    model: str | None = None
    priority: int = 0
    request_id: str | None = None
    data: Any
    encoding_format: Literal["float", "base64", "bytes", "bytes_only"] = "float"


@lru_cache(maxsize=None)
def pooling_request_type(task_values: tuple[str, ...]) -> Any:
    """``PoolingCompletionRequest | PoolingChatRequest | IOProcessorRequest`` with that release's task literal."""
    task_type: Any = Literal[task_values]
    completion = create_model("PoolingCompletionRequest", __base__=EmbeddingCompletionRequest,
                              task=(task_type | None, None))
    chat = create_model("PoolingChatRequest", __base__=EmbeddingChatRequest, task=(task_type | None, None))
    return Union[completion, chat, IOProcessorRequest]


ScoreInput = Union[str, dict[str, Any], list[Union[str, dict[str, Any]]]]

#: The four spellings of a score request's two sides, in vLLM's order.
SCORE_SIDES = (("queries", "documents"), ("queries", "items"), ("data_1", "data_2"), ("text_1", "text_2"))


class ScoreRequestBase(PoolingBasicRequestMixin):
    use_activation: bool | None = None

    def sides(self) -> tuple[ScoreInput, ScoreInput]:
        for left, right in SCORE_SIDES:
            if left in type(self).model_fields and right in type(self).model_fields:
                return getattr(self, left), getattr(self, right)
        raise AssertionError("a score request has two sides")


class RerankRequestBase(PoolingBasicRequestMixin):
    query: Union[str, dict[str, Any]]
    documents: list[Union[str, dict[str, Any]]]
    top_n: int = 0
    use_activation: bool | None = None


@lru_cache(maxsize=None)
def score_request_type(length_fields: bool) -> Any:
    extra: dict[str, Any] = ({"max_tokens_per_query": (int, 0), "max_tokens_per_doc": (int, 0)}
                             if length_fields else {})
    variants = []
    for left, right in SCORE_SIDES:
        fields: dict[str, Any] = {left: (ScoreInput, ...), right: (ScoreInput, ...), **extra}
        name = f"Score{left.title().replace('_', '')}{right.title().replace('_', '')}Request"
        variants.append(create_model(name, __base__=ScoreRequestBase, **fields))
    return Union[tuple(variants)]


@lru_cache(maxsize=None)
def rerank_request_type(length_fields: bool) -> Any:
    extra: dict[str, Any] = ({"max_tokens_per_query": (int, 0), "max_tokens_per_doc": (int, 0)}
                             if length_fields else {})
    return create_model("RerankRequest", __base__=RerankRequestBase, **extra)


class TokenizeCompletionRequest(OpenAIBaseModel):
    model: str | None = None
    prompt: str
    add_special_tokens: bool = True
    return_token_strs: bool | None = False


class TokenizeChatRequest(OpenAIBaseModel):
    model: str | None = None
    messages: list[dict[str, Any]]
    add_generation_prompt: bool = True
    continue_final_message: bool = False
    add_special_tokens: bool = False
    return_token_strs: bool | None = False
    chat_template: str | None = None
    chat_template_kwargs: dict[str, Any] | None = None


TokenizeRequest = Union[TokenizeCompletionRequest, TokenizeChatRequest]


class DetokenizeRequest(OpenAIBaseModel):
    model: str | None = None
    tokens: list[int]


class CohereEmbedRequest(OpenAIBaseModel):
    """``/v2/embed`` (Cohere's embed API v2)."""

    model: str | None = None
    input_type: str | None = None
    texts: list[str] | None = None
    images: list[str] | None = None
    inputs: list[dict[str, Any]] | None = None
    output_dimension: int | None = None
    embedding_types: list[Literal["float", "binary", "ubinary", "base64"]] | None = None
    truncate: Literal["NONE", "START", "END"] = "END"
    max_tokens: int | None = None
    priority: int = 0
