"""The command-line surface: vLLM server invocations wherever they are written, and the rules' view of them.

Every file kind reaches the command-line rules through one function, ``scan_commands``: it finds its commands
(``shell_commands`` for shell text) and hands them over with a ``Writer`` that writes edits in its style
(``CommandLineWriter(render)`` for tokens of a command line; the ``--config`` YAML writer lives with that format).
"""

from __future__ import annotations

from vllm_pooling_migrate.codemod.argv.command import Command, Script, quoted_script, scan_commands, shell_commands
from vllm_pooling_migrate.codemod.argv.quoting import render_shell_words, render_string_list, render_within
from vllm_pooling_migrate.codemod.argv.tokens import ArgToken, Renderer
from vllm_pooling_migrate.codemod.argv.writer import CommandLineWriter, Unwritable, Writer

__all__ = [
    "ArgToken",
    "Command",
    "CommandLineWriter",
    "Renderer",
    "Script",
    "Unwritable",
    "Writer",
    "quoted_script",
    "render_shell_words",
    "render_string_list",
    "render_within",
    "scan_commands",
    "shell_commands",
]
