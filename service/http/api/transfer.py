"""Import and export of the library as files."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.params import FromQuery

from service.auth.guards import requires
from service.core.errors import ValidationFailed
from service.http.deps import PrincipalDep, ResourcesDep
from service.http.files import MAX_IMPORT_BYTES, export_response, run_import


class TransferController(Controller):
    path = "/"
    tags = ["library"]
    guards = [requires("lead")]

    @get("/export", sync_to_thread=True)
    def export(self, resources: ResourcesDep, principal: PrincipalDep,
               format: FromQuery[Literal["files", "csv"]] = "files",
               language: FromQuery[str | None] = None) -> Response:
        return export_response(resources, principal, format, language)

    @post("/import", status_code=200, request_max_body_size=MAX_IMPORT_BYTES)
    async def import_library(self, request: Request, resources: ResourcesDep, principal: PrincipalDep,
                             format: FromQuery[Literal["files", "csv", "zendesk", "chatwoot"]]) -> dict[str, Any]:
        raw = await request.body()
        if not raw:
            raise ValidationFailed("the request body is empty: send the file itself")
        return await run_import(resources, principal, format, raw)
