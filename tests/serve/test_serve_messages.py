"""The server's own copies of vLLM's online texts, byte for byte: against literals copied here from the spec, and,
when ``shared/spec`` is next to the repository, against the spec files themselves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vllm_pooling_migrate.shim.serve.messages import ONLINE_TEXTS, render_online

EXPECTED = {
    "M14a": "Pooling multitask support is deprecated and will be removed in v0.20. When the default pooling task is not what you want, you need to manually specify it via --pooler-config.task \"%s\". ",
    "M14b": "Pooling multitask support is deprecated and will be removed in v0.20. When the default pooling task is not what you want, you need to manually specify it via --pooler-config.task %s. ",
    "M15": "Try switching the model's pooling_task via --pooler-config.task {task}.",
    "M27": "dimensions is currently not supported",
    "M30": "The model does not support Embeddings API",
    "M31": "The model does not support Classification API",
    "M35-0.19": "Score API is only enabled for num_labels == 1.",
    "M35": "Scoring API is only enabled for num_labels == 1.",
    "v1-score": "To indicate that Score API is not part of standard OpenAI API, we have moved it to `/score`. Please update your client accordingly.",
    "v1-rerank": "To indicate that the rerank API is not part of the standard OpenAI API, we have located it at `/rerank`. Please update your client accordingly. (Note: Conforms to JinaAI rerank API)",
    "truncate-too-large": "truncate_prompt_tokens value is greater than max_model_len. Please request a smaller truncation size.",
    "model-not-found": "The model `{model}` does not exist.",
    "unsupported-media-type": "Unsupported Media Type: Only 'application/json' is allowed",
    "no-invocation-handler": "Cannot find suitable handler for request. Expected one of: {expected}",
    "supported-tasks": "Supported tasks: %s",
    "ignored-fields": "The following fields were present in the request but ignored: %s",
    "deprecated-argument": "argument '%s' is deprecated",
    "model-option": "With `vllm serve`, you should provide the model as a positional argument or in a config file instead of via the `--model` option. The `--model` option will be removed in a future version.",
    "duplicate-keys": "Found duplicate keys %s",
}

#: How the spec writes each template's placeholders.
SPEC_FORMS = {
    "model-not-found": {"model": "X"},
    "no-invocation-handler": {"expected": "[...]"},
    "M15": {"task": "{task}"},
}
SPEC_DIR = Path(__file__).resolve().parents[3] / "shared" / "spec"


def test_every_text_is_the_expected_literal():
    assert ONLINE_TEXTS == EXPECTED


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_every_text_appears_in_the_spec(key):
    if not SPEC_DIR.is_dir():
        pytest.skip(f"{SPEC_DIR} is not here")
    spec = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SPEC_DIR.glob("*.md")))
    text = render_online(key, **SPEC_FORMS[key]) if key in SPEC_FORMS else ONLINE_TEXTS[key]
    as_json = json.dumps(text, ensure_ascii=False)[1:-1]  # the spec writes some texts as JSON string literals
    assert text in spec or as_json in spec, text
