"""Templates: the library leads curate."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.params import FromQuery, JSONBody, Parameter

from service.auth.guards import requires
from service.core.types import MAX_ID, MIB, PathId
from service.http.deps import PrincipalDep, ResourcesDep
from service.http.openapi import READ, WRITE, errors
from service.library.schemas import (
    RevertRequest,
    Template,
    TemplateCreate,
    TemplateUpdate,
    TemplateVersion,
)

LEAD = [requires("lead")]


class TemplateController(Controller):
    path = "/templates"
    tags = ["templates"]
    request_max_body_size = 4 * MIB  # a body (20,000 characters) and up to 1,000 triggers

    @post("/", sync_to_thread=True, status_code=201, guards=LEAD, responses=errors(*WRITE, 403, 409, 422))
    def create(self, data: JSONBody[TemplateCreate], resources: ResourcesDep, principal: PrincipalDep) -> Template:
        library = resources.library
        return library.linted(library.create(data, principal))

    @get("/", sync_to_thread=True, responses=errors(*READ))
    def list_templates(self, resources: ResourcesDep, principal: PrincipalDep,
                       language: FromQuery[str | None] = None, tag: FromQuery[str | None] = None,
                       q: FromQuery[str | None] = None, status: FromQuery[str | None] = None,
                       limit: int = Parameter(default=100, ge=1, le=1000),
                       offset: int = Parameter(default=0, ge=0, le=MAX_ID)) -> list[Template]:
        return resources.library.list(principal, language=language, tag=tag, q=q, status=status, limit=limit,
                                      offset=offset)

    @get("/{template_id:int}", sync_to_thread=True, responses=errors(*READ, 404))
    def get_template(self, template_id: PathId, resources: ResourcesDep, principal: PrincipalDep) -> Template:
        return resources.library.get(template_id, principal)

    @put("/{template_id:int}", sync_to_thread=True, guards=LEAD, responses=errors(*WRITE, 403, 404, 409, 422))
    def update(self, template_id: PathId, data: JSONBody[TemplateUpdate], resources: ResourcesDep,
               principal: PrincipalDep) -> Template:
        _, after = resources.library.update(template_id, data, principal)
        return resources.library.linted(after)

    @delete("/{template_id:int}", sync_to_thread=True, status_code=204, guards=LEAD, responses=errors(*READ, 403, 404))
    def remove(self, template_id: PathId, resources: ResourcesDep, principal: PrincipalDep) -> None:
        resources.library.delete(template_id, principal)

    @get("/{template_id:int}/versions", sync_to_thread=True, responses=errors(*READ, 404))
    def versions(self, template_id: PathId, resources: ResourcesDep, principal: PrincipalDep) -> list[TemplateVersion]:
        return resources.library.versions(template_id, principal)

    @post("/{template_id:int}/revert", sync_to_thread=True, status_code=200, guards=LEAD, responses=errors(*WRITE, 403, 404, 409, 422))
    def revert(self, template_id: PathId, data: JSONBody[RevertRequest], resources: ResourcesDep,
               principal: PrincipalDep) -> Template:
        _, after = resources.library.revert(template_id, data.version, principal)
        return resources.library.linted(after)
