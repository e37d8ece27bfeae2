"""Tokenization that touches no shared state: every call carries its own truncation.

A Hugging Face fast tokenizer keeps truncation as state on its Rust backend: a call with ``truncation=True``
enables it there and leaves it enabled, and ``truncation_side`` is an attribute of the object. Two threads that
share one tokenizer therefore cut each other's prompts, and the user's own calls on ``engine.tokenizer`` would
inherit whatever the engine's last call set. :class:`TextEncoder` instead encodes with a private copy of the
backend that is never reconfigured (no truncation, no padding) and truncates the resulting encodings itself, the
way the backend would, before adding the special tokens. Concurrent calls are safe and the user's tokenizer is
never modified.

Truncation is vLLM's ``truncate_prompt_tokens=k``: the prompt keeps its **last** ``k`` tokens (left truncation).
A text keeps its special tokens, exactly as the fast tokenizer's left truncation does (``[CLS]`` + the last
``k - 2`` word pieces + ``[SEP]``; a pair loses tokens from its longer side first). When ``k`` is smaller than the
number of special tokens the model adds, the tokenizer would silently not truncate at all; the encoder then keeps
the last ``k`` tokens of the full sequence, so the model never sees more than ``k`` tokens.
"""

from __future__ import annotations

import copy
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TokenizedPrompt:
    token_ids: list[int]
    token_type_ids: list[int] | None = None


class TextEncoder:
    """Texts and text pairs → token ids (and segment ids for pairs), truncation per call, no shared state."""

    def __init__(self, tokenizer: Any):
        backend = getattr(tokenizer, "backend_tokenizer", None)
        self._backend: Any = None
        self._slow: Any = None
        if backend is not None:
            from tokenizers import Tokenizer

            private = Tokenizer.from_str(backend.to_str())
            private.no_truncation()
            private.no_padding()
            self._backend = private
            self._specials = {pair: private.num_special_tokens_to_add(pair) for pair in (False, True)}
        else:  # a slow (Python) tokenizer: a private copy, one call at a time
            self._slow = copy.deepcopy(tokenizer)
            self._slow_lock = threading.Lock()
            self._specials = {pair: self._slow.num_special_tokens_to_add(pair=pair) for pair in (False, True)}

    def special_tokens(self, pair: bool) -> int:
        return self._specials[pair]

    def encode(self, texts: Sequence[str], truncate_to: int | None) -> list[TokenizedPrompt]:
        if not texts:
            return []
        if self._backend is None:
            return self._encode_slow(list(texts), None, truncate_to)
        if truncate_to is None:
            encodings = self._backend.encode_batch(list(texts), add_special_tokens=True)
            return [TokenizedPrompt(list(e.ids)) for e in encodings]
        raw = self._backend.encode_batch(list(texts), add_special_tokens=False)
        return [self._finish(encoding, None, truncate_to) for encoding in raw]

    def encode_pairs(self, pairs: Sequence[tuple[str, str]], truncate_to: int | None) -> list[TokenizedPrompt]:
        if not pairs:
            return []
        if self._backend is None:
            return self._encode_slow([a for a, _ in pairs], [b for _, b in pairs], truncate_to)
        if truncate_to is None:
            encodings = self._backend.encode_batch([(a, b) for a, b in pairs], add_special_tokens=True)
            return [TokenizedPrompt(list(e.ids), list(e.type_ids)) for e in encodings]
        firsts = self._backend.encode_batch([a for a, _ in pairs], add_special_tokens=False)
        seconds = self._backend.encode_batch([b for _, b in pairs], add_special_tokens=False)
        return [self._finish(first, second, truncate_to) for first, second in zip(firsts, seconds, strict=True)]

    def _finish(self, first, second, truncate_to: int) -> TokenizedPrompt:
        """Left-truncate raw encodings to ``truncate_to`` tokens in all, then add the special tokens."""
        is_pair = second is not None
        budget = truncate_to - self._specials[is_pair]
        lengths = [len(first.ids)] + ([len(second.ids)] if is_pair else [])
        if budget >= 0 and sum(lengths) > budget:
            if is_pair:
                keep_first, keep_second = _longest_first(lengths[0], lengths[1], budget)
                first.truncate(keep_first, direction="left")
                second.truncate(keep_second, direction="left")
            else:
                first.truncate(budget, direction="left")
        final = self._backend.post_process(first, second, add_special_tokens=True)
        ids, type_ids = list(final.ids), list(final.type_ids)
        if len(ids) > truncate_to:  # fewer tokens asked for than the special tokens alone: the last ones
            ids, type_ids = ids[-truncate_to:], type_ids[-truncate_to:]
        return TokenizedPrompt(ids, type_ids if is_pair else None)

    def _encode_slow(self, firsts: list[str], seconds: list[str] | None, truncate_to: int | None):
        with self._slow_lock:
            tokenizer = self._slow
            kwargs: dict[str, Any] = {"add_special_tokens": True}
            if truncate_to is not None and truncate_to >= self._specials[seconds is not None]:
                tokenizer.truncation_side = "left"
                kwargs.update(truncation=True, max_length=truncate_to)
            args = (firsts,) if seconds is None else (firsts, seconds)
            encoded = tokenizer(*args, **kwargs)
        type_ids = encoded.get("token_type_ids")
        result = []
        for row, ids in enumerate(encoded["input_ids"]):
            types = list(type_ids[row]) if type_ids is not None and seconds is not None else None
            ids = list(ids)
            if truncate_to is not None and len(ids) > truncate_to:
                ids, types = ids[-truncate_to:], (types[-truncate_to:] if types is not None else None)
            result.append(TokenizedPrompt(ids, types))
        return result


def _longest_first(n_first: int, n_second: int, budget: int) -> tuple[int, int]:
    """How many tokens each side of a pair keeps under the fast tokenizer's ``longest_first`` strategy."""
    short, long = sorted((n_first, n_second))
    long = short if short > budget else max(short, budget - short)
    if short + long > budget:
        short = budget // 2
        long = short + budget % 2
    return (short, long) if n_first <= n_second else (long, short)


_encoders: weakref.WeakKeyDictionary[Any, TextEncoder] = weakref.WeakKeyDictionary()
_encoders_lock = threading.Lock()


def encoder_for(tokenizer: Any) -> TextEncoder:
    """The (cached) stateless encoder of a Hugging Face tokenizer; an encoder is returned as is."""
    if isinstance(tokenizer, TextEncoder):
        return tokenizer
    with _encoders_lock:
        try:
            encoder = _encoders.get(tokenizer)
        except TypeError:  # not weak-referenceable or not hashable: no cache
            return TextEncoder(tokenizer)
        if encoder is None:
            encoder = _encoders[tokenizer] = TextEncoder(tokenizer)
        return encoder
