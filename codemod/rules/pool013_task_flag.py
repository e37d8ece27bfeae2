"""POOL013: ``--task X`` was removed in vLLM 0.13.0; pooling models now take ``--runner``/``--convert``."""

from __future__ import annotations

from collections.abc import Iterator

from vllm_pooling_migrate.codemod.argv.flags import Flag
from vllm_pooling_migrate.codemod.argv.rule import CommandLineRule
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
        Invalid("vllm serve M --runner pooling --task embed", "vllm serve M --runner pooling", unsafe=True),
        Invalid("vllm serve M --task embed --convert embed", "vllm serve M --runner pooling --convert embed", unsafe=True),
        Invalid(
            "vllm serve M --task=classify --convert classify",
            "vllm serve M --runner=pooling --convert classify",
            unsafe=True,
        ),
        Invalid("vllm serve M --task embed --convert classify"),
        Invalid("vllm serve M --task"),
    ]

    def check(self, scan: ArgvScan) -> Iterator[Finding]:
        for flag in scan.flags:
            if not flag.is_("task"):
                continue
            task = flag.value
            convert = CONVERT_FOR_TASK.get(task or "")
            message = f"`--task {task}` was removed in vLLM 0.13.0" if task else "`--task` was removed in vLLM 0.13.0"
            if convert is None:
                advice = ADVICE.get(task or "", "`--runner`/`--convert` for the model at hand")
                yield scan.finding(self.CODE, f"{message}; use {advice}", flag, reason="the replacement depends on the model")
                continue
            replacement = f"--runner pooling --convert {convert}"
            message = f"{message}; use `{replacement}`"
            if scan.has_flag("runner", "convert"):
                yield _with_runner_or_convert_given(scan, flag, convert, message)
                continue
            if flag.inline:
                edits = [scan.replace(flag.token, ["--runner=pooling", f"--convert={convert}"])]
            else:
                edits = [scan.replace(flag.token, ["--runner", "pooling", "--convert"])]
                if task != convert:
                    edits.append(scan.replace(flag.value_token, [convert]))
            yield scan.finding(
                self.CODE, message, flag, fix_class=FixClass.UNSAFE, fix_message=f"Replace with `{replacement}`", edits=edits
            )

#: The task values whose replacement does not depend on the model (spec §8, M60 task -> convert).
CONVERT_FOR_TASK = {"embed": "embed", "embedding": "embed", "classify": "classify"}
#: What to write instead for the values that need model knowledge.
ADVICE = {
    "score": "cross-encoders: `--runner pooling --convert classify`, or `--runner pooling` alone",
    "reward": "per-token reward models: `--runner pooling --pooler-config.task token_classify`",
    "generate": "`--runner generate`, or drop it",
    "transcription": "`--runner generate`, or drop it",
    "auto": "drop it",
}


def _with_runner_or_convert_given(scan: ArgvScan, flag: Flag, convert: str, message: str) -> Finding:
    """``--task`` next to ``--runner``/``--convert``: drop it when they already say the same, else report."""
    runners = {f.value for f in scan.flags if f.is_("runner")}
    converts = {f.value for f in scan.flags if f.is_("convert")}
    if runners - {"pooling"} or converts - {convert}:
        return scan.finding(TaskFlag.CODE, message, flag, reason="`--runner`/`--convert` already say something else")
    if runners:
        edits, fix_message = [scan.delete(flag)], "Remove `--task`"
    else:
        rename = scan.rename_prefix(flag.token, f"--{flag.written_name}", "--runner")
        edits, fix_message = [rename, scan.replace_value(flag, "pooling")], "Replace with `--runner pooling`"
    return scan.finding(TaskFlag.CODE, message, flag, fix_class=FixClass.UNSAFE, fix_message=fix_message, edits=edits)
