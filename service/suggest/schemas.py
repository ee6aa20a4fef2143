"""Wire shapes of suggestions (``/api/v1/suggest``). Additive changes only: clients depend on them."""

from __future__ import annotations

from typing import Annotated, Any

from msgspec import Meta, Struct

from service.library.schemas import Language


class SuggestRequest(Struct, forbid_unknown_fields=True):
    message: Annotated[str, Meta(max_length=20_000, description="the customer's last message, at most 20,000 characters")]
    subject: Annotated[str, Meta(max_length=1_000, description="the thread's subject: used only when the message "
                                 "is very short (fewer than 4 words)")] | None = None
    language: Language | None = None
    k: Annotated[int, Meta(ge=1, le=10)] = 3
    variables: dict[str, Any] | None = None


class Suggestion(Struct):
    template_id: int
    title: str
    # The probability that this reply is the right one, calibrated on the library (the ranking's
    # own score while the library's classifier retrains).
    score: float
    text: str
    missing_variables: list[str]
    similarity: float = 0.0
    shortcut: str | None = None


class SuggestResponse(Struct):
    suggestion_id: str
    language: str
    no_match: bool
    suggestions: list[Suggestion]
    threshold: float = 0.0
    # P(the first suggestion is right), calibrated on the library itself; None while it retrains
    confidence: float | None = None
    # Show these as "closest replies", not as a confident answer: no_match, or a confidence below
    # what most of the library's right answers get (calibrated with the confidence).
    low_confidence: bool = False
