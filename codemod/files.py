"""Which files a run reads: directories walked, ``.gitignore`` and excludes honoured, symlinks kept inside.

Patterns (``exclude``, ``extend-exclude``, ``.gitignore``) use gitignore semantics through
``pathspec``: ``build`` excludes a directory or file of that name at any depth, ``docs/*.md`` is
anchored at the config's directory. Each ``.gitignore`` applies to its own directory and below.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from vllm_pooling_migrate.codemod.formats.kinds import file_kind

DEFAULT_EXCLUDES = (
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "node_modules",
    "build",
    "dist",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
)


def is_candidate(path: str | Path) -> bool:
    """A file the tool reads: by name, or for a name without extension by a shell/python shebang."""
    path = str(path)
    if file_kind(path) is not None:
        return True
    if os.path.splitext(os.path.basename(path))[1]:
        return False
    try:
        with open(path, "rb") as handle:
            first_line = handle.readline(256).decode("utf-8", "replace")
    except OSError:
        return False
    return file_kind(path, first_line) is not None


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # e.g. a path that does not exist


#: (directory, its .gitignore) from the repository's top down to one directory; directories are
#: absolute, resolved path strings.
IgnoreChain = tuple[tuple[str, pathspec.GitIgnoreSpec], ...]


class FileFinder:
    """Expands the paths given on the command line into the files to read.

    Walking keeps everything as resolved path strings and carries the ``.gitignore`` chain down
    the tree, so a file costs a few string operations and pattern matches; only a file without an
    extension is opened (for its shebang) and only a symlink is resolved.
    """

    def __init__(
        self,
        root: Path,
        exclude: Sequence[str] | None = None,
        extend_exclude: Sequence[str] = (),
        respect_gitignore: bool = True,
        force_exclude: bool = False,
    ) -> None:
        self.root = str(root.resolve())
        patterns = list(DEFAULT_EXCLUDES if exclude is None else exclude) + list(extend_exclude)
        # A bare name matches an entry of that name anywhere: a set lookup, no pattern matching
        # (unless a negation could re-include something, which needs the patterns in order).
        negations = any(p.startswith("!") for p in patterns)
        self.excluded_names = frozenset(
            () if negations else (p for p in patterns if not any(c in p for c in "/*?[]!\\"))
        )
        self.excludes = pathspec.GitIgnoreSpec.from_lines([p for p in patterns if p not in self.excluded_names])
        self.respect_gitignore = respect_gitignore
        self.force_exclude = force_exclude
        self._gitignore_specs: dict[str, pathspec.GitIgnoreSpec | None] = {}

    # --- matching -------------------------------------------------------------------------------

    def _relative(self, absolute: str) -> str:
        """The path relative to the root; outside it, the absolute path (unanchored patterns still match)."""
        if absolute == self.root:
            return "."
        if absolute.startswith(self.root + os.sep):
            return absolute[len(self.root) + 1 :].replace(os.sep, "/")
        return absolute.lstrip(os.sep).replace(os.sep, "/")

    def _gitignore(self, directory: str) -> pathspec.GitIgnoreSpec | None:
        if directory not in self._gitignore_specs:
            spec = None
            ignore_file = os.path.join(directory, ".gitignore")
            if os.path.isfile(ignore_file):
                with open(ignore_file, encoding="utf-8", errors="replace") as handle:
                    spec = pathspec.GitIgnoreSpec.from_lines(handle.read().splitlines())
            self._gitignore_specs[directory] = spec
        return self._gitignore_specs[directory]

    def _extend(self, chain: IgnoreChain, directory: str) -> IgnoreChain:
        spec = self._gitignore(directory) if self.respect_gitignore else None
        return chain + ((directory, spec),) if spec is not None else chain

    def _chain_above(self, directory: str) -> IgnoreChain:
        """The .gitignore chain of the directories from the repository's top down to ``directory``."""
        if not self.respect_gitignore:
            return ()
        path = Path(directory)
        ancestors = [path, *path.parents]
        top = next((a for a in ancestors if (a / ".git").exists()), None)
        if top is None:
            top = Path(self.root) if Path(self.root) in ancestors else path
        chain: IgnoreChain = ()
        for ancestor in reversed(ancestors[: ancestors.index(top) + 1]):
            chain = self._extend(chain, str(ancestor))
        return chain

    def _excluded(self, absolute: str, is_dir: bool, chain: IgnoreChain) -> bool:
        relative = self._relative(absolute)
        if relative == ".":
            return False
        suffix = "/" if is_dir else ""
        if os.path.basename(absolute) in self.excluded_names or self.excludes.match_file(relative + suffix):
            return True
        return any(
            absolute.startswith(directory + os.sep)
            and spec.match_file(absolute[len(directory) + 1 :].replace(os.sep, "/") + suffix)
            for directory, spec in chain
        )

    def excluded(self, path: Path, is_dir: bool) -> bool:
        """Matched by ``exclude``/``extend-exclude`` (relative to the root) or by a ``.gitignore``."""
        absolute = str(path.resolve())
        return self._excluded(absolute, is_dir, self._chain_above(os.path.dirname(absolute)))

    # --- discovery ------------------------------------------------------------------------------

    def discover(self, paths: Iterable[str | Path]) -> Discovery:
        result = Discovery()
        seen: set[str] = set()
        for given in paths:
            path = Path(given)
            if not path.exists():
                result.errors.append(f"{path}: no such file or directory")
            elif path.is_dir():
                for found, absolute in self._walk(path):
                    self._add(found, absolute, result, seen)
            elif not (self.force_exclude and self._excluded_with_parents(path)):
                self._add(path, os.path.realpath(path), result, seen)  # an explicit file is read whatever its name
        return result

    @staticmethod
    def _add(path: Path, key: str, result: Discovery, seen: set[str]) -> None:
        if key not in seen:
            seen.add(key)
            result.files.append(path)

    def _excluded_with_parents(self, path: Path) -> bool:
        """``--force-exclude``: an explicit file is dropped when it or one of its directories is excluded."""
        if self.excluded(path, is_dir=False):
            return True
        return any(
            self.excluded(parent, is_dir=True) for parent in path.resolve().parents if _inside(parent, self.root)
        )

    def _walk(self, top: Path) -> Iterable[tuple[Path, str]]:
        """(path as the user would write it, resolved absolute path) of each file to read under ``top``."""
        tree = str(top.resolve())
        chains = {tree: self._chain_above(tree)}
        for directory, dirnames, filenames in os.walk(tree, followlinks=False):
            chain = chains.pop(directory)
            kept = []
            for name in sorted(dirnames):
                child = os.path.join(directory, name)
                if not self._excluded(child, True, chain):
                    kept.append(name)
                    chains[child] = self._extend(chain, child)
            dirnames[:] = kept
            shown = top / os.path.relpath(directory, tree) if directory != tree else top
            for name in sorted(filenames):
                absolute = os.path.join(directory, name)
                if not is_candidate(absolute) or self._excluded(absolute, False, chain):
                    continue
                if os.path.islink(absolute):
                    absolute = os.path.realpath(absolute)
                    if not _inside(Path(absolute), tree):
                        continue  # never follow a link out of the tree being walked
                yield shown / name, absolute


def _inside(path: Path, tree: str | Path) -> bool:
    try:
        path.relative_to(tree)
    except ValueError:
        return False
    return True
