"""Wire shapes of the library's part of the public API (``/api/v1``). Additive changes only:
clients depend on them."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from service.core.types import MAX_ID, Id

Language = Annotated[str, Meta(min_length=2, max_length=8, description="a language code the service serves (`en`, `ru`)")]
Title = Annotated[str, Meta(min_length=1, max_length=300)]
Body = Annotated[str, Meta(min_length=1, max_length=20_000)]
Trigger = Annotated[str, Meta(min_length=1, max_length=2_000)]
Tag = Annotated[str, Meta(min_length=1, max_length=64)]
Shortcut = Annotated[str, Meta(pattern=r"^[\w-]{1,64}$", description="letters, digits, `_` or `-`")]
Status = Literal["draft", "published"]


class Template(Struct):
    id: int
    title: str
    language: str
    body: str
    triggers: list[str]
    tags: list[str]
    shortcut: str | None
    status: str
    version: int
    team_id: int | None
    translation_group: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str | None = None
    updated_by: str | None = None
    variables: list[str] = []
    warnings: list[dict[str, Any]] = []
    # customers' messages (redacted) this template was sent for with little editing: the library
    # learned them as triggers without a lead (GET /api/v1/analytics/learned to see and undo)
    learned: list[str] = []


class TemplateCreate(Struct, forbid_unknown_fields=True):
    title: Title
    language: Language
    body: Body
    triggers: Annotated[list[Trigger], Meta(max_length=1000)] = []
    tags: Annotated[list[Tag], Meta(max_length=50)] = []
    shortcut: Shortcut | None = None
    status: Status = "published"
    team_id: Id | None = None
    translation_group: Annotated[str, Meta(max_length=64)] | None = None


class TemplateUpdate(Struct, forbid_unknown_fields=True):
    """Fields left out keep their value."""

    title: Title | None = None
    language: Language | None = None
    body: Body | None = None
    triggers: Annotated[list[Trigger], Meta(max_length=1000)] | None = None
    tags: Annotated[list[Tag], Meta(max_length=50)] | None = None
    shortcut: Shortcut | None = None
    status: Status | None = None
    translation_group: Annotated[str, Meta(max_length=64)] | None = None


class TemplateVersion(Struct):
    version: int
    author: str | None
    created_at: dt.datetime
    changed_fields: list[str]
    snapshot: dict[str, Any]


class RevertRequest(Struct, forbid_unknown_fields=True):
    version: Annotated[int, Meta(ge=1, le=MAX_ID)]


class ImportProblem(Struct):
    file: str  # the file, row or record it is about
    message: str


class ImportReport(Struct):
    created: list[int]
    updated: list[int]
    unchanged: list[int]
    problems: list[ImportProblem]


class ImportJob(Struct):
    id: str
    format: str
    status: Literal["queued", "running", "done", "failed", "cancelled"]
    phase: Literal["queued", "validating", "saving", "indexing", "finished"]
    done: int
    total: int
    progress: float
    cancel_requested: bool
    result: ImportReport | None
    error: str | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None


class RenderRequest(Struct, forbid_unknown_fields=True):
    template_id: Id
    variables: dict[str, Any] = {}


class RenderResponse(Struct):
    text: str
    missing_variables: list[str]
