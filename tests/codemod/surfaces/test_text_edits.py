"""apply_edits / apply_fixes: row-column edits, overlaps, CRLF text."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.codemod.edits import LineIndex, OverlappingEditsError, apply_edits, apply_fixes
from vllm_pooling_migrate.codemod.finding import Edit, Finding, Fix, Location
from vllm_pooling_migrate.registry import FixClass


def edit(content: str, row: int, col: int, end_row: int, end_col: int) -> Edit:
    return Edit(content, Location(row, col), Location(end_row, end_col))


def finding(*edits: Edit, applicability: FixClass = FixClass.SAFE) -> Finding:
    first = edits[0]
    return Finding("POOL014", "m", "f", first.location, first.end_location, Fix(applicability, "fix", edits))


def test_edits_apply_in_any_order_and_keep_crlf():
    text = "ab\r\ncd\r\n"
    assert apply_edits(text, [edit("D", 2, 2, 2, 3), edit("A", 1, 1, 1, 2)]) == "Ab\r\ncD\r\n"


def test_insertions_and_adjacent_replacements_do_not_overlap():
    assert apply_edits("abc", [edit("X", 1, 2, 1, 2), edit("Y", 1, 2, 1, 3), edit("Z", 1, 1, 1, 2)]) == "ZXYc"


def test_overlapping_edits_are_rejected():
    with pytest.raises(OverlappingEditsError):
        apply_edits("abcdef", [edit("", 1, 1, 1, 4), edit("", 1, 3, 1, 5)])


def test_locations_outside_the_text_are_rejected():
    with pytest.raises(ValueError, match="row 3"):
        apply_edits("a\n", [edit("", 3, 1, 3, 1)])


def test_line_index_round_trips_offsets():
    index = LineIndex("ab\ncd")
    assert index.location(4) == Location(2, 2)
    assert index.offset(Location(2, 2)) == 4


def test_apply_fixes_skips_overlapping_fix_and_unsafe_without_opt_in():
    first = finding(edit("X", 1, 1, 1, 3))
    clashing = finding(edit("Y", 1, 2, 1, 4))
    unsafe = finding(edit("Z", 1, 5, 1, 6), applicability=FixClass.UNSAFE)
    text, applied = apply_fixes("abcdef", [clashing, unsafe, first])
    assert (text, applied) == ("Xcdef", [first])
    assert apply_fixes("abcdef", [unsafe], unsafe_fixes=True) == ("abcdZf", [unsafe])
