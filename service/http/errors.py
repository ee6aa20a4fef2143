"""The one error mapper: every error becomes ``{"error", "message", …}`` with its status; the web
UI's missing session becomes a redirect to the sign-in form."""

from __future__ import annotations

import logging

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect
from sqlalchemy.exc import DataError, IntegrityError

from service.core.errors import SignInRequired, TactError, TooManyRequests

log = logging.getLogger("tact.app")


def _error(status: int, code: str, message: str, **extra) -> Response:
    return Response({"error": code, "message": message, **extra}, status_code=status, media_type=MediaType.JSON)


def tact_error(request: Request, exc: TactError) -> Response:
    if isinstance(exc, SignInRequired) and not request.route_handler.opt.get("json"):
        return Redirect(path="/ui/login")
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
    return Response(exc.to_dict(), status_code=exc.status_code, media_type=MediaType.JSON, headers=headers)


def validation_error(_: Request, exc: ValidationException) -> Response:
    details = exc.extra if isinstance(exc.extra, list) else []
    parts = [f"{d.get('key') or d.get('source') or 'body'}: {d.get('message')}" for d in details if isinstance(d, dict)]
    return _error(400, "bad_request", "; ".join(parts) or str(exc.detail))


def http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 413:
        limit = request.route_handler.resolve_request_max_body_size()
        return _error(413, "too_large", f"the body is larger than the {limit} bytes this route accepts")
    return _error(exc.status_code, "http_error", str(exc.detail))


def integrity_error(request: Request, exc: IntegrityError) -> Response:
    """A constraint the checks before the write did not foresee (two replicas racing for one
    shortcut): nothing was written, and the client may retry."""
    log.warning("constraint violated", extra={"path": request.url.path, "error": type(exc.orig).__name__})
    return _error(409, "conflict", "the change conflicts with the current data and was not applied; try again")


def data_error(request: Request, exc: DataError) -> Response:
    """A value the database refuses (a number past its column's range, text it cannot encode) that
    validation did not foresee: the client's value, so a 400; nothing was written."""
    log.warning("value refused by the database", extra={"path": request.url.path, "error": type(exc.orig).__name__})
    return _error(400, "bad_request", "a value in the request cannot be stored; nothing was changed")


def internal_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", extra={"path": request.url.path})
    return _error(500, "internal_error", "internal error; the request was not applied")


HANDLERS = {TactError: tact_error, ValidationException: validation_error, HTTPException: http_error,
            IntegrityError: integrity_error, DataError: data_error,
            Exception: internal_error}
