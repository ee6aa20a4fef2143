"""The template library: every read and write of templates goes through here, from the API, the
web UI, the CLI and imports alike. Every save is a version; a delete is soft, so nothing is lost.
After each committed change the listeners (the search index) are told, so no caller has to
remember to update search."""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Iterable, Iterator

import msgspec

from service.auth.models import Principal
from service.auth.policy import POLICY, TeamPolicy
from service.core.db import utcnow
from service.core.errors import Conflict, NotFound, ValidationFailed
from service.languages import LanguageRegistry
from service.library.rendering import SAMPLE_VARIABLES, SandboxedRenderer
from service.library.schemas import (
    Template,
    TemplateCreate,
    TemplateUpdate,
    TemplateVersion,
)
from service.library.storage import TemplateStorage, row_to_template, templates

log = logging.getLogger("tact.library")

EDITABLE = ("title", "language", "body", "triggers", "tags", "shortcut", "status", "translation_group")

Listener = Callable[[Template | None, Template | None], None]


def _clean_list(items: Iterable[str]) -> list[str]:
    seen, out = set(), []
    for item in items:
        text = " ".join(item.split())
        if text and text.lower() not in seen:
            seen.add(text.lower())
            out.append(text)
    return out


class TemplateService:
    def __init__(self, storage: TemplateStorage, renderer: SandboxedRenderer, languages: LanguageRegistry,
                 policy: TeamPolicy = POLICY) -> None:
        self.storage = storage
        self.renderer = renderer
        self.languages = languages
        self.policy = policy
        self.linter = None  # library.lint.Linter, attached once search and checks are up
        # Held from a write's commit until its listeners have run, so that whoever compares the
        # library revision with what it has applied never sees this process's change half-done.
        self.change_lock = threading.RLock()
        self._listeners: list[Listener] = []

    # ------------------------------------------------------------------ reads
    def get(self, template_id: int, principal: Principal | None = None, include_deleted: bool = False) -> Template:
        row = self.storage.row(template_id)
        if row is None or (row.deleted_at is not None and not include_deleted):
            raise NotFound(f"template {template_id} does not exist")
        if principal is not None and not self.policy.can_read(principal, row.team_id, row.status):
            raise NotFound(f"template {template_id} does not exist")
        return row_to_template(row)

    def get_many(self, template_ids: list[int], principal: Principal | None = None) -> dict[int, Template]:
        """The visible, live templates among ``template_ids``, in one query."""
        return self.storage.live(template_ids, self._visible(principal))

    def list(self, principal: Principal | None = None, *, language: str | None = None, tag: str | None = None,
             q: str | None = None, status: str | None = None, translation_group: str | None = None,
             limit: int | None = 100, offset: int = 0) -> list[Template]:
        """A page of the templates ``principal`` may see; ``limit=None`` for all (exports)."""
        return self.storage.page(self._visible(principal), language=language, tag=tag, q=q, status=status,
                                 translation_group=translation_group, limit=limit, offset=offset)

    def tags(self, principal: Principal | None = None) -> list[str]:
        return self.storage.tags(self._visible(principal))

    def published(self, language: str) -> Iterator[Template]:
        return self.storage.iter_published(language)

    def count(self) -> int:
        return self.storage.count()

    def revision(self, language: str) -> str:
        return self.storage.revision(language)

    def versions(self, template_id: int, principal: Principal | None = None) -> list[TemplateVersion]:
        self.get(template_id, principal, include_deleted=True)
        return self.storage.versions(template_id)

    def find_by_source_key(self, key: str) -> int | None:
        return self.storage.find_by_source_key(key)

    def _visible(self, principal: Principal | None):
        return self.policy.readable(principal, templates.c.team_id, templates.c.status)

    # ------------------------------------------------------------------ lint
    def linted(self, template: Template) -> Template:
        """The template with what a lead is told on save (unknown variables, near-duplicates, check)."""
        return self.linter.lint(template) if self.linter is not None else template

    # ------------------------------------------------------------------ writes
    def subscribe(self, listener: Listener) -> None:
        """Called with (before, after) after every committed change; None for a side that is absent."""
        self._listeners.append(listener)

    def _notify(self, before: Template | None, after: Template | None) -> None:
        for listener in self._listeners:
            try:
                listener(before, after)
            except Exception:  # noqa: BLE001 - the change is committed; a listener catches up later
                log.exception("template change listener failed")

    def create(self, data: TemplateCreate, principal: Principal, source_key: str | None = None) -> Template:
        values = self._validated({k: getattr(data, k) for k in EDITABLE})
        team_id = data.team_id if data.team_id is not None else principal.team_id
        self.policy.require_write(principal, team_id, "write templates for that team")
        now = utcnow()
        with self.change_lock:
            with self.storage.db.begin() as conn:
                self._check_shortcut(conn, values["language"], values.get("shortcut"), None, team_id)
                new_id = self.storage.insert(conn, values, version=1, team_id=team_id, source_key=source_key,
                                             created_by=principal.name, updated_by=principal.name, created_at=now,
                                             updated_at=now)
                self.storage.record_version(conn, new_id, 1, values, list(EDITABLE), principal.name, now)
                self.storage.bump(conn, values["language"], now)
            created = self.get(new_id)
            self._notify(None, created)
        return created

    def update(self, template_id: int, data: TemplateUpdate, principal: Principal) -> tuple[Template, Template]:
        """Returns (before, after)."""
        changes = {k: getattr(data, k) for k in EDITABLE if getattr(data, k) is not None}
        return self._apply(template_id, changes, principal)

    def revert(self, template_id: int, version: int, principal: Principal) -> tuple[Template, Template]:
        self.get(template_id, principal, include_deleted=True)
        snapshot = self.storage.version_snapshot(template_id, version)
        if snapshot is None:
            raise NotFound(f"template {template_id} has no version {version}")
        return self._apply(template_id, snapshot, principal, allow_deleted=True)

    def delete(self, template_id: int, principal: Principal) -> Template:
        before = self.get(template_id, principal)
        self.policy.require_write(principal, before.team_id, "delete this template")
        now = utcnow()
        with self.change_lock:
            with self.storage.db.begin() as conn:
                self.storage.mark_deleted(conn, template_id, now, principal.name)
                self.storage.bump(conn, before.language, now)
            self._notify(before, None)
        return before

    def _apply(self, template_id: int, changes: dict[str, Any], principal: Principal, allow_deleted: bool = False):
        before = self.get(template_id, principal, include_deleted=allow_deleted)
        self.policy.require_write(principal, before.team_id)
        current = {k: getattr(before, k) for k in EDITABLE}
        merged = self._validated({**current, **changes})
        changed = [k for k in EDITABLE if merged.get(k) != current.get(k)]
        was_deleted = allow_deleted and self.storage.row(template_id).deleted_at is not None
        if not changed and not was_deleted:
            return before, before
        now = utcnow()
        version = before.version + 1
        with self.change_lock:
            with self.storage.db.begin() as conn:
                self._check_shortcut(conn, merged["language"], merged.get("shortcut"), template_id, before.team_id)
                self.storage.update(conn, template_id, merged, version=version, updated_by=principal.name,
                                    updated_at=now, deleted_at=None)
                self.storage.record_version(conn, template_id, version, merged, changed, principal.name, now)
                for language in {before.language, merged["language"]}:
                    self.storage.bump(conn, language, now)
            after = self.get(template_id)
            self._notify(before, after)
        return before, after

    def _validated(self, values: dict[str, Any]) -> dict[str, Any]:
        self.languages.get(values.get("language"))
        values["title"] = values["title"].strip()
        if not values["title"] or not values["body"].strip():
            raise ValidationFailed("title and body must not be blank")
        # Rendering once with sample values refuses bodies that reach for Python internals.
        self.renderer.render(values["body"], SAMPLE_VARIABLES)
        values["triggers"] = _clean_list(values.get("triggers") or [])
        values["tags"] = _clean_list(values.get("tags") or [])
        values["shortcut"] = (values.get("shortcut") or None) and values["shortcut"].lower()
        return {k: values.get(k) for k in EDITABLE}

    def _check_shortcut(self, conn, language: str, shortcut: str | None, own_id: int | None, team_id: int | None) -> None:
        """Shortcuts are unique per language within a team (a team's own may shadow a global one)."""
        if not shortcut:
            return
        other = self.storage.shortcut_owner(conn, language, shortcut, team_id)
        if other is not None and other != own_id:
            raise Conflict(f"shortcut {shortcut!r} is already used by template {other}", template_id=other)


def fields_from(data: dict[str, Any], schema: type) -> Any:
    """A form's or a file's fields through the same schema (and limits) as the API's JSON body."""
    try:
        return msgspec.convert(data, schema)
    except msgspec.ValidationError as exc:
        raise ValidationFailed(str(exc)) from None
