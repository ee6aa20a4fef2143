"""What happens to suggestions: feedback events, per-template usage, picks that become triggers,
and what no template answers (coverage gaps)."""

from __future__ import annotations

import datetime as dt
from typing import Callable

import numpy as np

from service.analytics.storage import AnalyticsStorage, gaps
from service.auth.models import Principal
from service.auth.policy import POLICY
from service.core.db import aware, loads, utcnow
from service.core.errors import NotFound, ValidationFailed
from service.library.schemas import Template, TemplateUpdate
from service.library.service import TemplateService

ACTIONS = ("shown", "inserted", "dismissed", "sent")
HEAVY_EDIT = 0.5
GAP_DISTANCE = 0.45  # cosine distance under which unmatched messages share a topic


class Analytics:
    def __init__(self, storage: AnalyticsStorage, library: TemplateService, retention_days: int,
                 flush: Callable[[], None] = lambda: None) -> None:
        self._storage = storage
        self._library = library
        self._retention = retention_days
        self._flush = flush  # suggestions are recorded in the background

    # ------------------------------------------------------------------ feedback
    def record(self, suggestion_id: str, template_id: int, action: str, edit_ratio: float | None,
               principal: Principal) -> dict:
        if action not in ACTIONS:
            raise ValidationFailed(f"action must be one of {', '.join(ACTIONS)}")
        if edit_ratio is not None and not 0.0 <= edit_ratio <= 1.0:
            raise ValidationFailed("edit_ratio must be between 0 and 1")
        self._library.get(template_id, principal)  # 404 for a template the caller cannot see
        row = self._storage.suggestion(suggestion_id)
        if row is None:
            self._flush()
            self._library.get(template_id, principal)  # 404 for a template the caller cannot see
        row = self._storage.suggestion(suggestion_id)
        if row is None:
            raise NotFound(f"suggestion {suggestion_id} does not exist")
        shown = loads(row.template_ids, [])
        rank = shown.index(template_id) + 1 if template_id in shown else None
        new_id = self._storage.insert_feedback(suggestion_id=suggestion_id, template_id=template_id, action=action,
                                               rank=rank, edit_ratio=edit_ratio, created_at=utcnow())
        return {"id": new_id, "rank": rank}

    def templates(self, principal: Principal, language: str | None = None) -> list[dict]:
        templates = self._library.list(principal, language=language, limit=None)
        usage = self._storage.usage([t.id for t in templates])
        return [self._row(t, usage.get(t.id)) for t in templates]

    @staticmethod
    def _row(t: Template, used: dict | None) -> dict:
        used = used or {"counts": {}, "rank": None, "edit": None, "last": None}
        counts = {a: used["counts"].get(a, 0) for a in ACTIONS}
        shown, edit = counts["shown"], used["edit"]
        return {
            "template_id": t.id, "title": t.title, "language": t.language,
            "shown": shown, "inserted": counts["inserted"], "dismissed": counts["dismissed"], "sent": counts["sent"],
            "acceptance_rate": round(counts["inserted"] / shown, 4) if shown else None,
            "mean_rank_when_picked": round(used["rank"], 3) if used["rank"] is not None else None,
            "mean_edit_ratio": round(edit, 4) if edit is not None else None,
            "last_used": aware(used["last"]).isoformat() if used["last"] else None,
            "never_used": counts["inserted"] == 0 and counts["sent"] == 0,
            "heavily_edited": edit is not None and edit > HEAVY_EDIT,
        }

    # ------------------------------------------------------------------ the library learns
    def picks(self, template_id: int, principal: Principal) -> list[dict]:
        """Messages for which agents inserted this template (redacted snippets)."""
        self._library.get(template_id, principal)  # 404 for an unknown or hidden template
        self._flush()
        return [{"suggestion_id": r.id, "snippet": r.snippet, "created_at": aware(r.created_at).isoformat()}
                for r in self._storage.picks(template_id)]

    def promote(self, template_id: int, suggestion_ids: list[str], principal: Principal):
        picked = {p["suggestion_id"]: p["snippet"] for p in self.picks(template_id, principal)}
        unknown = [s for s in suggestion_ids if s not in picked]
        if unknown:
            raise ValidationFailed(f"not picked for template {template_id}: {', '.join(unknown[:5])}")
        template = self._library.get(template_id, principal)
        triggers = template.triggers + [picked[s] for s in suggestion_ids]
        return self._library.update(template_id, TemplateUpdate(triggers=triggers), principal)

    # ------------------------------------------------------------------ coverage gaps
    def purge_expired(self) -> int:
        if self._retention <= 0:
            cutoff = utcnow() + dt.timedelta(days=1)  # switched off: keep nothing
        else:
            cutoff = utcnow() - dt.timedelta(days=self._retention)
        return self._storage.purge_before(cutoff)

    def gaps(self, principal: Principal, language: str | None = None, limit: int = 50) -> list[dict]:
        from sklearn.cluster import AgglomerativeClustering

        self._flush()
        self.purge_expired()
        rows = self._storage.recent_gaps(language, POLICY.own_team(principal, gaps.c.team_id))
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
                    "last_seen": aware(max(mine[i].created_at for i in members)).isoformat(),
                })
        topics.sort(key=lambda t: (-t["count"], t["label"]))
        return topics[:limit]
