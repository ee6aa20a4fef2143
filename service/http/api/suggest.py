"""Suggestions and rendering: what agents call from webmail."""

from __future__ import annotations

from litestar import Controller, post
from litestar.params import JSONBody

from service.http.deps import PrincipalDep, ResourcesDep
from service.http.openapi import WRITE, errors
from service.library.schemas import RenderRequest, RenderResponse
from service.suggest.schemas import SuggestRequest, SuggestResponse


class SuggestController(Controller):
    path = "/"
    tags = ["suggestions"]

    @post("/suggest", sync_to_thread=True, status_code=200, responses=errors(*WRITE, 422))
    def suggest(self, data: JSONBody[SuggestRequest], resources: ResourcesDep, principal: PrincipalDep) -> SuggestResponse:
        return resources.suggest.suggest(data, principal)

    @post("/render", sync_to_thread=True, status_code=200, responses=errors(*WRITE, 404, 422))
    def render(self, data: JSONBody[RenderRequest], resources: ResourcesDep, principal: PrincipalDep) -> RenderResponse:
        template = resources.library.get(data.template_id, principal)
        rendered = resources.renderer.render(template.body, data.variables)
        return RenderResponse(text=rendered.text, missing_variables=rendered.missing_variables)
