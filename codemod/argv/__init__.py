"""The CLI surface: vLLM server command lines in shell text, container specs and argv lists.

``scan_argv_tokens`` is the entry point for any list of argv elements (including argv lists found
inside Python code); ``scan_shell_text`` for shell text, also the script of ``["bash", "-c",
"vllm serve ..."]`` (``script_argument`` finds it; ``render_within(render_shell_words, "python",
quote)`` escapes replacement words for the Python string holding it).
"""

from __future__ import annotations

from vllm_pooling_migrate.codemod.argv.quoting import render_shell_words, render_string_list, render_within
from vllm_pooling_migrate.codemod.argv.scan import scan_argv_tokens
from vllm_pooling_migrate.codemod.argv.shell import scan_shell_text, script_argument
from vllm_pooling_migrate.codemod.argv.tokens import ArgToken, Renderer

__all__ = [
    "ArgToken",
    "Renderer",
    "render_shell_words",
    "render_string_list",
    "render_within",
    "scan_argv_tokens",
    "scan_shell_text",
    "script_argument",
]
