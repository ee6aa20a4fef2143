"""What happens to suggestions: feedback events, per-template usage, picks that become triggers,
and what no template answers (coverage gaps)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from functools import partial
from typing import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from index.ranking import FALLBACK_TOPIC_DISTANCE, topic_labels
from service.analytics.storage import AnalyticsStorage, gaps
from service.auth.models import Principal
from service.auth.policy import POLICY
from service.core.db import aware, loads, utcnow
from service.core.errors import NotFound, ValidationFailed
from service.library.schemas import Template, TemplateUpdate
from service.library.service import TemplateService

log = logging.getLogger("tact.analytics")
# Topics kept per language and set of messages, largest first: a page shows 50; 5,000 messages made
# up to 1,400 topics (CLINC150 queries, mpnet), ~1 MB a set if all were kept.
TOPICS_KEPT = 200

ACTIONS = ("shown", "inserted", "dismissed", "sent")
HEAVY_EDIT = 0.5
# Sent with at most this share of the reply changed: the template answered the message, and the
# message (its redacted snippet) becomes a trigger of it. Dismissed, or sent heavily edited
# (HEAVY_EDIT), and what was learned from that message for that template is dropped again.
LIGHT_EDIT = 0.3


def _largest_first(topic: dict) -> tuple:
    return -topic["count"], topic["label"]


class Analytics:
    def __init__(self, storage: AnalyticsStorage, library: TemplateService, retention_days: int,
                 flush: Callable[[], None] = lambda: None, learn_by_default: bool = True,
                 learned_retention_days: int = 365,
                 topic_distance: Callable[[str], float] = lambda language: FALLBACK_TOPIC_DISTANCE) -> None:
        self._storage = storage
        # per language, the library's own cut (``index.ranking.calibrate_topic_distance``)
        self._topic_distance = topic_distance
        self._library = library
        self._retention = retention_days
        self._flush = flush  # suggestions are recorded in the background
        self._learn_by_default = learn_by_default
        self._learned_retention = learned_retention_days
        self._topics = TopicCache()

    # ------------------------------------------------------------------ feedback
    def record(self, suggestion_id: str, template_id: int, action: str, edit_ratio: float | None,
               principal: Principal) -> dict:
        if action not in ACTIONS:
            raise ValidationFailed(f"action must be one of {', '.join(ACTIONS)}")
        if edit_ratio is not None and not 0.0 <= edit_ratio <= 1.0:
            raise ValidationFailed("edit_ratio must be between 0 and 1")
        template = self._library.get(template_id, principal)  # 404 for a template the caller cannot see
        row = self._storage.suggestion(suggestion_id)
        if row is None:  # recorded in the background: it may be on its way
            self._flush()
            row = self._storage.suggestion(suggestion_id)
        if row is None:
            raise NotFound(f"suggestion {suggestion_id} does not exist")
        shown = loads(row.template_ids, [])
        rank = shown.index(template_id) + 1 if template_id in shown else None
        new_id = self._storage.insert_feedback(suggestion_id=suggestion_id, template_id=template_id, action=action,
                                               rank=rank, edit_ratio=edit_ratio, created_at=utcnow())
        learned = None
        if action == "sent" and (edit_ratio is None or edit_ratio <= LIGHT_EDIT):
            learned = self._learn(row, template, edit_ratio, principal)
        elif action == "dismissed" or (action == "sent" and edit_ratio is not None and edit_ratio > HEAVY_EDIT):
            learned = False if self._unlearn(template_id, suggestion_id=suggestion_id) else None
        return {"id": new_id, "rank": rank, **({"learned": learned} if learned is not None else {})}

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

    def learning(self, principal: Principal) -> dict:
        return {"team_id": principal.team_id, "enabled": self._storage.learning_enabled(principal.team_id, self._learn_by_default),
                "light_edit": LIGHT_EDIT, "retention_days": self._learned_retention}

    def set_learning(self, principal: Principal, enabled: bool) -> dict:
        self._storage.set_learning(principal.team_id, enabled, utcnow())
        return self.learning(principal)

    def _learn(self, suggestion, template: Template, edit_ratio: float | None, principal: Principal) -> bool:
        """The customer's message (its redacted snippet) becomes a trigger of the template sent for it."""
        if not suggestion.snippet or template.language != suggestion.language:
            return False
        if not self._storage.learning_enabled(principal.team_id, self._learn_by_default):
            return False
        template_id = template.id
        now = utcnow()
        added = []

        def read(conn) -> list[str]:
            added.append(self._storage.learn(conn, template_id=template_id, language=template.language,
                                             team_id=principal.team_id, suggestion_id=suggestion.id,
                                             snippet=suggestion.snippet, edit_ratio=edit_ratio, now=now))
            return self._storage.active_learned(conn, template_id)

        self._library.set_learned(template_id, read)
        return bool(added and added[0])

    def _unlearn(self, template_id: int, suggestion_id: str | None = None, example_id: int | None = None,
                 by: str | None = None) -> bool:
        removed = []

        def read(conn) -> list[str]:
            removed.append(self._storage.unlearn(conn, template_id=template_id, suggestion_id=suggestion_id,
                                                 example_id=example_id, by=by, now=utcnow()))
            return self._storage.active_learned(conn, template_id)

        self._library.set_learned(template_id, read)
        return bool(removed and removed[0])

    def learned(self, principal: Principal, template_id: int | None = None, language: str | None = None,
                include_undone: bool = False) -> list[dict]:
        """What the library learned by itself, for the templates this lead sees."""
        self._flush()
        self.purge_expired()
        if template_id is not None:
            titles = {template_id: self._library.get(template_id, principal).title}
        else:
            titles = {t.id: t.title for t in self._library.list(principal, language=language, limit=None)}
        ids = list(titles)
        return [{"id": r.id, "template_id": r.template_id, "title": titles.get(r.template_id, ""), "language": r.language,
                 "snippet": r.snippet, "edit_ratio": r.edit_ratio, "team_id": r.team_id,
                 "created_at": aware(r.created_at).isoformat(),
                 "undone_at": aware(r.undone_at).isoformat() if r.undone_at else None,
                 "undone_by": r.undone_by} for r in self._storage.learned(ids, language, include_undone)]

    def undo_learned(self, example_id: int, principal: Principal) -> dict:
        row = self._storage.learned_example(example_id)
        if row is None:
            raise NotFound(f"learned example {example_id} does not exist")
        template = self._library.get(row.template_id, principal)  # 404 for a template the caller cannot see
        POLICY.require_write(principal, template.team_id, "undo what this template learned")
        self._unlearn(row.template_id, example_id=example_id, by=principal.name)
        return {"id": example_id, "template_id": row.template_id, "undone": True}

    # ------------------------------------------------------------------ coverage gaps
    def purge_expired(self) -> int:
        if self._retention <= 0:
            cutoff = utcnow() + dt.timedelta(days=1)  # switched off: keep nothing
        else:
            cutoff = utcnow() - dt.timedelta(days=self._retention)
        if self._learned_retention > 0:
            old = utcnow() - dt.timedelta(days=self._learned_retention)
            for template_id in self._storage.expired_learned(old):
                self._expire_learned(template_id, old)
        return self._storage.purge_before(cutoff)

    def _expire_learned(self, template_id: int, cutoff: dt.datetime) -> None:
        def read(conn) -> list[str]:
            self._storage.expire_learned(conn, template_id, cutoff, utcnow())
            return self._storage.active_learned(conn, template_id)

        self._library.set_learned(template_id, read)

    def gaps(self, principal: Principal, language: str | None = None, limit: int = 50) -> list[dict]:
        """The recent unanswered messages the caller's team sees, clustered per language, the
        ``limit`` largest topics. A language's clustering is kept for the same set of messages
        (``TopicCache``, its ``TOPICS_KEPT`` largest topics): average linkage over 5,000 messages
        takes most of a second (``index.ranking.topic_labels``), and a lead reopening the page, or
        a second lead of the team, should not wait for it again."""
        if not 0 < limit <= TOPICS_KEPT:
            raise ValidationFailed(f"limit must be between 1 and {TOPICS_KEPT}")
        self._flush()
        self.purge_expired()
        recent = self._storage.recent_gap_ids(language, POLICY.own_team(principal, gaps.c.team_id))
        topics = []
        for lang in sorted({r.language for r in recent}):
            ids = sorted(r.id for r in recent if r.language == lang)
            distance = float(self._topic_distance(lang))
            key = (lang, distance, hashlib.blake2b(np.asarray(ids, np.int64).tobytes(), digest_size=16).hexdigest())
            topics += self._topics.get(key, partial(self._cluster, lang, ids, distance))
        topics.sort(key=_largest_first)
        return topics[:limit]

    def _cluster(self, lang: str, ids: list[int], distance: float) -> list[dict]:
        started = time.perf_counter()
        mine = self._storage.gaps_by_id(ids)
        if not mine:
            return []
        vectors = np.vstack([np.frombuffer(r.embedding, dtype=np.float32) for r in mine])
        with threadpool_limits(1):  # a lead's page must not take the cores that encode queries
            labels = topic_labels(vectors, distance)
        topics = []
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
        log.info("coverage gaps clustered", extra={"language": lang, "messages": len(mine), "topics": len(topics),
                                                   "ms": round((time.perf_counter() - started) * 1000, 1)})
        topics.sort(key=_largest_first)
        return topics[:TOPICS_KEPT]


class TopicCache:
    """Clustered coverage gaps by (language, topic distance, the exact set of messages): what is
    asked again for the same messages is answered from here, and a clustering already running for
    them is waited for, not started twice. Any new, expired or purged message changes the key, so
    nothing stale is served. The ``SIZE`` most recently used are kept (a team's view, per language)."""

    SIZE = 32

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done: OrderedDict[tuple, list[dict]] = OrderedDict()
        self._running: dict[tuple, threading.Event] = {}

    def get(self, key: tuple, compute: Callable[[], list[dict]]) -> list[dict]:
        while True:
            with self._lock:
                if key in self._done:
                    self._done.move_to_end(key)
                    return [dict(t) for t in self._done[key]]
                running = self._running.get(key)
                if running is None:
                    self._running[key] = threading.Event()
                    break
            # another request clusters these messages: its answer is this one's (if it fails, this
            # request tries for itself)
            running.wait()
        try:
            topics = compute()
            with self._lock:
                self._done[key] = topics
                while len(self._done) > self.SIZE:
                    self._done.popitem(last=False)
            return [dict(t) for t in topics]
        finally:
            with self._lock:
                self._running.pop(key).set()
