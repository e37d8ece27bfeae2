"""A batched visitor base shared by the tracker and the rules."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst


class CachedVisitors(cst.BatchableCSTVisitor):
    """libcst finds a batched visitor's methods with ``inspect.getmembers`` on every file; the set of
    methods is a property of the class, so look it up once per class."""

    _visitor_names: ClassVar[dict[type, tuple[str, ...]]] = {}

    def get_visitors(self):
        names = CachedVisitors._visitor_names.get(type(self))
        if names is None:
            names = tuple(super().get_visitors())
            CachedVisitors._visitor_names[type(self)] = names
        return {name: getattr(self, name) for name in names}
