"""Shell scripts (``.sh``, ``.bash`` and files with a shell shebang)."""

from __future__ import annotations

from vllm_pooling_migrate.codemod.argv import scan_shell_text
from vllm_pooling_migrate.codemod.finding import FileResult
from vllm_pooling_migrate.codemod.formats.fixing import check_and_fix
from vllm_pooling_migrate.codemod.options import Options


def scan_shell_script(path: str, text: str, options: Options) -> FileResult:
    return check_and_fix(text, path, options, lambda current: scan_shell_text(current, path, options))
