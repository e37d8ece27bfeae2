"""Shared by the serve tests (pytest puts this folder on sys.path): expected bodies and vLLM's texts from the spec."""

from __future__ import annotations

NOT_FOUND = {"detail": "Not Found"}
METHOD_NOT_ALLOWED = {"detail": "Method Not Allowed"}

# Literals copied from shared/spec/online-serving.md and vllm-pooling-spec.md §6.
M14A_TOKEN_EMBED = ("Pooling multitask support is deprecated and will be removed in v0.20. When the default pooling "
                    "task is not what you want, you need to manually specify it via --pooler-config.task "
                    "\"token_embed\". ")
M14B_TOKEN_EMBED = ("Pooling multitask support is deprecated and will be removed in v0.20. When the default pooling "
                    "task is not what you want, you need to manually specify it via --pooler-config.task "
                    "token_embed. ")
M15_TOKEN_EMBED = "Try switching the model's pooling_task via --pooler-config.task token_embed."
M05_CLASSIFY_ON_E = "Unsupported task: 'classify' Supported tasks: ('embed', 'token_embed')"
M05E_PLUGIN_ON_E = "Unsupported task: 'plugin' Supported tasks: ['embed', 'token_embed']"
M08 = ("No IOProcessor plugin installed. Please refer to the documentation and to the "
       "'prithvi_geospatial_mae_io_processor' offline inference example for more details.")
M27 = "dimensions is currently not supported"
M30 = "The model does not support Embeddings API"
M31 = "The model does not support Classification API"
COMBINED_500 = {"error": {"message": "'embed&token_classify'", "type": "InternalServerError", "param": None,
                          "code": 500}}
V1_SCORE = ("To indicate that Score API is not part of standard OpenAI API, we have moved it to `/score`. Please "
            "update your client accordingly.")
V1_RERANK = ("To indicate that the rerank API is not part of the standard OpenAI API, we have located it at "
             "`/rerank`. Please update your client accordingly. (Note: Conforms to JinaAI rerank API)")
POOLING_LOGGER = "vllm.entrypoints.pooling.pooling.serving"


def error(message: str, error_type: str = "BadRequestError", code: int = 400, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


def validation_error(message: str, param: str, value: object) -> dict:
    """vLLM's VLLMValidationError body: ``str(exc)`` ends with the parameter and value (``vllm/exceptions.py``)."""
    return error(f"{message} (parameter={param}, value={value})", param=param)


def too_long(max_model_len: int, tokens: int, *, at_least: bool = False) -> str:
    """``at_least``: vLLM tokenizes an untruncated text only up to limit + 1 tokens, and says "at least" for a
    count of exactly limit + 1 (``renderers/params.py:288-300,405-430@v0.21.0``)."""
    n = f"at least {tokens}" if at_least else f"{tokens}"
    return (f"This model's maximum context length is {max_model_len} tokens. However, you requested 0 output tokens "
            f"and your prompt contains {n} input tokens, for a total of {n} tokens. Please reduce the "
            "length of the input prompt or the number of requested output tokens.")


def records(caplog, logger_name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == logger_name]
