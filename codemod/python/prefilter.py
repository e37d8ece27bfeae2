"""The pre-filter: a quick byte test of whether any rule can fire on a Python file, before it is decoded or parsed."""

from __future__ import annotations

import re

#: What a Python file must contain to hold a finding; anything else is skipped before it is decoded. A quick byte
#: test (one scan for a word, then patterns), so that a tree of unrelated code costs a read per file. It sees
#: through a UTF-8 BOM, an encoding cookie (any ASCII-compatible codec spells these words in ASCII), CRLF and
#: CR-only line ends, ``;``-joined statements and backslash continuations. Let through:
#:
#: * an import of vLLM, of this project's shim, or of Ray's vLLM wrappers (``ray.data.llm``, ``ray.serve.llm``);
#: * a request to one of vLLM's pooling routes (``/pooling``, ``/v1/embeddings``, ``/v2/rerank`` ...): HTTP clients
#:   rarely import vLLM;
#: * a vLLM-only flag with a pooling value in a string or an argv list (``["--task", "embed"]``,
#:   ``"--task=embed"``, ``--override-pooler-config``, ``--pooler-config``, ``--convert reward``): test fixtures
#:   and launchers start servers without naming vLLM; vLLM's test server ``RemoteOpenAIServer`` and vLLM's own
#:   ``BgeM3EmbeddingModel`` (an ``--hf-overrides`` architecture) likewise;
#: * a vLLM server command written as one string (``vllm serve``, ``vllm.entrypoints.openai.api_server``) or as an
#:   argv list (``["vllm", "serve", ...]``).
#:
#: A mention of vLLM in a comment or docstring alone is not enough.
_LINE_START = rb"(?:^|\r|;)(?:\xef\xbb\xbf)?[ \t\f]*"
_SPACE = rb"(?:[ \t\f]|\\\r?\n)+"
_PACKAGES = rb"(?:vllm|vllm_pooling_migrate)\b"
_QUOTE_SEP = rb"""(?:[ =]|["']\s*,\s*["'])"""
#: An import of vLLM or of this project's shim, on a line of its own (tried only where "vllm" occurs).
_IMPORTS_VLLM = re.compile(
    _LINE_START + rb"(?:from" + _SPACE + _PACKAGES + rb"|import" + _SPACE + rb"(?:[^\n#]|\\\r?\n)*?\b" + _PACKAGES + rb")",
    re.MULTILINE,
)
#: Ray's vLLM wrappers, pooling routes, vLLM-only flags with a pooling value (each starts with a fixed character,
#: so the search is quick).
_OTHER_EVIDENCE = re.compile(
    rb"|".join(
        [
            rb"ray\.(?:data|serve)\.llm\b",
            rb"from" + _SPACE + rb"ray\.(?:data|serve)" + _SPACE + rb"import[^\n#]*\bllm\b",
            rb"/pooling\b",
            rb"""/(?:v[12]/)?(?:embeddings|embed|classify|score|rerank)["'?]""",
            rb"--task" + _QUOTE_SEP + rb"(?:embed|embedding|classify|score|reward)\b",
            rb"--convert" + _QUOTE_SEP + rb"reward\b",
            rb"--(?:override[-_])?pooler[-_]config\b",
            rb"RemoteOpenAIServer\b",
            rb"vllm[ \t]+serve\b",  # a server command written as one string (``os.system("vllm serve ...")``)
            rb"""vllm["']\s*,\s*["']serve\b""",  # or as an argv list (``["vllm", "serve", model, "--task", t]``)
            rb"vllm\.entrypoints\.openai\.api_server\b",
            rb"BgeM3EmbeddingModel\b",
        ]
    )
)
#: A word every pattern above contains: one quick scan rules out almost every file of a tree that does not use vLLM.
_GATE = re.compile(rb"vllm|ray\.|/pooling|/embed|/classify|/score|/rerank|--task|pooler|--convert|RemoteOpenAIServer|BgeM3")


def may_be_affected(source: str | bytes) -> bool:
    """False when no rule can fire on this Python source (text or the file's bytes)."""
    data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    if _GATE.search(data) is None:
        return False
    if b"vllm" in data and _IMPORTS_VLLM.search(data):
        return True
    return _OTHER_EVIDENCE.search(data) is not None
