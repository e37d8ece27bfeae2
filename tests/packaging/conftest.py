"""The scratch user project (see packaging_helpers.py), written once per test module."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging_helpers import write_scratch_project


@pytest.fixture(scope="module")
def scratch_project(tmp_path_factory) -> Path:
    return write_scratch_project(tmp_path_factory.mktemp("scratch_project"))
