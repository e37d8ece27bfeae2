"""The classes of one file related to a class by inheritance, for ``self.<attr>`` a class reads but never sets.

A base class often calls ``self.llm.reward(...)`` while each subclass builds ``self.llm = LLM(...)`` in its own
``_init_llm``; or a base ``__init__`` builds it and a subclass reads it. Only plain-name bases of classes defined
in this file are followed, and a class name defined twice stops the search: which class is meant is unknown.
"""

from __future__ import annotations

from vllm_pooling_migrate.codemod.analysis.bindings import Frame


def class_family(class_frames: list[Frame], frame: Frame) -> list[Frame] | None:
    """``frame``'s in-file ancestors and descendants (not ``frame`` itself), or None when a name is ambiguous."""
    by_name: dict[str, list[Frame]] = {}
    for candidate in class_frames:
        by_name.setdefault(candidate.name, []).append(candidate)
    if len(by_name.get(frame.name, [])) != 1:
        return None
    related: list[Frame] = []
    pending = [frame]
    while pending:  # ancestors
        current = pending.pop()
        for base in current.bases:
            found = by_name.get(base, [])
            if len(found) > 1:
                return None
            if found and found[0] is not frame and found[0] not in related:
                related.append(found[0])
                pending.append(found[0])
    pending = [frame]
    while pending:  # descendants
        current = pending.pop()
        for candidate in class_frames:
            if current.name in candidate.bases and candidate is not frame and candidate not in related:
                if len(by_name[candidate.name]) > 1:
                    return None
                related.append(candidate)
                pending.append(candidate)
    return related
