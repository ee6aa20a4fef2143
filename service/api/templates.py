"""Templates: the library leads curate."""

from __future__ import annotations

from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from service.api.deps import PrincipalDep, ResourcesDep
from service.schemas import RevertRequest, Template, TemplateCreate, TemplateUpdate, TemplateVersion


class TemplateController(Controller):
    path = "/api/v1/templates"
    tags = ["templates"]

    @post("/", sync_to_thread=True, status_code=201)
    def create(self, data: JSONBody[TemplateCreate], resources: ResourcesDep, principal: PrincipalDep) -> Template:
        principal.require("lead")
        return resources.lint(resources.repo.create(data, principal))

    @get("/", sync_to_thread=True)
    def list_templates(self, resources: ResourcesDep, principal: PrincipalDep,
                       language: FromQuery[str | None] = None, tag: FromQuery[str | None] = None,
                       q: FromQuery[str | None] = None, status: FromQuery[str | None] = None,
                       limit: int = Parameter(default=100, ge=1, le=1000),
                       offset: int = Parameter(default=0, ge=0)) -> list[Template]:
        return resources.repo.list(principal, language=language, tag=tag, q=q, status=status, limit=limit, offset=offset)

    @get("/{template_id:int}", sync_to_thread=True)
    def get_template(self, template_id: FromPath[int], resources: ResourcesDep, principal: PrincipalDep) -> Template:
        return resources.repo.get(template_id, principal)

    @put("/{template_id:int}", sync_to_thread=True)
    def update(self, template_id: FromPath[int], data: JSONBody[TemplateUpdate], resources: ResourcesDep, principal: PrincipalDep) -> Template:
        principal.require("lead")
        _, after = resources.repo.update(template_id, data, principal)
        return resources.lint(after)

    @delete("/{template_id:int}", sync_to_thread=True, status_code=204)
    def remove(self, template_id: FromPath[int], resources: ResourcesDep, principal: PrincipalDep) -> None:
        principal.require("lead")
        resources.repo.delete(template_id, principal)

    @get("/{template_id:int}/versions", sync_to_thread=True)
    def versions(self, template_id: FromPath[int], resources: ResourcesDep, principal: PrincipalDep) -> list[TemplateVersion]:
        return resources.repo.versions(template_id, principal)

    @post("/{template_id:int}/revert", sync_to_thread=True, status_code=200)
    def revert(self, template_id: FromPath[int], data: JSONBody[RevertRequest], resources: ResourcesDep, principal: PrincipalDep) -> Template:
        principal.require("lead")
        _, after = resources.repo.revert(template_id, data.version, principal)
        return resources.lint(after)
