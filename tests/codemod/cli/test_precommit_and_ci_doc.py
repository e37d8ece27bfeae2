"""The shipped pre-commit hooks and the CI guide."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
# File type tags of pre-commit's `identify` library that the hooks may use.
IDENTIFY_TAGS = {"python", "pyi", "jupyter", "shell", "dockerfile", "yaml", "markdown"}


def test_pre_commit_hooks_check_and_fix():
    hooks = {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"migrate-pooling-check", "migrate-pooling-fix"}
    assert hooks["migrate-pooling-check"]["entry"] == "migrate-pooling --check --force-exclude"
    assert hooks["migrate-pooling-fix"]["entry"] == "migrate-pooling --force-exclude"
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["require_serial"] is True
        assert set(hook["types_or"]) == IDENTIFY_TAGS
        assert hook["name"] and hook["description"] and hook["minimum_pre_commit_version"]


def test_ci_guide_covers_github_gitlab_and_pre_commit():
    guide = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    for needle in (
        "--output-format github",
        "--output-format sarif",
        "upload-sarif",
        "GitLab",
        "id: migrate-pooling-check",
        "id: migrate-pooling-fix",
        "[tool.migrate-pooling]",
    ):
        assert needle in guide
    blocks = guide.split("```yaml")[1:]
    for block in blocks:
        yaml.safe_load(block.split("```")[0])  # every YAML example parses
