"""Vectors as JSON floats, base64 or raw bytes (online-serving.md §2 "Encoding fields").

``base64`` is the bytes of the vector in ``embed_dtype`` (default float32) and ``endianness`` (default the
machine's: little on x86 and ARM), base64-encoded: what the official ``openai`` client decodes when it sends its
default ``encoding_format="base64"``. ``bytes`` and ``bytes_only`` answer ``application/octet-stream`` holding the
items back to back; ``bytes`` adds a ``metadata`` header (JSON: id, created, model, per item index, embed_dtype,
endianness, start and end byte offsets and shape, usage).
"""

from __future__ import annotations

import base64
import json
import sys
from typing import Any

import torch
from starlette.responses import Response

EMBED_DTYPES: dict[str, torch.dtype] = {
    "float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16,
    "fp8_e4m3": torch.float8_e4m3fn, "fp8_e5m2": torch.float8_e5m2,
}
BYTES_FORMATS = ("bytes", "bytes_only")


def tensor_bytes(tensor: torch.Tensor, embed_dtype: str, endianness: str) -> bytes:
    flat = tensor.detach().to("cpu", EMBED_DTYPES[embed_dtype]).contiguous().reshape(-1)
    raw = flat.view(torch.uint8).numpy()  # the machine's byte order
    width = flat.element_size()
    wanted = sys.byteorder if endianness == "native" else endianness
    if width > 1 and wanted != sys.byteorder:
        raw = raw.reshape(-1, width)[:, ::-1]
    return raw.tobytes()


def encode_vector(tensor: torch.Tensor, encoding_format: str, embed_dtype: str, endianness: str) -> Any:
    """The JSON value of one output: nested float lists, or a base64 string."""
    if encoding_format == "float":
        return tensor.tolist()
    if encoding_format == "base64":
        return base64.b64encode(tensor_bytes(tensor, embed_dtype, endianness)).decode("ascii")
    raise ValueError(f"encoding_format {encoding_format!r} has no JSON form")


def bytes_response(tensors: list[torch.Tensor], *, encoding_format: str, embed_dtype: str, endianness: str,
                   response_id: str, created: int, model: str, usage: dict) -> Response:
    chunks: list[bytes] = []
    items = []
    offset = 0
    for index, tensor in enumerate(tensors):
        chunk = tensor_bytes(tensor, embed_dtype, endianness)
        items.append({"index": index, "embed_dtype": embed_dtype, "endianness": endianness, "start": offset,
                      "end": offset + len(chunk), "shape": list(tensor.shape)})
        chunks.append(chunk)
        offset += len(chunk)
    headers = None
    if encoding_format == "bytes":
        metadata = {"id": response_id, "created": created, "model": model, "data": items, "usage": usage}
        headers = {"metadata": json.dumps(metadata, separators=(",", ":"))}
    return Response(b"".join(chunks), media_type="application/octet-stream", headers=headers)
