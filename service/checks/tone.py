"""Tone of a draft: the language's etiquette rules (``languages/<code>/tone.yaml``) as a check, and
a learned politeness score per sentence (a logistic head over multilingual sentence vectors,
trained by ``tact train tone``) that rule hits pull down."""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from service.checks.base import CheckContext, Finding
from service.languages import Language

HEAD_PATH = Path(__file__).resolve().parent / "tone_head.json"
SENTENCE = re.compile(r"[^.!?…\n]+(?:[.!?…]+|\n|$)")
# Penalties that rule hits take off the learned score: a rude phrase outweighs a polite context.
PENALTY = {"error": 0.35, "warning": 0.15, "info": 0.0}
LABEL_BOUNDS = (-0.2, 0.2)


def split_sentences(text: str) -> list[tuple[int, str]]:
    out = []
    for m in SENTENCE.finditer(text):
        chunk = m.group()
        stripped = chunk.strip()
        if len(re.sub(r"\W", "", stripped)) < 2:
            continue
        out.append((m.start() + (len(chunk) - len(chunk.lstrip())), stripped))
    return out


class ToneRulesCheck:
    """Phrases a support reply should not contain, with a reason and a softer rewrite each."""

    name = "tone"
    affects_tone = True

    def __init__(self) -> None:
        self._compiled: dict[str, list] = {}

    def _rules(self, language: Language):
        if language.code not in self._compiled:
            self._compiled[language.code] = [(r, re.compile(r.pattern, re.I | re.M)) for r in language.tone_rules]
        return self._compiled[language.code]

    def check(self, text: str, language: Language, context: CheckContext) -> list[Finding]:
        found: list[Finding] = []
        for rule, pattern in self._rules(language):
            for m in pattern.finditer(text):
                start, end = m.span()
                while start < end and not text[start].isalnum():  # patterns may take the sentence break
                    start += 1
                found.append(Finding(start, end - start, "tone", f"TONE_{rule.id}", rule.reason, rule.severity,
                                     (rule.rewrite,) if rule.rewrite else ()))
        return found


class ToneHead:
    """w·x + b over unit sentence vectors → P(polite); the score is 2P − 1 in [−1, 1]."""

    def __init__(self, model: str, weights: np.ndarray, bias: float, metrics: dict | None = None) -> None:
        self.model = model
        self.weights = weights.astype(np.float32)
        self.bias = float(bias)
        self.metrics = metrics or {}

    def scores(self, vectors: np.ndarray) -> np.ndarray:
        logits = vectors @ self.weights + self.bias
        return 2.0 / (1.0 + np.exp(-logits)) - 1.0

    def save(self, path: Path) -> None:
        path.write_text(json.dumps({"model": self.model, "bias": self.bias, "metrics": self.metrics,
                                    "weights": [round(float(w), 6) for w in self.weights]}, indent=0))

    @classmethod
    def load(cls, path: Path = HEAD_PATH) -> "ToneHead | None":
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError):
            return None
        return cls(data["model"], np.asarray(data["weights"], np.float32), data["bias"], data.get("metrics"))


@dataclass
class ScoredSentence:
    offset: int
    length: int
    score: float


@dataclass
class ToneScore:
    score: float
    label: str
    sentences: list[ScoredSentence] = field(default_factory=list)


class ToneScorer:
    """The overall tone: learned sentence scores, lowered by the findings of tone-affecting checks."""

    def __init__(self, embedder=None, head: ToneHead | None = None, cache_size: int = 20_000) -> None:
        self._embedder = embedder
        self._head = head
        # Re-checking an edited draft embeds only the sentences that changed.
        self._scores: OrderedDict[str, float] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @property
    def learned(self) -> bool:
        return self._head is not None and self._embedder is not None

    def score(self, text: str, findings: list[Finding]) -> ToneScore:
        sentences = split_sentences(text)
        scored: list[ScoredSentence] = []
        if sentences and self.learned:
            values = self._sentence_scores([s for _, s in sentences])
            scored = [ScoredSentence(o, len(s), round(float(v), 3)) for (o, s), v in zip(sentences, values)]
        for sentence in scored:  # a finding inside a sentence lowers that sentence too
            for f in findings:
                if sentence.offset <= f.offset < sentence.offset + sentence.length:
                    sentence.score = round(max(-1.0, sentence.score - PENALTY[f.severity]), 3)
        if scored:
            weights = np.array([s.length for s in scored], float)
            values = np.array([s.score for s in scored])
            # the worst sentence counts double: one rude line spoils a polite reply
            base = 0.5 * float(np.average(values, weights=weights)) + 0.5 * float(values.min())
        else:
            base = 0.0
        score = float(np.clip(base - sum(PENALTY[f.severity] for f in findings if f.category == "tone") / 2, -1, 1))
        low, high = LABEL_BOUNDS
        label = "rude" if score < low else "polite" if score > high else "neutral"
        return ToneScore(round(score, 3), label, scored)

    def _sentence_scores(self, sentences: list[str]) -> list[float]:
        with self._lock:
            known = {s: self._scores[s] for s in sentences if s in self._scores}
        todo = list(dict.fromkeys(s for s in sentences if s not in known))
        if todo:
            fresh = self._head.scores(self._embedder.encode(todo))
            with self._lock:
                for sentence, value in zip(todo, fresh):
                    known[sentence] = float(value)
                    self._scores[sentence] = float(value)
                while len(self._scores) > self._cache_size:
                    self._scores.popitem(last=False)
        return [known[s] for s in sentences]
