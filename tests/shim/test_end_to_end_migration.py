"""The whole product on one snippet per runtime deprecation: the shim warns (0.20), `migrate-pooling`
rewrites the file, and the rewritten file runs in the removal preview (0.21) with no deprecation at all
and the same numbers as the legacy run. Real engine, tiny random models."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate.codemod.cli import main as migrate_pooling
from vllm_pooling_migrate import registry
from shim_snippets import SNIPPETS, output_numbers, run_snippet

RUNTIME_CODES = sorted(d.code for d in registry.DEPRECATIONS if d.runtime)


@pytest.mark.parametrize("code", RUNTIME_CODES)
def test_migrated_snippet_runs_in_preview_with_the_same_outputs(code, tmp_path, tiny_models, target):
    path = tmp_path / f"app_{code.lower()}.py"
    path.write_text(SNIPPETS[code].source)
    legacy_namespace, legacy_record = run_snippet(path, tiny_models)
    assert code in {w.message.code for w in legacy_record if hasattr(w.message, "code")}

    exit_code = migrate_pooling(["--unsafe-fixes", "--quiet", "--target-version", "0.21", str(path)])
    migrated = path.read_text()
    assert migrated != SNIPPETS[code].source, f"{code}: nothing was rewritten"
    assert exit_code == 0, f"{code}: findings remain after fixing:\n{migrated}"

    target("0.21")
    namespace, record = run_snippet(path, tiny_models)
    assert [str(w.message) for w in record if hasattr(w.message, "code")] == []
    assert output_numbers(namespace["result"]) == pytest.approx(output_numbers(legacy_namespace["result"]), abs=1e-6)
