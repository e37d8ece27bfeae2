"""Renderers: turn replacement argv elements back into source text, keeping the replaced token's quoting."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Sequence

from vllm_pooling_migrate.codemod.argv.tokens import ArgToken, Renderer

_SHELL_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


def shell_word(value: str, quote: str = "") -> str:
    """``value`` as one shell word, in the quote style given when that style can hold it."""
    if quote == "'" and "'" not in value:
        return f"'{value}'"
    if quote == '"':
        return '"' + re.sub(r'([\\"$`])', r"\\\1", value) + '"'
    if _SHELL_SAFE.fullmatch(value):
        return value
    return shlex.quote(value)


def render_shell_words(args: Sequence[str], like: ArgToken) -> str:
    """Shell scripts, Dockerfile shell form, Markdown and notebook ``!`` lines: words joined by spaces."""
    return " ".join(shell_word(arg, like.quote) for arg in args)


def string_literal(value: str, quote: str = '"') -> str:
    """A Python (or, with double quotes, JSON) string literal holding ``value``."""
    if quote == "'":
        body = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
        return f"'{body}'"
    return json.dumps(value, ensure_ascii=False)


def render_string_list(args: Sequence[str], like: ArgToken) -> str:
    """Python argv lists and Dockerfile exec form: literals joined by ``", "``."""
    return ", ".join(string_literal(arg, like.quote or '"') for arg in args)


#: How text is escaped to sit inside a quoted string of a given language and quote character.
Escape = Callable[[str], str]
ESCAPES: dict[tuple[str, str], Escape] = {
    ("shell", "'"): lambda text: text.replace("'", "'\\''"),
    ("shell", '"'): lambda text: re.sub(r'([\\"$`])', r"\\\1", text),
    ("json", '"'): lambda text: text.replace("\\", "\\\\").replace('"', '\\"'),
    ("yaml", '"'): lambda text: text.replace("\\", "\\\\").replace('"', '\\"'),
    ("yaml", "'"): lambda text: text.replace("'", "''"),
    ("python", '"'): lambda text: text.replace("\\", "\\\\").replace('"', '\\"'),
    ("python", "'"): lambda text: text.replace("\\", "\\\\").replace("'", "\\'"),
}


def no_escape(text: str) -> str:
    return text


def escape_for(language: str, quote: str) -> Escape:
    """How text is escaped inside a ``quote``-quoted string of ``language`` (none for a bare word)."""
    return ESCAPES.get((language, quote), no_escape)


def within(outer: Escape, inner: Escape) -> Escape:
    """Text escaped for a string (``inner``) that itself sits inside another (``outer``)."""
    if inner is no_escape:
        return outer
    if outer is no_escape:
        return inner
    return lambda text: outer(inner(text))


def shell_renderer(escape: Escape = no_escape) -> Renderer:
    """Shell words, escaped for the string the shell text lives in (``bash -c '...'``, a YAML ``"..."``)."""
    if escape is no_escape:
        return render_shell_words
    return lambda args, like: escape(render_shell_words(args, like))


def render_within(render: Renderer, language: str, quote: str) -> Renderer:
    """A renderer for words that live inside a quoted string (``bash -c '...'``, a YAML ``"..."``)."""
    escape = escape_for(language, quote)
    if escape is no_escape:
        return render
    return lambda args, like: escape(render(args, like))
