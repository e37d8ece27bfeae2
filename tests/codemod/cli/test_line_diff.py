"""The line diff behind ``--diff`` and the engine's import edits: difflib's output on ordinary files, and about
linear time on long ones (difflib does not finish on a 5 MB file with thousands of changes)."""

from __future__ import annotations

import difflib
import random
import time

import pytest

from vllm_pooling_migrate.codemod.output.diff import SMALL_LINES, _grouped, line_opcodes, unified_diff


def _edited(rng: random.Random, lines: list[str], changes: int) -> list[str]:
    new = list(lines)
    for _ in range(changes):
        at = rng.randrange(len(new) + 1)
        kind = rng.choice("ids")
        if kind == "i":
            new.insert(at, f"inserted {rng.random()}\n")
        elif new:
            if kind == "d":
                new.pop(min(at, len(new) - 1))
            else:
                new[min(at, len(new) - 1)] = f"changed {rng.random()}\n"
    return new


def _rebuild(a: list[str], b: list[str], codes) -> list[str]:
    out: list[str] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal":
            assert a[i1:i2] == b[j1:j2]
            out.extend(a[i1:i2])
        else:
            out.extend(b[j1:j2])
    return out


@pytest.mark.parametrize("seed", range(40))
def test_opcodes_rebuild_the_new_text(seed):
    rng = random.Random(seed)
    a = [f"line {rng.randrange(40)}\n" for _ in range(rng.randrange(80))]
    b = _edited(rng, a, rng.randrange(10))
    assert _rebuild(a, b, line_opcodes(a, b)) == b


def test_hunks_group_like_difflib():
    rng = random.Random(7)
    for _ in range(100):
        a = [f"l{rng.randrange(30)}\n" for _ in range(rng.randrange(60))]
        b = _edited(rng, a, rng.randrange(6))
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        assert list(_grouped(matcher.get_opcodes(), 3)) == list(matcher.get_grouped_opcodes(3))


def test_small_files_get_difflibs_own_diff():
    a = ["from vllm import LLM\n", 'llm = LLM("m", task="embed")\n', "x = 1\n"]
    b = ["from vllm import LLM\n", 'llm = LLM("m", runner="pooling", convert="embed")\n', "x = 1\n"]
    assert list(unified_diff(a, b, "a/x.py", "b/x.py")) == list(difflib.unified_diff(a, b, "a/x.py", "b/x.py"))


def test_a_long_file_with_thousands_of_changes_is_diffed_quickly():
    rng = random.Random(3)
    a = [f"value_{i} = compute({i})\n" for i in range(120_000)]
    b = list(a)
    for i in range(0, len(b), 40):
        b[i] = b[i].replace("compute", "compute_v2")
    b.insert(5, "import extra\n")
    assert len(a) + len(b) > SMALL_LINES
    start = time.perf_counter()
    diff = list(unified_diff(a, b, "a/x.py", "b/x.py"))
    assert time.perf_counter() - start < 20
    assert _rebuild(a, b, line_opcodes(a, b)) == b
    assert sum(1 for line in diff if line.startswith("+") and not line.startswith("+++")) == 3000 + 1
    assert diff[:2] == ["--- a/x.py\n", "+++ b/x.py\n"]
