"""Examples carried by each rule: they are its unit tests and its generated documentation (Fixit style)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Valid:
    """Code the rule must leave alone (no finding)."""

    source: str
    target: str | None = None  # e.g. "0.18": the example holds for that target version
    path: str | None = None  # the file it is written as, which picks the surface; None: the rule's default


@dataclass(frozen=True)
class Invalid:
    """Code the rule must flag; ``expected`` is the text after fixing (None: report-only here)."""

    source: str
    expected: str | None = None
    unsafe: bool = False  # the fix needs --unsafe-fixes
    target: str | None = None
    line: int | None = None  # the finding's row, when the example wants to pin it
    path: str | None = None  # the file it is written as, which picks the surface; None: the rule's default


#: The file an example is written as when it names none, by the rule's ``LANGUAGE``.
DEFAULT_EXAMPLE_PATH = {"python": "example.py", "shell": "example.sh"}

#: A doc page's code-fence language for an example's file.
FENCE_BY_SUFFIX = {".py": "python", ".sh": "shell", ".yaml": "yaml", ".yml": "yaml", ".md": "markdown",
                   ".ipynb": "json"}


def example_path(example: Valid | Invalid, language: str) -> str:
    return example.path or DEFAULT_EXAMPLE_PATH[language]


def fence_language(path: str) -> str:
    if path.rsplit("/", 1)[-1].startswith("Dockerfile"):
        return "dockerfile"
    suffix = "." + path.rsplit(".", 1)[-1] if "." in path else ""
    return FENCE_BY_SUFFIX.get(suffix, "text")
