"""Feedback from the extension, usage analytics, coverage gaps, and picks promoted to triggers."""

from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody

from service.analytics.schemas import FeedbackCreate, PromoteRequest
from service.auth.guards import requires
from service.core.types import PathId
from service.http.deps import PrincipalDep, ResourcesDep
from service.http.openapi import READ, WRITE, errors
from service.library.schemas import Template

LEAD = [requires("lead")]


class AnalyticsController(Controller):
    path = "/"
    tags = ["analytics"]

    @post("/feedback", sync_to_thread=True, status_code=201, responses=errors(*WRITE, 404, 422))
    def feedback(self, data: JSONBody[FeedbackCreate], resources: ResourcesDep, principal: PrincipalDep) -> dict[str, Any]:
        return resources.analytics.record(data.suggestion_id, data.template_id, data.action, data.edit_ratio, principal)

    @get("/analytics/templates", sync_to_thread=True, guards=LEAD, responses=errors(*READ, 403))
    def template_analytics(self, resources: ResourcesDep, principal: PrincipalDep,
                           language: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        return resources.analytics.templates(principal, language)

    @get("/gaps", sync_to_thread=True, guards=LEAD, responses=errors(*READ, 403))
    def gaps(self, resources: ResourcesDep, principal: PrincipalDep,
             language: FromQuery[str | None] = None) -> list[dict[str, Any]]:
        return resources.analytics.gaps(principal, language)

    @get("/templates/{template_id:int}/picks", sync_to_thread=True, guards=LEAD, responses=errors(*READ, 403, 404))
    def picks(self, template_id: PathId, resources: ResourcesDep, principal: PrincipalDep) -> list[dict[str, Any]]:
        return resources.analytics.picks(template_id, principal)

    @post("/templates/{template_id:int}/promote", sync_to_thread=True, status_code=200, guards=LEAD, responses=errors(*WRITE, 403, 404, 409, 422))
    def promote(self, template_id: PathId, data: JSONBody[PromoteRequest], resources: ResourcesDep,
                principal: PrincipalDep) -> Template:
        _, after = resources.analytics.promote(template_id, data.suggestion_ids, principal)
        return after
