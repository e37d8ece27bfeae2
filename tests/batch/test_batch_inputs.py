"""Reading JSONL, CSV and Parquet in exact chunks, with bad rows kept (not fatal) and bad files refused."""

from __future__ import annotations

import json

import pytest

pa = pytest.importorskip("pyarrow")  # the `batch` extra
import pyarrow.parquet as pq  # noqa: E402
from batch_data import corpus, write_rows  # noqa: E402

from vllm_pooling_migrate.runtime.batch.errors import BatchError  # noqa: E402
from vllm_pooling_migrate.runtime.batch.inputs import count_rows, open_input, read_chunks  # noqa: E402


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_every_format_gives_the_same_chunks(tmp_path, suffix):
    rows = corpus(23)
    spec = open_input(write_rows(rows, tmp_path / f"in{suffix}"), text_columns=("text", "query"))
    chunks = list(read_chunks(spec, chunk_rows=10))
    assert [(c.shard, c.first_row, c.num_rows) for c in chunks] == [(0, 0, 10), (1, 10, 10), (2, 20, 3)]
    read = [row for chunk in chunks for row in chunk.table.to_pylist()]
    assert [r["id"] for r in read] == [r["id"] for r in rows]
    assert [r["text"] for r in read] == [r["text"] for r in rows]
    assert [r["_row"] for r in read] == list(range(23)) and {r["_input_error"] for r in read} == {None}
    if suffix != ".csv":
        assert count_rows(spec) == 23


def test_skipped_shards_come_back_without_a_table(tmp_path):
    spec = open_input(write_rows(corpus(25), tmp_path / "in.jsonl"), text_columns=("text",))
    chunks = list(read_chunks(spec, chunk_rows=10, skip={1}))
    assert [c.table is None for c in chunks] == [False, True, False]
    assert [(c.first_row, c.num_rows) for c in chunks] == [(0, 10), (10, 10), (20, 5)]


def test_jsonl_bad_lines_are_rows_with_their_reason(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": 1, "text": "a"}\n\n{"id": 2, "text": 7}\nnot json\n[1, 2]\n\xff\xfe\n'
                     b'{"id": "x", "text": "b"}\n{"id": 3.5, "text": "c"}\n{"id": 4}\n')
    spec = open_input(path, text_columns=("text",))
    (chunk,) = read_chunks(spec, chunk_rows=100)
    rows = chunk.table.to_pylist()
    assert [r["_row"] for r in rows] == list(range(8))  # the blank line is not a row
    errors = [r["_input_error"] for r in rows]
    assert errors[0] is None and errors[7] is None and rows[7]["text"] is None  # a missing text: the stage says so
    assert errors[1] == "column 'text' holds an integer, not a string" and rows[1]["id"] == 2
    assert errors[2].startswith("not valid JSON") and errors[3].startswith("a JSON Lines row must be an object")
    assert errors[4].startswith("not valid UTF-8")
    assert "is a string, but this input's ids are integers" in errors[5]
    assert "ids must be integers or strings" in errors[6]
    assert chunk.table.schema.field("id").type == pa.int64()


def test_jsonl_ids_are_strings_when_the_first_is(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "a", "text": "x"}) + "\n" + json.dumps({"id": 2, "text": "y"}) + "\n")
    (chunk,) = read_chunks(open_input(path, text_columns=("text",)), chunk_rows=10)
    assert chunk.table.column("id").to_pylist() == ["a", "2"]


def test_csv_quoted_newlines_bad_utf8_and_ragged_records(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b'id,text,ids\n1,"two\nlines, one row","[1, 2]"\n2,\xff,[3]\n3,ok,nope\n\n4,short\n')
    spec = open_input(path, text_columns=("text",), token_ids_columns=("ids",))
    (chunk,) = read_chunks(spec, chunk_rows=10)
    rows = chunk.table.to_pylist()
    assert rows[0]["text"] == "two\nlines, one row" and rows[0]["ids"] == [1, 2] and rows[0]["_input_error"] is None
    assert rows[1]["_input_error"] == "column 'text' is not valid UTF-8" and rows[1]["id"] == "2"
    assert "must hold a list of integer token ids" in rows[2]["_input_error"]
    assert rows[3]["_input_error"] == "the record has 2 fields, the header has 3" and rows[3]["id"] is None


def test_parquet_keeps_id_types_and_fails_undecodable_binary_text(tmp_path):
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"key": pa.array([10, 11], pa.int32()), "text": pa.array([b"ok", b"\xff"])}), path)
    (chunk,) = read_chunks(open_input(path, id_column="key", text_columns=("text",)), chunk_rows=10)
    assert chunk.table.schema.field("key").type == pa.int32()
    assert chunk.table.column("text").to_pylist() == ["ok", None]
    assert chunk.table.column("_input_error").to_pylist()[1].startswith("column 'text' is not valid UTF-8")


def test_without_an_id_column_rows_are_numbered(tmp_path):
    path = write_rows([{"text": "a"}, {"text": "b"}], tmp_path / "in.jsonl")
    spec = open_input(path, text_columns=("text",))
    (chunk,) = read_chunks(spec, chunk_rows=10)
    assert spec.id_column is None and chunk.table.column("row").to_pylist() == [0, 1]


def test_refusals_name_the_file_and_the_column(tmp_path):
    path = write_rows(corpus(3), tmp_path / "in.parquet")
    with pytest.raises(BatchError, match=r"in\.parquet: no column 'body' in the schema; columns: id, text"):
        open_input(path, text_columns=("body",))
    with pytest.raises(BatchError, match="no column 'key'"):
        open_input(path, id_column="key", text_columns=("text",))
    with pytest.raises(BatchError, match="no such input file"):
        open_input(tmp_path / "missing.jsonl")
    unknown = tmp_path / "in.txt"
    unknown.write_text("{}")
    with pytest.raises(BatchError, match=r"cannot tell the format from the suffix '\.txt'; pass --input-format"):
        open_input(unknown)
    with pytest.raises(BatchError, match="column 'text' has type string; a token-id column must hold lists"):
        next(read_chunks(open_input(path, token_ids_columns=("text",)), chunk_rows=10))
