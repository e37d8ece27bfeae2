"""Engine results as Arrow columns: types per task, nulls for failed rows, values unchanged."""

from __future__ import annotations

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")  # the `batch` extra
from vllm_pooling_migrate.runtime.batch.stage.results import result_type, to_arrow  # noqa: E402


def test_vectors_become_fixed_size_lists_with_nulls_for_failed_rows():
    rows = [np.array([1, 2, 3], np.float32), None, np.array([4, 5, 6], np.float32)]
    kind = result_type("embed", rows[0])
    assert kind == pa.list_(pa.float32(), 3)
    column = to_arrow(rows, kind)
    assert column.to_pylist() == [[1, 2, 3], None, [4, 5, 6]] and column.null_count == 1


def test_per_token_results_become_lists_of_vectors():
    rows = [np.arange(6, dtype=np.float32).reshape(3, 2), None, np.zeros((0, 2), np.float32)]
    kind = result_type("token_embed", rows[0])
    assert kind == pa.list_(pa.list_(pa.float32(), 2))
    assert to_arrow(rows, kind).to_pylist() == [[[0, 1], [2, 3], [4, 5]], None, []]


def test_varying_widths_and_one_value_per_token_become_plain_lists():
    rows = [np.array([0.5, 1.5], np.float32), np.array([2.5], np.float32), None]
    kind = result_type("embed&token_classify", rows[0])
    assert kind == pa.list_(pa.float32())
    assert to_arrow(rows, kind).to_pylist() == [[0.5, 1.5], [2.5], None]


def test_scores_are_doubles_and_a_batch_of_failures_keeps_the_type():
    assert to_arrow([0.25, None], result_type("score", 0.25)).to_pylist() == [0.25, None]
    kind = result_type("classify", np.zeros(4, np.float32))
    assert to_arrow([None, None], kind).type == kind


def test_a_result_of_the_wrong_width_is_refused():
    with pytest.raises(ValueError, match="shape"):
        to_arrow([np.zeros(2, np.float32)], pa.list_(pa.float32(), 3))
