"""The check before sending: grammar, tone and privacy of a draft; and the team's rules for it."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.params import JSONBody

from service.auth.guards import requires
from service.checks.base import BannedPhrase, CheckResponse, Example, TeamRules
from service.checks.schemas import (
    BannedPhraseBody,
    CheckRequest,
    CheckRulesBody,
    ExampleBody,
)
from service.core.errors import Unavailable
from service.http.deps import PrincipalDep, ResourcesDep
from service.http.openapi import READ, WRITE, errors


class CheckController(Controller):
    path = "/check"
    tags = ["check"]

    @post("/", sync_to_thread=True, status_code=200, responses=errors(*WRITE, 404, 422, 503))
    def check(self, data: JSONBody[CheckRequest], resources: ResourcesDep, principal: PrincipalDep) -> CheckResponse:
        checks = _checks(resources)
        if data.template_id is not None:
            resources.library.get(data.template_id, principal)  # 404 for an unknown or hidden template
        return checks.check(data.text, data.language, data.reply_to, team_id=principal.team_id,
                            ignore_words=data.ignore_words, signature=data.signature)

    @get("/rules", sync_to_thread=True, guards=[requires("lead")], responses=errors(*READ, 403, 503))
    def get_rules(self, resources: ResourcesDep, principal: PrincipalDep) -> CheckRulesBody:
        """The caller's team's rules (the global ones for admins and leads without a team)."""
        return _body(_checks(resources).rules(principal.team_id))

    @put("/rules", sync_to_thread=True, guards=[requires("lead")], responses=errors(*WRITE, 403, 503))
    def put_rules(self, data: JSONBody[CheckRulesBody], resources: ResourcesDep, principal: PrincipalDep) -> CheckRulesBody:
        """Replaces the caller's team's rules only."""
        rules = TeamRules(tuple(BannedPhrase(p.phrase, p.replacement, p.language, p.reason) for p in data.banned_phrases),
                          frozenset(data.disabled_rules), tuple(Example(e.text.strip(), e.category) for e in data.never_say),
                          tuple(Example(e.text.strip(), e.category) for e in data.fine),
                          tuple(dict.fromkeys(c.strip() for c in data.competitors)))
        return _body(_checks(resources).save_rules(rules, principal.team_id))


def _body(rules: TeamRules) -> CheckRulesBody:
    return CheckRulesBody(banned_phrases=[BannedPhraseBody(p.phrase, p.replacement, p.language, p.reason)
                                          for p in rules.banned_phrases],
                          disabled_rules=sorted(rules.disabled_rules),
                          never_say=[ExampleBody(e.text, e.category) for e in rules.never_say],
                          fine=[ExampleBody(e.text, e.category) for e in rules.fine],
                          competitors=list(rules.competitors))


def _checks(resources: ResourcesDep):
    if resources.checks is None:
        raise Unavailable("the check service is not running")
    return resources.checks
