"""Container specs in YAML: Kubernetes/Helm ``command:``/``args:`` lists and compose ``command:``.

Any mapping holding ``entrypoint``, ``command`` or ``args`` is read as one command line, in that
order. It is a vLLM server when it says so (``vllm serve``, ``python -m
vllm.entrypoints.openai.api_server``) or when the mapping's ``image:`` is ``vllm/vllm-openai``,
whose entrypoint is the server: then ``command``/``args`` hold only vLLM's arguments.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import yaml

from vllm_pooling_migrate.codemod.argv import scan_argv_tokens, scan_shell_text
from vllm_pooling_migrate.codemod.argv.invocation import is_vllm_image, token_values, vllm_args_start
from vllm_pooling_migrate.codemod.argv.quoting import render_shell_words, render_within
from vllm_pooling_migrate.codemod.argv.shell import script_argument
from vllm_pooling_migrate.codemod.argv.tokens import ArgToken
from vllm_pooling_migrate.codemod.edits import LineIndex
from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.codemod.formats.masking import keep_only
from vllm_pooling_migrate.codemod.formats.yaml_scalars import (
    scalar_token,
    sequence_renderer,
    shell_region,
    string_command_tokens,
    string_scalar_renderer,
)
from vllm_pooling_migrate.codemod.options import Options

COMMAND_KEYS = ("entrypoint", "command", "args")
#: What a Go-template expression is replaced with before parsing (see yaml_file.mask_templates).
TEMPLATE_FILLER = "\u00a4"


def mappings(node: yaml.Node) -> Iterator[yaml.MappingNode]:
    """Every mapping in a document, outermost first."""
    if isinstance(node, yaml.MappingNode):
        yield node
        for key, value in node.value:
            yield from mappings(key)
            yield from mappings(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from mappings(item)


def find_in_containers(text: str, documents: Sequence[yaml.Node], path: str, options: Options) -> list[Finding]:
    index = LineIndex(text)
    findings: list[Finding] = []
    for document in documents:
        for mapping in mappings(document):
            findings.extend(_scan_mapping(text, mapping, index, path, options))
    return findings


def _scan_mapping(text: str, mapping: yaml.MappingNode, index: LineIndex, path: str, options: Options) -> list[Finding]:
    entries = {k.value: (k, v) for k, v in mapping.value if isinstance(k, yaml.ScalarNode)}
    present = [key for key in COMMAND_KEYS if key in entries]
    if not present:
        return []
    tokens: list[ArgToken] = []
    items_of: list[yaml.ScalarNode | None] = []  # the list item each token is, None for words of a string
    renderers, styles = {}, {}
    for segment, key in enumerate(present):
        value = entries[key][1]
        if isinstance(value, yaml.SequenceNode):
            items = [scalar_token(item, segment) for item in value.value if isinstance(item, yaml.ScalarNode)]
            if len(items) != len(value.value):
                return []  # a nested structure is not an argv list
            renderers[segment] = sequence_renderer(text)
            items_of.extend(value.value)
        elif isinstance(value, yaml.ScalarNode) and value.tag.endswith(":str"):
            items = string_command_tokens(text, value, index, segment)
            if items is None:
                return []
            styles[segment] = value.style if value.style in ("'", '"') else ""
            renderers[segment] = string_scalar_renderer(styles[segment])
            items_of.extend([None] * len(items))
        else:
            return []
        tokens.extend(items)
    if not tokens:
        return []
    first_key = entries[present[0]][0]
    rows = (first_key.start_mark.line + 1, tokens[-1].end.row)
    script = script_argument(token_values(tokens))
    if script is not None:
        return _scan_script(text, tokens[script], items_of[script], styles, index, path, options, rows)
    start = vllm_args_start(token_values(tokens))
    if start is None and "entrypoint" not in present and _runs_vllm_image(entries):
        start = 0
    if start is None:
        return []

    def render(args: Sequence[str], like: ArgToken) -> str:
        return renderers[like.segment](args, like)

    return scan_argv_tokens(tokens, path, options, render, start=start, statement_rows=rows)


def _scan_script(
    text: str,
    token: ArgToken,
    item: yaml.ScalarNode | None,
    styles: dict[int, str],
    index: LineIndex,
    path: str,
    options: Options,
    rows: tuple[int, int],
) -> list[Finding]:
    """The script of ``sh -c SCRIPT``: a list item of its own, or a quoted word inside a string command."""
    if item is not None:
        region = shell_region(text, item)
        if region is None:
            return []
        render = render_within(render_shell_words, "yaml", region.style)
        return scan_shell_text(region.masked, path, options, index, region.start, region.end, render, rows)
    start, end = index.offset(token.start) + 1, index.offset(token.end) - 1
    if not token.quote or text[start:end] != token.value:
        return []
    render = render_within(render_within(render_shell_words, "shell", token.quote), "yaml", styles[token.segment])
    return scan_shell_text(keep_only(text, [(start, end)]), path, options, index, start, end, render, rows)


def _runs_vllm_image(entries: dict) -> bool:
    """The container's image is vLLM's server; a templated image (Helm) counts when the container is named vllm."""
    image = entries.get("image", (None, None))[1]
    if not isinstance(image, yaml.ScalarNode):
        return False
    if is_vllm_image(image.value):
        return True
    name = entries.get("name", (None, None))[1]
    templated = TEMPLATE_FILLER in image.value
    return templated and isinstance(name, yaml.ScalarNode) and "vllm" in name.value.lower()
