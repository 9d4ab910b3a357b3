"""One error body for every failure: ``{code, class, message, detail_id}`` (plus ``field``).

``code`` is the §31 code and ``class`` its class; the HTTP status comes from the same table
(``core.errors.CODES``, with a subclass's own status where it has one: 404 for a missing object,
401 for a missing key). ``detail_id`` names the log line that holds the details; a response never
carries a stack trace. Framework errors (an unknown route, a wrong method, a body that does not
parse) get the same body with code DETERMINISTIC_FAILURE.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import CODES, ConduitError, ErrorCode
from core.ids import ulid

__all__ = ["ERROR_RESPONSES", "ErrorBody", "error_response", "install_error_handlers"]

log = logging.getLogger("conduit.api")


class ErrorBody(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(populate_by_name=True)

    code: ErrorCode
    class_: Literal["transient", "deterministic"] = Field(alias="class")
    message: str
    detail_id: str
    field: str | None = None


#: Declared on every route, so the OpenAPI document says what an error looks like.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": why}
    for status, why in (
        (400, "DETERMINISTIC_FAILURE: invalid input or contract"),
        (401, "POLICY_BLOCK: no valid API key"),
        (403, "POLICY_BLOCK: the key's role may not do this"),
        (404, "DETERMINISTIC_FAILURE: no such object (or another tenant's)"),
        (409, "QUARANTINE_REQUIRED or a conflicting state"),
        (422, "DSL_REJECT"),
        (429, "RATE_LIMIT: slow down (see Retry-After)"),
    )
}


def error_response(
    code: ErrorCode,
    message: str,
    *,
    status: int | None = None,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    detail_id: str | None = None,
) -> JSONResponse:
    detail_id = detail_id or ulid()
    info = CODES[code]
    body = {
        "code": code,
        "class": info.error_class,
        "message": message,
        "detail_id": detail_id,
        "field": field,
    }
    return JSONResponse(body, status_code=status or info.http_status, headers=headers)


def _conduit(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConduitError)
    headers = {}
    retry_after = getattr(exc, "retry_after_s", None)
    if retry_after is not None:
        headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
    detail_id = ulid()
    level = logging.ERROR if exc.http_status >= 500 else logging.INFO
    log.log(
        level, "%s %s: %s [detail %s]", request.method, request.url.path, exc.one_line(), detail_id
    )
    return error_response(
        exc.code,
        exc.message,
        status=exc.http_status,
        field=exc.field,
        headers=headers,
        detail_id=detail_id,
    )


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or None
    return error_response(
        "DETERMINISTIC_FAILURE", f"invalid request: {where or 'body'}: {first['msg']}", field=where
    )


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = {404: "no such route", 405: "method not allowed"}.get(exc.status_code, exc.detail)
    return error_response(
        "DETERMINISTIC_FAILURE",
        f"{message}: {request.method} {request.url.path}",
        status=exc.status_code,
        headers=dict(exc.headers or {}),
    )


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    detail_id = ulid()
    log.error(
        "unhandled error in %s %s [detail %s]",
        request.method,
        request.url.path,
        detail_id,
        exc_info=exc,
    )
    return error_response(
        "TRANSIENT_ERROR",
        f"internal error; the server log has the details under {detail_id}",
        status=500,
        detail_id=detail_id,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ConduitError, _conduit)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
