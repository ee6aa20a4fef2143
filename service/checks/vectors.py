"""Sentence vectors for the learned checks (tone, etiquette), cached: re-checking an edited draft
embeds only the sentences that changed, and two checks never embed the same sentence twice."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np


# What a learned check reads of one text (a sentence, or a draft as a whole for the tone): a
# sentence is far shorter, a long reply about 3,000 characters. The encoder's time grows with the
# text, and it serves every check and Russian /suggest in turn: a 20,000-character "sentence" held it
# 0.6 s (2026-11-28).
MAX_TEXT_CHARS = 4_000


class SentenceVectors:
    def __init__(self, embedder, cache_size: int = 20_000) -> None:
        self.embedder = embedder
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = cache_size
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.embedder.name

    def encode(self, sentences: list[str]) -> np.ndarray:
        sentences = [s[:MAX_TEXT_CHARS] for s in sentences]
        with self._lock:
            known = {s: self._cache[s] for s in sentences if s in self._cache}
        todo = list(dict.fromkeys(s for s in sentences if s not in known))
        if todo:
            fresh = self.embedder.encode(todo)
            with self._lock:
                for sentence, vector in zip(todo, fresh):
                    known[sentence] = vector
                    self._cache[sentence] = vector
                while len(self._cache) > self._size:
                    self._cache.popitem(last=False)
        if not sentences:
            return np.zeros((0, self.embedder.dim), np.float32)
        return np.vstack([known[s] for s in sentences])
