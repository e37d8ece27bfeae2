"""POOL017: ``--convert reward`` was replaced by ``--convert embed`` (removed in vLLM 0.16.0)."""

from __future__ import annotations

from collections.abc import Iterator

from vllm_pooling_migrate.codemod.argv.rule import CommandLineRule
from vllm_pooling_migrate.codemod.argv.scan import ArgvScan
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.finding import Finding


class ConvertReward(CommandLineRule):
    CODE = "POOL017"
    MESSAGE = "`--convert reward` was replaced by `--convert embed` (removed in vLLM 0.16.0)"
    VALID = [
        Valid("vllm serve M --convert embed"),
        Valid("vllm serve M --convert reward", target="0.12"),
        Valid("model: M\nrunner: pooling\nconvert: embed\n", path="config.yaml"),
        Valid('containers:\n  - name: server\n    image: python:3.12\n    command: ["vllm", "serve", "M", "--convert", "embed"]\n',
              path="k8s.yaml"),
    ]

    INVALID = [
        Invalid("vllm serve M --runner pooling --convert reward", "vllm serve M --runner pooling --convert embed"),
        Invalid("vllm serve M --convert=reward", "vllm serve M --convert=embed"),
        Invalid("model: M\nrunner: pooling\nconvert: reward\n", "model: M\nrunner: pooling\nconvert: embed\n", path="config.yaml"),
        Invalid(
            'containers:\n  - name: server\n    image: python:3.12\n    command: ["vllm", "serve", "M", "--convert", "reward"]\n',
            'containers:\n  - name: server\n    image: python:3.12\n    command: ["vllm", "serve", "M", "--convert", "embed"]\n',
            path="k8s.yaml",
        ),
    ]

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        for flag in scan.flags:
            if not flag.is_("convert") or flag.value != "reward":
                continue
            old, new = scan.show("--convert", "reward"), scan.show("--convert", "embed")
            yield scan.finding(
                self.CODE,
                f"{old} was replaced by {new} (removed in vLLM 0.16.0)",
                flag,
                fix_message=f"Replace with {new}",
                changes=[scan.replace_value(flag, "embed")],
                spelling=new,
            )
