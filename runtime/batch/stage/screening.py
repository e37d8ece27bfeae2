"""Finding the rows that made an engine call fail, without running the model on each row.

The engine refuses a whole call when one prompt is too long, tokenizes to nothing or holds a token id outside the
vocabulary. When that happens, each row's prompt goes alone through the engine's own tokenization and checks,
which costs a tokenizer call per row and no forward pass; the rows it refuses carry vLLM's message (the one the
shim's offline ``LLM`` gives), the rest run together.
"""

from __future__ import annotations

from vllm_pooling_migrate.runtime.batch.stage.prompts import Prompt


def score_type(llm) -> str:
    """The score type ``llm.score`` uses (``LLM.score_type``). Where the shim refuses to score (M26), "bi-encoder":
    the probe call then raises ``llm.score``'s own error."""
    try:
        return llm.score_type
    except ValueError:
        return "bi-encoder"


def engine_prompts(prompt: Prompt, pairs_as: str | None) -> list:
    """What the engine tokenizes for one row: a pair together (cross-encoder) or each text alone."""
    if isinstance(prompt, tuple) and pairs_as != "cross-encoder":
        return list(prompt)
    return [prompt]


def refusals(llm, prompts: list[Prompt], truncate_prompt_tokens: int | None, pairs_as: str | None
             ) -> list[str | None]:
    """Per prompt, vLLM's message if it would refuse it, else None. Outside ``score`` (``pairs_as`` None) a
    too-long prompt is reported as the shim's offline ``LLM`` reports it: in the words of vLLM's renderer."""
    from vllm_pooling_migrate.runtime.batching import (
        PromptTooLongError,
        tokenize_prompts,
        truncation_length,
    )
    from vllm_pooling_migrate.shim.prompt_limits import (
        refuse_long_texts,
        renderer_refusal,
    )

    engine = llm.engine
    max_model_len = engine.info.max_model_len
    truncate_to = truncation_length(truncate_prompt_tokens, max_model_len)
    found: list[str | None] = []
    for prompt in prompts:
        row = engine_prompts(prompt, pairs_as)
        try:
            if pairs_as is None:
                refuse_long_texts(row, engine, truncate_prompt_tokens)
            tokenize_prompts(engine.tokenizer, row, max_model_len=max_model_len, truncate_to=truncate_to,
                             vocab_size=engine.vocab_size)
        except PromptTooLongError as error:
            found.append(str((renderer_refusal(error) if pairs_as is None else None) or error))
        except (ValueError, TypeError) as error:
            found.append(str(error))
        else:
            found.append(None)
    return found
