"""The template library: every read and write of templates goes through here, from the API, the
web UI, the CLI and imports alike. Every save is a version; a delete is soft, so nothing is lost.
After each committed change the listeners (the search index) are told, so no caller has to
remember to update search."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator

import msgspec

from service.auth.models import Principal
from service.auth.policy import POLICY, TeamPolicy
from service.core.db import utcnow
from service.core.errors import Conflict, NotFound, TactError, ValidationFailed
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

# A template is rendered on every /suggest that shows it: one that takes longer than this with
# sample values is refused on save (a plain reply renders in well under a millisecond).
RENDER_BUDGET_S = 0.25

EDITABLE = ("title", "language", "body", "triggers", "tags", "shortcut", "status", "translation_group")

# Called after each commit with every (before, after) pair it made (None for a side that is absent)
# and, for imports, where to report progress.
Listener = Callable[..., None]


class _Clashes(Exception):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems


class Cancelled(Exception):
    """An import was cancelled before it committed: nothing was written."""


@dataclass
class ImportItem:
    """One template to import: its fields as a form or a file gives them, where it came from (for
    problems), and for the responses/ format the file key that matches an earlier import."""

    fields: dict[str, Any]
    label: str
    source_key: str | None = None


@dataclass
class ImportResult:
    created: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (label, message); any means nothing written


Progress = Callable[[str, int, int], None]  # (phase, done, total)


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

    def published(self, language: str | None) -> Iterator[Template]:
        """Published templates of ``language``; of every language when None."""
        return self.storage.iter_published(language)

    def count(self) -> int:
        return self.storage.count()

    def revision(self, language: str) -> str:
        return self.storage.revision(language)

    def changes_since(self, language: str, seq: int, limit: int = 5000) -> list[tuple[int, int, str]]:
        """The change log of ``language`` after ``seq``: (seq, template_id, op), oldest first."""
        return self.storage.changes_since(language, seq, limit)

    def pruned_through(self, language: str) -> int:
        """The change log of ``language`` is complete after this entry (older ones were pruned)."""
        return self.storage.pruned_through(language)

    def prune_changes(self, retention_days: int) -> int:
        """Drop change-log entries older than ``retention_days`` (each language keeps its newest)."""
        if retention_days <= 0:
            return 0
        return self.storage.prune_changes(utcnow() - dt.timedelta(days=retention_days))

    def current(self, template_ids: list[int]) -> dict[int, Template]:
        """These templates as they are now (deleted ones absent)."""
        found: dict[int, Template] = {}
        for start in range(0, len(template_ids), 1000):
            found.update(self.storage.live(template_ids[start:start + 1000]))
        return found

    def versions(self, template_id: int, principal: Principal | None = None) -> list[TemplateVersion]:
        self.get(template_id, principal, include_deleted=True)
        return self.storage.versions(template_id)

    def _visible(self, principal: Principal | None):
        return self.policy.readable(principal, templates.c.team_id, templates.c.status)

    # ------------------------------------------------------------------ lint
    def linted(self, template: Template) -> Template:
        """The template with what a lead is told on save (unknown variables, near-duplicates, check)."""
        return self.linter.lint(template) if self.linter is not None else template

    # ------------------------------------------------------------------ writes
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _notify(self, before: Template | None, after: Template | None) -> None:
        self._notify_all([(before, after)])

    def _notify_all(self, changes: list[tuple[Template | None, Template | None]], progress=None) -> None:
        for listener in self._listeners:
            try:
                listener(changes, progress)
            except Exception:  # noqa: BLE001 - the change is committed; a listener catches up later
                log.exception("template change listener failed")

    def create(self, data: TemplateCreate, principal: Principal, source_key: str | None = None) -> Template:
        values = self._validated({k: getattr(data, k) for k in EDITABLE})
        team_id = data.team_id if data.team_id is not None else principal.team_id
        self.policy.require_write(principal, team_id, "write templates for that team")
        if team_id is not None and not self.storage.team_exists(team_id):
            raise ValidationFailed(f"there is no team {team_id}")
        now = utcnow()
        with self.change_lock:
            with self.storage.db.begin() as conn:
                self._check_shortcut(conn, values["language"], values.get("shortcut"), None, team_id)
                new_id = self.storage.insert(conn, values, version=1, team_id=team_id, source_key=source_key,
                                             created_by=principal.name, updated_by=principal.name, created_at=now,
                                             updated_at=now)
                self.storage.record_version(conn, new_id, 1, values, list(EDITABLE), principal.name, now)
                self.storage.bump(conn, values["language"], now)
                self.storage.log_changes(conn, [(new_id, values["language"], "upsert")], now)
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
                self.storage.log_changes(conn, [(template_id, before.language, "delete")], now)
            self._notify(before, None)
        return before

    def _apply(self, template_id: int, changes: dict[str, Any], principal: Principal, allow_deleted: bool = False):
        """``changes`` on top of the template as it is when this write holds it: the row is locked
        first (PostgreSQL row lock, SQLite write lock), read again, merged, given the next version
        and written in one transaction. Two replicas editing one template get N+1 and N+2, and an
        edit of other fields is never lost."""
        visible = self.get(template_id, principal, include_deleted=allow_deleted)  # 404 before any lock
        self.policy.require_write(principal, visible.team_id)
        with self.change_lock:
            with self.storage.db.begin() as conn:
                self.storage.lock(conn, template_id)
                row = self.storage.row_in(conn, template_id)
                before = row_to_template(row)
                current = {k: getattr(before, k) for k in EDITABLE}
                merged = self._validated({**current, **changes})
                changed = [k for k in EDITABLE if merged.get(k) != current.get(k)]
                if not changed and not (allow_deleted and row.deleted_at is not None):
                    return before, before
                now = utcnow()
                version = before.version + 1
                self._check_shortcut(conn, merged["language"], merged.get("shortcut"), template_id, before.team_id)
                self.storage.update(conn, template_id, merged, version=version, updated_by=principal.name,
                                    updated_at=now, deleted_at=None)
                self.storage.record_version(conn, template_id, version, merged, changed, principal.name, now)
                languages = sorted({before.language, merged["language"]})
                for language in languages:
                    self.storage.bump(conn, language, now)
                self.storage.log_changes(conn, [(template_id, language, "upsert") for language in languages], now)
            after = self.get(template_id)
            self._notify(before, after)
        return before, after

    def set_learned(self, template_id: int, read_learned) -> Template | None:
        """The messages learned for a template from agents' sent picks: ``read_learned(conn)`` (the
        analytics domain) reads them in this transaction, once the template's row is locked, so two
        replicas learning at once both end up in it. Not an edit (no new version), but a change
        the index and the other replicas follow."""
        with self.change_lock:
            with self.storage.db.begin() as conn:
                self.storage.lock(conn, template_id)
                row = self.storage.row_in(conn, template_id)
                if row is None or row.deleted_at is not None:
                    return None
                before = row_to_template(row)
                learned = read_learned(conn)
                if learned == before.learned:
                    return before
                now = utcnow()
                self.storage.set_learned(conn, template_id, learned)
                self.storage.bump(conn, before.language, now)
                self.storage.log_changes(conn, [(template_id, before.language, "learn")], now)
            after = self.get(template_id)
            self._notify(before, after)
        return after

    # ------------------------------------------------------------------ imports
    def import_batch(self, items: list[ImportItem], principal: Principal, progress: Progress | None = None,
                     cancelled: Callable[[], bool] = lambda: False, chunk: int = 500,
                     on_saved: Callable[[], None] = lambda: None) -> ImportResult:
        """All of ``items`` or none: every item is validated first (schema, language, body, shortcut
        clashes in the batch and with the library); any problem writes nothing. Then one
        transaction, and one notification (one batched encode for the index). ``cancelled`` is
        asked between chunks; a cancel before the commit writes nothing."""
        progress = progress or (lambda phase, done, total: None)
        team_id = principal.team_id
        self.policy.require_write(principal, team_id, "import templates for that team")
        result = ImportResult()
        keys = [i.source_key for i in items if i.source_key]
        existing_ids = self.storage.ids_by_source_key(keys) if keys else {}
        current = {}
        for start in range(0, len(existing_ids), 1000):
            current.update(self.storage.live(list(existing_ids.values())[start:start + 1000], include_deleted=True))
        plans: list[tuple[ImportItem, dict[str, Any], Template | None]] = []
        shortcuts: dict[tuple[str, str], str] = {}
        for n, item in enumerate(items, 1):
            if n % chunk == 0:
                if cancelled():
                    raise Cancelled
                progress("validating", n, len(items))
            try:
                before = current.get(existing_ids.get(item.source_key)) if item.source_key else None
                schema = TemplateUpdate if before is not None else TemplateCreate
                data = fields_from({k: v for k, v in item.fields.items() if k in EDITABLE}, schema)
                given = {k: getattr(data, k) for k in EDITABLE if getattr(data, k) is not None}
                base = {k: getattr(before, k) for k in EDITABLE} if before is not None else {}
                values = self._validated({**base, **given})
                if values["shortcut"]:
                    clash = shortcuts.setdefault((values["language"], values["shortcut"]), item.label)
                    if clash != item.label:
                        raise Conflict(f"shortcut {values['shortcut']!r} is also used by {clash}")
            except TactError as exc:
                result.problems.append((item.label, exc.message))
                continue
            plans.append((item, values, before))
        progress("validating", len(items), len(items))
        if result.problems:
            return result
        now = utcnow()
        written: list[tuple[Template | None, int]] = []
        with self.change_lock:
            try:
                self._write_batch(plans, principal, now, written, result, progress, cancelled, chunk)
            except _Clashes as clashes:
                return ImportResult(problems=clashes.problems)
            progress("saving", len(plans), len(plans))
            on_saved()
            after = self.current([i for _, i in written])
            self._notify_all([(before, after.get(i)) for before, i in written],
                             lambda done, total: progress("indexing", done, total))
        return result

    def _write_batch(self, plans, principal: Principal, now, written, result: ImportResult, progress, cancelled,
                     chunk: int) -> None:
        """The validated plans in one transaction; a cancel or a clash rolls all of it back."""
        team_id = principal.team_id
        logged: list[tuple[int, str]] = []  # (template, language) for the change log
        with self.storage.db.begin() as conn:
            for n, (item, values, before) in enumerate(plans, 1):
                if n % chunk == 0:
                    if cancelled():
                        raise Cancelled
                    progress("saving", n, len(plans))
                try:
                    self._check_shortcut(conn, values["language"], values["shortcut"], before and before.id, team_id)
                except Conflict as exc:
                    result.problems.append((item.label, exc.message))
                    continue
                if before is None:
                    new_id = self.storage.insert(conn, values, version=1, team_id=team_id, source_key=item.source_key,
                                                 created_by=principal.name, updated_by=principal.name, created_at=now,
                                                 updated_at=now)
                    self.storage.record_version(conn, new_id, 1, values, list(EDITABLE), principal.name, now)
                    written.append((None, new_id))
                    result.created.append(new_id)
                    logged.append((new_id, values["language"]))
                    continue
                changed = [k for k in EDITABLE if values[k] != getattr(before, k)]
                if not changed:
                    result.unchanged.append(before.id)
                    continue
                self.storage.update(conn, before.id, values, version=before.version + 1, updated_by=principal.name,
                                    updated_at=now, deleted_at=None)
                self.storage.record_version(conn, before.id, before.version + 1, values, changed, principal.name, now)
                written.append((before, before.id))
                result.updated.append(before.id)
                logged += [(before.id, language) for language in sorted({values["language"], before.language})]
            if result.problems:
                raise _Clashes(result.problems)
            for language in sorted({language for _, language in logged}):
                self.storage.bump(conn, language, now)
            self.storage.log_changes(conn, [(template_id, language, "upsert") for template_id, language in logged], now)

    def _validated(self, values: dict[str, Any]) -> dict[str, Any]:
        self.languages.get(values.get("language"))
        values["title"] = values["title"].strip()
        if not values["title"] or not values["body"].strip():
            raise ValidationFailed("title and body must not be blank")
        # Rendering once with sample values refuses bodies that reach for Python internals, break
        # the renderer's limits, or take long enough to hold a worker each time they are suggested.
        if all(self._render_cost(values["body"]) > RENDER_BUDGET_S for _ in range(2)):  # slow twice, not once
            raise ValidationFailed(f"the template takes more than {RENDER_BUDGET_S:.2f} s to render; simplify it")
        values["triggers"] = _clean_list(values.get("triggers") or [])
        values["tags"] = _clean_list(values.get("tags") or [])
        values["shortcut"] = (values.get("shortcut") or None) and values["shortcut"].lower()
        return {k: values.get(k) for k in EDITABLE}

    def _render_cost(self, body: str) -> float:
        """CPU seconds of this thread for one render: other threads and a busy machine do not count
        (wall time once refused a one-line body in CI, mid-import, while the index retrained), and
        the caller measures again before refusing, so a collector pause does not either."""
        started = time.thread_time()
        self.renderer.render(body, SAMPLE_VARIABLES)
        return time.thread_time() - started

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
