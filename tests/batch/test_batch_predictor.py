"""``PoolingPredictor`` without Ray: every task equals the shim's own call, bad rows fail alone, numbers do not
depend on how rows arrive, and worker usage hits reach the driver's report once."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")  # the `batch` extra
from vllm_pooling_migrate.runtime.batch.columns import INPUT_ERROR_COLUMN, ROW_COLUMN, SHARD_COLUMN, USAGE_COLUMN  # noqa: E402
from vllm_pooling_migrate.runtime.batch.stage import PoolingPredictor, merge_worker_usage  # noqa: E402
from vllm_pooling_migrate.runtime.batch.stage.prompts import EMPTY_PROMPT  # noqa: E402
from vllm_pooling_migrate.shim import LLM, AlreadyRemovedWarning, PoolerConfig, report, versions  # noqa: E402

TEXTS = ["the model", "a red query", "document of the engine is fast", "blue", "step to the slow token"]
TOO_LONG = " ".join(["the"] * 80)  # the tiny models take 64 tokens


@pytest.fixture(autouse=True)
def default_target(monkeypatch):
    monkeypatch.setattr(versions, "_target", None)


def _table(texts, **extra) -> pa.Table:
    return pa.table({"id": list(range(len(texts))), "text": texts, **extra})


def _rows(column) -> list:
    return [None if value is None else np.asarray(value, np.float32) for value in column.to_pylist()]


@pytest.mark.parametrize("model, task", [("bert", "embed"), ("bert", "token_embed"), ("bert-cls", "classify"),
                                         ("bert-ner", "token_classify")])
def test_every_pooling_task_equals_the_shims_own_call(models, model, task):
    predictor = PoolingPredictor(models[model], task)
    out = merge_worker_usage(predictor(_table(TEXTS)))
    assert out.column_names == ["id", "text", predictor.result_column, predictor.error_column]
    assert out.column(predictor.error_column).null_count == len(TEXTS)
    expected = LLM(models[model], pooler_config=PoolerConfig(task=task)).encode(TEXTS, pooling_task=task)
    for got, want in zip(_rows(out.column(predictor.result_column)), expected):
        assert np.array_equal(got, want.outputs.data.numpy())


@pytest.mark.parametrize("model", ["bert-ce", "bert"])  # cross-encoder, bi-encoder
def test_score_equals_the_shims_score(models, model):
    queries = ["query"] * len(TEXTS)
    predictor = PoolingPredictor(models[model], "score", pair_columns=("query", "text"))
    out = predictor(_table(TEXTS, query=queries))
    expected = [o.outputs.score for o in LLM(models[model]).score(queries, TEXTS)]
    assert out.column("score").to_pylist() == expected and out.schema.field("score").type == pa.float64()


def test_bge_m3_dense_and_sparse_runs_where_the_release_allows_it(models, monkeypatch):
    overrides = {"hf_overrides": {"architectures": ["BgeM3EmbeddingModel"]}}
    with pytest.raises(ValueError, match="run 'embed' and 'token_classify' as two tasks"):
        PoolingPredictor(models["bge-m3"], "embed&token_classify", **overrides)  # 0.20: vLLM asserts
    monkeypatch.setattr(versions, "_target", (0, 19))
    predictor = PoolingPredictor(models["bge-m3"], "embed&token_classify", **overrides)
    out = predictor(_table(TEXTS))
    expected = LLM(models["bge-m3"], pooler_config=PoolerConfig(task="embed&token_classify"), **overrides).encode(
        TEXTS, pooling_task="embed&token_classify")
    assert out.schema.field("dense_and_sparse").type == pa.list_(pa.float32())
    for got, want in zip(_rows(out.column("dense_and_sparse")), expected):
        assert np.array_equal(got, want.outputs.data.numpy())


def test_bad_rows_fail_alone_with_vllms_message(models):
    texts = [TEXTS[0], "", None, TOO_LONG, TEXTS[1], TEXTS[2]]
    input_errors = [None, None, None, None, "not valid JSON: ...", None]
    predictor = PoolingPredictor(models["bert"], "embed")
    out = predictor(_table(texts, **{INPUT_ERROR_COLUMN: input_errors}))
    errors = out.column("embedding_error").to_pylist()
    assert errors[:3] == [None, EMPTY_PROMPT, "no text: column 'text' is null or missing"]
    assert errors[3] == ("This model's maximum context length is 64 tokens. However, you requested 0 output tokens "
                         "and your prompt contains at least 65 input tokens, for a total of at least 65 tokens. Please "
                         "reduce the length of the input prompt or the number of requested output tokens. "
                         "(parameter=input_tokens, value=65)")
    assert errors[4] is None  # the reader's failure, reported once by the writer, not by every stage
    vectors = _rows(out.column("embedding"))
    assert [v is None for v in vectors] == [False, True, True, True, True, False]
    clean = _rows(predictor(_table([TEXTS[0], TEXTS[2]])).column("embedding"))
    assert np.array_equal(vectors[0], clean[0]) and np.array_equal(vectors[5], clean[1])


def test_truncation_keeps_too_long_rows(models):
    out = PoolingPredictor(models["bert"], "embed", truncate_prompt_tokens=-1)(_table([TOO_LONG, TEXTS[0]]))
    assert out.column("embedding_error").to_pylist() == [None, None]


def test_token_id_prompts_and_their_bad_rows(models):
    ids = [[2, 5, 6, 3], [], [2, 99999, 3], [2, -1, 3], None]
    out = PoolingPredictor(models["bert"], "embed", token_ids_column="ids")(
        pa.table({"id": list(range(5)), "ids": pa.array(ids, pa.list_(pa.int64()))}))
    assert out.column("embedding_error").to_pylist() == [
        None, EMPTY_PROMPT, "Token id 99999 is out of vocabulary", "Token id -1 is out of vocabulary",
        "no token ids: column 'ids' is null or missing"]
    llm = LLM(models["bert"], pooler_config=PoolerConfig(task="embed"))
    assert np.array_equal(_rows(out.column("embedding"))[0], llm.embed([[2, 5, 6, 3]])[0].outputs.embedding)


def test_numbers_do_not_depend_on_how_the_rows_arrive(models):
    """Calls are cut from (shard, row // batch_rows) windows: Ray may hand over rows in other groupings."""
    texts = [TEXTS[i % 5] + " the" * i for i in range(12)]
    table = _table(texts, **{SHARD_COLUMN: [0] * 12, ROW_COLUMN: list(range(12))})
    predictor = PoolingPredictor(models["bert"], "embed", batch_rows=4)
    whole = _rows(predictor(table).column("embedding"))
    pieces = [predictor(table.slice(0, 6)), predictor(table.slice(6))]
    parts = [v for piece in pieces for v in _rows(piece.column("embedding"))]
    assert all(np.array_equal(a, b) for a, b in zip(whole, parts, strict=True))


def test_ray_style_numpy_batches_and_a_batch_whose_rows_all_fail(models):
    predictor = PoolingPredictor(models["bert-cls"], "classify")
    out = predictor({"id": np.arange(2), "text": np.array(["the model", "blue"], dtype=object)})
    assert out.schema.field("probs").type == pa.list_(pa.float32(), 3)
    failed = predictor(_table(["", None]))
    assert failed.schema.field("probs").type == out.schema.field("probs").type
    assert failed.column("probs").null_count == 2
    with pytest.raises(ValueError, match="already has a column 'probs'"):
        predictor(out)


def test_stage_refusals_keep_vllms_text(models):
    with pytest.raises(RuntimeError, match=r"Unsupported task: 'classify' Supported tasks: \('embed', 'token_embed'\)"):
        PoolingPredictor(models["bert"], "classify")
    with pytest.raises(ValueError, match="pass pair_columns"):
        PoolingPredictor(models["bert-ce"], "score")


@pytest.mark.pooling_legacy
def test_worker_hits_reach_the_drivers_report_once(models):
    before = report.snapshot()
    with pytest.warns(AlreadyRemovedWarning, match="POOL010"):
        predictor = PoolingPredictor(models["bert"], "embed", pooler_config={"normalize": True})
    out = predictor(_table(TEXTS))
    (payload,) = json.loads(out.column(USAGE_COLUMN)[0].as_py())
    assert [hit[0] for hit in payload["hits"]] == ["POOL010"] and payload["pid"] == os.getpid()
    assert out.column(USAGE_COLUMN).to_pylist()[1:] == [None] * (len(TEXTS) - 1)
    assert USAGE_COLUMN not in merge_worker_usage(out).column_names
    assert report.snapshot() - before == {tuple(payload["hits"][0][:3]): 1}  # own process: already counted
    assert predictor(_table(TEXTS)).column(USAGE_COLUMN).null_count == len(TEXTS)  # no new hit, no payload

    from_worker = dict(payload, pid=-1, spool=None)  # another process, on this host, without a spool
    merge_worker_usage(out.set_column(out.column_names.index(USAGE_COLUMN), USAGE_COLUMN,
                                      pa.array([json.dumps([from_worker])] + [None] * (len(TEXTS) - 1))))
    assert sum((report.snapshot() - before).values()) == 2
    spooled = dict(payload, pid=-1, spool=os.environ[report.SPOOL_ENV])  # already in this process's spool
    merge_worker_usage(out.set_column(out.column_names.index(USAGE_COLUMN), USAGE_COLUMN,
                                      pa.array([json.dumps([spooled])] + [None] * (len(TEXTS) - 1))))
    assert sum((report.snapshot() - before).values()) == 2
