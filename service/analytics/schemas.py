"""Wire shapes of feedback and picks. Additive changes only: clients depend on them."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct

from service.core.types import Id


class FeedbackCreate(Struct, forbid_unknown_fields=True):
    suggestion_id: Annotated[str, Meta(min_length=1, max_length=64)]
    template_id: Id
    action: Literal["shown", "inserted", "dismissed", "sent"]
    edit_ratio: Annotated[float, Meta(ge=0, le=1)] | None = None


class PromoteRequest(Struct, forbid_unknown_fields=True):
    suggestion_ids: Annotated[list[str], Meta(min_length=1, max_length=200)]


class LearningUpdate(Struct, forbid_unknown_fields=True):
    enabled: bool
