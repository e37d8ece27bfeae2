"""The old ``task=`` option (LLM, EngineArgs, ModelConfig; removed in 0.13) and what replaces it."""

from __future__ import annotations

import libcst as cst

from vllm_pooling_migrate.codemod.python.edits import AddKeyword, PythonFix, RemoveArg, RenameKeyword, ReplaceValue, keyword_index, quote_like, string_value

#: Old task value -> (runner, convert) per spec §11 P1; None means "drop the argument".
REPLACEMENTS: dict[str, tuple[str, str | None] | None] = {
    "embed": ("pooling", "embed"),
    "embedding": ("pooling", "embed"),
    "classify": ("pooling", "classify"),
    "generate": ("generate", None),
    "transcription": ("generate", None),
    "auto": None,
}
#: Values whose replacement depends on the checkpoint: reported, never rewritten.
MODEL_DEPENDENT = {"score", "reward"}


def task_option_fix(call: cst.Call) -> tuple[str | None, PythonFix | None, str | None]:
    """(old value, fix, reason there is none) for a call carrying ``task=``."""
    index = keyword_index(call, "task")
    if index is None:
        raise ValueError("task_option_fix() needs a call with a task= argument")
    arg = call.args[index]
    value = string_value(arg.value)
    if value is None:
        return None, None, "the task is not a string literal"
    if value in MODEL_DEPENDENT or value not in REPLACEMENTS:
        return value, None, f'task="{value}" has no model-independent replacement'
    if keyword_index(call, "runner") is not None or keyword_index(call, "convert") is not None:
        return value, None, "the call already sets runner= or convert="
    replacement = REPLACEMENTS[value]
    fix = PythonFix()
    if replacement is None:
        return value, fix.on(call, RemoveArg(index)), None
    runner, convert = replacement
    fix.on(call, RenameKeyword(index, "runner"), ReplaceValue(index, quote_like(arg.value, runner)))
    if convert:
        fix.on(call, AddKeyword("convert", quote_like(arg.value, convert), after=index))
    return value, fix, None
