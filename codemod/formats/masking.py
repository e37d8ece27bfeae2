"""Blank out parts of a text while keeping every other character at its offset.

Scanners of embedded shell (Dockerfile instructions, Markdown console blocks, notebook ``!``
lines) hand the shell lexer a copy of the file in which everything that is not shell has been
replaced by spaces, so offsets, rows and columns found in the copy are those of the file.
"""

from __future__ import annotations


def keep_only(text: str, regions: list[tuple[int, int]]) -> str:
    """``text`` with everything outside ``regions`` blanked (newlines kept)."""
    chars = [c if c == "\n" else " " for c in text]
    for start, end in regions:
        chars[start:end] = text[start:end]
    return "".join(chars)
