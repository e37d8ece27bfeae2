"""YAML files: container specs (``command:``/``args:``) and ``vllm serve --config`` files.

Helm and other Go-template files are not YAML until rendered. When a file only parses with its
``{{ ... }}`` expressions blanked out, it is scanned that way: a line holding only template
directives becomes blank, an inline expression becomes filler of the same length (offsets stay
those of the file). Findings that touch an expression are reported without a fix.
"""

from __future__ import annotations

import re
from dataclasses import replace

import yaml

from vllm_pooling_migrate.codemod.edits import LineIndex
from vllm_pooling_migrate.codemod.finding import FileResult, Finding
from vllm_pooling_migrate.codemod.formats.fixing import check_and_fix
from vllm_pooling_migrate.codemod.formats.yaml_containers import TEMPLATE_FILLER, find_in_containers
from vllm_pooling_migrate.codemod.formats.yaml_vllm_config import find_in_vllm_configs
from vllm_pooling_migrate.codemod.options import Options

_TEMPLATE = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_FILLER = TEMPLATE_FILLER  # printable, so YAML accepts it; never part of a flag vLLM knows


def _documents(text: str) -> list[yaml.Node]:
    return [doc for doc in yaml.compose_all(text, Loader=yaml.SafeLoader) if doc is not None]


def _parses(text: str) -> bool:
    try:
        _documents(text)
    except yaml.YAMLError:
        return False
    return True


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
    documents = _documents(text)
    return find_in_containers(text, documents, path, options) + find_in_vllm_configs(text, documents, path, options)


def _find_in_template(text: str, path: str, options: Options) -> list[Finding]:
    masked, spans = mask_templates(text)
    index = LineIndex(text)

    def touches_template(finding: Finding) -> bool:
        for edit in finding.fix.edits:
            start, end = index.offset(edit.location), index.offset(edit.end_location)
            if _FILLER in edit.content or any(s < end and start < e for s, e in spans):
                return True
        return False

    findings = []
    for finding in find_in_yaml(masked, path, options):
        if finding.fix is not None and touches_template(finding):
            finding = replace(finding, fix=None, unfixable_reason="it involves a template expression")
        findings.append(replace(finding, message=re.sub(f"{_FILLER}+", "{{...}}", finding.message)))
    return findings


def scan_yaml(path: str, text: str, options: Options) -> FileResult:
    try:
        _documents(text)
    except yaml.YAMLError as error:
        if "{{" in text and _parses(mask_templates(text)[0]):
            return check_and_fix(
                text,
                path,
                options,
                lambda current: _find_in_template(current, path, options),
                is_valid=lambda fixed: _parses(mask_templates(fixed)[0]),
            )
        return FileResult(path, error=f"{path}: not valid YAML: {error}".replace("\n", " "))
    return check_and_fix(text, path, options, lambda current: find_in_yaml(current, path, options), is_valid=_parses)
