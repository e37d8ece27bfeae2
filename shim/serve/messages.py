"""vLLM's online-serving texts, byte for byte (``shared/spec/online-serving.md`` §1-§2, ``vllm-pooling-spec.md`` §6.2, §7, §8).

Only texts the offline catalogue (``shim/messages.py``) lacks live here; the shared ones (M05, M05e, M08, M18, M19,
M22, M60, M61, ...) are read from there. ``%s`` texts are logging templates (vLLM de-duplicates ``warning_once``
on template and arguments), ``{name}`` texts are filled with ``str.format``. ``tests/serve/test_serve_messages.py``
compares every entry with the spec's literals.
"""

from __future__ import annotations

#: Online texts by the spec's message id (or a descriptive key where the spec gives the text without an id).
ONLINE_TEXTS: dict[str, str] = {
    # /pooling with a supported, non-default task (spec §6.2): 0.19 quotes the task, 0.20 does not; both end in a space.
    "M14a": "Pooling multitask support is deprecated and will be removed in v0.20. When the default pooling task is "
            "not what you want, you need to manually specify it via --pooler-config.task \"%s\". ",
    "M14b": "Pooling multitask support is deprecated and will be removed in v0.20. When the default pooling task is "
            "not what you want, you need to manually specify it via --pooler-config.task %s. ",
    "M15": "Try switching the model's pooling_task via --pooler-config.task {task}.",
    "M27": "dimensions is currently not supported",
    # Registered route without a handler (501; only M30/M31 are reachable, online-serving.md §3 item 1).
    "M30": "The model does not support Embeddings API",
    "M31": "The model does not support Classification API",
    # Score routes skipped for num_labels != 1 (debug_once): 0.19 and 0.20+ texts.
    "M35-0.19": "Score API is only enabled for num_labels == 1.",
    "M35": "Scoring API is only enabled for num_labels == 1.",
    # online-serving.md §1.2: /v1/score warns on every call, /v1/rerank once.
    "v1-score": "To indicate that Score API is not part of standard OpenAI API, we have moved it to `/score`. "
                "Please update your client accordingly.",
    "v1-rerank": "To indicate that the rerank API is not part of the standard OpenAI API, we have located it at "
                 "`/rerank`. Please update your client accordingly. (Note: Conforms to JinaAI rerank API)",
    # online-serving.md §2 "Further rules" (the too-long texts are shim/prompt_limits.py's, shared with offline).
    "truncate-too-large": "truncate_prompt_tokens value is greater than max_model_len. Please request a smaller "
                          "truncation size.",
    "model-not-found": "The model `{model}` does not exist.",
    "unsupported-media-type": "Unsupported Media Type: Only 'application/json' is allowed",
    "no-invocation-handler": "Cannot find suitable handler for request. Expected one of: {expected}",
    # Start-up INFO line (api_server.py) and the request model's DEBUG line for keys it ignores (extra="allow").
    "supported-tasks": "Supported tasks: %s",
    "ignored-fields": "The following fields were present in the request but ignored: %s",
    # vLLM's parser, for flags registered as deprecated (spec §7; 0.10-0.12, Python <= 3.12).
    "deprecated-argument": "argument '%s' is deprecated",
    # `vllm serve --model M` (spec §9.3 item 7).
    "model-option": "With `vllm serve`, you should provide the model as a positional argument or in a config file "
                    "instead of via the `--model` option. The `--model` option will be removed in a future version.",
    # Repeated dotted keys (spec §9.3 item 2).
    "duplicate-keys": "Found duplicate keys %s",
}

#: vLLM's logger names for these records (spec §7, online-serving.md §1.2-§1.4). The api_server, protocol and
#: router names are the module paths of the files the spec cites.
LOGGER_POOLING_SERVING = "vllm.entrypoints.pooling.pooling.serving"
LOGGER_API_SERVER = "vllm.entrypoints.openai.api_server"
LOGGER_PROTOCOL = "vllm.entrypoints.openai.engine.protocol"
LOGGER_ARGPARSE = "vllm.utils.argparse_utils"
#: This server's own records (what vLLM never logs: rule codes, refusals of what the engine cannot do).
LOGGER_SERVE = "vllm_pooling_migrate.shim.serve"


def online_text(key: str) -> str:
    return ONLINE_TEXTS[key]


def render_online(key: str, **fields: object) -> str:
    return ONLINE_TEXTS[key].format(**fields)
