"""YAML files: container specs (``command:``/``args:``) and ``vllm serve --config`` files."""

from __future__ import annotations

import yaml

from codemod.finding import FileResult, Finding
from codemod.formats.fixing import check_and_fix
from codemod.formats.yaml_containers import find_in_containers
from codemod.formats.yaml_vllm_config import find_in_vllm_configs
from codemod.options import Options


def _documents(text: str) -> list[yaml.Node]:
    return [doc for doc in yaml.compose_all(text, Loader=yaml.SafeLoader) if doc is not None]


def _parses(text: str) -> bool:
    try:
        _documents(text)
    except yaml.YAMLError:
        return False
    return True


def find_in_yaml(text: str, path: str, options: Options) -> list[Finding]:
    documents = _documents(text)
    return find_in_containers(text, documents, path, options) + find_in_vllm_configs(text, documents, path, options)


def scan_yaml(path: str, text: str, options: Options) -> FileResult:
    try:
        _documents(text)
    except yaml.YAMLError as error:
        return FileResult(path, error=f"{path}: not valid YAML: {error}".replace("\n", " "))
    return check_and_fix(text, path, options, lambda current: find_in_yaml(current, path, options), is_valid=_parses)
