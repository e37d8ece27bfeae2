"""The CLI surface: vLLM server command lines in shell text, container specs and argv lists.

``scan_argv_tokens`` is the entry point for any list of argv elements (including argv lists found
inside Python code); ``scan_shell_text`` for shell text.
"""

from __future__ import annotations

from codemod.argv.quoting import render_shell_words, render_string_list
from codemod.argv.scan import scan_argv_tokens
from codemod.argv.shell import scan_shell_text
from codemod.argv.tokens import ArgToken, Renderer

__all__ = ["ArgToken", "Renderer", "render_shell_words", "render_string_list", "scan_argv_tokens", "scan_shell_text"]
