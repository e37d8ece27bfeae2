"""The FastAPI side of vLLM's error handling.

vLLM registers handlers for ``RequestValidationError`` (400, type "Bad Request", message
``f"{str(exc)} {str(exc.errors())}"``) and for ``fastapi.HTTPException`` only. Starlette's router raises the parent
class, ``starlette.exceptions.HTTPException``, for an unknown route or a wrong method, so FastAPI's default handler
answers those: 404 ``{"detail":"Not Found"}`` and 405 ``{"detail":"Method Not Allowed"}``, a body without ``error``.
"""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response

from vllm_pooling_migrate.shim.serve.errors.bodies import error_body, http_error_response, json_response
from vllm_pooling_migrate.shim.serve.messages import online_text


async def validation_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    message = f"{exc} {exc.errors()}"
    return json_response(error_body(message, "Bad Request", 400), 400)


async def http_exception_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return http_error_response(exc.status_code, str(exc.detail))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(HTTPException, http_exception_handler)


async def validate_json_request(raw_request: Request) -> None:
    """vLLM's dependency on its JSON routes: any media type but application/json is a validation failure."""
    content_type = raw_request.headers.get("content-type", "").lower()
    if content_type.split(";", maxsplit=1)[0].strip() != "application/json":
        raise RequestValidationError(errors=[online_text("unsupported-media-type")])
