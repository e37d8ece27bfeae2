"""Every runtime deprecation in the registry: its legacy snippet warns exactly that code at its line under 0.20
and, in the removal preview, raises what vLLM 0.21 raises (or still warns where 0.21 still does). Real engine."""

from __future__ import annotations

import pytest

from vllm_pooling_migrate import registry
from vllm_pooling_migrate.shim.deprecations import warning_class
from shim_snippets import SNIPPETS, output_numbers, run_snippet

RUNTIME_CODES = sorted(d.code for d in registry.DEPRECATIONS if d.runtime)


def test_every_runtime_deprecation_has_a_snippet():
    assert sorted(SNIPPETS) == RUNTIME_CODES


def fails_in_preview(entry: registry.Deprecation) -> bool:
    return entry.deprecated_in is None or registry.is_removed_at(entry, (0, 21))


@pytest.fixture
def snippet_file(tmp_path):
    def write(code: str):
        path = tmp_path / f"legacy_{code.lower()}.py"
        path.write_text(SNIPPETS[code].source)
        return path

    return write


@pytest.mark.parametrize("code", RUNTIME_CODES)
def test_snippet_warns_its_code_at_its_line(code, snippet_file, tiny_models):
    path = snippet_file(code)
    namespace, record = run_snippet(path, tiny_models)
    hits = [w for w in record if hasattr(w.message, "code")]
    assert {(w.message.code, w.filename, w.lineno) for w in hits} == {(code, str(path), SNIPPETS[code].legacy_line)}
    assert all(isinstance(w.message, warning_class(registry.get(code))) for w in hits)
    assert output_numbers(namespace["result"])


@pytest.mark.parametrize("code", RUNTIME_CODES)
def test_snippet_in_the_removal_preview(code, snippet_file, tiny_models, target):
    snippet = SNIPPETS[code]
    assert (snippet.preview_error is not None) == fails_in_preview(registry.get(code))
    target("0.21")
    path = snippet_file(code)
    if snippet.preview_error is None:
        _, record = run_snippet(path, tiny_models)
        assert {w.message.code for w in record if hasattr(w.message, "code")} == {code}
        return
    with pytest.raises(snippet.preview_error) as error:
        run_snippet(path, tiny_models)
    assert snippet.preview_text in str(error.value)
    [legacy_frame] = [entry for entry in error.traceback if str(entry.path) == str(path)]
    assert legacy_frame.lineno + 1 == snippet.legacy_line  # 0-based: raised from the legacy line itself
    assert any(note.startswith(f"{code}: ") for note in error.value.__notes__)
