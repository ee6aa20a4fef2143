"""What happened to suggestions, in the database: the suggestions made (with a redacted snippet),
agents' feedback on them, and unanswered messages (coverage gaps). Tables and every query."""

from __future__ import annotations

import datetime as dt

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Row

from service.core.db import Database, metadata, timestamp

suggestions = sa.Table(
    "suggestions", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("template_ids", sa.Text, nullable=False),
    sa.Column("no_match", sa.Boolean, nullable=False),
    sa.Column("top_score", sa.Float, nullable=True),
    sa.Column("token_id", sa.Integer, nullable=True),
    timestamp("created_at"),
    sa.Column("snippet", sa.Text, nullable=True),
    sa.Column("team_id", sa.Integer, nullable=True),
    sa.Index("ix_suggestions_created_at", "created_at"),
)

feedback = sa.Table(
    "feedback", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("suggestion_id", sa.String(36), sa.ForeignKey("suggestions.id"), nullable=False, index=True),
    sa.Column("template_id", sa.Integer, nullable=False, index=True),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("rank", sa.Integer, nullable=True),
    sa.Column("edit_ratio", sa.Float, nullable=True),
    timestamp("created_at"),
)

gaps = sa.Table(
    "gaps", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("snippet", sa.Text, nullable=False),
    sa.Column("embedding", sa.LargeBinary, nullable=False),
    sa.Column("top_score", sa.Float, nullable=True),
    timestamp("created_at"),
    sa.Column("team_id", sa.Integer, nullable=True),
    sa.Index("ix_gaps_created_at", "created_at"),
)

# Messages the library learned from agents' sent picks (migration 0008): the active ones (not undone)
# are copied onto the template row for the index, in the transaction that changes them.
learned_examples = sa.Table(
    "learned_examples", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("template_id", sa.Integer, sa.ForeignKey("templates.id"), nullable=False, index=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("team_id", sa.Integer, nullable=True),
    sa.Column("suggestion_id", sa.String(36), nullable=False),
    sa.Column("snippet", sa.Text, nullable=False),
    sa.Column("edit_ratio", sa.Float, nullable=True),
    timestamp("created_at"),
    timestamp("undone_at", nullable=True),
    sa.Column("undone_by", sa.String(200), nullable=True),
    sa.UniqueConstraint("suggestion_id", "template_id"),
)

learning_settings = sa.Table(
    "learning_settings", metadata,
    sa.Column("team_key", sa.Integer, primary_key=True),  # the team's id, 0 for agents without a team
    sa.Column("enabled", sa.Boolean, nullable=False),
    timestamp("updated_at"),
)

S, F, G, L = suggestions, feedback, gaps, learned_examples
MAX_LEARNED = 200  # per template, newest first: older learned messages make room


class AnalyticsStorage:
    def __init__(self, db: Database) -> None:
        self._db = db

    # ------------------------------------------------------------------ suggestions
    def record_suggestion(self, *, suggestion_id: str, language: str, template_ids: str, no_match: bool,
                          top_score: float | None, token_id: int | None, team_id: int | None,
                          created_at: dt.datetime, snippet: str | None, gap_vector: np.ndarray | None = None) -> None:
        """The suggestion and, when it is a coverage gap, the gap: in one transaction."""
        with self._db.begin() as conn:
            conn.execute(S.insert().values(id=suggestion_id, language=language, template_ids=template_ids,
                                           no_match=no_match, top_score=top_score, token_id=token_id,
                                           team_id=team_id, created_at=created_at, snippet=snippet))
            if gap_vector is not None and snippet is not None:
                conn.execute(G.insert().values(language=language, snippet=snippet[:280],
                                               embedding=gap_vector.astype("float32").tobytes(), top_score=top_score,
                                               team_id=team_id, created_at=created_at))

    def suggestion(self, suggestion_id: str) -> Row | None:
        with self._db.connect() as conn:
            return conn.execute(sa.select(S).where(S.c.id == suggestion_id)).first()

    # ------------------------------------------------------------------ feedback
    def insert_feedback(self, *, suggestion_id: str, template_id: int, action: str, rank: int | None,
                        edit_ratio: float | None, created_at: dt.datetime) -> int:
        with self._db.begin() as conn:
            return conn.execute(F.insert().values(suggestion_id=suggestion_id, template_id=template_id, action=action,
                                                  rank=rank, edit_ratio=edit_ratio,
                                                  created_at=created_at)).inserted_primary_key[0]

    def usage(self, template_ids: list[int]) -> dict[int, dict]:
        """Per template: a count per action, mean rank when inserted, mean edit ratio when sent, last use."""
        out: dict[int, dict] = {}
        if not template_ids:
            return out
        used = F.c.action.in_(("inserted", "sent"))
        query = (sa.select(F.c.template_id, F.c.action, sa.func.count().label("n"),
                           sa.func.avg(sa.case((F.c.action == "inserted", F.c.rank))).label("rank"),
                           sa.func.avg(sa.case((F.c.action == "sent", F.c.edit_ratio))).label("edit"),
                           sa.func.max(sa.case((used, F.c.created_at))).label("last"))
                 .where(F.c.template_id.in_(template_ids)).group_by(F.c.template_id, F.c.action))
        with self._db.connect() as conn:
            for r in conn.execute(query):
                entry = out.setdefault(r.template_id, {"counts": {}, "rank": None, "edit": None, "last": None})
                entry["counts"][r.action] = r.n
                if r.rank is not None:
                    entry["rank"] = float(r.rank)
                if r.edit is not None:
                    entry["edit"] = float(r.edit)
                if r.last is not None:
                    entry["last"] = r.last if entry["last"] is None else max(entry["last"], r.last)
        return out

    def picks(self, template_id: int, limit: int = 200) -> list[Row]:
        """Suggestions for which agents inserted this template, newest first, with their snippets."""
        query = (sa.select(S.c.id, S.c.snippet, S.c.created_at)
                 .join(F, F.c.suggestion_id == S.c.id)
                 .where(F.c.template_id == template_id, F.c.action == "inserted", S.c.snippet.is_not(None))
                 .distinct().order_by(S.c.created_at.desc()).limit(limit))
        with self._db.connect() as conn:
            return conn.execute(query).all()

    # ------------------------------------------------------------------ the library learns
    def learning_enabled(self, team_id: int | None, default: bool) -> bool:
        with self._db.connect() as conn:
            value = conn.execute(sa.select(learning_settings.c.enabled)
                                 .where(learning_settings.c.team_key == (team_id or 0))).scalar()
        return default if value is None else bool(value)

    def set_learning(self, team_id: int | None, enabled: bool, now: dt.datetime) -> None:
        key = team_id or 0
        with self._db.begin() as conn:
            updated = conn.execute(learning_settings.update().where(learning_settings.c.team_key == key)
                                   .values(enabled=enabled, updated_at=now)).rowcount
            if not updated:
                conn.execute(learning_settings.insert().values(team_key=key, enabled=enabled, updated_at=now))

    def learn(self, conn, *, template_id: int, language: str, team_id: int | None, suggestion_id: str,
              snippet: str, edit_ratio: float | None, now: dt.datetime) -> bool:
        """A learned message (again, if it was undone automatically): False when already active."""
        row = conn.execute(sa.select(L.c.id, L.c.undone_at, L.c.undone_by).where(
            L.c.suggestion_id == suggestion_id, L.c.template_id == template_id)).first()
        if row is None:
            conn.execute(L.insert().values(template_id=template_id, language=language, team_id=team_id,
                                           suggestion_id=suggestion_id, snippet=snippet, edit_ratio=edit_ratio,
                                           created_at=now))
            return True
        if row.undone_at is not None and row.undone_by is None:  # a lead's undo stands
            conn.execute(L.update().where(L.c.id == row.id).values(undone_at=None, edit_ratio=edit_ratio))
            return True
        return False

    def unlearn(self, conn, *, template_id: int, suggestion_id: str | None = None, example_id: int | None = None,
                by: str | None, now: dt.datetime) -> int:
        query = L.update().where(L.c.template_id == template_id, L.c.undone_at.is_(None))
        if suggestion_id is not None:
            query = query.where(L.c.suggestion_id == suggestion_id)
        if example_id is not None:
            query = query.where(L.c.id == example_id)
        return conn.execute(query.values(undone_at=now, undone_by=by)).rowcount

    def active_learned(self, conn, template_id: int) -> list[str]:
        rows = conn.execute(sa.select(L.c.snippet).where(L.c.template_id == template_id, L.c.undone_at.is_(None))
                            .order_by(L.c.created_at.desc(), L.c.id.desc()).limit(MAX_LEARNED)).all()
        return [r.snippet for r in rows]

    def learned_example(self, example_id: int) -> Row | None:
        with self._db.connect() as conn:
            return conn.execute(sa.select(L).where(L.c.id == example_id)).first()

    def learned(self, template_ids: list[int] | None, language: str | None, include_undone: bool,
                limit: int = 500) -> list[Row]:
        query = sa.select(L)
        if template_ids is not None:
            query = query.where(L.c.template_id.in_(template_ids))
        if language:
            query = query.where(L.c.language == language)
        if not include_undone:
            query = query.where(L.c.undone_at.is_(None))
        with self._db.connect() as conn:
            return conn.execute(query.order_by(L.c.created_at.desc(), L.c.id.desc()).limit(limit)).all()

    def expire_learned(self, conn, template_id: int, cutoff: dt.datetime, now: dt.datetime) -> None:
        conn.execute(L.update().where(L.c.template_id == template_id, L.c.undone_at.is_(None), L.c.created_at < cutoff)
                     .values(undone_at=now, undone_by="retention"))

    def expired_learned(self, cutoff: dt.datetime) -> list[int]:
        """Templates with active learned messages older than ``cutoff`` (retention)."""
        with self._db.connect() as conn:
            return [r.template_id for r in conn.execute(sa.select(L.c.template_id).distinct().where(
                L.c.undone_at.is_(None), L.c.created_at < cutoff))]

    # ------------------------------------------------------------------ retention and gaps
    def purge_before(self, cutoff: dt.datetime) -> int:
        with self._db.begin() as conn:
            removed = conn.execute(G.delete().where(G.c.created_at < cutoff)).rowcount
            conn.execute(S.update().where(S.c.created_at < cutoff).values(snippet=None))
        return removed

    def recent_gap_ids(self, language: str | None = None, visible=sa.true(), limit: int = 5000) -> list[Row]:
        """(id, language) of the ``limit`` most recent unanswered messages, newest first: which ones a
        clustering covers, read without their vectors (``gaps_by_id`` reads those)."""
        query = sa.select(G.c.id, G.c.language).where(visible)
        if language:
            query = query.where(G.c.language == language)
        with self._db.connect() as conn:
            return conn.execute(query.order_by(G.c.created_at.desc(), G.c.id.desc()).limit(limit)).all()

    def gaps_by_id(self, ids: list[int], chunk: int = 900) -> list[Row]:
        """The rows of ``ids`` (in chunks: SQLite bounds the variables of one statement), by id."""
        out = []
        with self._db.connect() as conn:
            for start in range(0, len(ids), chunk):
                out += conn.execute(sa.select(G).where(G.c.id.in_(ids[start:start + chunk]))).all()
        return sorted(out, key=lambda r: r.id)
