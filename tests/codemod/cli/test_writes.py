"""Reading and writing: encodings, BOM, line endings, final newline, mode, atomic replace, symlinks."""

from __future__ import annotations

import os
import stat

import pytest

from vllm_pooling_migrate.codemod.writes import SourceError, read_source, write_source


def roundtrip(tmp_path, name: str, data: bytes, transform=lambda t: t.replace("old", "new")) -> bytes:
    path = tmp_path / name
    path.write_bytes(data)
    source = read_source(path)
    write_source(source, transform(source.text))
    return path.read_bytes()


def test_crlf_is_kept_including_lines_a_fix_adds(tmp_path):
    data = b"a: old\r\nb: 1\r\n"
    assert roundtrip(tmp_path, "x.yaml", data, lambda t: t.replace("a: old", "a: new\nc: 2")) == (
        b"a: new\r\nc: 2\r\nb: 1\r\n"
    )


def test_bom_is_kept(tmp_path):
    data = b"\xef\xbb\xbfx = 'old'\n"
    source_path = tmp_path / "x.py"
    source_path.write_bytes(data)
    source = read_source(source_path)
    assert source.bom and not source.text.startswith("\ufeff")
    write_source(source, source.text.replace("old", "new"))
    assert source_path.read_bytes() == b"\xef\xbb\xbfx = 'new'\n"


def test_pep263_cookie_decides_the_encoding(tmp_path):
    data = "# -*- coding: latin-1 -*-\nname = 'café old'\n".encode("latin-1")
    assert roundtrip(tmp_path, "x.py", data) == "# -*- coding: latin-1 -*-\nname = 'café new'\n".encode("latin-1")


def test_text_not_encodable_in_the_file_encoding_is_an_error(tmp_path):
    path = tmp_path / "x.py"
    path.write_bytes(b"# coding: latin-1\nx = 1\n")
    with pytest.raises(SourceError, match="x.py: the fixed text cannot be encoded as iso-8859-1"):
        write_source(read_source(path), "# coding: latin-1\nx = '\u2603'\n")


def test_final_newline_state_is_kept(tmp_path):
    assert roundtrip(tmp_path, "a.sh", b"echo old", lambda t: t.replace("old", "new") + "\n") == b"echo new"
    assert roundtrip(tmp_path, "b.sh", b"echo old\n", lambda t: t.rstrip("\n")) == b"echo old\n"


def test_mode_is_kept_and_no_temporary_file_is_left(tmp_path):
    path = tmp_path / "serve.sh"
    path.write_bytes(b"vllm serve old\n")
    os.chmod(path, 0o750)
    write_source(read_source(path), "vllm serve new\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o750
    assert os.listdir(tmp_path) == ["serve.sh"]


def test_undecodable_files_are_errors_naming_the_file(tmp_path):
    path = tmp_path / "bad.sh"
    path.write_bytes(b"echo \xff\xfe\n")
    with pytest.raises(SourceError, match="bad.sh: cannot be decoded as utf-8"):
        read_source(path)
    bad_cookie = tmp_path / "bad.py"
    bad_cookie.write_bytes(b"# coding: no-such-codec\n")
    with pytest.raises(SourceError, match="bad.py"):
        read_source(bad_cookie)
    with pytest.raises(SourceError, match="missing.py: cannot read"):
        read_source(tmp_path / "missing.py")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_writing_through_a_symlink_keeps_the_link(tmp_path):
    target = tmp_path / "real.sh"
    target.write_bytes(b"old\n")
    link = tmp_path / "link.sh"
    link.symlink_to(target)
    write_source(read_source(link), "new\n")
    assert link.is_symlink() and target.read_bytes() == b"new\n"


def test_mixed_line_endings_are_left_as_they_are(tmp_path):
    data = b"a: old\r\nb: 1\nc: 2\r\n"
    assert roundtrip(tmp_path, "m.yaml", data, lambda t: t.replace("a: old", "a: new\nd: 3")) == (
        b"a: new\nd: 3\r\nb: 1\nc: 2\r\n"
    )
