"""File discovery: recursion, candidates, default excludes, exclude settings, .gitignore, symlinks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from vllm_pooling_migrate.codemod.files import FileFinder, is_candidate


def touch(root: Path, *names: str, text: str = "x\n") -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def found(finder: FileFinder, *paths, root: Path) -> list[str]:
    discovery = finder.discover(paths)
    return sorted(p.resolve().relative_to(root.resolve()).as_posix() for p in discovery.files)


@pytest.fixture
def tree(tmp_path):
    touch(
        tmp_path,
        "app/main.py",
        "app/stub.pyi",
        "app/nb.ipynb",
        "deploy/Dockerfile",
        "deploy/Dockerfile.gpu",
        "deploy/k8s.yaml",
        "deploy/compose.yml",
        "scripts/serve.sh",
        "README.md",
        "notes.txt",
        "data.json",
        ".venv/lib/site.py",
        "venv/x.py",
        "node_modules/pkg/index.md",
        "build/lib/x.py",
        "dist/x.py",
        "app/__pycache__/m.py",
        ".tox/py/x.py",
        ".mypy_cache/x.py",
        "lib/site-packages/vendored.py",
    )
    touch(tmp_path, "bin/serve", text="#!/usr/bin/env bash\nvllm serve M\n")
    touch(tmp_path, "bin/tool", text="#!/usr/bin/env python3\n")
    touch(tmp_path, "bin/blob", text="binary\n")
    return tmp_path


def test_walk_finds_candidates_and_skips_default_excludes(tree):
    assert found(FileFinder(tree), tree, root=tree) == [
        "README.md",
        "app/main.py",
        "app/nb.ipynb",
        "app/stub.pyi",
        "bin/serve",
        "bin/tool",
        "deploy/Dockerfile",
        "deploy/Dockerfile.gpu",
        "deploy/compose.yml",
        "deploy/k8s.yaml",
        "lib/site-packages/vendored.py",  # site-packages is not excluded by default
        "scripts/serve.sh",
    ]


def test_exclude_replaces_defaults_and_extend_exclude_adds(tree):
    replaced = found(FileFinder(tree, exclude=["deploy/"]), tree, root=tree)
    assert "venv/x.py" in replaced and not any(p.startswith("deploy/") for p in replaced)
    extended = found(FileFinder(tree, extend_exclude=["*.md", "app/*.pyi"]), tree, root=tree)
    assert "README.md" not in extended and "app/stub.pyi" not in extended and "app/main.py" in extended


def test_gitignore_files_apply_to_their_own_directory(tree):
    touch(tree, ".gitignore", text="*.yml\n/README.md\n")
    touch(tree, "app/.gitignore", text="main.py\n!stub.pyi\n")
    touch(tree, "other/README.md", "other/main.py")
    result = found(FileFinder(tree), tree, root=tree)
    assert "deploy/compose.yml" not in result and "README.md" not in result
    assert "other/README.md" in result and "other/main.py" in result  # anchored / per-directory patterns
    assert "app/main.py" not in result and "app/stub.pyi" in result
    assert "deploy/compose.yml" in found(FileFinder(tree, respect_gitignore=False), tree, root=tree)


def test_explicit_files_are_read_unless_force_exclude(tree):
    explicit = [tree / "build/lib/x.py", tree / "notes.txt"]
    assert found(FileFinder(tree), *explicit, root=tree) == ["build/lib/x.py", "notes.txt"]
    assert found(FileFinder(tree, force_exclude=True), *explicit, root=tree) == ["notes.txt"]
    touch(tree, ".gitignore", text="notes.txt\n")
    assert found(FileFinder(tree, force_exclude=True), *explicit, root=tree) == []


def test_missing_path_is_an_error_and_duplicates_are_dropped(tree):
    discovery = FileFinder(tree).discover([tree / "app", tree / "app" / "main.py", tree / "nope"])
    assert [p.name for p in discovery.files].count("main.py") == 1
    assert discovery.errors == [f"{tree / 'nope'}: no such file or directory"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinks_out_of_the_tree_are_not_followed(tmp_path):
    outside = tmp_path / "outside"
    touch(outside, "secret.py", "dir/inner.py")
    project = tmp_path / "project"
    touch(project, "real.py")
    (project / "link.py").symlink_to(outside / "secret.py")
    (project / "linked_dir").symlink_to(outside / "dir", target_is_directory=True)
    (project / "alias.py").symlink_to(project / "real.py")
    assert found(FileFinder(project), project, root=project) == ["real.py"]  # alias.py resolves to real.py


def test_candidate_detection_reads_only_shebangs_of_extensionless_files(tree):
    assert is_candidate(tree / "bin" / "serve") and not is_candidate(tree / "bin" / "blob")
    assert not is_candidate(tree / "data.json")


def test_a_negated_exclude_re_includes_what_a_bare_name_excluded(tree):
    touch(tree, "other/serve.sh")
    result = found(FileFinder(tree, exclude=["serve.sh", "!scripts/serve.sh"]), tree, root=tree)
    assert "scripts/serve.sh" in result and "other/serve.sh" not in result


def test_gitignore_above_the_walked_directory_applies(tmp_path):
    touch(tmp_path, ".gitignore", text="vendor/\n")
    (tmp_path / ".git").mkdir()
    touch(tmp_path, "src/vendor/a.py", "src/app/b.py")
    finder = FileFinder(tmp_path / "src")
    assert found(finder, tmp_path / "src", root=tmp_path) == ["src/app/b.py"]
