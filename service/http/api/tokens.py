"""API tokens, for admins: list, create (with an expiry), revoke. A revoked token is refused on its
very next request, in every replica."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, delete, get, post
from litestar.params import FromQuery, JSONBody

from service.auth.guards import requires
from service.auth.schemas import TokenCreate, TokenCreated, TokenInfo
from service.core.db import utcnow
from service.core.types import PathId
from service.http.deps import ResourcesDep
from service.http.openapi import READ, WRITE, errors


class TokenController(Controller):
    path = "/tokens"
    tags = ["tokens"]
    guards = [requires("admin")]

    @get("/", sync_to_thread=True, responses=errors(*READ, 403))
    def list_tokens(self, resources: ResourcesDep, include_revoked: FromQuery[bool] = False) -> list[TokenInfo]:
        return [TokenInfo(**t) for t in resources.tokens.list(include_revoked)]

    @post("/", sync_to_thread=True, status_code=201, responses=errors(*WRITE, 403, 422))
    def create(self, data: JSONBody[TokenCreate], resources: ResourcesDep) -> TokenCreated:
        expires = utcnow() + dt.timedelta(days=data.expires_in_days) if data.expires_in_days else None
        token_id, token = resources.tokens.issue(data.name, data.role, data.team_id, expires_at=expires)
        return TokenCreated(id=token_id, token=token, name=data.name, role=data.role, team_id=data.team_id,
                            expires_at=expires)

    @delete("/{token_id:int}", sync_to_thread=True, status_code=204, responses=errors(*READ, 403, 404))
    def revoke(self, token_id: PathId, resources: ResourcesDep) -> None:
        resources.tokens.revoke_id(token_id)
