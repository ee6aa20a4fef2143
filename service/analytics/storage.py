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

S, F, G = suggestions, feedback, gaps


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

    # ------------------------------------------------------------------ retention and gaps
    def purge_before(self, cutoff: dt.datetime) -> int:
        with self._db.begin() as conn:
            removed = conn.execute(G.delete().where(G.c.created_at < cutoff)).rowcount
            conn.execute(S.update().where(S.c.created_at < cutoff).values(snippet=None))
        return removed

    def recent_gaps(self, language: str | None = None, visible=sa.true(), limit: int = 5000) -> list[Row]:
        query = sa.select(G).where(visible)
        if language:
            query = query.where(G.c.language == language)
        with self._db.connect() as conn:
            return conn.execute(query.order_by(G.c.created_at.desc()).limit(limit)).all()
