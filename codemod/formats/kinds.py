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
    are Dockerfiles. Returns None for files the tool does not read.
    """
    name = os.path.basename(path)
    if (
        name in ("Dockerfile", "Containerfile")
        or name.startswith("Dockerfile.")
        or name.lower().endswith(".dockerfile")
    ):
        return FileKind.DOCKERFILE
    extension = os.path.splitext(name)[1].lower()
    if extension in _EXTENSIONS:
        return _EXTENSIONS[extension]
    if extension == "" and first_line and first_line.startswith("#!"):
        if _SHELL_SHEBANG.match(first_line):
            return FileKind.SHELL
        if _PYTHON_SHEBANG.match(first_line):
            return FileKind.PYTHON
    return None
