"""A batch's rows as engine prompts, and the rows that cannot be one, with vLLM's message where vLLM has one."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from vllm_pooling_migrate.runtime.batch.columns import INPUT_ERROR_COLUMN

#: vLLM's text for an empty prompt (``vllm/inputs/preprocess.py``); the engine raises the same.
EMPTY_PROMPT = "The decoder prompt cannot be empty"

Prompt = str | list[int] | tuple[str, str]


@dataclass(frozen=True)
class PromptSource:
    """Where a stage finds its prompts: one text column, two text columns (a pair, for ``score``), or a column of
    token-id lists."""

    text_column: str | None = "text"
    pair_columns: tuple[str, str] | None = None
    token_ids_column: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        if self.pair_columns:
            return self.pair_columns
        return (self.token_ids_column,) if self.token_ids_column else (self.text_column or "text",)


def extract_prompts(table: pa.Table, source: PromptSource) -> tuple[list[Prompt | None], list[str | None]]:
    """Per row, the prompt or the reason there is none. A row the reader already failed (``_input_error``) has
    neither: it is not this stage's error. What only the engine can tell (a prompt too long, a token id outside
    the vocabulary) it tells when the prompt runs (``screening.py``)."""
    missing = [name for name in source.columns if name not in table.column_names]
    if missing:
        raise ValueError(f"the batch has no column {', '.join(map(repr, missing))}; it has {table.column_names}")
    count = table.num_rows
    failed_on_input = (table.column(INPUT_ERROR_COLUMN).is_valid().to_pylist() if INPUT_ERROR_COLUMN in
                       table.column_names else [False] * count)
    prompts: list[Prompt | None] = [None] * count
    errors: list[str | None] = [None] * count
    if source.pair_columns:
        left, right = (table.column(name).to_pylist() for name in source.pair_columns)
        checks = [(_text_problem(a, source.pair_columns[0]) or _text_problem(b, source.pair_columns[1]), (a, b))
                  for a, b in zip(left, right)]
    elif source.token_ids_column:
        column = source.token_ids_column
        checks = [(_token_ids_problem(ids, column), ids) for ids in table.column(column).to_pylist()]
    else:
        column = source.text_column or "text"
        checks = [(_text_problem(text, column), text) for text in table.column(column).to_pylist()]
    for index, (problem, prompt) in enumerate(checks):
        if failed_on_input[index]:
            continue
        if problem:
            errors[index] = problem
        else:
            prompts[index] = prompt
    return prompts, errors


def _text_problem(text: object, column: str) -> str | None:
    if text is None:
        return f"no text: column {column!r} is null or missing"
    if not isinstance(text, str):
        return f"column {column!r} holds {type(text).__name__}, not a string"
    # An empty document is a data error even where the tokenizer would add special tokens around nothing.
    return EMPTY_PROMPT if text == "" else None


def _token_ids_problem(token_ids: object, column: str) -> str | None:
    if token_ids is None:
        return f"no token ids: column {column!r} is null or missing"
    if not isinstance(token_ids, list) or not all(isinstance(t, int) for t in token_ids):
        return f"column {column!r} must hold a list of integer token ids"
    return EMPTY_PROMPT if not token_ids else None
