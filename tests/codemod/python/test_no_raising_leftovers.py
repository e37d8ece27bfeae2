"""The default run never leaves code that raises on the target: no ``PoolerConfig(task=...)`` pinned next to a
``task=`` that stays (vLLM 0.13 removed it), whether in the call or in the argparse defaults that feed it."""

from __future__ import annotations

from vllm_pooling_migrate.codemod.engine import check_python_source
from vllm_pooling_migrate.codemod.options import Options

HEADER = "from vllm import LLM\n"


def fix(source: str, options: Options = Options(fix=True)) -> tuple[str, list]:
    result = check_python_source(HEADER + source, "x.py", options)
    assert result.error is None
    return result.fixed_source or HEADER + source, result.findings


def test_task_and_pin_are_fixed_together():
    fixed, _ = fix('llm = LLM("m", task="embed")\nllm.encode(x, pooling_task="token_embed")\n')
    assert 'LLM("m", runner="pooling", convert="embed", pooler_config=PoolerConfig(task="token_embed"))' in fixed
    compile(fixed, "x.py", "exec")


def test_no_pin_next_to_a_task_that_stays():
    fixed, findings = fix('llm = LLM("m", task=kind)\nllm.encode(x, pooling_task="token_embed")\n')
    assert "PoolerConfig" not in fixed
    [pin] = [f for f in findings if f.code == "POOL005"]
    assert pin.fix is None and "still passes `task=`" in pin.unfixable_reason


def test_no_pin_when_the_task_rule_is_not_selected():
    source = 'llm = LLM("m", task="embed")\nllm.encode(x, pooling_task="token_embed")\n'
    fixed, _ = fix(source, Options(fix=True, select=("POOL005",)))
    assert fixed == HEADER + source


def test_no_pin_in_set_defaults_next_to_a_task_that_stays():
    source = (
        'parser.set_defaults(model="m", task=TASK)\nargs = parser.parse_args()\nllm = LLM(**vars(args))\n'
        'llm.encode(x, pooling_task="token_embed")\n'
    )
    fixed, findings = fix(source)
    assert "PoolerConfig" not in fixed
    assert {f.code for f in findings} == {"POOL001", "POOL005"}


def test_set_defaults_task_and_pin_are_fixed_together():
    source = (
        'parser.set_defaults(model="m", task="embed")\nargs = parser.parse_args()\nllm = LLM(**vars(args))\n'
        'llm.encode(x, pooling_task="token_embed")\n'
    )
    fixed, _ = fix(source)
    assert 'parser.set_defaults(model="m", runner="pooling", convert="embed", pooler_config=PoolerConfig(task="token_embed"))' in fixed
