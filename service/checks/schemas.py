"""Wire shapes of ``/api/v1/check``'s request and of the team rules (the response types live in
``checks/base.py`` beside ``Finding``). Additive changes only: clients depend on them."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from service.core.types import Id

MAX_TEXT = 20_000  # characters: a long reply is 3,000; the bound keeps one request from holding others


class CheckRequest(Struct, forbid_unknown_fields=True):
    text: Annotated[str, Meta(max_length=MAX_TEXT, description=f"the draft, at most {MAX_TEXT} characters")]
    language: str | None = None
    reply_to: Annotated[str, Meta(max_length=MAX_TEXT, description="the message replied to (its sender's address "
                                  f"and text), at most {MAX_TEXT} characters")] | None = None
    template_id: Id | None = None
    # Additive: the agent's own words (name, signature, company) that are never a mistake, and the
    # signature block, inside which nothing is flagged but confidential data.
    ignore_words: Annotated[list[Annotated[str, Meta(min_length=1, max_length=100)]], Meta(
        max_length=200, description="words never flagged as mistakes (the agent's name, company, product names)")] = []
    signature: Annotated[str, Meta(max_length=1_000, description="the agent's signature: only confidential data "
                                   "inside it is reported")] | None = None


class BannedPhraseBody(Struct, forbid_unknown_fields=True):
    phrase: Annotated[str, Meta(min_length=1, max_length=200)]
    replacement: Annotated[str, Meta(max_length=500)] | None = None
    language: str | None = None
    reason: Annotated[str, Meta(max_length=500)] | None = None


Category = Literal["management", "competitor", "argue", "blame", "dismiss", "rude", "confidential", "promise", "sarcasm"]
ExampleText = Annotated[str, Meta(min_length=3, max_length=500, pattern=r"\S")]


class ExampleBody(Struct, forbid_unknown_fields=True):
    text: ExampleText
    category: Category | None = None


class CheckRulesBody(Struct, forbid_unknown_fields=True):
    banned_phrases: Annotated[list[BannedPhraseBody], Meta(max_length=2000)] = []
    disabled_rules: Annotated[list[Annotated[str, Meta(pattern=r"^[A-Z0-9_]{2,100}$")]], Meta(max_length=2000)] = []
    # The team teaches the etiquette check (additive): sentences never to send, sentences that are
    # fine, competitors' names. In effect at the next check, no restart.
    never_say: Annotated[list[ExampleBody], Meta(max_length=500)] = []
    fine: Annotated[list[ExampleBody], Meta(max_length=500)] = []
    competitors: Annotated[list[Annotated[str, Meta(min_length=2, max_length=100, pattern=r"\S")]], Meta(max_length=200)] = []
