"""The check before sending: grammar, tone, privacy; and the team's rules for it."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get, post, put
from litestar.params import JSONBody
from msgspec import Meta, Struct, to_builtins

from service.api.deps import PrincipalDep, ResourcesDep
from service.checks.service import CheckRules
from service.errors import Unavailable


class CheckRequest(Struct, forbid_unknown_fields=True):
    text: Annotated[str, Meta(max_length=1_000_000)]
    language: str | None = None
    reply_to: Annotated[str, Meta(max_length=100_000)] | None = None
    template_id: int | None = None


class BannedPhrase(Struct, forbid_unknown_fields=True):
    phrase: Annotated[str, Meta(min_length=1, max_length=200)]
    replacement: Annotated[str, Meta(max_length=500)] | None = None
    language: str | None = None
    reason: Annotated[str, Meta(max_length=500)] | None = None


class CheckRulesBody(Struct, forbid_unknown_fields=True):
    banned_phrases: Annotated[list[BannedPhrase], Meta(max_length=2000)] = []
    disabled_rules: Annotated[list[Annotated[str, Meta(pattern=r"^[A-Z0-9_]{2,100}$")]], Meta(max_length=2000)] = []


class CheckController(Controller):
    path = "/api/v1/check"
    tags = ["check"]

    @post("/", sync_to_thread=True, status_code=200)
    def check(self, data: JSONBody[CheckRequest], resources: ResourcesDep, principal: PrincipalDep) -> dict[str, Any]:
        checks = _checks(resources)
        if data.template_id is not None:
            resources.repo.get(data.template_id, principal)  # 404 for an unknown or hidden template
        return checks.check(data.text, data.language, data.reply_to)

    @get("/rules", sync_to_thread=True)
    def get_rules(self, resources: ResourcesDep, principal: PrincipalDep) -> CheckRulesBody:
        principal.require("lead")
        rules = _checks(resources).rules()
        return CheckRulesBody(banned_phrases=[BannedPhrase(**p) for p in rules.banned_phrases],
                              disabled_rules=rules.disabled_rules)

    @put("/rules", sync_to_thread=True)
    def put_rules(self, data: JSONBody[CheckRulesBody], resources: ResourcesDep, principal: PrincipalDep) -> CheckRulesBody:
        principal.require("lead")
        _checks(resources).save_rules(CheckRules(to_builtins(data.banned_phrases), list(data.disabled_rules)))
        return data


def _checks(resources: ResourcesDep):
    if resources.checks is None:
        raise Unavailable("the check service is not running")
    return resources.checks
