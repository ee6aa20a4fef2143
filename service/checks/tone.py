"""Tone of a draft: rule hits with reasons and softer rewrites, and a learned politeness score per
sentence (a logistic head over multilingual sentence vectors, trained by ``tact train tone``)."""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from service.checks.privacy import Finding
from service.checks.tone_rules import ACRONYMS, CLOSING, GREETING, NEXT_STEP, RULES

HEAD_PATH = Path(__file__).resolve().parent / "tone_head.json"
SENTENCE = re.compile(r"[^.!?…\n]+(?:[.!?…]+|\n|$)")
CAPS_WORD = re.compile(r"\b[A-ZА-ЯЁ]{3,}\b")
# Penalties that rule hits take off the learned score: a rude phrase outweighs a polite context.
PENALTY = {"error": 0.35, "warning": 0.15, "info": 0.0}
LABEL_BOUNDS = (-0.2, 0.2)


@dataclass
class SentenceTone:
    offset: int
    length: int
    score: float


@dataclass
class ToneResult:
    score: float
    label: str
    sentences: list[SentenceTone] = field(default_factory=list)
    issues: list[Finding] = field(default_factory=list)


def split_sentences(text: str) -> list[tuple[int, str]]:
    out = []
    for m in SENTENCE.finditer(text):
        chunk = m.group()
        stripped = chunk.strip()
        if len(re.sub(r"\W", "", stripped)) < 2:
            continue
        out.append((m.start() + (len(chunk) - len(chunk.lstrip())), stripped))
    return out


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


class ToneChecker:
    def __init__(self, embedder=None, head: ToneHead | None = None, cache_size: int = 20_000) -> None:
        self._embedder = embedder
        self._head = head
        # Re-checking an edited draft embeds only the sentences that changed.
        self._scores: OrderedDict[str, float] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._compiled = {lang: [(r, re.compile(r.pattern, re.I | re.M)) for r in rules] for lang, rules in RULES.items()}

    @property
    def learned(self) -> bool:
        return self._head is not None and self._embedder is not None

    def check(self, text: str, language: str, banned: list[dict] | None = None) -> ToneResult:
        issues = self.rule_issues(text, language, banned or [])
        sentences = split_sentences(text)
        scored: list[SentenceTone] = []
        if sentences and self.learned:
            values = self._sentence_scores([s for _, s in sentences])
            scored = [SentenceTone(o, len(s), round(float(v), 3)) for (o, s), v in zip(sentences, values)]
        for sentence in scored:  # a rule hit inside a sentence lowers that sentence too
            for issue in issues:
                if sentence.offset <= issue.offset < sentence.offset + sentence.length:
                    sentence.score = round(max(-1.0, sentence.score - PENALTY[issue.severity]), 3)
        if scored:
            weights = np.array([s.length for s in scored], float)
            values = np.array([s.score for s in scored])
            # the worst sentence counts double: one rude line spoils a polite reply
            base = 0.5 * float(np.average(values, weights=weights)) + 0.5 * float(values.min())
        else:
            base = 0.0
        score = float(np.clip(base - sum(PENALTY[i.severity] for i in issues if i.category == "tone") / 2, -1, 1))
        low, high = LABEL_BOUNDS
        label = "rude" if score < low else "polite" if score > high else "neutral"
        return ToneResult(round(score, 3), label, scored, issues)

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

    def rule_issues(self, text: str, language: str, banned: list[dict]) -> list[Finding]:
        issues: list[Finding] = []
        for rule, pattern in self._compiled.get(language, []):
            for m in pattern.finditer(text):
                start, end = m.span()
                while start < end and not text[start].isalnum():  # patterns may take the sentence break
                    start += 1
                issues.append(Finding(start, end - start, "tone", f"TONE_{rule.id}", rule.reason, rule.severity,
                                      (rule.rewrite,) if rule.rewrite else ()))
        for entry in banned:
            if entry.get("language") not in (None, "", language):
                continue
            phrase = entry.get("phrase", "")
            if not phrase:
                continue
            for m in re.finditer(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text, re.I):
                replacement = entry.get("replacement") or ""
                issues.append(Finding(m.start(), m.end() - m.start(), "style", "TEAM_BANNED_PHRASE",
                                      entry.get("reason") or "Your team avoids this phrase.", "warning",
                                      (replacement,) if replacement else ()))
        issues.extend(self._structure(text, language))
        return sorted(_dedupe(issues), key=lambda i: i.offset)

    def _structure(self, text: str, language: str) -> list[Finding]:
        out: list[Finding] = []
        words = re.findall(r"\b\w{3,}\b", text)
        caps = [m for m in CAPS_WORD.finditer(text) if m.group() not in ACRONYMS]
        if caps and (len(caps) >= 2 or len(words) <= 3):
            first, last = caps[0], caps[-1]
            out.append(Finding(first.start(), last.end() - first.start(), "tone", "TONE_CAPS",
                               "ALL CAPS reads as shouting." if language == "en" else "ЗАГЛАВНЫЕ БУКВЫ читаются как крик.",
                               "warning", (text[first.start():last.end()].capitalize(),)))
        for m in re.finditer(r"[!?]*!{2,}[!?]*|\?!|!\?", text):
            out.append(Finding(m.start(), m.end() - m.start(), "tone", "TONE_EXCLAMATION",
                               "Several exclamation marks sound agitated." if language == "en" else "Несколько восклицательных знаков звучат нервно.",
                               "warning", (".",)))
        sentences = split_sentences(text)
        if len(sentences) >= 3 and language in GREETING:
            if not re.search(GREETING[language], text, re.I):
                out.append(Finding(0, 0, "tone", "TONE_NO_GREETING",
                                   "The reply has no greeting." if language == "en" else "В ответе нет приветствия.",
                                   "info", ("Hello," if language == "en" else "Здравствуйте!",)))
            if not re.search(CLOSING[language], text[-200:], re.I):
                out.append(Finding(len(text), 0, "tone", "TONE_NO_CLOSING",
                                   "The reply has no closing." if language == "en" else "В ответе нет завершающей фразы.",
                                   "info", ("Best regards," if language == "en" else "С уважением,",)))
            if not re.search(NEXT_STEP[language], text, re.I):
                out.append(Finding(len(text), 0, "tone", "TONE_NO_NEXT_STEP",
                                   "Say what happens next and when." if language == "en" else "Напишите, что будет дальше и когда.",
                                   "info", ()))
        return out


def _dedupe(issues: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for i in issues:
        key = (i.offset, i.length, i.rule)
        if key not in seen:
            seen.add(key)
            out.append(i)
    return out
