"""vLLM's request base and mixins (``entrypoints/pooling/base/protocol.py``, identical in 0.19.1-0.21.0).

Every request model allows extra keys (``extra="allow"``): unknown keys, the legacy ``normalize``/``softmax``/
``activation`` included, are ignored, and vLLM logs them at DEBUG only. The routes add the rule-coded record
for the legacy ones (``pipeline/legacy_keys.py``).
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vllm_pooling_migrate.shim.serve.messages import LOGGER_PROTOCOL, online_text

logger = logging.getLogger(LOGGER_PROTOCOL)


def random_uuid() -> str:
    return uuid.uuid4().hex


class OpenAIBaseModel(BaseModel):
    model_config = ConfigDict(extra="allow")

    @model_validator(mode="wrap")
    @classmethod
    def _log_ignored_fields(cls, data: Any, handler: Any) -> Any:
        result = handler(data)
        if isinstance(data, dict):
            known = set(cls.model_fields) | {f.alias for f in cls.model_fields.values() if f.alias}
            ignored = data.keys() - known
            if ignored:
                logger.debug(online_text("ignored-fields"), ignored)
        return result

    @property
    def extra_keys(self) -> set[str]:
        return set(self.model_extra or ())


class PoolingBasicRequestMixin(OpenAIBaseModel):
    model: str | None = None
    user: str | None = None
    truncate_prompt_tokens: Annotated[int, Field(ge=-1)] | None = None
    truncation_side: Literal["left", "right"] | None = None
    request_id: str = Field(default_factory=random_uuid)
    priority: int = 0
    mm_processor_kwargs: dict[str, Any] | None = None
    cache_salt: str | None = None


class CompletionInputMixin(BaseModel):
    input: list[int] | list[list[int]] | str | list[str]
    add_special_tokens: bool = True


class ChatInputMixin(BaseModel):
    messages: list[dict[str, Any]]
    add_generation_prompt: bool = False
    continue_final_message: bool = False
    add_special_tokens: bool = False
    chat_template: str | None = None
    chat_template_kwargs: dict[str, Any] | None = None
    media_io_kwargs: dict[str, Any] | None = None


EncodingFormat = Literal["float", "base64", "bytes", "bytes_only"]
EmbedDtype = Literal["float32", "float16", "bfloat16", "fp8_e4m3", "fp8_e5m2"]
Endianness = Literal["native", "big", "little"]


class EncodingMixin(BaseModel):
    encoding_format: EncodingFormat = "float"
    embed_dtype: EmbedDtype = "float32"
    endianness: Endianness = "native"
