"""The adversarial table: bad inputs at the API boundary, on the real engine with tiny models.

Each row is one input, what the shim does with it, and what vLLM does; ``docs/runtime.md`` prints the same table
(``test_every_row_is_in_the_docs`` keeps the two in step). Where vLLM refuses, the shim refuses with vLLM's type and
text; where vLLM has no text, with a clear one naming the argument; where vLLM accepts a value (pydantic's lax
``"no"`` → ``False``), the shim accepts it with the same meaning. No row may answer with a wrong number.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from vllm_pooling_migrate.shim import LLM, PoolerConfig, PoolingParams, ValidationError
from vllm_pooling_migrate.shim.prompt_limits import VLLMValidationError

VOCAB = 90  # the tiny models' vocabulary (runtime/testing.py)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "runtime.md"


@dataclass(frozen=True)
class Case:
    id: str
    input: str  # the call, as the docs print it
    call: Callable[[dict], object]
    error: type[BaseException] | None  # None: accepted (then ``check`` verifies the result)
    message: str = ""  # regex (a literal text is escaped with ``exact``)
    vllm: str = ""  # vLLM's behaviour, for the docs
    check: Callable[[dict, object], None] | None = None


def exact(text: str) -> str:
    return "^" + re.escape(text) + "$"


def same_as(other: Callable[[dict], object]) -> Callable[[dict, object], None]:
    def check(llms, result) -> None:
        expected = other(llms)
        assert [o.outputs.embedding for o in result] == [o.outputs.embedding for o in expected]

    return check


E = "embed"  # the tiny BERT encoder (default task embed)
C = "classify"  # the 3-label classifier
X = "cross"  # the 1-label cross-encoder

# vLLM's renderer refuses a too-long offline prompt before the engine does (shim/prompt_limits.py).
CONTEXT_64 = "This model's maximum context length is 64 tokens. However, you requested 0 output tokens and your prompt"
REDUCE = "Please reduce the length of the input prompt or the number of requested output tokens."

PYDANTIC_BOOL = "Input should be a valid boolean, unable to interpret input"


def pooler_error(field: str, message: str, error_type: str, value: object) -> str:
    return exact(f"1 validation error for PoolerConfig\n{field}\n  {message} [type={error_type}, "
                 f"input_value={value!r}, input_type={type(value).__name__}]")


CASES = [
    # -- prompt forms ----------------------------------------------------------------------------------------
    Case("prompt-bytes", 'embed(b"hello")', lambda m: m[E].embed(b"hello"), TypeError,
         "^prompts: bytes are not a prompt", 'not a prompt form; no text of its own (not pinned)'),
    Case("prompt-bytes-in-list", 'embed([b"hello"])', lambda m: m[E].embed([b"hello"]), TypeError,
         r"^prompts\[0\] is bytes, not a prompt", 'not a prompt form (not pinned)'),
    Case("prompt-bytearray", 'embed(bytearray(b"hi"))', lambda m: m[E].embed(bytearray(b"hi")), TypeError,
         "^prompts: bytes are not a prompt", 'not a prompt form (not pinned)'),
    Case("prompt-bools", "embed([True, False])", lambda m: m[E].embed([True, False]), TypeError,
         exact("prompts[0]: token ids must be integers, got bool True at position 0"),
         '[inf] a list of `int` (bools are ints): token ids 1 and 0'),
    Case("prompt-bools-dict", 'embed({"prompt_token_ids": [True]})',
         lambda m: m[E].embed({"prompt_token_ids": [True]}), TypeError,
         r"token ids must be integers, got bool True", '[inf] token id 1'),
    Case("prompt-float-ids", "embed([1.0, 2.0])", lambda m: m[E].embed([1.0, 2.0]), TypeError,
         r"^prompts\[0\] must be a str, a prompt dict or a list of token ids, got float 1.0",
         'no text of its own (not pinned)'),
    Case("prompt-str-in-ids", 'embed([[5, "x"]])', lambda m: m[E].embed([[5, "x"]]), TypeError,
         exact("prompts[0]: token ids must be integers, got str 'x' at position 1"), 'no text of its own (not pinned)'),
    Case("prompt-none", "embed(None)", lambda m: m[E].embed(None), TypeError,
         "^prompts must be a str, a prompt dict, a list of token ids, or a list of those; got NoneType",
         'no text of its own (not pinned)'),
    Case("prompt-none-in-list", 'embed(["a", None])', lambda m: m[E].embed(["a", None]), TypeError,
         r"^prompts\[1\] must be a str", 'no text of its own (not pinned)'),
    Case("prompt-int", "embed(5)", lambda m: m[E].embed(5), TypeError, "^prompts must be a str",
         'no text of its own (not pinned)'),
    Case("prompt-dict-unknown-keys", 'embed({"text": "a"})', lambda m: m[E].embed({"text": "a"}), TypeError,
         r"^prompts\[0\] is a dict without 'prompt' or 'prompt_token_ids' \(keys: \['text'\]\)",
         'no text of its own (not pinned)'),
    Case("prompt-dict-prompt-int", 'embed({"prompt": 5})', lambda m: m[E].embed({"prompt": 5}), TypeError,
         exact("prompts[0]['prompt'] must be a str, got int"), 'no text of its own (not pinned)'),
    Case("prompt-dict-ids-str", 'embed({"prompt_token_ids": "abc"})',
         lambda m: m[E].embed({"prompt_token_ids": "abc"}), TypeError,
         exact("prompts[0]['prompt_token_ids'] must be a list of int token ids, got str"),
         'no text of its own (not pinned)'),
    Case("prompt-set", 'embed({"a", "b"})', lambda m: m[E].embed({"a", "b"}), TypeError,
         "^prompts must be a str", 'no text of its own (not pinned)'),
    Case("prompt-generator", 'embed(t for t in ["a"])', lambda m: m[E].embed(t for t in ["a"]), TypeError,
         "^prompts must be a str.*got generator", 'prompts are a `Sequence` (not pinned)'),
    Case("prompt-ndarray", "embed(np.array([5, 6]))", lambda m: m[E].embed(np.array([5, 6])), TypeError,
         "^prompts must be a str.*got ndarray", 'no text of its own (not pinned)'),
    Case("token-id-too-large", "embed([[1000000]])", lambda m: m[E].embed([[10**6]]), ValueError,
         exact("Token id 1000000 is out of vocabulary"), 'same text, a `ValueError` [src: v1 input processor]'),
    Case("token-id-vocab-size", f"embed([[{VOCAB}]])", lambda m: m[E].embed([[VOCAB]]), ValueError,
         exact(f"Token id {VOCAB} is out of vocabulary"), 'same text [src]'),
    Case("token-id-negative", "embed([[5, -1]])", lambda m: m[E].embed([[5, -1]]), ValueError,
         exact("Token id -1 is out of vocabulary"),
         '[src] passes (only the largest id is checked), then fails inside the model'),
    Case("token-id-oov-dict", 'embed({"prompt_token_ids": [5, 1000000]})',
         lambda m: m[E].embed({"prompt_token_ids": [5, 10**6]}), ValueError,
         exact("Token id 1000000 is out of vocabulary"), 'same text [src]'),
    Case("empty-token-ids", 'embed({"prompt_token_ids": []})', lambda m: m[E].embed({"prompt_token_ids": []}),
         ValueError, exact("The decoder prompt cannot be empty"), 'same text [src]'),
    Case("too-long-text", 'embed("the " * 100)', lambda m: m[E].embed("the " * 100), VLLMValidationError,
         exact(f"{CONTEXT_64} contains at least 65 input tokens, for a total of at least 65 tokens. {REDUCE} "
               "(parameter=input_tokens, value=65)"),
         "same text [src]: the renderer tokenizes a text only to 65 tokens"),
    Case("too-long-ids", "embed([[5] * 65])", lambda m: m[E].embed([[5] * 65]), VLLMValidationError,
         exact(f"{CONTEXT_64} contains at least 65 input tokens, for a total of at least 65 tokens. {REDUCE} "
               "(parameter=input_tokens, value=65)"), "same text [src]"),
    Case("too-long-ids-100", "embed([[5] * 100])", lambda m: m[E].embed([[5] * 100]), VLLMValidationError,
         exact(f"{CONTEXT_64} contains 100 input tokens, for a total of 100 tokens. {REDUCE} "
               "(parameter=input_tokens, value=100)"), "same text [src]"),
    Case("too-long-chars", 'embed("x" * 5000)', lambda m: m[E].embed("x" * 5000), VLLMValidationError,
         r"^" + re.escape(f"{CONTEXT_64} contains 5000 characters (more than ") + r"\d+"
         + re.escape(" characters, which is the upper bound for 64 input tokens). ")
         + re.escape(f"{REDUCE} (parameter=input_text, value=5000)") + "$",
         "same text [src]: refused before tokenizing"),
    Case("too-long-ids-then-chars", 'embed([[5] * 70, "x" * 5000])', lambda m: m[E].embed([[5] * 70, "x" * 5000]),
         VLLMValidationError, r"contains 70 input tokens, .* \(parameter=input_tokens, value=70\)$",
         "same text [src]: prompts are checked in order"),
    Case("too-long-after-ok", 'embed(["a", [5] * 70])', lambda m: m[E].embed(["a", [5] * 70]),
         VLLMValidationError, r"contains 70 input tokens, .* \(parameter=input_tokens, value=70\)$",
         "same text [src]: the first refused prompt names the error"),
    Case("numpy-int-ids", "embed([np.int64(5), np.int64(6)])",
         lambda m: m[E].embed([np.int64(5), np.int64(6)], use_tqdm=False), None, vllm='accepted',
         check=same_as(lambda m: m[E].embed([5, 6], use_tqdm=False))),
    # -- pooling_params --------------------------------------------------------------------------------------
    Case("params-dict", 'embed("a", pooling_params={"dimensions": 8})',
         lambda m: m[E].embed("a", pooling_params={"dimensions": 8}), TypeError,
         exact("pooling_params must be a PoolingParams or a list of them (one per prompt), got dict"),
         '[inf] `AttributeError` deep inside'),
    Case("params-list-of-dicts", 'embed(["a"], pooling_params=[{"use_activation": False}])',
         lambda m: m[E].embed(["a"], pooling_params=[{"use_activation": False}]), TypeError,
         exact("pooling_params[0] must be a PoolingParams, got dict"), '[inf] `AttributeError` deep inside'),
    Case("params-str", 'embed("a", pooling_params="embed")', lambda m: m[E].embed("a", pooling_params="embed"),
         TypeError, "^pooling_params must be a PoolingParams", '[inf] `AttributeError` deep inside'),
    Case("params-wrong-length", 'embed(["a", "b"], pooling_params=[PoolingParams()])',
         lambda m: m[E].embed(["a", "b"], pooling_params=[PoolingParams()]), ValueError,
         exact("The lengths of prompts and pooling_params must be the same."), 'same text'),
    Case("params-activation-str", 'PoolingParams(use_activation="no")',
         lambda m: PoolingParams(use_activation="no"), TypeError,
         exact("PoolingParams.use_activation must be a bool or None, got str 'no'"),
         '[inf] accepted (msgspec checks no type at construction); "no" is truthy: normalised'),
    Case("params-dimensions-str", 'PoolingParams(dimensions="8")', lambda m: PoolingParams(dimensions="8"),
         TypeError, exact("PoolingParams.dimensions must be an int or None, got str '8'"),
         '[inf] accepted; fails later'),
    Case("params-dimensions-bool", "PoolingParams(dimensions=True)", lambda m: PoolingParams(dimensions=True),
         TypeError, exact("PoolingParams.dimensions must be an int or None, got bool True"),
         '[inf] accepted as 1 dimension'),
    Case("params-dimensions-float", "PoolingParams(dimensions=8.0)", lambda m: PoolingParams(dimensions=8.0),
         TypeError, exact("PoolingParams.dimensions must be an int or None, got float 8.0"),
         '[inf] accepted; fails later'),
    Case("params-returned-ids-str", 'PoolingParams(returned_token_ids="12")',
         lambda m: PoolingParams(returned_token_ids="12"), TypeError,
         exact("PoolingParams.returned_token_ids must be a list of int or None, got str '12'"), '[inf] accepted'),
    Case("params-step-tag-float", "PoolingParams(step_tag_id=1.5)", lambda m: PoolingParams(step_tag_id=1.5),
         TypeError, exact("PoolingParams.step_tag_id must be an int or None, got float 1.5"), '[inf] accepted'),
    Case("params-task-int", "PoolingParams(task=5)", lambda m: PoolingParams(task=5), TypeError,
         exact("PoolingParams.task must be a str or None, got int"), '[inf] accepted'),
    Case("params-unknown-field", "PoolingParams(bogus=1)", lambda m: PoolingParams(bogus=1), TypeError,
         exact("Unexpected keyword argument 'bogus'"), 'msgspec `TypeError` ([inf] wording)'),
    Case("params-dimensions-not-matryoshka", 'embed("a", pooling_params=PoolingParams(dimensions=8))',
         lambda m: m[E].embed("a", pooling_params=PoolingParams(dimensions=8)), ValueError,
         r'^Model ".*" does not support matryoshka representation', 'same text (M18a)'),
    Case("params-dimensions-on-classify", 'classify("a", pooling_params=PoolingParams(dimensions=2))',
         lambda m: m[C].classify("a", pooling_params=PoolingParams(dimensions=2)), ValueError,
         exact("Task 'classify' only supports ['use_activation'] parameters, does not support ['dimensions'] "
               "parameters"), 'same text (M19)'),
    # -- PoolerConfig (pydantic in vLLM) -----------------------------------------------------------------------
    Case("config-activation-no", 'PoolerConfig(use_activation="no")',
         lambda m: LLM(m["paths"]["bert"], pooler_config=PoolerConfig(use_activation="no")).embed(
             "a", use_tqdm=False), None, vllm='pydantic (lax) stores `False`: not normalised',
         check=same_as(lambda m: LLM(m["paths"]["bert"], pooler_config=PoolerConfig(use_activation=False)).embed(
             "a", use_tqdm=False))),
    Case("config-dimensions-numeric-str", 'PoolerConfig(dimensions="8").dimensions',
         lambda m: PoolerConfig(dimensions="8").dimensions, None, vllm='pydantic (lax) stores 8',
         check=lambda m, result: result == 8),
    Case("config-activation-x", 'PoolerConfig(use_activation="x")', lambda m: PoolerConfig(use_activation="x"),
         ValidationError, pooler_error("use_activation", PYDANTIC_BOOL, "bool_parsing", "x"),
         'pydantic `ValidationError`, same lines'),
    Case("config-activation-2", "PoolerConfig(use_activation=2)", lambda m: PoolerConfig(use_activation=2),
         ValidationError, pooler_error("use_activation", PYDANTIC_BOOL, "bool_parsing", 2),
         'pydantic `ValidationError`, same lines'),
    Case("config-activation-list", "PoolerConfig(use_activation=[])", lambda m: PoolerConfig(use_activation=[]),
         ValidationError, pooler_error("use_activation", "Input should be a valid boolean", "bool_type", []),
         'pydantic `ValidationError`, same lines'),
    Case("config-dimensions-x", 'PoolerConfig(dimensions="x")', lambda m: PoolerConfig(dimensions="x"),
         ValidationError, pooler_error("dimensions", "Input should be a valid integer, unable to parse string as an "
                                       "integer", "int_parsing", "x"), 'pydantic `ValidationError`, same lines'),
    Case("config-dimensions-fraction", "PoolerConfig(dimensions=8.5)", lambda m: PoolerConfig(dimensions=8.5),
         ValidationError, pooler_error("dimensions", "Input should be a valid integer, got a number with a "
                                       "fractional part", "int_from_float", 8.5),
         'pydantic `ValidationError`, same lines'),
    Case("config-dimensions-list", "PoolerConfig(dimensions=[8])", lambda m: PoolerConfig(dimensions=[8]),
         ValidationError, pooler_error("dimensions", "Input should be a valid integer", "int_type", [8]),
         'pydantic `ValidationError`, same lines'),
    Case("config-dimensions-nan", 'PoolerConfig(dimensions=float("nan"))',
         lambda m: PoolerConfig(dimensions=math.nan), ValidationError,
         pooler_error("dimensions", "Input should be a finite number", "finite_number", math.nan),
         'pydantic `ValidationError`, same lines'),
    Case("config-logit-mean-x", 'PoolerConfig(logit_mean="x")', lambda m: PoolerConfig(logit_mean="x"),
         ValidationError, pooler_error("logit_mean", "Input should be a valid number, unable to parse string as a "
                                       "number", "float_parsing", "x"), 'pydantic `ValidationError`, same lines'),
    Case("config-logit-sigma-list", "PoolerConfig(logit_sigma=[])", lambda m: PoolerConfig(logit_sigma=[]),
         ValidationError, pooler_error("logit_sigma", "Input should be a valid number", "float_type", []),
         'pydantic `ValidationError`, same lines'),
    Case("config-returned-ids-str", 'PoolerConfig(returned_token_ids="12")',
         lambda m: PoolerConfig(returned_token_ids="12"), ValidationError,
         pooler_error("returned_token_ids", "Input should be a valid list", "list_type", "12"),
         'pydantic `ValidationError`, same lines'),
    Case("config-returned-ids-item", 'PoolerConfig(returned_token_ids=[1, "x"])',
         lambda m: PoolerConfig(returned_token_ids=[1, "x"]), ValidationError,
         pooler_error("returned_token_ids.1", "Input should be a valid integer, unable to parse string as an "
                      "integer", "int_parsing", "x"), 'pydantic `ValidationError`, same lines'),
    Case("config-chunked-none", "PoolerConfig(enable_chunked_processing=None)",
         lambda m: PoolerConfig(enable_chunked_processing=None), ValidationError,
         pooler_error("enable_chunked_processing", "Input should be a valid boolean", "bool_type", None),
         'pydantic `ValidationError`, same lines'),
    Case("config-max-embed-len-x", 'PoolerConfig(max_embed_len="x")', lambda m: PoolerConfig(max_embed_len="x"),
         ValidationError, pooler_error("max_embed_len", "Input should be a valid integer, unable to parse string "
                                       "as an integer", "int_parsing", "x"), 'pydantic `ValidationError`, same lines'),
    Case("config-step-tag-x", 'PoolerConfig(step_tag_id="a")', lambda m: PoolerConfig(step_tag_id="a"),
         ValidationError, pooler_error("step_tag_id", "Input should be a valid integer, unable to parse string as "
                                       "an integer", "int_parsing", "a"), 'pydantic `ValidationError`, same lines'),
    Case("config-two-errors", 'PoolerConfig(use_activation="x", dimensions="y")',
         lambda m: PoolerConfig(use_activation="x", dimensions="y"), ValidationError,
         "^2 validation errors for PoolerConfig\nuse_activation\n.*\ndimensions\n", 'pydantic reports both'),
    Case("config-task-bogus", 'PoolerConfig(task="bogus")', lambda m: PoolerConfig(task="bogus"),
         ValidationError, r"^1 validation error for PoolerConfig\ntask\n  Input should be 'embed', ",
         'literal `ValidationError` [exec]'),
    Case("config-pooling-type-lower", 'PoolerConfig(pooling_type="cls")', lambda m: PoolerConfig(pooling_type="cls"),
         ValidationError, r"pooling_type\n  Input should be 'CLS', 'LAST', 'MEAN', 'ALL' or 'STEP'",
         'literal `ValidationError`'),
    Case("config-unknown-field", "PoolerConfig(bogus=1)", lambda m: PoolerConfig(bogus=1), ValidationError,
         r"bogus\n  Unexpected keyword argument \[type=unexpected_keyword_argument",
         '`Unexpected keyword argument` [exec]'),
    Case("config-logit-sigma-zero", "PoolerConfig(logit_sigma=0)", lambda m: PoolerConfig(logit_sigma=0),
         ValidationError, r"Value error, logit_sigma cannot be 0 \(division by zero\)", 'same text (M55)'),
    # -- engine arguments ---------------------------------------------------------------------------------------
    Case("runner-bogus", 'LLM(model, runner="bogus")', lambda m: LLM(m["paths"]["bert"], runner="bogus"),
         ValidationError, exact("1 validation error for ModelConfig\nrunner\n  Input should be 'auto', 'generate', "
                                "'pooling' or 'draft' [type=literal_error, input_value='bogus', input_type=str]"),
         '[inf] `ModelConfig` literal `ValidationError`'),
    Case("convert-bogus", 'LLM(model, convert="bogus")', lambda m: LLM(m["paths"]["bert"], convert="bogus"),
         ValidationError, r"^1 validation error for ModelConfig\nconvert\n  Input should be 'auto', 'none', 'embed' "
                          "or 'classify'", '[inf] `ModelConfig` literal `ValidationError`'),
    Case("dtype-bogus", 'LLM(model, dtype="bogus")', lambda m: LLM(m["paths"]["bert"], dtype="bogus"), ValueError,
         r"^dtype must be one of 'auto', 'half', 'float16', 'bfloat16', 'float', 'float32' or a torch.dtype, "
         r"got 'bogus'", 'a pydantic error on `ModelConfig.dtype` (text not pinned)'),
    Case("dtype-fp32-alias", 'LLM(model, dtype="fp32")', lambda m: LLM(m["paths"]["bert"], dtype="fp32"),
         ValueError, r"^dtype must be one of .* got 'fp32'", 'not one of its dtype names (text not pinned)'),
    Case("max-model-len-zero", "LLM(model, max_model_len=0)", lambda m: LLM(m["paths"]["bert"], max_model_len=0),
         ValueError, exact("max_model_len must be a positive integer, got 0"), 'not pinned'),
    Case("max-model-len-negative", "LLM(model, max_model_len=-5)",
         lambda m: LLM(m["paths"]["bert"], max_model_len=-5), ValueError,
         exact("max_model_len must be a positive integer, got -5"), 'not pinned'),
    Case("max-model-len-str", 'LLM(model, max_model_len="x")', lambda m: LLM(m["paths"]["bert"], max_model_len="x"),
         ValidationError, r"^1 validation error for ModelConfig\nmax_model_len\n  Input should be a valid integer, "
                          "unable to parse string as an integer", '[inf] pydantic `ValidationError` on `ModelConfig`'),
    Case("max-model-len-too-large", "LLM(model, max_model_len=1000)",
         lambda m: LLM(m["paths"]["bert"], max_model_len=1000), ValueError,
         exact("max_model_len (1000) is greater than the model's maximum length (64)"),
         'refused (`User-specified max_model_len ...`, a longer text)'),
    Case("max-num-seqs-zero", "LLM(model, max_num_seqs=0)", lambda m: LLM(m["paths"]["bert"], max_num_seqs=0),
         ValueError, exact("max_num_seqs must be a positive integer, got 0"), 'not pinned'),
    Case("max-batched-tokens-str", 'LLM(model, max_num_batched_tokens="many")',
         lambda m: LLM(m["paths"]["bert"], max_num_batched_tokens="many"), ValidationError,
         r"^1 validation error for SchedulerConfig\nmax_num_batched_tokens\n",
         '[inf] pydantic `ValidationError` on `SchedulerConfig`'),
    Case("seed-str", 'LLM(model, seed="x")', lambda m: LLM(m["paths"]["bert"], seed="x"), ValidationError,
         r"^1 validation error for ModelConfig\nseed\n", '[inf] pydantic `ValidationError` on `ModelConfig`'),
    Case("hf-overrides-str", 'LLM(model, hf_overrides="x")', lambda m: LLM(m["paths"]["bert"], hf_overrides="x"),
         TypeError, exact("hf_overrides must be a dict, got str"), 'not pinned'),
    Case("pooler-config-str", 'LLM(model, pooler_config="embed")',
         lambda m: LLM(m["paths"]["bert"], pooler_config="embed"), TypeError,
         exact("pooler_config must be a PoolerConfig or a dict of its fields, got str"),
         '[inf] pydantic `ValidationError`'),
    Case("model-none", "LLM(None)", lambda m: LLM(None), TypeError, "^model must be a path or a repo id",
         'not pinned'),
    Case("model-missing", 'LLM("/no/such/model")', lambda m: LLM("/no/such/model"), FileNotFoundError,
         "is neither a local folder nor in the local Hugging Face cache", 'tries a download first'),
    Case("engine-arg-unknown", "LLM(model, bogus=1)", lambda m: LLM(m["paths"]["bert"], bogus=1), TypeError,
         exact("EngineArgs.__init__() got an unexpected keyword argument 'bogus'"), 'same text (dataclass `__init__`)'),
    Case("device-bogus", 'LLM(model, device="tpu")', lambda m: LLM(m["paths"]["bert"], device="tpu"), ValueError,
         r"^device must be 'cpu', 'cuda' or 'cuda:N', got 'tpu'", 'not pinned'),
    Case("runner-draft", 'LLM(model, runner="draft")', lambda m: LLM(m["paths"]["bert"], runner="draft"),
         NotImplementedError, "runner='draft'", 'a speculative-decoding draft runner (not emulated)'),
    # -- truncation --------------------------------------------------------------------------------------------
    Case("truncate-zero", 'embed("a", truncate_prompt_tokens=0)',
         lambda m: m[E].embed("a", truncate_prompt_tokens=0), ValueError,
         exact("truncate_prompt_tokens must be -1 or a positive integer, got 0"),
         '[inf] `max_length=0` reaches the tokenizer, which truncates nothing'),
    Case("truncate-negative", 'embed("a", truncate_prompt_tokens=-5)',
         lambda m: m[E].embed("a", truncate_prompt_tokens=-5), ValueError,
         exact("truncate_prompt_tokens must be -1 or a positive integer, got -5"),
         "[inf] read as -1 (the model's maximum)"),
    Case("truncate-str", 'embed("a", truncate_prompt_tokens="4")',
         lambda m: m[E].embed("a", truncate_prompt_tokens="4"), TypeError,
         r"^truncate_prompt_tokens must be an int", 'not pinned'),
    Case("truncate-bool", 'embed("a", truncate_prompt_tokens=True)',
         lambda m: m[E].embed("a", truncate_prompt_tokens=True), TypeError, r"^truncate_prompt_tokens must be an int",
         '[inf] 1'),
    Case("truncate-too-large", 'embed("a", truncate_prompt_tokens=65)',
         lambda m: m[E].embed("a", truncate_prompt_tokens=65), ValueError,
         exact("truncate_prompt_tokens value (65) is greater than max_model_len (64). Please, select a smaller "
               "truncation size."), 'same text'),
    Case("truncate-one", 'embed("the model is fast", truncate_prompt_tokens=1)',
         lambda m: m[E].embed("the model is fast", truncate_prompt_tokens=1, use_tqdm=False), None,
         vllm='[inf] the tokenizer cannot fit `[CLS]`+`[SEP]` into 1 token and truncates nothing',
         check=lambda m, result: result[0].prompt_token_ids == [3]),
    # -- score ------------------------------------------------------------------------------------------------
    Case("score-empty", "score([], [])", lambda m: m[E].score([], []), ValueError,
         exact("At least one text element must be given"), 'same text [src]'),
    Case("score-empty-right", 'score("q", [])', lambda m: m[E].score("q", []), ValueError,
         exact("At least one text_pair element must be given"), 'same text [src]'),
    Case("score-lengths", 'score(["a", "b"], ["c", "d", "e"])', lambda m: m[E].score(["a", "b"], ["c", "d", "e"]),
         ValueError, exact("Input lengths must be either 1:1, 1:N or N:N"), 'same text [src]'),
    Case("score-token-ids-bi-encoder", 'score("the query", {"prompt_token_ids": [2, 9, 10, 3]})',
         lambda m: m[E].score("the query", {"prompt_token_ids": [2, 9, 10, 3]}, use_tqdm=False), None,
         vllm='accepted (release-dependent: newer releases refuse non-text score inputs)',
         check=lambda m, result: abs(result[0].outputs.score - torch.nn.functional.cosine_similarity(
             m[E].engine.run("embed", ["the query"])[0].data,
             m[E].engine.run("embed", [[2, 9, 10, 3]])[0].data, dim=0).item()) < 1e-6),
    Case("score-token-ids-cross-encoder", 'cross_encoder.score({"prompt_token_ids": [5, 6]}, "d")',
         lambda m: m[X].score({"prompt_token_ids": [5, 6]}, "d"), ValueError,
         r"^Pair 0: a cross-encoder scores the two texts together",
         'release-dependent (decoded to text, or `MultiModalParam is not supported for ...`)'),
    Case("score-none", 'score("q", None)', lambda m: m[E].score("q", None), TypeError,
         exact("data_2 must be a str, a prompt dict, token ids, or a list of those; got NoneType"), 'not pinned'),
    Case("score-bytes", 'score("q", [b"d"])', lambda m: m[E].score("q", [b"d"]), TypeError,
         r"^prompts\[0\] is bytes", 'not pinned'),
    Case("score-int", 'score("q", 5)', lambda m: m[E].score("q", 5), TypeError, "^data_2 must be a str",
         'not pinned'),
    Case("score-oov", 'score("q", [[1000000]])', lambda m: m[E].score("q", [[10**6]]), ValueError,
         exact("Token id 1000000 is out of vocabulary"), 'same text [src]'),
    Case("score-params-list", 'score("q", ["d"], pooling_params=[PoolingParams()])',
         lambda m: m[E].score("q", ["d"], pooling_params=[PoolingParams()]), TypeError,
         exact("LLM.score takes one PoolingParams (or None) for all pairs, got list"), '[inf] `AttributeError`'),
    Case("score-dimensions-cross-encoder", 'cross_encoder.score("q", "d", pooling_params=PoolingParams(dimensions=2))',
         lambda m: m[X].score("q", "d", pooling_params=PoolingParams(dimensions=2)), ValueError,
         r"^Task 'classify' only supports \['use_activation'\] parameters", 'same text (M19)'),
]


@pytest.fixture(scope="module")
def llms(tiny_models):
    return {E: LLM(tiny_models["bert"]), C: LLM(tiny_models["bert-cls"]), X: LLM(tiny_models["bert-ce"]),
            "paths": tiny_models}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case: Case, llms):
    if case.error is None:
        result = case.call(llms)
        assert case.check is not None
        assert case.check(llms, result) is not False
        return
    with pytest.raises(case.error) as caught:
        case.call(llms)
    if case.error is not ValidationError:  # vLLM's builtin types exactly, not a subclass
        assert type(caught.value) is case.error
    assert re.search(case.message, str(caught.value), re.DOTALL), str(caught.value)


def test_there_are_at_least_60_rows_and_ids_are_unique():
    assert len(CASES) >= 60
    assert len({case.id for case in CASES}) == len(CASES)


def test_every_row_is_in_the_docs():
    table = DOCS.read_text(encoding="utf-8")
    missing = [case.id for case in CASES if f"`{case.id}`" not in table]
    assert not missing, f"docs/runtime.md's adversarial table lacks {missing}"
