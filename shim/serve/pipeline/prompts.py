"""Request inputs -> token ids, off the event loop, with vLLM's server-side limits.

Texts are tokenized on one thread that owns a copy of the model's tokenizer (truncation is a per-call setting of
the tokenizer object, so it is never shared). Then, per prompt, as vLLM's frontend does:

* ``truncate_prompt_tokens``: -1 means the input limit; above ``max_model_len`` is a 400; ``k`` keeps ``k`` tokens,
  the last ones by default (vLLM's left truncation; a text keeps its special tokens), the first with
  ``truncation_side: "right"``;
* longer than the input limit: 400 with ``param: "input_tokens"`` and vLLM's text (never 413). The limit is
  ``max_model_len`` unless the route passes another (``long_inputs.py``: ``max_embed_len``, or none when chunking);
* empty, or a token id outside the vocabulary: 400 with the engine's texts.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from vllm_pooling_migrate.shim.serve.pipeline.long_inputs import InputLimit, default_limit

Prompt = str | list[int]


def prompt_list(value: Any) -> list[Prompt]:
    """``input`` as vLLM reads it: a text, a list of texts, one token-id list, or a list of token-id lists."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, int) for item in value):
        return [list(value)]  # also []: one empty prompt, which the length check refuses
    return list(value)


class PromptPreparer:
    def __init__(self, tokenizer: Any, max_model_len: int) -> None:
        self._tokenizer = copy.deepcopy(tokenizer)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pooling-tokenizer")
        self.max_model_len = max_model_len
        self.limit = default_limit(max_model_len)
        self.vocab_size = len(self._tokenizer)
        # vLLM's bound for refusing an untruncated text before tokenizing it (tokenizers/hf.py).
        self.max_chars_per_token = max(len(token) for token in self._tokenizer.get_vocab())

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def truncation_length(self, truncate_prompt_tokens: int | None) -> int | None:
        return self.limit.truncation(truncate_prompt_tokens)

    async def _off_loop(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, function, *args)

    async def prompts(self, prompts: Sequence[Prompt], *, add_special_tokens: bool = True,
                      truncate_prompt_tokens: int | None = None, truncation_side: str | None = None,
                      limit: InputLimit | None = None) -> list[list[int]]:
        limit = limit or self.limit
        truncate_to = limit.truncation(truncate_prompt_tokens)
        limit.check_request()
        return await self._off_loop(self._tokenize_prompts, list(prompts), add_special_tokens, truncate_to,
                                    truncation_side or "left", limit)

    async def pair_lengths(self, pairs: Sequence[tuple[str, str]], *, truncate_prompt_tokens: int | None) -> list[int]:
        """Token counts of text pairs as the engine will tokenize them (left truncation), checked like prompts."""
        truncate_to = self.truncation_length(truncate_prompt_tokens)
        return await self._off_loop(self._pair_lengths, list(pairs), truncate_to)

    async def tokenize(self, text: str, add_special_tokens: bool) -> tuple[list[int], list[str]]:
        return await self._off_loop(self._tokenize_one, text, add_special_tokens)

    async def detokenize(self, token_ids: list[int]) -> str:
        return await self._off_loop(self._detokenize, token_ids)

    # -- on the tokenizer thread ----------------------------------------------------------------------------

    def _encode(self, args: tuple, add_special_tokens: bool, truncate_to: int | None, side: str) -> list[list[int]]:
        if truncate_to is None:
            return self._tokenizer(*args, add_special_tokens=add_special_tokens)["input_ids"]
        self._tokenizer.truncation_side = side
        return self._tokenizer(*args, add_special_tokens=add_special_tokens, truncation=True,
                               max_length=truncate_to)["input_ids"]

    def _tokenize_prompts(self, prompts: list[Prompt], add_special_tokens: bool, truncate_to: int | None,
                          side: str, limit: InputLimit) -> list[list[int]]:
        """vLLM's renderer goes prompt by prompt (a text's length in characters, then its tokens; token ids' length)
        before the engine checks any prompt (empty, vocabulary)."""
        upto = len(prompts)
        if truncate_to is None:  # the character bound applies to texts sent without truncation
            upto = next((i for i, p in enumerate(prompts) if isinstance(p, str) and self._over_chars(p, limit)), upto)
        texts = [index for index, prompt in enumerate(prompts[:upto]) if isinstance(prompt, str)]
        token_ids: list[list[int]] = [[] for _ in prompts]
        if texts:
            encoded = self._encode(([prompts[i] for i in texts],), add_special_tokens, truncate_to, side)
            for row, index in enumerate(texts):
                token_ids[index] = list(encoded[row])
        for index, prompt in enumerate(prompts[:upto]):
            if not isinstance(prompt, str):
                ids = list(prompt)
                if truncate_to is not None:
                    ids = ids[-truncate_to:] if side == "left" and truncate_to else ids[:truncate_to]
                token_ids[index] = ids
            text = isinstance(prompt, str) and truncate_to is None
            limit.check_length(limit.reported_length(len(token_ids[index]), text=text))
        if upto < len(prompts):
            limit.check_text(str(prompts[upto]), self.max_chars_per_token)
        for ids in token_ids:
            self._check(ids)
        return token_ids

    def _over_chars(self, text: str, limit: InputLimit) -> bool:
        return limit.max_input_tokens is not None and len(text) > limit.max_input_tokens * self.max_chars_per_token

    def _pair_lengths(self, pairs: list[tuple[str, str]], truncate_to: int | None) -> list[int]:
        if not pairs:
            return []
        encoded = self._encode(([a for a, _ in pairs], [b for _, b in pairs]), True, truncate_to, "left")
        for ids in encoded:
            self.limit.check_length(len(ids), bounded=False)
            self._check(ids)
        return [len(ids) for ids in encoded]

    def _check(self, ids: list[int]) -> None:
        if not ids:
            raise ValueError("The decoder prompt cannot be empty")
        out_of_range = [t for t in ids if t < 0 or t >= self.vocab_size]
        if out_of_range:
            raise ValueError(f"Token id {max(out_of_range, key=abs)} is out of vocabulary")

    def _tokenize_one(self, text: str, add_special_tokens: bool) -> tuple[list[int], list[str]]:
        ids = list(self._tokenizer(text, add_special_tokens=add_special_tokens)["input_ids"])
        return ids, list(self._tokenizer.convert_ids_to_tokens(ids))

    def _detokenize(self, token_ids: list[int]) -> str:
        out_of_range = [t for t in token_ids if t < 0 or t >= self.vocab_size]
        if out_of_range:
            raise ValueError(f"Token id {max(out_of_range, key=abs)} is out of vocabulary")
        return self._tokenizer.decode(token_ids)
