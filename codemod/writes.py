"""Reading and writing source files without changing anything the fix did not mean to change.

A file is decoded the way Python would (BOM, then a PEP 263 coding cookie for Python files; UTF-8
otherwise) and written back in the same encoding, with the same BOM, line endings, final-newline
state and permission bits, through a temporary file in the same directory and ``os.replace``, so a
crash never leaves a half-written file.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path


class SourceError(OSError):
    """A file that cannot be read, decoded or written; the message names the file."""


@dataclass(frozen=True)
class SourceFile:
    path: Path
    text: str  # decoded, BOM removed, line endings as in the file
    encoding: str  # codec name without the BOM ("utf-8", "latin-1", ...)
    bom: bool
    newline: str  # "\r\n" when every line of the file ends that way, else "\n"
    final_newline: bool


def _python_like(path: Path) -> bool:
    return path.suffix in (".py", ".pyi")


def decode_source(data: bytes, path: Path) -> SourceFile:
    """Decode ``data`` read from ``path``; SourceError naming the file when it cannot be decoded."""
    bom = data.startswith(codecs.BOM_UTF8)
    encoding = "utf-8"
    if _python_like(path):
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as error:
            raise SourceError(f"{path}: {error}") from None
        encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    body = data[len(codecs.BOM_UTF8) :] if bom else data
    try:
        text = body.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise SourceError(f"{path}: cannot be decoded as {encoding}: {error}") from None
    crlf = text.count("\r\n")
    # Only a file whose every line ends in CRLF gets CRLF for the lines a fix adds; a file with
    # mixed endings is left as the fix wrote it, so untouched lines never change.
    newline = "\r\n" if crlf and crlf == text.count("\n") else "\n"
    return SourceFile(path, text, encoding, bom, newline, text.endswith("\n"))


def read_source(path: str | Path) -> SourceFile:
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"{path}: cannot read: {error.strerror}") from None
    return decode_source(data, path)


def encode_like(source: SourceFile, new_text: str) -> bytes:
    """``new_text`` in the original's encoding, BOM, line endings and final-newline state."""
    if source.newline == "\r\n":
        new_text = re.sub(r"(?<!\r)\n", "\r\n", new_text)  # lines a fix added with bare "\n"
    if source.final_newline and not new_text.endswith("\n"):
        new_text += source.newline
    elif not source.final_newline:
        new_text = new_text.rstrip("\r\n")
    try:
        data = new_text.encode(source.encoding)
    except UnicodeEncodeError as error:
        raise SourceError(f"{source.path}: the fixed text cannot be encoded as {source.encoding}: {error}") from None
    return (codecs.BOM_UTF8 if source.bom else b"") + data


def write_source(source: SourceFile, new_text: str) -> None:
    """Atomically replace the file's contents with ``new_text``, keeping its encoding, endings and mode.

    A symlink is written through: its target is replaced, the link stays a link.
    """
    data = encode_like(source, new_text)
    target = source.path.resolve()
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, target)
        except BaseException:
            if os.path.exists(temporary):
                os.unlink(temporary)
            raise
    except OSError as error:
        raise SourceError(f"{source.path}: cannot write: {error.strerror or error}") from None
