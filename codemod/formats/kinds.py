"""Which kind of file a path is, from its name or its shebang line (used by discovery and by scan_file)."""

from __future__ import annotations

import os
import re
from enum import Enum


class FileKind(str, Enum):
    PYTHON = "python"
    NOTEBOOK = "notebook"
    SHELL = "shell"
    DOCKERFILE = "dockerfile"
    YAML = "yaml"
    MARKDOWN = "markdown"
    MAKEFILE = "makefile"


_EXTENSIONS = {
    ".py": FileKind.PYTHON,
    ".pyi": FileKind.PYTHON,
    ".ipynb": FileKind.NOTEBOOK,
    ".sh": FileKind.SHELL,
    ".bash": FileKind.SHELL,
    ".yaml": FileKind.YAML,
    ".yml": FileKind.YAML,
    ".md": FileKind.MARKDOWN,
    ".markdown": FileKind.MARKDOWN,
}
_SHELL_SHEBANG = re.compile(r"#!\s*\S*?(?:/|env\s+(?:-\S+\s+)*)(?:ba|da|k|z)?sh\b")
_PYTHON_SHEBANG = re.compile(r"#!\s*\S*?(?:/|env\s+(?:-\S+\s+)*)python[\d.]*\b")


def file_kind(path: str, first_line: str | None = None) -> FileKind | None:
    """The kind of a file from its name, or for a name without extension from its shebang line.

    ``Dockerfile``, ``Dockerfile.<x>``, ``<x>.Dockerfile``, ``<x>.dockerfile`` and ``Containerfile``
    are Dockerfiles; ``Makefile``, ``makefile``, ``GNUmakefile`` and ``<x>.mk`` are Makefiles. Returns None for files the tool does not read.
    """
    name = os.path.basename(path)
    if (
        name in ("Dockerfile", "Containerfile")
        or name.startswith("Dockerfile.")
        or name.lower().endswith(".dockerfile")
    ):
        return FileKind.DOCKERFILE
    if name in ("Makefile", "makefile", "GNUmakefile") or name.lower().endswith(".mk"):
        return FileKind.MAKEFILE
    extension = os.path.splitext(name)[1].lower()
    if extension in _EXTENSIONS:
        return _EXTENSIONS[extension]
    if extension == "" and first_line and first_line.startswith("#!"):
        if _SHELL_SHEBANG.match(first_line):
            return FileKind.SHELL
        if _PYTHON_SHEBANG.match(first_line):
            return FileKind.PYTHON
    return None


#: What a file of each non-Python kind must contain for any rule to fire. Shell and Dockerfile findings
#: need a vLLM command: one that names vLLM, or holds a flag only vLLM takes with a pooling value
#: (``argv.invocation.has_vllm_only_flag``: ``--task embed``, ``--pooler-config``; ``--task generate`` is not enough);
#: notebooks and Markdown also Python that uses vLLM, Ray's wrappers of it, or calls a
#: pooling route; a ``vllm serve --config`` YAML file need not name vLLM, only its keys.
#: Documents and notebooks: vLLM named in any case ("vLLM" in prose), a pooling route a client calls, or Ray's vLLM
#: wrappers.
_DOCUMENT_NEEDLE = re.compile(
    rb"(?i:vllm)|/pooling|ray\.(?:data|serve)\.llm|/v[12]/(?:embeddings|embed|score|rerank)\b|/(?:classify|score|rerank)\b"
)
_COMMAND_NEEDLE = re.compile(
    rb"vllm|--(?:override[-_])?pooler[-_]config\b|BgeM3EmbeddingModel"
    rb"|--task[\"']?(?:=|\s+)[\"']?(?:embed|embedding|classify|score|reward)\b|--convert[\"']?(?:=|\s+)[\"']?reward\b"
)
_NEEDLES = {
    FileKind.SHELL: _COMMAND_NEEDLE,
    FileKind.DOCKERFILE: _COMMAND_NEEDLE,
    FileKind.MAKEFILE: _COMMAND_NEEDLE,
    FileKind.NOTEBOOK: _DOCUMENT_NEEDLE,
    FileKind.MARKDOWN: _DOCUMENT_NEEDLE,
    FileKind.YAML: re.compile(rb"vllm|pooler|\btask\b|\bconvert\b|hf[-_]overrides"),
}


def may_be_affected(kind: FileKind, data: bytes) -> bool:
    """Byte-level pre-filter for the non-Python kinds: False means no finding is possible.

    Python files are the engine's business (``codemod.python.prefilter.may_be_affected``); for them this
    returns True.
    """
    needle = _NEEDLES.get(kind)
    return needle is None or needle.search(data) is not None
