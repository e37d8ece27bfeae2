"""How vLLM's offline ``LLM`` refuses a prompt longer than the model.

From 0.18 the offline pooling calls tokenize through vLLM's renderer (``entrypoints/llm.py:836-860@v0.18.1``,
``entrypoints/pooling/base/io_processor.py:101-108@v0.21.0``), whose ``TokenizeParams`` has the model's length as
its limit and no output tokens (``renderers/base.py:330-342@v0.21.0``). It checks before the engine does, so its
texts are what a user sees, never the engine's "The decoder prompt (length N) …" (``renderers/params.py@v0.21.0``):

* a text longer than the limit times the tokenizer's longest vocabulary entry is refused before tokenizing
  (``_text_len_check``, ``parameter=input_text``);
* any other text is tokenized only up to ``limit + 1`` tokens, so a too-long text always reports "at least
  limit + 1"; token ids report their length, "at least" only when it is exactly ``limit + 1``
  (``_token_len_check``, ``parameter=input_tokens``).

The error is vLLM's ``VLLMValidationError``: a ``ValueError`` whose text ends with `` (parameter=…, value=…)``
(``vllm/exceptions.py:29-36@v0.21.0``). Prompts are checked one at a time, in order, so the first refused prompt
names the error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class VLLMValidationError(ValueError):
    """vLLM's validation error: the message, then the parameter and the value that were refused."""

    def __init__(self, message: str, parameter: str | None = None, value: object = None) -> None:
        super().__init__(message)
        self.parameter = parameter
        self.value = value

    def __str__(self) -> str:
        extras = [f"{name}={item}" for name, item in (("parameter", self.parameter), ("value", self.value))
                  if item is not None]
        base = super().__str__()
        return f"{base} ({', '.join(extras)})" if extras else base


def too_many_tokens(max_model_len: int, token_count: int, *, max_input_tokens: int | None = None,
                    output_tokens: int = 0, bounded: bool = True) -> VLLMValidationError:
    """``_token_len_check``. A count of exactly ``limit + 1`` may be a cut-off tokenization, so vLLM says "at least"
    (``bounded``; the server's score routes report pair texts without it)."""
    limit = max_model_len if max_input_tokens is None else max_input_tokens
    at_least = "at least " if bounded and token_count == limit + 1 else ""
    return VLLMValidationError(
        f"This model's maximum context length is {max_model_len} tokens. However, you requested {output_tokens} "
        f"output tokens and your prompt contains {at_least}{token_count} input tokens, for a total of "
        f"{at_least}{token_count + output_tokens} tokens. Please reduce the length of the input prompt or the number "
        "of requested output tokens.",
        "input_tokens", token_count)


def too_many_characters(max_model_len: int, characters: int, max_chars_per_token: int, *,
                        max_input_tokens: int | None = None, output_tokens: int = 0) -> VLLMValidationError:
    """``_text_len_check``: refused before tokenizing."""
    limit = max_model_len if max_input_tokens is None else max_input_tokens
    max_chars = limit * max_chars_per_token
    return VLLMValidationError(
        f"This model's maximum context length is {max_model_len} tokens. However, you requested {output_tokens} "
        f"output tokens and your prompt contains {characters} characters (more than {max_chars} characters, which "
        f"is the upper bound for {limit} input tokens). Please reduce the length of the input prompt or the number "
        "of requested output tokens.",
        "input_text", characters)


def max_chars_per_token(tokenizer: Any) -> int:
    """vLLM's bound for a text's length in characters per token: the longest vocabulary entry."""
    return max((len(token) for token in tokenizer.get_vocab()), default=1)


def refuse_long_texts(prompts: Sequence[Any], engine: Any, truncate_prompt_tokens: int | None) -> None:
    """Before the engine runs: the first text over the character bound is refused unless a prompt before it is
    refused first (vLLM checks prompt by prompt). No text can be over the bound unless it has more characters than
    the model has tokens, so the common call costs one length test per prompt."""
    limit = engine.info.max_model_len
    if truncate_prompt_tokens is not None or not any(isinstance(p, str) and len(p) > limit for p in prompts):
        return
    per_token = max_chars_per_token(engine.tokenizer)
    first = next((i for i, p in enumerate(prompts) if isinstance(p, str) and len(p) > limit * per_token), None)
    if first is None:
        return
    from vllm_pooling_migrate.runtime.batching import (
        PromptTooLongError,
        tokenize_prompts,
    )

    try:  # the prompts before it, through the engine's own checks (no forward pass)
        tokenize_prompts(engine.text_encoder, list(prompts[:first]), max_model_len=limit, truncate_to=None,
                         vocab_size=engine.vocab_size)
    except PromptTooLongError as error:
        raise _in_renderer_words(error) from None
    raise too_many_characters(limit, len(str(prompts[first])), per_token)


def renderer_refusal(error: ValueError) -> VLLMValidationError | None:
    """The refusal vLLM's renderer gives where the engine refused a too-long prompt (``error``), else None."""
    from vllm_pooling_migrate.runtime.batching import (
        PromptTooLongError,  # the engine is loaded when it refused
    )

    return _in_renderer_words(error) if isinstance(error, PromptTooLongError) else None


def _in_renderer_words(error: Any) -> VLLMValidationError:
    limit = error.max_model_len
    return too_many_tokens(limit, min(error.length, limit + 1) if error.from_text else error.length)
