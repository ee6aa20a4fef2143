"""Wire shapes of ``/api/v1/check``'s request and of the team rules (the response types live in
``checks/base.py`` beside ``Finding``). Additive changes only: clients depend on them."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta, Struct


class CheckRequest(Struct, forbid_unknown_fields=True):
    text: Annotated[str, Meta(max_length=1_000_000)]
    language: str | None = None
    reply_to: Annotated[str, Meta(max_length=100_000)] | None = None
    template_id: int | None = None


class BannedPhraseBody(Struct, forbid_unknown_fields=True):
    phrase: Annotated[str, Meta(min_length=1, max_length=200)]
    replacement: Annotated[str, Meta(max_length=500)] | None = None
    language: str | None = None
    reason: Annotated[str, Meta(max_length=500)] | None = None


class CheckRulesBody(Struct, forbid_unknown_fields=True):
    banned_phrases: Annotated[list[BannedPhraseBody], Meta(max_length=2000)] = []
    disabled_rules: Annotated[list[Annotated[str, Meta(pattern=r"^[A-Z0-9_]{2,100}$")]], Meta(max_length=2000)] = []
