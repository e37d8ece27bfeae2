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

from codemod.formats.kinds import file_kind

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


def is_candidate(path: Path) -> bool:
    """A file the tool reads: by name, or for a name without extension by a shell/python shebang."""
    if file_kind(str(path)) is not None:
        return True
    if path.suffix:
        return False
    try:
        with path.open("rb") as handle:
            first_line = handle.readline(256).decode("utf-8", "replace")
    except OSError:
        return False
    return file_kind(str(path), first_line) is not None


@dataclass
class Discovery:
    files: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # e.g. a path that does not exist


class _GitIgnores:
    """The ``.gitignore`` files met during a walk, each matched relative to its own directory."""

    def __init__(self) -> None:
        self._specs: dict[Path, pathspec.GitIgnoreSpec | None] = {}

    def _spec(self, directory: Path) -> pathspec.GitIgnoreSpec | None:
        if directory not in self._specs:
            ignore_file = directory / ".gitignore"
            spec = None
            if ignore_file.is_file():
                lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
                spec = pathspec.GitIgnoreSpec.from_lines(lines)
            self._specs[directory] = spec
        return self._specs[directory]

    def ignored(self, path: Path, is_dir: bool, top: Path) -> bool:
        """True when a ``.gitignore`` in ``top`` or a directory between it and ``path`` ignores ``path``."""
        directory = path.parent
        while True:
            spec = self._spec(directory)
            if spec is not None:
                relative = path.relative_to(directory).as_posix() + ("/" if is_dir else "")
                if spec.match_file(relative):
                    return True
            if directory == top or directory == directory.parent:
                return False
            directory = directory.parent


class FileFinder:
    """Expands the paths given on the command line into the files to read."""

    def __init__(
        self,
        root: Path,
        exclude: Sequence[str] | None = None,
        extend_exclude: Sequence[str] = (),
        respect_gitignore: bool = True,
        force_exclude: bool = False,
    ) -> None:
        self.root = root.resolve()
        patterns = list(DEFAULT_EXCLUDES if exclude is None else exclude) + list(extend_exclude)
        self.excludes = pathspec.GitIgnoreSpec.from_lines(patterns)
        self.respect_gitignore = respect_gitignore
        self.force_exclude = force_exclude
        self.gitignores = _GitIgnores()

    def _relative(self, path: Path) -> str:
        """The path relative to the root; outside it, the absolute path (unanchored patterns still match)."""
        resolved = path.resolve()
        try:
            return resolved.relative_to(self.root).as_posix()
        except ValueError:
            return resolved.as_posix().lstrip("/")

    def excluded(self, path: Path, is_dir: bool) -> bool:
        """Matched by ``exclude``/``extend-exclude`` (relative to the root) or by a ``.gitignore``."""
        relative = self._relative(path)
        if relative == ".":
            return False
        if self.excludes.match_file(relative + ("/" if is_dir else "")):
            return True
        if self.respect_gitignore:
            return self.gitignores.ignored(path.resolve(), is_dir, self._git_top(path.resolve()))
        return False

    def _git_top(self, path: Path) -> Path:
        """Where ``.gitignore`` lookups stop: the repository's top (a ``.git`` entry) or the root."""
        for directory in path.parents:
            if (directory / ".git").exists() or directory == self.root:
                return directory
        return self.root

    def discover(self, paths: Iterable[str | Path]) -> Discovery:
        result = Discovery()
        seen: set[Path] = set()
        for given in paths:
            path = Path(given)
            if not path.exists():
                result.errors.append(f"{path}: no such file or directory")
            elif path.is_dir():
                for found in self._walk(path):
                    self._add(found, result, seen)
            elif not (self.force_exclude and self._excluded_with_parents(path)):
                self._add(path, result, seen)  # an explicit file is read whatever its name
        return result

    def _add(self, path: Path, result: Discovery, seen: set[Path]) -> None:
        key = path.resolve()
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

    def _walk(self, top: Path) -> Iterable[Path]:
        tree = top.resolve()
        for directory, dirnames, filenames in os.walk(top, followlinks=False):
            base = Path(directory)
            dirnames[:] = sorted(d for d in dirnames if not self.excluded(base / d, is_dir=True))
            for name in sorted(filenames):
                path = base / name
                if path.is_symlink() and not _inside(path.resolve(), tree):
                    continue  # never follow a link out of the tree being walked
                if not self.excluded(path, is_dir=False) and is_candidate(path):
                    yield path


def _inside(path: Path, tree: Path) -> bool:
    try:
        path.relative_to(tree)
    except ValueError:
        return False
    return True
