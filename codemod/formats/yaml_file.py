"""YAML files: container specs (``command:``/``args:``), ``vllm serve --config`` files, and model catalogs' vLLM
backend entries (``backend: vllm`` + ``backend_parameters:``).

Helm and other Go-template files are not YAML until rendered. When a file only parses with its
``{{ ... }}`` expressions blanked out, it is scanned that way: a line holding only template
directives becomes blank, an inline expression becomes filler of the same length (offsets stay
those of the file). Findings that touch an expression are reported without a fix.
"""

from __future__ import annotations

import re
from dataclasses import replace

import yaml

from vllm_pooling_migrate.codemod.argv import scan_commands
from vllm_pooling_migrate.codemod.edits import LineIndex
from vllm_pooling_migrate.codemod.finding import Finding, Fix
from vllm_pooling_migrate.codemod.formats.fixing import UnreadableText
from vllm_pooling_migrate.codemod.formats.yaml_catalogs import catalog_commands
from vllm_pooling_migrate.codemod.formats.yaml_containers import TEMPLATE_FILLER, container_commands
from vllm_pooling_migrate.codemod.formats.yaml_vllm_config import config_commands
from vllm_pooling_migrate.codemod.options import Options

_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_FILLER = TEMPLATE_FILLER  # printable, so YAML accepts it; never part of a flag vLLM knows


def mask_templates(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The text with template expressions blanked, and the (start, end) offsets of each expression."""
    spans = [(m.start(), m.end()) for m in _TEMPLATE.finditer(text)]
    chars = list(text)
    for start, end in spans:
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end == -1 else line_end
        alone = not _TEMPLATE.sub("", text[line_start:line_end]).strip()
        for i in range(start, end):
            if chars[i] != "\n":
                chars[i] = " " if alone else _FILLER
    return "".join(chars), spans


def find_in_yaml(text: str, path: str, options: Options) -> list[Finding]:
    """Findings of the container commands and vLLM config documents of ``text``; UnreadableText if not YAML.

    A Helm template is read with its expressions blanked; a finding whose fix touches one is reported unfixed.
    """
    try:
        return _find(text, path, options)
    except yaml.YAMLError as error:
        if "{{" not in text:
            raise UnreadableText(f"not valid YAML: {error}") from error
        masked, spans = mask_templates(text)
        try:
            findings = _find(masked, path, options)
        except yaml.YAMLError:
            raise UnreadableText(f"not valid YAML: {error}") from error
    index = LineIndex(text)

    def touches_template(fix: Fix) -> bool:
        for edit in fix.edits:
            start, end = index.offset(edit.location), index.offset(edit.end_location)
            if _FILLER in edit.content or any(s < end and start < e for s, e in spans):
                return True
        return False

    placed = []
    for finding in findings:
        if finding.fix is not None and touches_template(finding.fix):
            finding = replace(finding, fix=None, unfixable_reason="it involves a template expression")
        placed.append(replace(finding, message=re.sub(f"{_FILLER}+", "{{...}}", finding.message)))
    return placed


def _find(text: str, path: str, options: Options) -> list[Finding]:
    documents = [doc for doc in yaml.compose_all(text, Loader=yaml.SafeLoader) if doc is not None]
    commands = container_commands(text, documents) + config_commands(text, documents) + catalog_commands(text, documents)
    return scan_commands(commands, path=path, options=options)
