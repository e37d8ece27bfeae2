"""``{"error": {"message", "type", "param", "code"}}``, in that key order, and vLLM's exception -> status mapping.

| exception | status | type |
|---|---|---|
| ValueError, TypeError, OverflowError | 400 | BadRequestError |
| NotImplementedError | 501 | NotImplementedError |
| ModelNotFoundError (vLLM's VLLMNotFoundError) | 404 | NotFoundError |
| anything else (KeyError, AssertionError, ...) | 500 | InternalServerError |
| request validation failure | 400 | Bad Request |

The message is ``str(exception)`` with memory addresses (`` at 0x...>``) removed, as ``sanitize_message`` does.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus

from starlette.responses import Response
from vllm_pooling_migrate.shim.prompt_limits import VLLMValidationError


class ModelNotFoundError(Exception):
    """404 NotFoundError (vLLM's ``VLLMNotFoundError``)."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


#: A 400 that names the request field at fault, e.g. ``input_tokens``: vLLM's ``VLLMValidationError``, whose text
#: ends with `` (parameter=…, value=…)``, and that text is vLLM's error body (``entrypoints/utils.py:356@v0.21.0``).
RequestError = VLLMValidationError


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")


def sanitize_message(message: str) -> str:
    return _ADDRESS.sub(">", message)


def status_and_type(error: BaseException) -> tuple[int, str]:
    if isinstance(error, (ValueError, TypeError, OverflowError)):
        return 400, "BadRequestError"
    if isinstance(error, NotImplementedError):
        return 501, "NotImplementedError"
    if isinstance(error, ModelNotFoundError):
        return 404, "NotFoundError"
    return 500, "InternalServerError"


def error_body(message: str, error_type: str, code: int, param: str | None = None) -> dict:
    return {"error": {"message": sanitize_message(message), "type": error_type, "param": param, "code": code}}


def json_response(content: object, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Compact JSON, key order kept (as vLLM's JSONResponse of a pydantic dump)."""
    body = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


def error_response(error: BaseException) -> Response:
    status, error_type = status_and_type(error)
    param = getattr(error, "parameter", None)
    return json_response(error_body(str(error), error_type, status, param), status)


def http_error_response(status: int, message: str) -> Response:
    """vLLM's handler for ``fastapi.HTTPException``: the type is the status phrase."""
    return json_response(error_body(message, HTTPStatus(status).phrase, status), status)
