"""POOL013: ``--task X`` was removed in vLLM 0.13.0; pooling models now take ``--runner``/``--convert``."""

from __future__ import annotations

from collections.abc import Iterator

from vllm_pooling_migrate.codemod.argv.flags import Flag
from vllm_pooling_migrate.codemod.argv.rule import VLLM_CONTAINER, CommandLineRule
from vllm_pooling_migrate.codemod.argv.scan import ArgvScan
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.registry import FixClass


class TaskFlag(CommandLineRule):
    CODE = "POOL013"
    MESSAGE = "`--task` was removed in vLLM 0.13.0; use `--runner pooling --convert embed|classify`"
    VALID = [
        Valid("vllm serve BAAI/bge-m3 --runner pooling --convert embed"),
        Valid("vllm serve M --pooler-config.task embed"),
        Valid("grep --task embed notes.txt"),
        Valid("vllm serve M --task embed", target="0.10"),
        Valid("model: BAAI/bge-m3\nrunner: pooling\nconvert: embed\n", path="config.yaml"),
        Valid("jobs:\n  build:\n    steps:\n      - task: embed\n", path="config.yaml"),
        Valid(f"{VLLM_CONTAINER}    args: [--model, BAAI/bge-m3, --runner, pooling, --convert, embed]\n", path="k8s.yaml"),
    ]

    INVALID = [
        Invalid("vllm serve M --task embed", "vllm serve M --runner pooling --convert embed", unsafe=True),
        Invalid("vllm serve M --task=embedding", "vllm serve M --runner=pooling --convert=embed", unsafe=True),
        Invalid(
            "python -m vllm.entrypoints.openai.api_server --model M \\\n    --task classify\n",
            "python -m vllm.entrypoints.openai.api_server --model M \\\n    --runner pooling --convert classify\n",
            unsafe=True,
            line=2,
        ),
        Invalid("docker run --gpus all vllm/vllm-openai:v0.12.0 --model M --task reward"),
        Invalid("vllm serve M --task score"),
        Invalid("vllm serve M --runner pooling --task classify", "vllm serve M --runner pooling --convert classify", unsafe=True),
        Invalid("vllm serve M --runner pooling --task embed --convert embed", "vllm serve M --runner pooling --convert embed", unsafe=True),
        Invalid("vllm serve M --task embed --convert embed", "vllm serve M --runner pooling --convert embed", unsafe=True),
        Invalid(
            "vllm serve M --task=classify --convert classify",
            "vllm serve M --runner=pooling --convert classify",
            unsafe=True,
        ),
        Invalid("vllm serve M --task embed --convert classify"),
        Invalid("vllm serve M --task"),
        Invalid(
            "model: BAAI/bge-m3\ntask: embed  # the old way\nport: 8000\n",
            "model: BAAI/bge-m3\nrunner: pooling\nconvert: embed  # the old way\nport: 8000\n",
            unsafe=True,
            path="config.yaml",
        ),
        Invalid(
            "model: M\ntask: classify\nrunner: pooling\n",
            "model: M\nconvert: classify\nrunner: pooling\n",
            unsafe=True,
            path="config.yaml",
        ),
        Invalid("model: M\ntask: score\n", path="config.yaml"),
        Invalid(
            f'{VLLM_CONTAINER}    args: ["--model", "BAAI/bge-m3", "--task", "embed"]\n',
            f'{VLLM_CONTAINER}    args: ["--model", "BAAI/bge-m3", "--runner", "pooling", "--convert", "embed"]\n',
            unsafe=True,
            path="k8s.yaml",
        ),
    ]

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        for flag in scan.flags:
            if flag.is_("task"):
                yield _task_finding(scan, flag)


#: The task values whose replacement does not depend on the model (spec §8, M60 task -> convert).
CONVERT_FOR_TASK = {"embed": "embed", "embedding": "embed", "classify": "classify"}
#: What to write instead for the values that need model knowledge: a sentence around argv examples.
ADVICE: dict[str, tuple[str, tuple[tuple[str, ...], ...]]] = {
    "score": ("cross-encoders: {}, or {} alone", (("--runner", "pooling", "--convert", "classify"), ("--runner", "pooling"))),
    "reward": ("per-token reward models: {}", (("--runner", "pooling", "--pooler-config.task", "token_classify"),)),
    "generate": ("{}, or drop it", (("--runner", "generate"),)),
    "transcription": ("{}, or drop it", (("--runner", "generate"),)),
    "auto": ("drop it", ()),
}
_ANY_MODEL = ("{}/{} for the model at hand", (("--runner",), ("--convert",)))


def _task_finding(scan: ArgvScan, flag: Flag) -> Finding:
    """``--task X``: replaced by ``--runner pooling --convert Y`` (whichever of them is not given yet)."""
    task = flag.value
    removed = f"{scan.show('--task', task) if task else scan.show('--task')} was removed in vLLM 0.13.0"
    convert = CONVERT_FOR_TASK.get(task or "")
    if convert is None:
        sentence, examples = ADVICE.get(task or "", _ANY_MODEL)
        advice = sentence.format(*(scan.show(*example) for example in examples))
        return scan.finding(TaskFlag.CODE, f"{removed}; use {advice}", flag, reason="the replacement depends on the model")
    wanted = [("runner", "pooling"), ("convert", convert)]
    message = f"{removed}; use {scan.show(*(arg for name, value in wanted for arg in (f'--{name}', value)))}"
    given = {name: {f.value for f in scan.flags if f.is_(name)} for name, _ in wanted}
    if any(values - {value} for (name, value), values in zip(wanted, given.values())):
        reason = f"{scan.show('--runner')}/{scan.show('--convert')} already say something else"
        return scan.finding(TaskFlag.CODE, message, flag, reason=reason)
    missing = [(name, value) for name, value in wanted if not given[name]]
    missing_args = [arg for name, value in missing for arg in (f"--{name}", value)]
    fix_message = f"Replace with {scan.show(*missing_args)}" if missing else f"Remove {scan.show('--task')}"
    return scan.finding(
        TaskFlag.CODE, message, flag, fix_class=FixClass.UNSAFE, fix_message=fix_message,
        changes=[scan.replace_flag(flag, missing)],
    )
