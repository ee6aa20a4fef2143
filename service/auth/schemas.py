"""Wire shapes of API tokens (``/api/v1/tokens``, admins only). Additive changes only."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from msgspec import Meta, Struct

from service.core.types import Id


class TokenCreate(Struct, forbid_unknown_fields=True):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    role: Literal["agent", "lead", "admin"]
    team_id: Id | None = None
    expires_in_days: Annotated[int, Meta(ge=1, le=3650)] | None = None


class TokenInfo(Struct):
    id: int
    name: str
    prefix: str
    role: str
    team_id: int | None
    user_id: int | None
    revoked: bool
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None


class TokenCreated(Struct):
    id: int
    token: str  # shown once; only its hash is kept
    name: str
    role: str
    team_id: int | None
    expires_at: dt.datetime | None
