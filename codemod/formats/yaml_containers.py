"""Container specs in YAML: Kubernetes/Helm ``command:``/``args:`` lists and compose ``command:``.

Any mapping holding ``entrypoint``, ``command`` or ``args`` is read as one command line, in that
order. It is a vLLM server when it says so (``vllm serve``, ``python -m
vllm.entrypoints.openai.api_server``) or when the mapping's ``image:`` is ``vllm/vllm-openai``,
whose entrypoint is the server: then ``command``/``args`` hold only vLLM's arguments.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import yaml

from vllm_pooling_migrate.codemod.argv import Command, CommandLineWriter, Script, quoted_script
from vllm_pooling_migrate.codemod.argv.command import ScriptFinder
from vllm_pooling_migrate.codemod.argv.invocation import is_vllm_image
from vllm_pooling_migrate.codemod.argv.scan import image_pin
from vllm_pooling_migrate.codemod.argv.quoting import escape_for, shell_renderer
from vllm_pooling_migrate.codemod.argv.tokens import ArgToken, Renderer
from vllm_pooling_migrate.codemod.edits import LineIndex
from vllm_pooling_migrate.codemod.formats.yaml_scalars import scalar_token, sequence_renderer, shell_region, string_command_tokens

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


def container_commands(text: str, documents: Sequence[yaml.Node]) -> list[Command]:
    """The command line of every mapping with ``entrypoint``/``command``/``args`` (none of nested structures)."""
    index = LineIndex(text)
    found = (_command(text, mapping, index) for document in documents for mapping in mappings(document))
    return [command for command in found if command is not None]


def _command(text: str, mapping: yaml.MappingNode, index: LineIndex) -> Command | None:
    entries = {k.value: (k, v) for k, v in mapping.value if isinstance(k, yaml.ScalarNode)}
    present = [key for key in COMMAND_KEYS if key in entries]
    if not present:
        return None
    tokens: list[ArgToken] = []
    renderers: dict[int, Renderer] = {}
    scripts: dict[int, ScriptFinder] = {}  # segment -> where the script of a ``sh -c`` token of it lies
    for segment, key in enumerate(present):
        value = entries[key][1]
        if isinstance(value, yaml.SequenceNode):
            if not all(isinstance(item, yaml.ScalarNode) for item in value.value):
                return None  # a nested structure is not an argv list
            items = [scalar_token(item, segment) for item in value.value]
            renderers[segment] = sequence_renderer(text)
            scripts[segment] = _item_script(text, index, dict(zip(items, value.value)))
        elif isinstance(value, yaml.ScalarNode) and value.tag.endswith(":str"):
            region = shell_region(text, value)
            if region is None:
                return None
            items = string_command_tokens(region, index, segment)
            renderers[segment] = shell_renderer(escape_for("yaml", region.style))
            scripts[segment] = quoted_script(region.masked, index, "shell", escape_for("yaml", region.style))
        else:
            return None
        tokens.extend(items)
    if not tokens:
        return None

    def render(args: Sequence[str], like: ArgToken) -> str:
        return renderers[like.segment](args, like)

    first_key = entries[present[0]][0]
    image = entries.get("image", (None, None))[1]
    return Command(
        tokens,
        CommandLineWriter(render),
        start=0 if "entrypoint" not in present and _runs_vllm_image(entries) else None,
        rows=(first_key.start_mark.line + 1, tokens[-1].end.row),
        script=lambda token: scripts[token.segment](token),
        pin=image_pin(image.value) if isinstance(image, yaml.ScalarNode) else None,
    )


def _item_script(text: str, index: LineIndex, nodes: dict[ArgToken, yaml.ScalarNode]) -> ScriptFinder:
    """Scripts that are list items of their own: any scalar whose words can be located in the file."""

    def find(token: ArgToken) -> Script | None:
        region = shell_region(text, nodes[token])
        if region is None:
            return None
        return Script(region.masked, index, region.start, region.end, escape_for("yaml", region.style))

    return find


def _runs_vllm_image(entries: dict[str, tuple[yaml.Node, yaml.Node]]) -> bool:
    """The container's image is vLLM's server; a templated image (Helm) counts when the container is named vllm."""
    image = entries.get("image", (None, None))[1]
    if not isinstance(image, yaml.ScalarNode):
        return False
    if is_vllm_image(image.value):
        return True
    name = entries.get("name", (None, None))[1]
    templated = TEMPLATE_FILLER in image.value
    return templated and isinstance(name, yaml.ScalarNode) and "vllm" in name.value.lower()
