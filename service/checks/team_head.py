"""A team's own etiquette model, learned from what its leads taught the check.

A logistic regression over the sentence vectors the etiquette check already computes: the team's
"never say" examples against its "that is fine" ones and the clean support sentences the etiquette
model learned from (every language's ``etiquette/train.yaml``, so a team's Russian example does not
make all Russian look like it; read and encoded once, in the background at start-up). Fitted when
a check first meets a new set of examples (5–100 ms for 1–500 examples, 2026-11-28) and kept per
exact set: a lead's change acts on the next check, on every replica, without a restart or a
message between them (each reads the team's rules).

Why more than the nearest example (``NEVER_SAY_SIMILARITY`` in ``etiquette.py``, which still acts
at once): paraphrases of a sentence the team never sends are often further than that from it.
Chosen on ten team examples of kinds a global model cannot know ("I'm closing this ticket now.",
"Please use our mobile app instead of the website.", "We don't support Linux."), three paraphrases
each written apart from them, and 30 clean replies on the same topics (2026-11-28): alone, the
nearest example at cosine 0.75 caught 11 of the 30 paraphrases, this model 22 with C 10 at P 0.5
(C 1 / 100: 25 / 21, and 3 / 0 clean replies flagged), none of the clean replies; through the whole
check, the etiquette model's own flags included, 18 → 26 of 30, clean replies flagged 2 → 2.
Reported on a second set written after that choice (``bench/etiquette/team_*.yaml``, a bank's and
an internet provider's team; bench/REPORT.md): paraphrases EN 14 → 20, RU 12 → 22 of 24, the
team's clean replies flagged EN 1 → 3, RU 1 → 2 of 20. With one or two examples, the held-out
clean and neutral sentences and a team's replies (90 a language) gained 0–1 flag; an example in
one language also catches the other's ("Перезагрузите роутер." → "Restart the router…").
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from typing import Callable

import numpy as np

log = logging.getLogger("tact.check")

TEAM_C = 10.0
# Flagged when the team's model finds a sentence more likely one of its "never say" kind than a
# clean one (the classes are weighted to equal size).
TEAM_LINE = 0.5
TEAMS_KEPT = 64


class TeamHead:
    def __init__(self, coef: np.ndarray, intercept: float) -> None:
        self.coef = np.asarray(coef, np.float32)
        self.intercept = float(intercept)

    @classmethod
    def fit(cls, never: np.ndarray, fine: np.ndarray, clean: np.ndarray) -> "TeamHead":
        from sklearn.linear_model import LogisticRegression

        x = np.vstack([never, fine, clean])
        y = np.r_[np.ones(len(never)), np.zeros(len(x) - len(never))]
        model = LogisticRegression(C=TEAM_C, class_weight="balanced", max_iter=2000).fit(x, y)
        return cls(model.coef_[0], float(model.intercept_[0]))

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(np.asarray(vectors, np.float32) @ self.coef + self.intercept)))


def examples_key(never: list[str], fine: list[str]) -> str:
    return hashlib.blake2b(json.dumps([never, fine], ensure_ascii=False).encode("utf-8"), digest_size=16).hexdigest()


class TeamHeads:
    """Each exact set of examples' ``TeamHead``, fitted at first need and kept (``TEAMS_KEPT`` sets)."""

    def __init__(self, encode: Callable[[list[str]], np.ndarray], clean_sentences: Callable[[], list[str]],
                 kept: int = TEAMS_KEPT) -> None:
        self._encode = encode  # sentences (as the etiquette check writes them) -> unit vectors
        self._clean_sentences = clean_sentences
        self._clean: np.ndarray | None = None
        self._heads: OrderedDict[str, TeamHead] = OrderedDict()
        self._kept = kept
        self._lock = threading.Lock()
        self._fitting = threading.Lock()  # one fit at a time: a second request for the same set waits for it

    def _clean_vectors(self) -> np.ndarray:
        """What every team's model learns against, read and encoded once (~0.45 s for 701
        sentences, 2026-11-28)."""
        if self._clean is None:
            self._clean = self._encode(self._clean_sentences())
        return self._clean

    def prepare(self) -> None:
        """The clean sentences' vectors ahead of the first team's check, which would otherwise wait
        for them (and every other team's first check behind it)."""
        with self._fitting:
            try:
                self._clean_vectors()
            except Exception as exc:  # noqa: BLE001 - the first fit tries again
                log.warning("team etiquette model: clean sentences not read", extra={"error": type(exc).__name__})

    def head(self, never: list[str], fine: list[str]) -> TeamHead | None:
        if not never:
            return None
        key = examples_key(never, fine)
        with self._lock:
            if key in self._heads:
                self._heads.move_to_end(key)
                return self._heads[key]
        with self._fitting:
            with self._lock:
                if key in self._heads:
                    return self._heads[key]
            try:
                clean = self._clean_vectors()
                if not len(clean):
                    return None  # nothing clean to learn against: the nearest examples act alone
                fitted = TeamHead.fit(self._encode(never), self._encode(fine) if fine else clean[:0], clean)
            except Exception as exc:  # noqa: BLE001 - the nearest examples still act; the next check tries again
                log.warning("team etiquette model not fitted", extra={"error": type(exc).__name__})
                return None
            with self._lock:
                self._heads[key] = fitted
                while len(self._heads) > self._kept:
                    self._heads.popitem(last=False)
            return fitted
