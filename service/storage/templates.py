"""Templates in the database. Every save is a version; a delete is soft, so nothing is lost."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any, Callable, Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from service.auth import Principal
from service.errors import Conflict, Forbidden, NotFound, ValidationFailed
from service.rendering import SAMPLE_VARIABLES, SandboxedRenderer
from service.schemas import Template, TemplateCreate, TemplateUpdate, TemplateVersion
from service.settings import LANGUAGES
from service.storage.db import Database, dumps, loads, utcnow

log = logging.getLogger("tact.storage")

EDITABLE = ("title", "language", "body", "triggers", "tags", "shortcut", "status", "translation_group")


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def row_to_template(row: Row) -> Template:
    return Template(
        id=row.id, title=row.title, language=row.language, body=row.body,
        triggers=loads(row.triggers, []), tags=loads(row.tags, []), shortcut=row.shortcut,
        status=row.status, version=row.version, team_id=row.team_id,
        translation_group=row.translation_group, created_at=_aware(row.created_at),
        updated_at=_aware(row.updated_at), created_by=row.created_by, updated_by=row.updated_by,
    )


def _snapshot(values: dict[str, Any]) -> dict[str, Any]:
    return {k: values.get(k) for k in EDITABLE}


def _clean_list(items: Iterable[str]) -> list[str]:
    seen, out = set(), []
    for item in items:
        text = " ".join(item.split())
        if text and text.lower() not in seen:
            seen.add(text.lower())
            out.append(text)
    return out


Listener = Callable[[Template | None, Template | None], None]


class TemplateRepository:
    def __init__(self, db: Database, renderer: SandboxedRenderer) -> None:
        self._db = db
        self._renderer = renderer
        # Held from a write's commit until its listeners have run, so that whoever compares the
        # library revision with what it has applied never sees this process's change half-done.
        self.change_lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._t = db.t["templates"]
        self._v = db.t["template_versions"]
        self._state = db.t["library_state"]

    # ------------------------------------------------------------------ reads
    def get(self, template_id: int, principal: Principal | None = None, include_deleted: bool = False) -> Template:
        with self._db.connect() as conn:
            row = conn.execute(sa.select(self._t).where(self._t.c.id == template_id)).first()
        if row is None or (row.deleted_at is not None and not include_deleted):
            raise NotFound(f"template {template_id} does not exist")
        if principal is not None and not principal.can_read(row.team_id, row.status):
            raise NotFound(f"template {template_id} does not exist")
        return row_to_template(row)

    def get_many(self, template_ids: list[int], principal: Principal | None = None) -> dict[int, Template]:
        """The visible, live templates among ``template_ids``, in one query."""
        if not template_ids:
            return {}
        with self._db.connect() as conn:
            rows = conn.execute(sa.select(self._t).where(self._t.c.id.in_(template_ids), self._t.c.deleted_at.is_(None))).all()
        return {r.id: row_to_template(r) for r in rows if principal is None or principal.can_read(r.team_id, r.status)}

    def list(self, principal: Principal | None = None, language: str | None = None, tag: str | None = None,
             q: str | None = None, status: str | None = None, limit: int = 500, offset: int = 0) -> list[Template]:
        query = sa.select(self._t).where(self._t.c.deleted_at.is_(None)).order_by(self._t.c.id)
        if language:
            query = query.where(self._t.c.language == language)
        if status:
            query = query.where(self._t.c.status == status)
        if q:
            like = f"%{q.lower()}%"
            query = query.where(sa.or_(sa.func.lower(self._t.c.title).like(like), sa.func.lower(self._t.c.body).like(like),
                                       sa.func.lower(self._t.c.triggers).like(like), sa.func.lower(self._t.c.shortcut).like(like)))
        with self._db.connect() as conn:
            rows = conn.execute(query).all()
        out = [row_to_template(r) for r in rows if principal is None or principal.can_read(r.team_id, r.status)]
        if tag:
            out = [t for t in out if tag in t.tags]
        return out[offset:offset + limit]

    def published(self, language: str) -> list[Template]:
        return self.list(language=language, status="published", limit=10**9)

    def count(self) -> int:
        with self._db.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(self._t).where(self._t.c.deleted_at.is_(None))).scalar_one()

    def revision(self, language: str) -> str:
        with self._db.connect() as conn:
            value = conn.execute(sa.select(self._state.c.revision).where(self._state.c.language == language)).scalar()
        return str(value or 0)

    def versions(self, template_id: int, principal: Principal | None = None) -> list[TemplateVersion]:
        self.get(template_id, principal, include_deleted=True)
        with self._db.connect() as conn:
            rows = conn.execute(sa.select(self._v).where(self._v.c.template_id == template_id).order_by(self._v.c.version)).all()
        return [TemplateVersion(version=r.version, author=r.author, created_at=_aware(r.created_at),
                                changed_fields=loads(r.changed_fields, []), snapshot=loads(r.snapshot, {})) for r in rows]

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
        if not principal.can_write(team_id):
            raise Forbidden("your role cannot write templates for that team")
        now = utcnow()
        with self.change_lock:
            with self._db.begin() as conn:
                self._check_shortcut(conn, values["language"], values.get("shortcut"), None, team_id)
                new_id = conn.execute(self._t.insert().values(
                    **self._columns(values), version=1, team_id=team_id, source_key=source_key,
                    created_by=principal.name, updated_by=principal.name, created_at=now, updated_at=now,
                )).inserted_primary_key[0]
                self._record_version(conn, new_id, 1, values, list(EDITABLE), principal.name, now)
                self._bump(conn, values["language"], now)
            created = self.get(new_id)
            self._notify(None, created)
        return created

    def update(self, template_id: int, data: TemplateUpdate, principal: Principal) -> tuple[Template, Template]:
        """Returns (before, after)."""
        changes = {k: getattr(data, k) for k in EDITABLE if getattr(data, k) is not None}
        return self._apply(template_id, changes, principal)

    def revert(self, template_id: int, version: int, principal: Principal) -> tuple[Template, Template]:
        with self._db.connect() as conn:
            row = conn.execute(sa.select(self._v).where(self._v.c.template_id == template_id, self._v.c.version == version)).first()
        if row is None:
            raise NotFound(f"template {template_id} has no version {version}")
        return self._apply(template_id, loads(row.snapshot, {}), principal, allow_deleted=True)

    def delete(self, template_id: int, principal: Principal) -> Template:
        before = self.get(template_id, principal)
        if not principal.can_write(before.team_id):
            raise Forbidden("your role cannot delete this template")
        now = utcnow()
        with self.change_lock:
            with self._db.begin() as conn:
                conn.execute(self._t.update().where(self._t.c.id == template_id).values(
                    deleted_at=now, updated_at=now, updated_by=principal.name))
                self._bump(conn, before.language, now)
            self._notify(before, None)
        return before

    def _apply(self, template_id: int, changes: dict[str, Any], principal: Principal, allow_deleted: bool = False):
        before = self.get(template_id, principal, include_deleted=allow_deleted)
        if not principal.can_write(before.team_id):
            raise Forbidden("your role cannot change this template")
        current = {k: getattr(before, k) for k in EDITABLE}
        merged = self._validated({**current, **changes})
        changed = [k for k in EDITABLE if merged.get(k) != current.get(k)]
        if not changed and not (allow_deleted and self._is_deleted(template_id)):
            return before, before
        now = utcnow()
        version = before.version + 1
        with self.change_lock:
            with self._db.begin() as conn:
                self._check_shortcut(conn, merged["language"], merged.get("shortcut"), template_id, before.team_id)
                conn.execute(self._t.update().where(self._t.c.id == template_id).values(
                    **self._columns(merged), version=version, updated_by=principal.name, updated_at=now, deleted_at=None))
                self._record_version(conn, template_id, version, merged, changed, principal.name, now)
                for language in {before.language, merged["language"]}:
                    self._bump(conn, language, now)
            after = self.get(template_id)
            self._notify(before, after)
        return before, after

    def _is_deleted(self, template_id: int) -> bool:
        with self._db.connect() as conn:
            return conn.execute(sa.select(self._t.c.deleted_at).where(self._t.c.id == template_id)).scalar() is not None

    def _validated(self, values: dict[str, Any]) -> dict[str, Any]:
        if values.get("language") not in LANGUAGES:
            raise ValidationFailed(f"unknown language {values.get('language')!r}; use one of {', '.join(LANGUAGES)}")
        values["title"] = values["title"].strip()
        if not values["title"] or not values["body"].strip():
            raise ValidationFailed("title and body must not be blank")
        # Rendering once with sample values refuses bodies that reach for Python internals.
        self._renderer.render(values["body"], SAMPLE_VARIABLES)
        values["triggers"] = _clean_list(values.get("triggers") or [])
        values["tags"] = _clean_list(values.get("tags") or [])
        values["shortcut"] = (values.get("shortcut") or None) and values["shortcut"].lower()
        return values

    def _check_shortcut(self, conn: Connection, language: str, shortcut: str | None, own_id: int | None,
                        team_id: int | None) -> None:
        """Shortcuts are unique per language within a team (a team's own may shadow a global one)."""
        if not shortcut:
            return
        same_team = self._t.c.team_id.is_(None) if team_id is None else self._t.c.team_id == team_id
        query = sa.select(self._t.c.id).where(self._t.c.shortcut == shortcut, self._t.c.language == language,
                                              self._t.c.deleted_at.is_(None), same_team)
        other = conn.execute(query).scalar()
        if other is not None and other != own_id:
            raise Conflict(f"shortcut {shortcut!r} is already used by template {other}", template_id=other)

    @staticmethod
    def _columns(values: dict[str, Any]) -> dict[str, Any]:
        return {**values, "triggers": dumps(values["triggers"]), "tags": dumps(values["tags"])}

    def _record_version(self, conn: Connection, template_id: int, version: int, values: dict[str, Any],
                        changed: list[str], author: str, now: dt.datetime) -> None:
        conn.execute(self._v.insert().values(template_id=template_id, version=version, snapshot=dumps(_snapshot(values)),
                                             changed_fields=dumps(changed), author=author, created_at=now))

    def _bump(self, conn: Connection, language: str, now: dt.datetime) -> None:
        updated = conn.execute(self._state.update().where(self._state.c.language == language)
                               .values(revision=self._state.c.revision + 1, updated_at=now)).rowcount
        if not updated:
            conn.execute(self._state.insert().values(language=language, revision=1, updated_at=now))

    def find_by_source_key(self, key: str) -> int | None:
        with self._db.connect() as conn:
            return conn.execute(sa.select(self._t.c.id).where(self._t.c.source_key == key)).scalar()
