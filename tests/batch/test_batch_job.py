"""The in-process job end to end: every task, every input format, bad rows, resuming, the final check, the CLI."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")  # the `batch` extra
import pyarrow.parquet as pq  # noqa: E402
from batch_data import corpus, write_rows  # noqa: E402

from vllm_pooling_migrate.runtime.batch import BatchError, BatchOptions, PoolingPredictor, run_batch  # noqa: E402
from vllm_pooling_migrate.runtime.batch.cli import main  # noqa: E402
from vllm_pooling_migrate.runtime.batch.job.dtype import decide_dtype  # noqa: E402
from vllm_pooling_migrate.runtime.batch.stage import merge_worker_usage  # noqa: E402
from vllm_pooling_migrate.shim import versions  # noqa: E402

TASKS_BY_MODEL = {"bert": ("embed", "token_embed"), "bert-cls": ("classify",), "bert-ner": ("token_classify",),
                  "bert-ce": ("score",)}


def _options(models, model, tmp_path, source, **given) -> BatchOptions:
    settings = dict(model=models[model], tasks=TASKS_BY_MODEL[model], input=source, output=tmp_path / "out",
                    pair_columns=("query", "text"), chunk_rows=8, batch_rows=4, progress=False)
    return BatchOptions(**{**settings, **given})


@pytest.mark.parametrize("model", list(TASKS_BY_MODEL))
def test_every_task_writes_what_the_stage_computes(models, tmp_path, model):
    rows = corpus(19)
    options = _options(models, model, tmp_path, write_rows(rows, tmp_path / "in.jsonl"))
    summary = run_batch(options)
    assert (summary.shards, summary.input_rows, summary.output_rows, summary.failed_rows) == (3, 19, 19, 0)
    assert summary.exit_code == 0
    written = pq.read_table(options.output)
    assert written.column("id").to_pylist() == [row["id"] for row in rows]
    for task in options.tasks:  # the same numbers as the stage run on each shard by hand
        stage = PoolingPredictor(**options.stage_kwargs(task))
        shards = [pa.Table.from_pylist(rows[start:start + 8]) for start in range(0, 19, 8)]
        expected = [v for shard in shards for v in merge_worker_usage(stage(shard)).column(stage.result_column)
                    .to_pylist()]
        assert written.column(stage.result_column).to_pylist() == expected


def test_every_format_gives_the_same_output_and_several_tasks_share_one_read(models, tmp_path):
    rows = corpus(10)
    outputs = []
    for suffix in (".jsonl", ".csv", ".parquet"):
        options = _options(models, "bert", tmp_path, write_rows(rows, tmp_path / f"in{suffix}"),
                           output=tmp_path / f"out{suffix}")
        run_batch(options)
        outputs.append(pq.read_table(options.output))
    assert outputs[0].column_names == ["id", "embedding", "token_embeddings"]
    assert outputs[0].equals(outputs[1]) and outputs[0].equals(outputs[2])


def test_bad_rows_go_to_the_errors_file_and_the_exit_status_says_so(models, tmp_path):
    source = tmp_path / "in.jsonl"
    lines = [json.dumps(row) for row in corpus(9)]
    lines[2] = json.dumps({"id": "doc-2", "text": ""})
    lines[4] = "{broken"
    lines[7] = json.dumps({"id": "doc-7", "text": "the " * 80})
    source.write_text("\n".join(lines) + "\n")
    output = tmp_path / "out"
    status = main(["--task", "embed", "--task", "token_embed", "--input", str(source), "--output", str(output),
                   "--chunk-rows", "4", "--no-progress", models["bert"]])
    assert status == 3
    errors = [json.loads(line) for line in (output / "_errors.jsonl").read_text().splitlines()]
    assert [(e["row"], e["id"], e["task"]) for e in errors] == [
        (2, "doc-2", "embed"), (2, "doc-2", "token_embed"), (4, None, None), (7, "doc-7", "embed"),
        (7, "doc-7", "token_embed")]
    assert errors[0]["error"] == "The decoder prompt cannot be empty"
    assert errors[2]["error"].startswith("not valid JSON")
    assert errors[3]["error"].startswith("This model's maximum context length is 64 tokens.")
    assert errors[3]["error"].endswith("(parameter=input_tokens, value=65)")
    written = pq.read_table(output).column("id").to_pylist()
    assert written == [f"doc-{i}" for i in (0, 1, 3, 5, 6, 8)]


def test_bge_m3_dense_and_sparse_where_the_release_allows_it(models, tmp_path, monkeypatch):
    source = write_rows(corpus(6), tmp_path / "in.jsonl")
    options = replace(_options(models, "bert", tmp_path, source), model=models["bge-m3"],
                      tasks=("embed&token_classify", "token_classify"),
                      llm_kwargs={"hf_overrides": {"architectures": ["BgeM3EmbeddingModel"]}})
    with pytest.raises(BatchError, match="cannot start the 'embed&token_classify' stage: .* run 'embed' and "
                                         "'token_classify' as two tasks"):
        run_batch(options)  # 0.20 (the default emulation): vLLM fails a bare assertion
    monkeypatch.setattr(versions, "_target", (0, 19))
    summary = run_batch(options)
    written = pq.read_table(summary.output)
    assert summary.output_rows == 6 and written.column_names == ["id", "dense_and_sparse", "token_probs"]
    dense_and_sparse = written.column("dense_and_sparse").to_pylist()
    sparse = written.column("token_probs").to_pylist()  # one weight per token, BOS/EOS dropped
    assert all(len(both) == 32 + len(weights) for both, weights in zip(dense_and_sparse, sparse))


def test_without_an_id_column_rows_are_identified_by_position(models, tmp_path):
    source = write_rows([{"text": "the model"}, {"text": ""}, {"text": "blue"}], tmp_path / "in.jsonl")
    summary = run_batch(_options(models, "bert-cls", tmp_path, source))
    assert pq.read_table(summary.output).column("row").to_pylist() == [0, 2]
    assert json.loads(summary.errors_file.read_text())["row"] == 1


def test_an_existing_output_needs_resume_and_the_same_job(models, tmp_path):
    source = write_rows(corpus(10), tmp_path / "in.jsonl")
    options = _options(models, "bert-cls", tmp_path, source)
    first = run_batch(options)
    with pytest.raises(BatchError, match="a batch job already wrote here; pass --resume"):
        run_batch(options)
    again = run_batch(_options(models, "bert-cls", tmp_path, source, resume=True))
    assert again.resumed_shards == first.shards == 2 and again.output_rows == 10
    with pytest.raises(BatchError, match=r"not the same job .*chunk_rows: was 8, now 12"):
        run_batch(_options(models, "bert-cls", tmp_path, source, resume=True, chunk_rows=12))
    write_rows(corpus(11), source)
    with pytest.raises(BatchError, match=r"not the same job .*input: was"):
        run_batch(_options(models, "bert-cls", tmp_path, source, resume=True))


def test_one_dtype_per_job_recorded_for_resumes(models, tmp_path):
    source = write_rows(corpus(4), tmp_path / "in.jsonl")
    options = _options(models, "bert-cls", tmp_path, source)
    run_batch(options)
    manifest = json.loads((options.output / "_manifest.json").read_text())
    assert manifest["engine"]["dtype"] in ("float32", "bfloat16")  # the engine's choice here, never "auto"
    assert decide_dtype(options, {"engine": {"dtype": "bfloat16"}}) == "bfloat16"  # a resume keeps the first choice
    assert decide_dtype(_options(models, "bert-cls", tmp_path, source, dtype="float16"), manifest) == "float16"


def test_resume_redoes_unfinished_and_damaged_shards_only(models, tmp_path):
    source = write_rows(corpus(20), tmp_path / "in.jsonl")
    options = _options(models, "bert-cls", tmp_path, source)
    run_batch(options)
    complete = pq.read_table(options.output)
    (options.output / "part-00000001.parquet").unlink()  # never written
    (options.output / "part-00000002.parquet").write_bytes(b"half a file")  # not ours: atomic writes prevent it
    (options.output / ".part-00000001.parquet.tmp-1-ab").write_bytes(b"left by a killed run")
    summary = run_batch(_options(models, "bert-cls", tmp_path, source, resume=True))
    assert summary.resumed_shards == 1 and pq.read_table(options.output).equals(complete)
    assert not list(options.output.glob(".*tmp*"))


def test_the_final_check_finds_lost_and_stray_rows(models, tmp_path):
    source = write_rows(corpus(12), tmp_path / "in.jsonl")
    options = _options(models, "bert-cls", tmp_path, source, resume=True)
    run_batch(options)
    part = options.output / "part-00000001.parquet"
    table = pq.read_table(part)
    pq.write_table(table.slice(1), part)  # a row lost, the metadata kept
    with pytest.raises(BatchError, match=r"shard 1 \(rows 8-11\): row 8 \(id \"doc-8\"\) is in neither"):
        run_batch(options)
    pq.write_table(table, part)
    pq.write_table(table, options.output / "part-00000007.parquet")
    with pytest.raises(BatchError, match=r"part files for shards the input does not have: \[7\]"):
        run_batch(options)


def test_command_line_refusals(models, tmp_path, capsys):
    source = write_rows(corpus(3), tmp_path / "in.jsonl")
    base = [models["bert"], "--input", str(source), "--output", str(tmp_path / "out"), "--no-progress"]
    assert main(base + ["--task", "classify"]) == 1
    assert "cannot start the 'classify' stage: Unsupported task: 'classify'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing written for a job that could not start
    assert main(base + ["--task", "embed", "--text-column", "body"]) == 1
    assert "in.jsonl: no column 'body' in the first row; columns: id, text, query, document" in capsys.readouterr().err
    assert main(base + ["--task", "score"]) == 1
    assert "--task score needs --pair-columns" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        main(base + ["--task", "rerank"])
    assert exited.value.code == 2
    assert main(base + ["--task", "embed", "--chunk-rows", "10", "--batch-rows", "4"]) == 1
    assert "--chunk-rows (10) must be a multiple of --batch-rows (4)" in capsys.readouterr().err
    assert main(base + ["--task", "embed", "--num-actors", "2"]) == 1
    assert "--num-actors and --ray-num-cpus need --ray" in capsys.readouterr().err
    assert main(base + ["--task", "embed"]) == 0
    assert (Path(tmp_path / "out") / "part-00000000.parquet").exists()


def test_a_job_that_wrote_no_shard_can_start_again_without_resume(models, tmp_path):
    source = write_rows(corpus(3), tmp_path / "in.jsonl")
    output = tmp_path / "out"
    output.mkdir()
    (output / "_manifest.json").write_text('{"format": "vllm-pooling-batch/1", "tasks": ["classify"]}')
    assert run_batch(_options(models, "bert-cls", tmp_path, source)).output_rows == 3
