"""Model catalogs in YAML that pass arguments to a vLLM backend: ``backend: vllm`` + ``backend_parameters: [...]``.

Serving platforms (GPUStack's model catalog, for one) describe each deployable model as a mapping that names its
inference backend and lists the arguments the platform appends to that backend's server command. When the backend
is vLLM, the list holds vLLM's arguments only, like a ``vllm/vllm-openai`` container's ``args:``. A
``backend_version`` in the same mapping pins the vLLM release those arguments run on: a fix is applied only where
its new spelling exists there.
"""

from __future__ import annotations

from collections.abc import Sequence

import yaml

from vllm_pooling_migrate.codemod.argv import Command, CommandLineWriter
from vllm_pooling_migrate.codemod.argv.scan import Pin, release_of
from vllm_pooling_migrate.codemod.formats.yaml_containers import mappings
from vllm_pooling_migrate.codemod.formats.yaml_scalars import scalar_token, sequence_renderer
from vllm_pooling_migrate.registry import format_version

#: The keys that name the backend, list its arguments, and pin its release.
BACKEND_KEY = "backend"
PARAMETERS_KEY = "backend_parameters"
VERSION_KEY = "backend_version"


def catalog_commands(text: str, documents: Sequence[yaml.Node]) -> list[Command]:
    """The argument list of every mapping whose ``backend`` is vLLM (any letter case)."""
    commands = []
    for document in documents:
        for mapping in mappings(document):
            command = _command(text, mapping)
            if command is not None:
                commands.append(command)
    return commands


def _command(text: str, mapping: yaml.MappingNode) -> Command | None:
    entries = {k.value: (k, v) for k, v in mapping.value if isinstance(k, yaml.ScalarNode)}
    backend = entries.get(BACKEND_KEY, (None, None))[1]
    key, parameters = entries.get(PARAMETERS_KEY, (None, None))
    if not isinstance(backend, yaml.ScalarNode) or backend.value.strip().lower() != "vllm":
        return None
    if not isinstance(parameters, yaml.SequenceNode) or key is None or not parameters.value:
        return None
    if not all(isinstance(item, yaml.ScalarNode) for item in parameters.value):
        return None
    tokens = [scalar_token(item) for item in parameters.value]
    return Command(
        tokens,
        CommandLineWriter(sequence_renderer(text)),
        start=0,
        rows=(key.start_mark.line + 1, tokens[-1].end.row),
        pin=_pin(entries.get(VERSION_KEY, (None, None))[1]),
    )


def _pin(node: yaml.Node | None) -> Pin | None:
    if not isinstance(node, yaml.ScalarNode):
        return None
    version = release_of(str(node.value).strip())
    return Pin(version, f"this entry's {VERSION_KEY} is {format_version(version)}") if version else None
