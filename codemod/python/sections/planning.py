"""The code statements of a file grouped so that linked statements share a section, packed into sections."""

from __future__ import annotations

from vllm_pooling_migrate.codemod.python.sections.layout import Layout, Statement


def plan_sections(layout: Layout, max_bytes: int) -> list[list[Statement]]:
    """The file's code statements grouped so that linked statements share a section; sections in file order.

    Statements are linked when one mentions a module-level name the other binds, when both bind it, and when one
    assigns an attribute that the other reads on an object other than ``self`` (or on a ``self`` whose class
    never assigns it). Groups are packed into sections of about ``max_bytes``; a larger group is one section.
    """
    code = [s for s in layout.statements if s.kind == "code"]
    parent = {s.index: s.index for s in code}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    binders: dict[str, int] = {}
    for statement in code:
        for name in statement.binds:
            if name in binders:
                union(statement.index, binders[name])
            else:
                binders[name] = statement.index
    # An attribute assigned in one class and read elsewhere on another object (or on the self of a class that
    # never assigns it) makes the tracker give up on that class's engine: the reader and every class assigning the
    # attribute go together. Attributes only ever used on their own class's self link nothing.
    foreign: dict[str, int] = {}
    for statement in code:
        for attr in statement.foreign_attrs | (statement.self_attrs - statement.attr_writes):
            foreign.setdefault(attr, statement.index)
    for statement in code:
        for attr in statement.attr_writes:
            if attr in foreign:
                union(statement.index, foreign[attr])
    for statement in code:
        for name in statement.names:
            if name in binders:
                union(statement.index, binders[name])

    groups: dict[int, list[Statement]] = {}
    for statement in code:
        groups.setdefault(find(statement.index), []).append(statement)
    sections: list[list[Statement]] = []
    current: list[Statement] = []
    size = 0
    for group in sorted(groups.values(), key=lambda g: g[0].index):
        group_size = sum(layout.size_of(s) for s in group)
        if current and size + group_size > max_bytes:
            sections.append(sorted(current, key=lambda s: s.index))
            current, size = [], 0
        current.extend(group)
        size += group_size
    if current:
        sections.append(sorted(current, key=lambda s: s.index))
    return sections
