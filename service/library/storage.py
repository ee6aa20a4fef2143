"""Templates in the database: the tables and every query on them. Rows come back as the API's
``Template`` type; visibility arrives as a SQL clause from the team policy, so filtering and
paging happen in the database."""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from service.auth.storage import teams
from service.core.db import Database, aware, dumps, loads, metadata, timestamp
from service.library.schemas import Template, TemplateVersion

templates = sa.Table(
    "templates", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("language", sa.String(8), nullable=False, index=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("triggers", sa.Text, nullable=False, server_default="[]"),
    sa.Column("tags", sa.Text, nullable=False, server_default="[]"),
    # messages learned from agents' sent picks (redacted snippets; migration 0008), for the index
    sa.Column("learned", sa.Text, nullable=False, server_default="[]"),
    sa.Column("shortcut", sa.String(64), nullable=True),
    sa.Column("status", sa.String(20), nullable=False, server_default="published"),
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("team_id", sa.Integer, sa.ForeignKey("teams.id"), nullable=True),
    sa.Column("translation_group", sa.String(64), nullable=True, index=True),
    sa.Column("source_key", sa.String(300), nullable=True, unique=True),
    sa.Column("created_by", sa.String(200), nullable=True),
    sa.Column("updated_by", sa.String(200), nullable=True),
    timestamp("created_at"),
    timestamp("updated_at"),
    timestamp("deleted_at", nullable=True),
)

template_versions = sa.Table(
    "template_versions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("template_id", sa.Integer, sa.ForeignKey("templates.id"), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("snapshot", sa.Text, nullable=False),
    sa.Column("changed_fields", sa.Text, nullable=False, server_default="[]"),
    sa.Column("author", sa.String(200), nullable=True),
    timestamp("created_at"),
    sa.UniqueConstraint("template_id", "version"),
)

# One row per language, bumped in every writing transaction before the change log is appended:
# writers of a language queue on this row, which puts the log's sequence in commit order.
library_state = sa.Table(
    "library_state", metadata,
    sa.Column("language", sa.String(8), primary_key=True),
    sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
    timestamp("updated_at"),
    # the change log of this language has no entries up to here any more (pruned, migration 0009)
    sa.Column("log_pruned_through", sa.BigInteger, nullable=False, server_default="0"),
)

# The change log replicas follow (migration 0006): appended in the writing transaction after the
# language's library_state row is bumped, so within a language the sequence is in commit order.
template_changes = sa.Table(
    "template_changes", metadata,
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("template_id", sa.Integer, nullable=False),
    sa.Column("op", sa.String(8), nullable=False),
    timestamp("created_at"),
    sa.Index("ix_template_changes_language_seq", "language", "seq"),
)
CHANNEL = "tact_templates"  # PostgreSQL NOTIFY channel: a language's log moved on

T = templates


def row_to_template(row: Row) -> Template:
    return Template(
        id=row.id, title=row.title, language=row.language, body=row.body,
        triggers=loads(row.triggers, []), tags=loads(row.tags, []), shortcut=row.shortcut,
        status=row.status, version=row.version, team_id=row.team_id,
        translation_group=row.translation_group, created_at=aware(row.created_at),
        updated_at=aware(row.updated_at), created_by=row.created_by, updated_by=row.updated_by,
        learned=loads(getattr(row, "learned", None), []),
    )


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    return {**values, "triggers": dumps(values["triggers"]), "tags": dumps(values["tags"])}


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class TemplateStorage:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ------------------------------------------------------------------ reads
    def row(self, template_id: int) -> Row | None:
        with self.db.connect() as conn:
            return conn.execute(sa.select(T).where(T.c.id == template_id)).first()

    def live(self, template_ids: list[int], visible=sa.true(), include_deleted: bool = False) -> dict[int, Template]:
        if not template_ids:
            return {}
        alive = sa.true() if include_deleted else T.c.deleted_at.is_(None)
        with self.db.connect() as conn:
            rows = conn.execute(sa.select(T).where(T.c.id.in_(template_ids), alive, visible)).all()
        return {r.id: row_to_template(r) for r in rows}

    def page(self, visible=sa.true(), *, language: str | None = None, tag: str | None = None, q: str | None = None,
             status: str | None = None, translation_group: str | None = None, limit: int | None = 100,
             offset: int = 0) -> list[Template]:
        query = sa.select(T).where(T.c.deleted_at.is_(None), visible).order_by(T.c.id)
        if language:
            query = query.where(T.c.language == language)
        if status:
            query = query.where(T.c.status == status)
        if translation_group:
            query = query.where(T.c.translation_group == translation_group)
        if tag:
            # tags are a JSON list of strings: match the quoted element
            query = query.where(T.c.tags.like(_like(dumps(tag)), escape="\\"))
        if q:
            like = _like(q.lower())
            query = query.where(sa.or_(*(sa.func.lower(c).like(like, escape="\\")
                                         for c in (T.c.title, T.c.body, T.c.triggers, T.c.shortcut))))
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        with self.db.connect() as conn:
            return [row_to_template(r) for r in conn.execute(query)]

    def iter_published(self, language: str | None, batch: int = 1000) -> Iterator[Template]:
        """Every live published template of a language (None: of every language), read in keyset pages."""
        last = 0
        of_language = T.c.language == language if language is not None else sa.true()
        while True:
            query = (sa.select(T).where(T.c.deleted_at.is_(None), T.c.status == "published", of_language,
                                        T.c.id > last).order_by(T.c.id).limit(batch))
            with self.db.connect() as conn:
                rows = conn.execute(query).all()
            for row in rows:
                yield row_to_template(row)
            if len(rows) < batch:
                return
            last = rows[-1].id

    def tags(self, visible=sa.true()) -> list[str]:
        with self.db.connect() as conn:
            values = conn.execute(sa.select(T.c.tags).where(T.c.deleted_at.is_(None), visible).distinct()).scalars()
            return sorted({tag for value in values for tag in loads(value, [])})

    def count(self) -> int:
        with self.db.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(T).where(T.c.deleted_at.is_(None))).scalar_one()

    def revision(self, language: str) -> str:
        """Where a language's change log stands: an index stamped with it has applied every change
        up to there."""
        return f"log:{self.last_change(language)}"

    def versions(self, template_id: int) -> list[TemplateVersion]:
        V = template_versions
        with self.db.connect() as conn:
            rows = conn.execute(sa.select(V).where(V.c.template_id == template_id).order_by(V.c.version)).all()
        return [TemplateVersion(version=r.version, author=r.author, created_at=aware(r.created_at),
                                changed_fields=loads(r.changed_fields, []), snapshot=loads(r.snapshot, {})) for r in rows]

    def version_snapshot(self, template_id: int, version: int) -> dict[str, Any] | None:
        V = template_versions
        with self.db.connect() as conn:
            value = conn.execute(sa.select(V.c.snapshot).where(V.c.template_id == template_id,
                                                               V.c.version == version)).scalar()
        return None if value is None else loads(value, {})

    def ids_by_source_key(self, keys: list[str]) -> dict[str, int]:
        out: dict[str, int] = {}
        with self.db.connect() as conn:
            for start in range(0, len(keys), 500):
                rows = conn.execute(sa.select(T.c.source_key, T.c.id).where(T.c.source_key.in_(keys[start:start + 500])))
                out.update({r.source_key: r.id for r in rows})
        return out

    def team_exists(self, team_id: int) -> bool:
        with self.db.connect() as conn:
            return conn.execute(sa.select(teams.c.id).where(teams.c.id == team_id)).scalar() is not None

    # ------------------------------------------------------------------ writes (inside a transaction)
    def lock(self, conn: Connection, template_id: int) -> None:
        """Hold the template for this transaction: a no-op write takes PostgreSQL's row lock and
        SQLite's write lock, so a concurrent edit waits and then reads this one's result."""
        conn.execute(T.update().where(T.c.id == template_id).values(version=T.c.version))

    def row_in(self, conn: Connection, template_id: int) -> Row:
        return conn.execute(sa.select(T).where(T.c.id == template_id)).first()

    def shortcut_owner(self, conn: Connection, language: str, shortcut: str, team_id: int | None) -> int | None:
        same_team = T.c.team_id.is_(None) if team_id is None else T.c.team_id == team_id
        return conn.execute(sa.select(T.c.id).where(T.c.shortcut == shortcut, T.c.language == language,
                                                    T.c.deleted_at.is_(None), same_team)).scalar()

    def insert(self, conn: Connection, values: dict[str, Any], **extra) -> int:
        return conn.execute(T.insert().values(**_columns(values), **extra)).inserted_primary_key[0]

    def update(self, conn: Connection, template_id: int, values: dict[str, Any], **extra) -> None:
        conn.execute(T.update().where(T.c.id == template_id).values(**_columns(values), **extra))

    def mark_deleted(self, conn: Connection, template_id: int, now: dt.datetime, by: str) -> None:
        conn.execute(T.update().where(T.c.id == template_id).values(deleted_at=now, updated_at=now, updated_by=by))

    def record_version(self, conn: Connection, template_id: int, version: int, snapshot: dict[str, Any],
                       changed: list[str], author: str, now: dt.datetime) -> None:
        conn.execute(template_versions.insert().values(template_id=template_id, version=version, snapshot=dumps(snapshot),
                                                       changed_fields=dumps(changed), author=author, created_at=now))

    def set_learned(self, conn: Connection, template_id: int, learned: list[str]) -> None:
        conn.execute(T.update().where(T.c.id == template_id).values(learned=dumps(learned)))

    def log_changes(self, conn: Connection, entries: list[tuple[int, str, str]], now: dt.datetime) -> None:
        """Append (template_id, language, op) rows to the change log, after ``bump`` of each language
        in the same transaction; on PostgreSQL, wake the other replicas at commit."""
        if not entries:
            return
        conn.execute(template_changes.insert(), [{"template_id": t, "language": lang, "op": op, "created_at": now}
                                                 for t, lang, op in entries])
        if conn.dialect.name == "postgresql":
            for language in sorted({lang for _, lang, _ in entries}):
                conn.execute(sa.text("SELECT pg_notify(:channel, :language)"), {"channel": CHANNEL, "language": language})

    def changes_since(self, language: str, seq: int, limit: int = 5000) -> list[tuple[int, int, str]]:
        """(seq, template_id, op) after ``seq`` for one language, oldest first."""
        C = template_changes
        with self.db.connect() as conn:
            rows = conn.execute(sa.select(C.c.seq, C.c.template_id, C.c.op)
                                .where(C.c.language == language, C.c.seq > seq).order_by(C.c.seq).limit(limit)).all()
        return [(int(r.seq), int(r.template_id), r.op) for r in rows]

    def pruned_through(self, language: str) -> int:
        """The log of ``language`` holds every entry after this one (0: nothing was pruned)."""
        S = library_state
        with self.db.connect() as conn:
            value = conn.execute(sa.select(S.c.log_pruned_through).where(S.c.language == language)).scalar()
        return int(value or 0)

    def prune_changes(self, cutoff: dt.datetime) -> int:
        """Drop log entries older than ``cutoff``, never a language's newest (it is where the
        language's revision stands), and remember per language up to where. Returns how many."""
        S, C = library_state, template_changes
        removed = 0
        with self.db.connect() as conn:
            languages = [r.language for r in conn.execute(sa.select(S.c.language)).all()]
        for language in languages:
            with self.db.begin() as conn:
                # writers of the language queue on this row; so do concurrent pruners
                conn.execute(sa.select(S.c.language).where(S.c.language == language).with_for_update())
                newest = conn.execute(sa.select(sa.func.max(C.c.seq)).where(C.c.language == language)).scalar()
                if newest is None:
                    continue
                old = sa.and_(C.c.language == language, C.c.created_at < cutoff, C.c.seq < newest)
                through = conn.execute(sa.select(sa.func.max(C.c.seq)).where(old)).scalar()
                if through is None:
                    continue
                removed += conn.execute(C.delete().where(old)).rowcount
                conn.execute(S.update().where(S.c.language == language)
                             .values(log_pruned_through=sa.func.max(S.c.log_pruned_through, through)
                                     if conn.dialect.name == "sqlite" else sa.func.greatest(S.c.log_pruned_through, through)))
        return removed

    def last_change(self, language: str) -> int:
        C = template_changes
        with self.db.connect() as conn:
            value = conn.execute(sa.select(sa.func.max(C.c.seq)).where(C.c.language == language)).scalar()
        return int(value or 0)

    def bump(self, conn: Connection, language: str, now: dt.datetime) -> None:
        S = library_state
        updated = conn.execute(S.update().where(S.c.language == language)
                               .values(revision=S.c.revision + 1, updated_at=now)).rowcount
        if not updated:
            conn.execute(S.insert().values(language=language, revision=1, updated_at=now))
