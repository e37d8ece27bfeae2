"""The base of every command-line rule: one vLLM invocation in, findings out.

The same rule serves every surface that holds vLLM arguments: shell scripts, Dockerfiles, Kubernetes and Helm
YAML, vLLM ``--config`` files, Markdown and notebook shell lines, and argv lists inside Python. Each surface
turns its text into an :class:`~vllm_pooling_migrate.codemod.argv.scan.ArgvScan`; the rule never knows which.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from vllm_pooling_migrate.codemod.rule import Rule

if TYPE_CHECKING:
    from vllm_pooling_migrate.codemod.argv.scan import ArgvScan
    from vllm_pooling_migrate.codemod.finding import Finding


#: The head of a Kubernetes container that runs vLLM's server image, for the rules' examples: its ``args:`` are
#: vLLM's arguments.
VLLM_CONTAINER = "containers:\n  - name: vllm\n    image: vllm/vllm-openai:v0.12.0\n"


class CommandLineRule(Rule):
    LANGUAGE: ClassVar[str] = "shell"

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        raise NotImplementedError
