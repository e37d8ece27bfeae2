"""Every file kind the tool reads, and the one entry point that picks the scanner: ``scan_file``.

A file's path: ``file_kind`` names its kind; Python goes to the engine; notebooks and Markdown mix the engine and
shell; every other kind is one finder (text -> findings, through ``argv.scan_commands``) in the one fix loop,
``fixing.check_and_fix``: find, drop what ``# noqa`` suppresses, fix, find again. Writing is the caller's.
"""

from __future__ import annotations

from vllm_pooling_migrate.codemod.argv import scan_commands, shell_commands
from vllm_pooling_migrate.codemod.finding import FileResult, Finding
from vllm_pooling_migrate.codemod.formats.dockerfile import add_noqa_to_dockerfile, find_in_dockerfile
from vllm_pooling_migrate.codemod.formats.embedded_python import CheckPython, check_embedded
from vllm_pooling_migrate.codemod.formats.fixing import check_and_fix
from vllm_pooling_migrate.codemod.formats.kinds import FileKind, file_kind, may_be_affected
from vllm_pooling_migrate.codemod.formats.makefile import find_in_makefile
from vllm_pooling_migrate.codemod.formats.markdown import scan_markdown
from vllm_pooling_migrate.codemod.formats.notebook import add_noqa_to_notebook, scan_notebook
from vllm_pooling_migrate.codemod.formats.pins import installed_pin, pinned
from vllm_pooling_migrate.codemod.formats.shell_variables import with_variables
from vllm_pooling_migrate.codemod.formats.yaml_file import find_in_yaml
from vllm_pooling_migrate.codemod.noqa import add_noqa
from vllm_pooling_migrate.codemod.options import Options

__all__ = ["CheckPython", "FileKind", "add_noqa_to_file", "file_kind", "may_be_affected", "scan_file"]


def find_in_shell_script(text: str, path: str, options: Options) -> list[Finding]:
    commands = pinned(with_variables(shell_commands(text)), installed_pin(text))
    return scan_commands(commands, path=path, options=options)


#: The kinds that hold only command lines: each is one finder.
FINDERS = {
    FileKind.SHELL: find_in_shell_script,
    FileKind.DOCKERFILE: find_in_dockerfile,
    FileKind.YAML: find_in_yaml,
    FileKind.MAKEFILE: find_in_makefile,
}


def scan_file(path: str, text: str, options: Options, check_python: CheckPython) -> FileResult:
    """Check (and with ``options.fix``, fix) one file of any kind the tool reads.

    ``check_python`` is the Python engine, ``codemod.engine.check_python_source``; it is used for
    ``.py`` files, notebook cells and Markdown python blocks. For the other kinds ``# noqa``
    comments are honoured here (unless ``options.ignore_noqa``), before fixing, and fixes are
    applied until none is left (several passes when two fixes touch the same text). Python
    findings of notebook cells and Markdown blocks are filtered by their own ``# noqa`` comments.
    Files of no known kind give an empty result.
    """
    kind = file_kind(path, text.split("\n", 1)[0])
    if kind is FileKind.PYTHON:
        return check_embedded(text, path, options, check_python)
    if kind is FileKind.NOTEBOOK:
        return scan_notebook(path, text, options, check_python)
    if kind is FileKind.MARKDOWN:
        return scan_markdown(path, text, options, check_python)
    finder = FINDERS.get(kind) if kind is not None else None
    if finder is None:
        return FileResult(path)
    return check_and_fix(text, path, options, lambda current: finder(current, path, options))


def add_noqa_to_file(path: str, text: str, findings: list[Finding]) -> str:
    """``text`` with ``# noqa: CODE`` comments for ``findings`` (``--add-noqa``).

    Per cell in a notebook; on a comment line above the instruction in a Dockerfile.
    """
    kind = file_kind(path, text.split("\n", 1)[0])
    if kind is FileKind.NOTEBOOK:
        return add_noqa_to_notebook(text, findings)
    if kind is FileKind.DOCKERFILE:
        return add_noqa_to_dockerfile(text, findings)
    return add_noqa(text, findings, python=kind is FileKind.PYTHON)
