"""Code under an explicit vLLM version check is reported, never rewritten (unless it runs only on the target
and later releases). Fixture pairs: ``fixtures/version_guards/``; here, one case per reading of a check."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.codemod.analysis.version_guards import ANY, Interval
from vllm_pooling_migrate.codemod.engine import check_python_source
from vllm_pooling_migrate.codemod.options import Options

HEADER = "import vllm\nfrom vllm import LLM\nfrom packaging.version import Version, parse\n"
LEGACY = 'LLM("m", override_pooler_config={"pooling_type": "MEAN"})'


def _pool003(body: str, target: tuple[int, ...] = (0, 21)):
    result = check_python_source(HEADER + body, "x.py", Options(fix=True, target_version=target))
    assert result.error is None
    [finding] = [f for f in result.findings if f.code == "POOL003"]
    return finding, result.fixed_source


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (f'if vllm.__version__ < "0.11":\n    llm = {LEGACY}\n', "runs only on vLLM < 0.11 (the version check on line 4)"),
        (f'if "0.11" > vllm.__version__:\n    llm = {LEGACY}\n', "runs only on vLLM < 0.11"),
        (f'if parse(vllm.__version__) >= Version("0.19.0"):\n    pass\nelse:\n    llm = {LEGACY}\n', "runs only on vLLM < 0.19"),
        (f'if not parse(vllm.__version__) >= Version("0.19"):\n    llm = {LEGACY}\n', "runs only on vLLM < 0.19"),
        (f'if vllm.__version_tuple__ <= (0, 12):\n    llm = {LEGACY}\n', "runs only on vLLM <= 0.12"),
        (f'OLD = parse(vllm.__version__) < parse("0.12")\nif OLD and True:\n    llm = {LEGACY}\n', "runs only on vLLM < 0.12"),
        (f'from vllm import __version__ as V\nx = {LEGACY} if V < "0.12" else None\n', "runs only on vLLM < 0.12"),
        (f'if vllm.__version__ >= "0.13":\n    llm = {LEGACY}\n', "also runs on vLLM releases older than 0.21"),
        (f'if vllm.__version__ != "0.20.1":\n    llm = {LEGACY}\n', "under a vLLM version check (line 4)"),
        (f'if vllm.__version__.startswith("0.1"):\n    llm = {LEGACY}\n', "under a vLLM version check (line 4)"),
    ],
    ids=["string <", "mirrored", "else of >=", "not >=", "tuple <=", "alias and", "conditional expression",
         "new branch from an older release", "!=", "startswith"],
)
def test_code_under_a_version_check_is_reported_not_rewritten(body, reason):
    finding, fixed = _pool003(body)
    assert finding.fix is None and reason in finding.unfixable_reason
    assert "override_pooler_config" in (fixed or HEADER + body)


def test_a_branch_for_the_target_and_later_is_migrated():
    finding, fixed = _pool003(f'if parse(vllm.__version__) >= Version("0.21"):\n    llm = {LEGACY}\n')
    assert finding.fix is not None and "pooler_config=PoolerConfig(" in fixed
    finding, _ = _pool003(f'if parse(vllm.__version__) >= Version("0.21"):\n    llm = {LEGACY}\n', target=(0, 19))
    assert finding.fix is not None  # 0.21 and later is newer than a 0.19 target


def test_the_check_itself_and_code_after_it_are_not_guarded():
    finding, fixed = _pool003(f'if vllm.__version__ < "0.11":\n    raise SystemExit("too old")\nllm = {LEGACY}\n')
    assert finding.fix is not None and "pooler_config=" in fixed


def test_messages_of_guarded_argv_lists_say_why():
    body = 'if vllm.__version__ < "0.13":\n    ARGS = ["vllm", "serve", "m", "--task", "embed"]\n'
    result = check_python_source(HEADER + body, "x.py", Options(fix=True))
    [finding] = result.findings
    assert finding.code == "POOL013" and finding.fix is None and "runs only on vLLM < 0.13" in finding.unfixable_reason
    assert result.fixed_source is None


def test_interval_arithmetic():
    older = Interval(hi=(0, 19))
    assert older.only_before((0, 21)) and not older.only_from((0, 21))
    assert Interval(lo=(0, 21)).only_from((0, 21)) and not Interval(lo=(0, 20)).only_from((0, 21))
    assert not Interval(hi=(0, 21), hi_inclusive=True).only_before((0, 21))
    assert Interval(hi=(0, 21)).only_before((0, 21))
    both = Interval(lo=(0, 13)).intersect(Interval(hi=(0, 16)))
    assert both == Interval((0, 13), True, (0, 16), False) and both.describe() == ">= 0.13, < 0.16"
    assert Interval(hi=(0, 11)).hull(Interval(lo=(0, 19))) == ANY
