"""Import and export of the library as files."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from litestar import Controller, Request, Response, delete, get, post
from litestar.params import FromPath, FromQuery

from service.auth.guards import requires
from service.core.errors import ValidationFailed
from service.http.deps import PrincipalDep, ResourcesDep
from service.http.files import (
    MAX_IMPORT_BYTES,
    export_response,
    run_import,
    start_import,
)
from service.http.openapi import READ, WRITE, errors
from service.library.schemas import ImportJob


class TransferController(Controller):
    path = "/"
    tags = ["library"]
    guards = [requires("lead")]

    @get("/export", sync_to_thread=True, responses=errors(*READ, 403))
    def export(self, resources: ResourcesDep, principal: PrincipalDep,
               format: FromQuery[Literal["files", "csv"]] = "files",
               language: FromQuery[str | None] = None) -> Response:
        return export_response(resources, principal, format, language)

    @post("/imports", status_code=202, request_max_body_size=MAX_IMPORT_BYTES, responses=errors(*WRITE, 403, 422))
    async def start_import(self, request: Request, resources: ResourcesDep, principal: PrincipalDep,
                           format: FromQuery[Literal["files", "csv", "zendesk", "chatwoot"]]) -> ImportJob:
        """The file as the body; answers at once with the job. All or nothing: any problem imports nothing."""
        raw = await request.body()
        if not raw:
            raise ValidationFailed("the request body is empty: send the file itself")
        return _job(await start_import(resources, principal, format, raw))

    @get("/imports/{job_id:str}", sync_to_thread=True, responses=errors(*READ, 403, 404))
    def import_job(self, job_id: FromPath[str], resources: ResourcesDep, principal: PrincipalDep) -> ImportJob:
        return _job(resources.imports.get(job_id, principal))

    @delete("/imports/{job_id:str}", sync_to_thread=True, status_code=200, responses=errors(*READ, 403, 404, 409))
    def cancel_import(self, job_id: FromPath[str], resources: ResourcesDep, principal: PrincipalDep) -> ImportJob:
        """Cancels a job that has not saved yet: nothing of it is imported."""
        return _job(resources.imports.cancel(job_id, principal))

    @post("/import", status_code=200, request_max_body_size=MAX_IMPORT_BYTES, responses=errors(*WRITE, 403, 422))
    async def import_library(self, request: Request, resources: ResourcesDep, principal: PrincipalDep,
                             format: FromQuery[Literal["files", "csv", "zendesk", "chatwoot"]]) -> dict[str, Any]:
        raw = await request.body()
        if not raw:
            raise ValidationFailed("the request body is empty: send the file itself")
        return await run_import(resources, principal, format, raw)


def _job(job: dict) -> ImportJob:
    return msgspec.convert(job, ImportJob)
