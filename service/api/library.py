"""Feedback, analytics, coverage gaps, picks → triggers, import and export."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from msgspec import Meta, Struct

from service.api.deps import PrincipalDep, ResourcesDep
from service.errors import ValidationFailed
from service.library_formats import export_csv, export_zip, import_chatwoot, import_csv, import_zendesk, import_zip
from service.schemas import Template

MAX_IMPORT_BYTES = 20 * 1024 * 1024


class FeedbackCreate(Struct, forbid_unknown_fields=True):
    suggestion_id: Annotated[str, Meta(min_length=1, max_length=64)]
    template_id: int
    action: Literal["shown", "inserted", "dismissed", "sent"]
    edit_ratio: Annotated[float, Meta(ge=0, le=1)] | None = None


class PromoteRequest(Struct, forbid_unknown_fields=True):
    suggestion_ids: Annotated[list[str], Meta(min_length=1, max_length=200)]


class LibraryController(Controller):
    path = "/api/v1"
    tags = ["library"]

    @post("/feedback", sync_to_thread=True, status_code=201)
    def feedback(self, data: JSONBody[FeedbackCreate], resources: ResourcesDep, principal: PrincipalDep) -> dict[str, Any]:
        return resources.analytics.record(data.suggestion_id, data.template_id, data.action, data.edit_ratio)

    @get("/analytics/templates", sync_to_thread=True)
    def template_analytics(self, resources: ResourcesDep, principal: PrincipalDep,
                           language: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        principal.require("lead")
        return resources.analytics.templates(principal, language)

    @get("/gaps", sync_to_thread=True)
    def gaps(self, resources: ResourcesDep, principal: PrincipalDep, language: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        principal.require("lead")
        return resources.analytics.gaps(language)

    @get("/templates/{template_id:int}/picks", sync_to_thread=True)
    def picks(self, template_id: FromPath[int], resources: ResourcesDep, principal: PrincipalDep) -> list[dict[str, Any]]:
        principal.require("lead")
        resources.repo.get(template_id, principal)
        return resources.analytics.picks(template_id)

    @post("/templates/{template_id:int}/promote", sync_to_thread=True, status_code=200)
    def promote(self, template_id: FromPath[int], data: JSONBody[PromoteRequest], resources: ResourcesDep,
                principal: PrincipalDep) -> Template:
        principal.require("lead")
        _, after = resources.analytics.promote(template_id, data.suggestion_ids, principal)
        return after

    @get("/export", sync_to_thread=True)
    def export(self, resources: ResourcesDep, principal: PrincipalDep, format: FromQuery[Literal["files", "csv"]] = "files",
               language: FromQuery[str | None] = None) -> Response:
        principal.require("lead")
        return export_response(resources.repo.list(principal, language=language, limit=10**9), format)

    @post("/import", status_code=200)
    async def import_library(self, request: Request, resources: ResourcesDep, principal: PrincipalDep,
                             format: FromQuery[Literal["files", "csv", "zendesk", "chatwoot"]]) -> dict[str, Any]:
        principal.require("lead")
        raw = await request.body()
        if not raw:
            raise ValidationFailed("the request body is empty: send the file itself")
        if len(raw) > MAX_IMPORT_BYTES:
            raise ValidationFailed("import files are limited to 20 MB")
        import anyio

        return await anyio.to_thread.run_sync(run_import, resources, principal, format, raw)


def export_response(templates, format: str) -> Response:
    if format == "csv":
        return Response(export_csv(templates), media_type="text/csv",
                        headers={"Content-Disposition": 'attachment; filename="tact-templates.csv"'})
    return Response(export_zip(templates), media_type="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="tact-responses.zip"'})


def run_import(resources, principal, format: str, raw: bytes) -> dict[str, Any]:
    repo, detector = resources.repo, resources.detector
    if format == "files":
        report = import_zip(repo, raw, principal)
    elif format == "csv":
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed("CSV must be UTF-8") from None
        report = import_csv(repo, text, principal)
    elif format == "zendesk":
        report = import_zendesk(repo, raw, principal, detector)
    else:
        report = import_chatwoot(repo, raw, principal, detector)
    return {"created": report.created, "updated": report.updated, "unchanged": report.unchanged,
            "problems": [{"file": str(p.path), "message": p.message} for p in report.problems]}
