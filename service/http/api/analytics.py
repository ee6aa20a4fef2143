"""Feedback from the extension, usage analytics, coverage gaps, picks promoted to triggers, and
what the library learned by itself from sent picks (seen and undone by leads)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, delete, get, post, put
from litestar.params import FromQuery, JSONBody, Parameter

from service.analytics.schemas import FeedbackCreate, LearningUpdate, PromoteRequest
from service.auth.guards import requires
from service.core.types import MAX_ID, PathId
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

    @get("/analytics/learned", sync_to_thread=True, guards=LEAD, responses=errors(*READ, 403, 404))
    def learned(self, resources: ResourcesDep, principal: PrincipalDep,
                # the bounds on the parameter itself: inside ``PathId | None`` Litestar does not apply them
                template_id: int | None = Parameter(default=None, ge=1, le=MAX_ID, description="a positive id"),
                language: FromQuery[str | None] = None, include_undone: FromQuery[bool] = False) -> list[dict[str, Any]]:
        """Customers' messages (redacted) that became triggers because an agent sent the template for
        them with little editing."""
        return resources.analytics.learned(principal, template_id, language, include_undone)

    @delete("/analytics/learned/{example_id:int}", sync_to_thread=True, status_code=200, guards=LEAD,
            responses=errors(*WRITE, 403, 404))
    def undo_learned(self, example_id: PathId, resources: ResourcesDep, principal: PrincipalDep) -> dict[str, Any]:
        return resources.analytics.undo_learned(example_id, principal)

    @get("/analytics/learning", sync_to_thread=True, guards=LEAD, responses=errors(*READ, 403))
    def learning(self, resources: ResourcesDep, principal: PrincipalDep) -> dict[str, Any]:
        """Whether sent picks of the caller's team teach the library."""
        return resources.analytics.learning(principal)

    @put("/analytics/learning", sync_to_thread=True, guards=LEAD, responses=errors(*WRITE, 403, 422))
    def set_learning(self, data: JSONBody[LearningUpdate], resources: ResourcesDep, principal: PrincipalDep) -> dict[str, Any]:
        return resources.analytics.set_learning(principal, data.enabled)
