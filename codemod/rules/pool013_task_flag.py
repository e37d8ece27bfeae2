"""POOL013: ``--task X`` was removed in vLLM 0.13.0; pooling models now take ``--runner``/``--convert``."""

from __future__ import annotations

from collections.abc import Iterator

from vllm_pooling_migrate.codemod.argv.flags import Flag
from vllm_pooling_migrate.codemod.argv.rule import VLLM_CONTAINER, CommandLineRule
from vllm_pooling_migrate.codemod.argv.scan import ArgvScan
from vllm_pooling_migrate.codemod.examples import Invalid, Valid
from vllm_pooling_migrate.codemod.finding import Finding
from vllm_pooling_migrate.registry import TASK_OPTION_REPLACEMENTS


class TaskFlag(CommandLineRule):
    CODE = "POOL013"
    MESSAGE = "`--task` was removed in vLLM 0.13.0; use `--runner`/`--convert` (`--runner pooling --convert embed` for `--task embed`)"
    VALID = [
        Valid("vllm serve BAAI/bge-m3 --runner pooling --convert embed"),
        Valid("vllm serve M --pooler-config.task embed"),
        Valid("grep --task embed notes.txt"),
        Valid("vllm serve M --task embed", target="0.10"),
        Valid("model: BAAI/bge-m3\nrunner: pooling\nconvert: embed\n", path="config.yaml"),
        Valid("jobs:\n  build:\n    steps:\n      - task: embed\n", path="config.yaml"),
        Valid(f"{VLLM_CONTAINER}    args: [--model, BAAI/bge-m3, --runner, pooling, --convert, embed]\n", path="k8s.yaml"),
        Valid("run-eval --model M --task generate"),
        Valid('import subprocess\n\nsubprocess.run(["grep", "--task", "embed", "notes.txt"])\n', path="example.py"),
        Valid("- backend: llama-box\n  backend_parameters:\n    - --task=embed\n", path="catalog.yaml"),
    ]

    INVALID = [
        Invalid("vllm serve M --task embed", "vllm serve M --runner pooling --convert embed"),
        Invalid("vllm serve M --task=embedding", "vllm serve M --runner=pooling --convert=embed"),
        Invalid(
            "python -m vllm.entrypoints.openai.api_server --model M \\\n    --task classify\n",
            "python -m vllm.entrypoints.openai.api_server --model M \\\n    --runner pooling --convert classify\n",
            line=2,
        ),
        Invalid(
            "docker run --gpus all vllm/vllm-openai:v0.12.0 --model M --task reward",
            "docker run --gpus all vllm/vllm-openai:v0.12.0 --model M --runner pooling",
        ),
        Invalid("vllm serve M --task score", "vllm serve M --runner pooling"),
        Invalid("vllm serve M --runner pooling --task score", "vllm serve M --runner pooling"),
        Invalid("vllm serve M --task generate", "vllm serve M --runner generate"),
        Invalid("vllm serve M --task auto --port 8000", "vllm serve M --port 8000"),
        Invalid("vllm serve M --runner pooling --task classify", "vllm serve M --runner pooling --convert classify"),
        Invalid("vllm serve M --runner pooling --task embed --convert embed", "vllm serve M --runner pooling --convert embed"),
        Invalid("vllm serve M --task embed --convert embed", "vllm serve M --runner pooling --convert embed"),
        Invalid("vllm serve M --task=classify --convert classify", "vllm serve M --runner=pooling --convert classify"),
        Invalid("vllm serve M --task embed --convert classify"),
        Invalid("vllm serve M --task"),
        Invalid("vllm serve M --task \"$TASK\""),
        Invalid(
            "model: BAAI/bge-m3\ntask: embed  # the old way\nport: 8000\n",
            "model: BAAI/bge-m3\nrunner: pooling\nconvert: embed  # the old way\nport: 8000\n",
            path="config.yaml",
        ),
        Invalid("model: M\ntask: classify\nrunner: pooling\n", "model: M\nconvert: classify\nrunner: pooling\n", path="config.yaml"),
        Invalid("model: M\ntask: score\n", "model: M\nrunner: pooling\n", path="config.yaml"),
        Invalid(  # a test server's arguments: no vLLM named, but only vLLM takes --task embed
            'from tests.utils import RemoteOpenAIServer\n\nargs = ["--task", "embed", "--dtype", "float16"]\n'
            'server = RemoteOpenAIServer("intfloat/e5-small", args)\n',
            'from tests.utils import RemoteOpenAIServer\n\nargs = ["--runner", "pooling", "--convert", "embed", "--dtype", "float16"]\n'
            'server = RemoteOpenAIServer("intfloat/e5-small", args)\n',
            path="test_server.py",
        ),
        Invalid('"$VLLM_BIN" serve M --task=score', '"$VLLM_BIN" serve M --runner=pooling'),
        Invalid(  # a model catalog's entry for the vLLM backend
            "- backend: vllm\n  backend_parameters:\n    - --max-model-len=8192\n    - --task=embed\n",
            "- backend: vllm\n  backend_parameters:\n    - --max-model-len=8192\n    - --runner=pooling\n    - --convert=embed\n",
            path="catalog.yaml",
            line=4,
        ),
        Invalid(  # pinned to a release without --runner: reported, not rewritten
            "- backend: vllm\n  backend_version: 0.9.2\n  backend_parameters: [--task=embed]\n", path="catalog.yaml",
        ),
        Invalid(
            f'{VLLM_CONTAINER}    args: ["--model", "BAAI/bge-m3", "--task", "embed"]\n',
            f'{VLLM_CONTAINER}    args: ["--model", "BAAI/bge-m3", "--runner", "pooling", "--convert", "embed"]\n',
            path="k8s.yaml",
        ),
    ]

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        for flag in scan.flags:
            if flag.is_("task"):
                yield _task_finding(scan, flag)


#: Older spellings of the replacement flags' values, and what they mean.
LEGACY_VALUES = {("convert", "reward"): "embed"}


def _replacement(task: str | None) -> list[tuple[str, str]] | None:
    """``--task X``'s replacement flags per the registry's mapping (``[]``: drop it); None for an unknown value."""
    if task is None or task not in TASK_OPTION_REPLACEMENTS:
        return None
    replacement = TASK_OPTION_REPLACEMENTS[task]
    if replacement is None:
        return []
    runner, convert = replacement
    return [("runner", runner)] + ([("convert", convert)] if convert else [])


def _task_finding(scan: ArgvScan, flag: Flag) -> Finding:
    """``--task X``: replaced by the flags of the mapping that are not on the command line yet."""
    task = flag.value
    removed = f"{scan.show('--task', task) if task else scan.show('--task')} was removed in vLLM 0.13.0"
    wanted = _replacement(task)
    if wanted is None:
        advice = f"{scan.show('--runner')}/{scan.show('--convert')} for the model at hand"
        return scan.finding(TaskFlag.CODE, f"{removed}; use {advice}", flag, reason="not a task value vLLM knew")
    written = {name: sorted({f.value or "" for f in scan.flags if f.is_(name)}) for name, _ in wanted}
    # `--convert reward` meant `embed` (POOL017 renames it): it agrees with the mapping's `embed`.
    given = {name: {LEGACY_VALUES.get((name, v), v) for v in values} for name, values in written.items()}
    conflicting = [name for name, value in wanted if given[name] - {value}]
    missing = [(name, value) for name, value in wanted if not given[name]]
    missing_args = [arg for name, value in missing for arg in (f"--{name}", value)]
    present_args = [arg for name, _ in wanted for value in written[name] for arg in (f"--{name}", value)]
    if conflicting:
        wanted_args = [arg for name, value in wanted for arg in (f"--{name}", value)]
        given_args = [arg for name in conflicting for value in written[name] for arg in (f"--{name}", value)]
        message = f"{removed}; it meant {scan.show(*wanted_args)}, but {scan.show(*given_args)} is given: choose one"
        return scan.finding(TaskFlag.CODE, message, flag, reason="the command line already says something else")
    if not wanted:
        message = f"{removed}; drop it"
    elif missing:
        message = f"{removed}; use {scan.show(*missing_args)}"
        if present_args:
            message += f" ({scan.show(*present_args)} is already given)"
    else:
        message = f"{removed}; {scan.show(*present_args)} is already given: drop it"
    fix_message = f"Replace with {scan.show(*missing_args)}" if missing else f"Remove {scan.show('--task')}"
    return scan.finding(TaskFlag.CODE, message, flag, fix_message=fix_message,
                        changes=[scan.replace_flag(flag, missing)],
                        spelling=scan.show(*missing_args) if missing else "")
