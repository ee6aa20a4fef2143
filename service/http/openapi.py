"""What the OpenAPI document says about errors: one body for every error (``{error, message, …}``,
what ``http/errors.py`` sends) and, on each route, the statuses it can answer with."""

from __future__ import annotations

from litestar.openapi import ResponseSpec
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Schema,
)
from msgspec import Struct

REASONS = {
    400: "the body, a parameter or the JSON is malformed (not UTF-8, too deep, wrong types)",
    401: "no token, or an unknown, revoked or expired one",
    403: "the token's role may not do this",
    404: "no such item, or not visible to the caller's team",
    409: "clashes with the current state (a shortcut in use, a job already finished)",
    413: "the body is larger than this route accepts",
    422: "well-formed but not acceptable (unknown language, a template that cannot render, limits)",
    429: "too many requests with this token; see Retry-After",
    503: "a part of the service is not running",
}


class ErrorBody(Struct):
    error: str  # a stable code: bad_request, unauthorized, forbidden, not_found, conflict, too_large, …
    message: str  # for people


def errors(*codes: int) -> dict[int, ResponseSpec]:
    return {code: ResponseSpec(data_container=ErrorBody, description=REASONS[code]) for code in codes}


# Every API route answers these: a malformed request, no or a bad token, too many requests.
READ = (400, 401, 429)
WRITE = (400, 401, 413, 429)


def describe_downloads(openapi: OpenAPI) -> None:
    """``GET /api/v1/export`` answers a zip or a CSV file, not JSON: say so in the document."""
    operation = openapi.paths["/api/v1/export"].get
    operation.responses["200"] = OpenAPIResponse(
        description="the library: `files` as a zip of the responses/ folder, `csv` as one CSV file",
        content={"application/zip": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING, format="binary")),
                 "text/csv": OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))})
