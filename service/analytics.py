"""What happens to suggestions: feedback events, per-template usage, and what no template answers."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
import sqlalchemy as sa

from service.auth import Principal
from service.errors import NotFound, ValidationFailed
from service.schemas import TemplateUpdate
from service.storage.db import Database, loads, utcnow
from service.storage.templates import TemplateRepository

ACTIONS = ("shown", "inserted", "dismissed", "sent")
HEAVY_EDIT = 0.5
GAP_DISTANCE = 0.45  # cosine distance under which unmatched messages share a topic


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


class Analytics:
    def __init__(self, db: Database, repo: TemplateRepository, retention_days: int, flush=lambda: None) -> None:
        self._db = db
        self._flush = flush  # suggestions are recorded in the background
        self._repo = repo
        self._retention = retention_days
        self._s = db.t["suggestions"]
        self._f = db.t["feedback"]
        self._g = db.t["gaps"]

    # ------------------------------------------------------------------ feedback
    def record(self, suggestion_id: str, template_id: int, action: str, edit_ratio: float | None) -> dict:
        if action not in ACTIONS:
            raise ValidationFailed(f"action must be one of {', '.join(ACTIONS)}")
        if edit_ratio is not None and not 0.0 <= edit_ratio <= 1.0:
            raise ValidationFailed("edit_ratio must be between 0 and 1")
        row = self._suggestion(suggestion_id)
        if row is None:
            self._flush()
            row = self._suggestion(suggestion_id)
        if row is None:
            raise NotFound(f"suggestion {suggestion_id} does not exist")
        with self._db.begin() as conn:
            shown = loads(row.template_ids, [])
            rank = shown.index(template_id) + 1 if template_id in shown else None
            new_id = conn.execute(self._f.insert().values(
                suggestion_id=suggestion_id, template_id=template_id, action=action, rank=rank,
                edit_ratio=edit_ratio, created_at=utcnow())).inserted_primary_key[0]
        return {"id": new_id, "rank": rank}

    def _suggestion(self, suggestion_id: str):
        with self._db.connect() as conn:
            return conn.execute(sa.select(self._s).where(self._s.c.id == suggestion_id)).first()

    def templates(self, principal: Principal, language: str | None = None) -> list[dict]:
        templates = self._repo.list(principal, language=language, limit=10**9)
        with self._db.connect() as conn:
            rows = conn.execute(sa.select(self._f.c.template_id, self._f.c.action, self._f.c.rank,
                                          self._f.c.edit_ratio, self._f.c.created_at)).all()
        stats: dict[int, dict] = defaultdict(lambda: {a: 0 for a in ACTIONS} | {"ranks": [], "edits": [], "last": None})
        for r in rows:
            s = stats[r.template_id]
            s[r.action] += 1
            if r.action in ("inserted", "sent"):
                s["last"] = max(filter(None, [s["last"], _aware(r.created_at)]))
                if r.action == "inserted" and r.rank:
                    s["ranks"].append(r.rank)
            if r.edit_ratio is not None and r.action == "sent":
                s["edits"].append(r.edit_ratio)
        out = []
        for t in templates:
            s = stats[t.id]
            shown = s["shown"]
            mean_edit = float(np.mean(s["edits"])) if s["edits"] else None
            out.append({
                "template_id": t.id, "title": t.title, "language": t.language,
                "shown": shown, "inserted": s["inserted"], "dismissed": s["dismissed"], "sent": s["sent"],
                "acceptance_rate": round(s["inserted"] / shown, 4) if shown else None,
                "mean_rank_when_picked": round(float(np.mean(s["ranks"])), 3) if s["ranks"] else None,
                "mean_edit_ratio": round(mean_edit, 4) if mean_edit is not None else None,
                "last_used": s["last"].isoformat() if s["last"] else None,
                "never_used": s["inserted"] == 0 and s["sent"] == 0,
                "heavily_edited": mean_edit is not None and mean_edit > HEAVY_EDIT,
            })
        return out

    # ------------------------------------------------------------------ the library learns
    def picks(self, template_id: int) -> list[dict]:
        """Messages for which agents inserted this template (redacted snippets)."""
        self._flush()
        query = (sa.select(self._s.c.id, self._s.c.snippet, self._s.c.created_at)
                 .join(self._f, self._f.c.suggestion_id == self._s.c.id)
                 .where(self._f.c.template_id == template_id, self._f.c.action == "inserted", self._s.c.snippet.is_not(None))
                 .distinct().order_by(self._s.c.created_at.desc()).limit(200))
        with self._db.connect() as conn:
            return [{"suggestion_id": r.id, "snippet": r.snippet, "created_at": _aware(r.created_at).isoformat()}
                    for r in conn.execute(query)]

    def promote(self, template_id: int, suggestion_ids: list[str], principal: Principal):
        picked = {p["suggestion_id"]: p["snippet"] for p in self.picks(template_id)}
        unknown = [s for s in suggestion_ids if s not in picked]
        if unknown:
            raise ValidationFailed(f"not picked for template {template_id}: {', '.join(unknown[:5])}")
        template = self._repo.get(template_id, principal)
        triggers = template.triggers + [picked[s] for s in suggestion_ids]
        return self._repo.update(template_id, TemplateUpdate(triggers=triggers), principal)

    # ------------------------------------------------------------------ coverage gaps
    def purge_expired(self) -> int:
        if self._retention <= 0:
            cutoff = utcnow() + dt.timedelta(days=1)  # switched off: keep nothing
        else:
            cutoff = utcnow() - dt.timedelta(days=self._retention)
        with self._db.begin() as conn:
            removed = conn.execute(self._g.delete().where(self._g.c.created_at < cutoff)).rowcount
            conn.execute(self._s.update().where(self._s.c.created_at < cutoff).values(snippet=None))
        return removed

    def gaps(self, language: str | None = None, limit: int = 50) -> list[dict]:
        from sklearn.cluster import AgglomerativeClustering

        self._flush()
        self.purge_expired()
        query = sa.select(self._g)
        if language:
            query = query.where(self._g.c.language == language)
        with self._db.connect() as conn:
            rows = conn.execute(query.order_by(self._g.c.created_at.desc()).limit(5000)).all()
        topics = []
        for lang in sorted({r.language for r in rows}):
            mine = [r for r in rows if r.language == lang]
            vectors = np.vstack([np.frombuffer(r.embedding, dtype=np.float32) for r in mine])
            if len(mine) == 1:
                labels = np.zeros(1, int)
            else:
                labels = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                                 distance_threshold=GAP_DISTANCE).fit_predict(vectors)
            for label in set(labels.tolist()):
                members = np.where(labels == label)[0]
                centre = vectors[members].mean(axis=0)
                order = members[np.argsort(-(vectors[members] @ centre))]
                topics.append({
                    "language": lang, "count": int(len(members)),
                    "label": mine[order[0]].snippet[:120],
                    "examples": [mine[i].snippet for i in order[:3]],
                    "last_seen": _aware(max(mine[i].created_at for i in members)).isoformat(),
                })
        topics.sort(key=lambda t: (-t["count"], t["label"]))
        return topics[:limit]
