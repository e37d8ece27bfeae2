"""A file is never skipped for how it is encoded: a UTF-8 BOM, a PEP 263 cookie, CRLF or CR line ends give the
findings of the plain file, and a fix keeps the bytes around it."""

from __future__ import annotations

import json

import pytest

from vllm_pooling_migrate.codemod.cli import main

BODY = (
    "from vllm import LLM\n"
    "# note: ö\n"
    'llm = LLM("m", override_pooler_config={"pooling_type": "MEAN"})\n'
    'llm.embed(["a"])\n'
    'llm.encode(["b"], pooling_task="token_embed")\n'
)
VARIANTS = {
    "plain": BODY.encode(),
    "bom": b"\xef\xbb\xbf" + BODY.encode(),
    "bom crlf": b"\xef\xbb\xbf" + BODY.replace("\n", "\r\n").encode(),
    "latin-1 cookie": ("# -*- coding: latin-1 -*-\n" + BODY).encode("latin-1"),
    "cookie crlf": ("# coding: cp1252\r\n" + BODY.replace("\n", "\r\n")).encode("cp1252"),
    "cr only": BODY.replace("\n", "\r").encode(),
}


def _findings(path, capsys) -> list[tuple[str, int, int]]:
    code = main(["--check", "--output-format", "json", str(path)])
    rows = json.loads(capsys.readouterr().out)
    assert code == (1 if rows else 0)
    return [(r["code"], r["location"]["row"], r["location"]["column"]) for r in rows]


@pytest.mark.parametrize("name", VARIANTS)
def test_same_findings_however_the_file_is_encoded(tmp_path, capsys, name):
    plain = tmp_path / "plain.py"
    plain.write_bytes(VARIANTS["plain"])
    expected = _findings(plain, capsys)
    assert sorted(code for code, _, _ in expected) == ["POOL003", "POOL004"]
    variant = tmp_path / "variant.py"
    variant.write_bytes(VARIANTS[name])
    shift = 1 if b"coding" in VARIANTS[name] else 0  # the cookie is a line of its own
    assert _findings(variant, capsys) == [(code, row + shift, column) for code, row, column in expected]


@pytest.mark.parametrize("name", ["bom", "bom crlf", "latin-1 cookie", "cookie crlf"])
def test_fixing_keeps_bom_encoding_and_line_ends(tmp_path, capsys, name):
    path = tmp_path / "legacy.py"
    path.write_bytes(VARIANTS[name])
    main([str(path)])
    capsys.readouterr()
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == VARIANTS[name].startswith(b"\xef\xbb\xbf")
    assert (b"\r\n" in data) == (b"\r\n" in VARIANTS[name]) and data.count(b"\n") == data.count(b"\r\n") or b"\r\n" not in data
    text = data.decode("latin-1" if b"latin-1" in data else "cp1252" if b"cp1252" in data else "utf-8-sig")
    assert "pooler_config=PoolerConfig(" in text and "ö" in text


def test_standard_input_with_a_bom_is_read(monkeypatch, capsys):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(VARIANTS["bom"]), encoding="utf-8"))
    assert main(["--check", "-"]) == 1
    out = capsys.readouterr().out
    assert "POOL003" in out and "POOL004" in out
