"""BM25 over each template's words (title and triggers): catches product names and rare terms
that a small sentence model blurs. Rebuilt whole, in the background once edits pause
(``LanguageIndex._changed``)."""

from __future__ import annotations

import bm25s
import numpy as np


MAX_HITS = 200


class LexicalIndex:
    def __init__(self, stopwords: str | None = None) -> None:
        """``stopwords``: a bm25s stop-word list name (``"en"``), or None for none."""
        self._stopwords = stopwords
        self._keys: list[int] = []
        self._retriever: bm25s.BM25 | None = None

    def build(self, documents: dict[int, str]) -> None:
        self._keys = list(documents)
        if not self._keys:
            self._retriever = None
            return
        retriever = bm25s.BM25()
        tokens = bm25s.tokenize([documents[k] for k in self._keys], stopwords=self._stopwords,
                                show_progress=False)
        if not tokens.vocab:  # no word of two letters or more anywhere ("0", "a"): bm25s cannot index that
            self._retriever = None
            return
        retriever.index(tokens, show_progress=False)
        self._retriever = retriever

    def scores(self, query: str) -> dict[int, float]:
        """Scores scaled so that the best template gets 1.0; templates sharing no word are absent."""
        if self._retriever is None or not query.strip():
            return {}
        tokens = bm25s.tokenize([query], stopwords=self._stopwords, show_progress=False)
        if not tokens.vocab:
            return {}
        k = min(len(self._keys), MAX_HITS)  # a large library: the best few hundred, not a sort of all
        try:
            docs, scores = self._retriever.retrieve(tokens, k=k, show_progress=False)
        except (ValueError, KeyError):
            return {}
        docs, scores = docs[0], scores[0]
        top = float(np.max(scores)) if len(scores) else 0.0
        if top <= 0:
            return {}
        return {self._keys[int(d)]: float(s) / top for d, s in zip(docs, scores) if s > 0}
