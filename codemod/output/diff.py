"""Line diffs that stay fast on large files: ``--diff``'s unified diff and the engine's import edits.

``difflib.SequenceMatcher`` compares every line with every other in the worst case; on a 5 MB file with
thousands of changed lines it does not finish. Texts of up to ``SMALL_LINES`` lines are compared by difflib as
before (same output); longer ones are first cut at their common head and tail, then at the lines that occur once
in each side and in the same order (patience diff's anchors), and only the short stretches between anchors go to
difflib. A fix changes a few lines here and there, so anchors are plentiful.
"""

from __future__ import annotations

import difflib
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterator, Sequence

#: Up to this many lines (both sides together) difflib compares the texts itself.
SMALL_LINES = 20_000
#: A stretch between anchors up to this size goes to difflib; a longer one without anchors is one replacement.
_STRETCH_LINES = 4_000

Opcode = tuple[str, int, int, int, int]


def line_opcodes(a: Sequence[str], b: Sequence[str]) -> list[Opcode]:
    """Opcodes as ``SequenceMatcher(None, a, b, autojunk=False).get_opcodes()`` gives them, in about linear time:
    the common head and tail are cut first, so a change of a few lines in a long text costs one pass over it."""
    return _opcodes(_matching_blocks(a, b), len(a), len(b))


def unified_diff(a: Sequence[str], b: Sequence[str], fromfile: str, tofile: str, n: int = 3) -> Iterator[str]:
    """``difflib.unified_diff(a, b, fromfile, tofile, n=n)`` (lines keep their ends), fast on long inputs."""
    if len(a) + len(b) <= SMALL_LINES:
        yield from difflib.unified_diff(a, b, fromfile, tofile, n=n)
        return
    started = False
    for group in _grouped(_opcodes(_matching_blocks(a, b), len(a), len(b)), n):
        if not started:
            started = True
            yield f"--- {fromfile}\n"
            yield f"+++ {tofile}\n"
        first, last = group[0], group[-1]
        yield f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n"
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                yield from (" " + line for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                yield from ("-" + line for line in a[i1:i2])
            if tag in ("replace", "insert"):
                yield from ("+" + line for line in b[j1:j2])


def _range(start: int, stop: int) -> str:
    """A hunk's range as difflib writes it (``_format_range_unified``)."""
    beginning, length = start + 1, stop - start
    if length == 1:
        return f"{beginning}"
    if not length:
        beginning -= 1
    return f"{beginning},{length}"


def _grouped(codes: list[Opcode], n: int) -> Iterator[list[Opcode]]:
    """``SequenceMatcher.get_grouped_opcodes`` on precomputed opcodes: hunks with ``n`` lines of context."""
    if not codes:
        codes = [("equal", 0, 1, 0, 1)]
    if codes[0][0] == "equal":
        tag, i1, i2, j1, j2 = codes[0]
        codes[0] = tag, max(i1, i2 - n), i2, max(j1, j2 - n), j2
    if codes[-1][0] == "equal":
        tag, i1, i2, j1, j2 = codes[-1]
        codes[-1] = tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)
    context = n + n
    group: list[Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > context:
            group.append((tag, i1, min(i2, i1 + n), j1, min(j2, j1 + n)))
            yield group
            group = []
            i1, j1 = max(i1, i2 - n), max(j1, j2 - n)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group


def _matching_blocks(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int, int]]:
    blocks: list[tuple[int, int, int]] = []
    stack = [(0, len(a), 0, len(b))]
    while stack:
        alo, ahi, blo, bhi = stack.pop()
        head = 0
        while alo + head < ahi and blo + head < bhi and a[alo + head] == b[blo + head]:
            head += 1
        if head:
            blocks.append((alo, blo, head))
            alo, blo = alo + head, blo + head
        tail = 0
        while alo < ahi - tail and blo < bhi - tail and a[ahi - 1 - tail] == b[bhi - 1 - tail]:
            tail += 1
        if tail:
            blocks.append((ahi - tail, bhi - tail, tail))
            ahi, bhi = ahi - tail, bhi - tail
        if alo == ahi or blo == bhi:
            continue
        if (ahi - alo) + (bhi - blo) <= _STRETCH_LINES:
            matcher = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
            blocks.extend((alo + i, blo + j, size) for i, j, size in matcher.get_matching_blocks() if size)
            continue
        anchors = _anchors(a, alo, ahi, b, blo, bhi)
        if not anchors:
            continue  # nothing in common that can be told apart: one replacement
        previous_a, previous_b = alo, blo
        for i, j in anchors:
            stack.append((previous_a, i, previous_b, j))
            blocks.append((i, j, 1))
            previous_a, previous_b = i + 1, j + 1
        stack.append((previous_a, ahi, previous_b, bhi))
    blocks.sort()
    merged: list[tuple[int, int, int]] = []
    for i, j, size in blocks:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + size)
        else:
            merged.append((i, j, size))
    merged.append((len(a), len(b), 0))
    return merged


def _anchors(a: Sequence[str], alo: int, ahi: int, b: Sequence[str], blo: int, bhi: int) -> list[tuple[int, int]]:
    """Lines occurring once in ``a[alo:ahi]`` and once in ``b[blo:bhi]``, the longest run in the same order."""
    count_a = Counter(a[alo:ahi])
    count_b = Counter(b[blo:bhi])
    where_a = {line: i for i, line in enumerate(a[alo:ahi], alo) if count_a[line] == 1}
    pairs = [(where_a[line], j) for j, line in enumerate(b[blo:bhi], blo) if count_b[line] == 1 and line in where_a]
    # Longest increasing subsequence of the a-positions (pairs are in b order): patience sorting.
    tails: list[int] = []
    tail_index: list[int] = []
    previous: list[int] = []
    for k, (i, _) in enumerate(pairs):
        at = bisect_left(tails, i)
        if at == len(tails):
            tails.append(i)
            tail_index.append(k)
        else:
            tails[at] = i
            tail_index[at] = k
        previous.append(tail_index[at - 1] if at else -1)
    chain: list[tuple[int, int]] = []
    k = tail_index[-1] if tail_index else -1
    while k >= 0:
        chain.append(pairs[k])
        k = previous[k]
    return chain[::-1]


def _opcodes(blocks: list[tuple[int, int, int]], len_a: int, len_b: int) -> list[Opcode]:
    """Opcodes from matching blocks, as ``SequenceMatcher.get_opcodes`` builds them."""
    i = j = 0
    codes: list[Opcode] = []
    for ai, bj, size in blocks:
        tag = ""
        if i < ai and j < bj:
            tag = "replace"
        elif i < ai:
            tag = "delete"
        elif j < bj:
            tag = "insert"
        if tag:
            codes.append((tag, i, ai, j, bj))
        i, j = ai + size, bj + size
        if size:
            codes.append(("equal", ai, i, bj, j))
    return codes
