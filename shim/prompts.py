"""vLLM's prompt forms, checked where they enter: texts, token ids, prompt dicts and score pairs become what the
engine takes, and anything else is refused with an error that names the prompt."""

from __future__ import annotations

from typing import Any

from vllm_pooling_migrate.shim.messages import text
from vllm_pooling_migrate.shim.validation import is_integer

#: What the engine takes as a prompt: a text, token ids, or vLLM's ``{"data": ...}`` dict (the plugin path).
EnginePrompt = str | list[int] | dict[str, Any]


def prompt_list(prompts) -> list[EnginePrompt]:
    """vLLM's prompt forms -> engine inputs: text, token ids, or the ``{"data": ...}`` dict (plugin path).

    Every form is checked here, at the boundary, and anything else is a ``TypeError`` naming the prompt: bytes are
    not text, a bool is not a token id (vLLM would read ``[True, False]`` as the ids 1 and 0), a dict must carry
    ``prompt`` (a str) or ``prompt_token_ids`` (a list of int)."""
    if isinstance(prompts, bytes | bytearray):
        raise TypeError("prompts: bytes are not a prompt; decode them to str, or pass token ids as a list of int")
    if isinstance(prompts, str | dict) or is_token_list(prompts):
        prompts = [prompts]
    elif not isinstance(prompts, list | tuple):
        raise TypeError("prompts must be a str, a prompt dict, a list of token ids, or a list of those; "
                        f"got {type(prompts).__name__}")
    return [engine_prompt(prompt, index) for index, prompt in enumerate(prompts)]


def is_token_list(value: object) -> bool:
    """A non-empty list of numbers that is meant as one token-id prompt (bools included, so they are refused as
    token ids rather than read as a list of prompts)."""
    return (isinstance(value, list | tuple) and bool(value)
            and all(is_integer(t) or isinstance(t, bool) for t in value))


def engine_prompt(prompt: object, index: int) -> EnginePrompt:
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, dict):
        if "data" in prompt:
            return prompt
        if "prompt_token_ids" in prompt:
            return token_ids(prompt["prompt_token_ids"], f"prompts[{index}]['prompt_token_ids']")
        if "prompt" in prompt:
            if not isinstance(prompt["prompt"], str):
                raise TypeError(f"prompts[{index}]['prompt'] must be a str, got {type(prompt['prompt']).__name__}")
            return prompt["prompt"]
        raise TypeError(f"prompts[{index}] is a dict without 'prompt' or 'prompt_token_ids' (keys: {sorted(prompt)})")
    if isinstance(prompt, list | tuple):
        return token_ids(prompt, f"prompts[{index}]")
    if isinstance(prompt, bytes | bytearray):
        raise TypeError(f"prompts[{index}] is bytes, not a prompt: decode it to str, or pass token ids as a list "
                        "of int")
    raise TypeError(f"prompts[{index}] must be a str, a prompt dict or a list of token ids, "
                    f"got {type(prompt).__name__} {prompt!r}")


def token_ids(value: object, where: str) -> list[int]:
    if not isinstance(value, list | tuple):
        raise TypeError(f"{where} must be a list of int token ids, got {type(value).__name__}")
    for position, token in enumerate(value):
        if not is_integer(token):
            raise TypeError(f"{where}: token ids must be integers, got {type(token).__name__} {token!r} "
                            f"at position {position}")
    return [int(token) for token in value]


ScoreItem = str | list[int]


def score_pairs(data_1, data_2) -> list[tuple[ScoreItem, ScoreItem]]:
    """vLLM's score inputs: one item or a list on each side, 1:1, 1:N or N:N, with its texts for empty and
    mismatched sides. An item is a text (or ``{"prompt": text}``) or token ids (``{"prompt_token_ids": [...]}``,
    a list of int)."""
    left, right = score_items(data_1, "data_1"), score_items(data_2, "data_2")
    if len(left) > 1 and len(left) != len(right):
        raise ValueError("Input lengths must be either 1:1, 1:N or N:N")
    if not left:
        raise ValueError("At least one text element must be given")
    if not right:
        raise ValueError("At least one text_pair element must be given")
    if len(left) == 1:
        left = left * len(right)
    return list(zip(left, right))


def score_items(data, name: str) -> list[ScoreItem]:
    if isinstance(data, str | dict) or is_token_list(data):
        data = [data]
    elif not isinstance(data, list | tuple):
        raise TypeError(f"{name} must be a str, a prompt dict, token ids, or a list of those; got {type(data).__name__}")
    items: list[ScoreItem] = []
    for index, item in enumerate(data):
        if isinstance(item, dict) and "data" in item:
            raise ValueError(text("M08"))
        prompt = engine_prompt(item, index)
        if isinstance(prompt, dict):  # not reached: data dicts were refused above
            raise ValueError(text("M08"))
        items.append(prompt)
    return items
