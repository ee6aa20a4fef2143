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
from service.checks.kernel import RBFKernel, dequantise_rows, one_blas_thread, quantise_rows
from service.languages import POLITENESS_STRATEGIES, Language

HEAD_PATH = Path(__file__).resolve().parent / "tone_head.npz"
WHOLE_HEAD_PATH = HEAD_PATH.with_name("tone_head_whole.npz")
SENTENCE = re.compile(r"[^.!?…\n]+(?:[.!?…]+|\n|$)")
# Penalties that rule hits take off the learned score: a rude phrase outweighs a polite context.
PENALTY = {"error": 0.35, "warning": 0.15, "info": 0.0}
# "rude" below the Stanford corpus' bottom quartile (−0.44 normalised, the paper's impolite class:
# tanh(−0.44 / 0.77) ≈ −0.5); "polite" above its 60th percentile. A curt "Done." is neutral.
LABEL_BOUNDS = (-0.5, 0.2)
WHOLE_WEIGHT = 0.7
# A text of up to this many sentences is encoded as one; a longer one is the mean of its (cached)
# sentence vectors. 3 → 6, cross-validated on the training parts (head refitted per fold,
# 2026-11-28): Wikipedia requests 0.929 → 0.931, detox 0.906 → 0.906 (held-out Wikipedia through
# the score 0.932 → 0.938). Its price: a draft of four to six sentences is encoded once more as a
# whole on each check (~2 ms for 250 characters); a 1,000-character reply is not.
WHOLE_TEXT_SENTENCES = 6
# A text read as one up to this long is scored by ``WholeTextHead`` (MiniLM beside USE). MiniLM's
# encode grows with the text (ONNX Runtime, 2 cores, 2026-11-29: 6 ms at 60 characters, 12 ms at
# 200, 31 ms at 500, 58 ms at 1,000, where LanguageTool takes ~47 ms): requests and chat lines get
# it (Wikipedia's requests: median 121 characters, 99 % under 404), a longer draft the USE head.
WHOLE_HEAD_MAX_CHARS = 500


def mixed(whole: float, values: list[float], sentences: int) -> float:
    """A text's score from its score as a whole and its sentences' (``values``).

    - A text of more than ``WHOLE_TEXT_SENTENCES`` sentences (a reply) is read as the mean of its
      sentence vectors, in which one rude line is diluted: 0.7 × whole + 0.3 × its worst sentence.
    - A shorter one (a request, a chat line, a short reply) is encoded as one, so the head sees every sentence of
      it already: its worst sentence pulls it down only by how far it falls below the rude line
      (``LABEL_BOUNDS``), 0.3 × that. Why: the worst sentence of a courteous request is mostly its
      bare ask ("Почему убрали раздел?"), so the plain mix ranked courteous requests as low as bare
      ones. Cross-validated on the training parts only (5 folds, the head refitted per fold;
      2026-11-28), AUC whole alone / plain mix / this: Wikipedia requests 0.930 / 0.930 / 0.930,
      detox 0.904 / 0.907 / 0.906, the Russian requests written for training (courteous against
      bare and demanding) 0.888 / 0.856 / 0.887; toxic comments below zero 0.972 / 0.973 / 0.972.
    """
    worst = min(values)
    if sentences > WHOLE_TEXT_SENTENCES:
        return WHOLE_WEIGHT * whole + (1 - WHOLE_WEIGHT) * worst
    return whole + (1 - WHOLE_WEIGHT) * min(0.0, worst - LABEL_BOUNDS[0])


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


class Strategies:
    """How often a sentence uses each of its language's politeness strategies (``politeness`` in
    ``languages/<code>/tone.yaml``), capped at 3: features the learned score reads beside the vector.
    Each sentence's counts are kept (an edited draft counts only its new sentences), and a text's
    come from its sentences' (``joined``) instead of a second pass over the whole text."""

    CAP = 3
    CACHE = 20_000

    def __init__(self) -> None:
        self._compiled: dict[str, list[re.Pattern]] = {}
        self._anchored: dict[str, np.ndarray] = {}
        self._counts: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _patterns(self, language: Language) -> list[re.Pattern]:
        if language.code not in self._compiled:
            patterns = list(language.politeness.values())
            self._compiled[language.code] = [re.compile(p, re.I | re.M) for p in patterns]
            self._anchored[language.code] = np.array([p.startswith("^") for p in patterns])
        return self._compiled[language.code]

    def counts(self, sentences: list[str], language: Language) -> np.ndarray:
        """Uncapped counts, one row per sentence."""
        patterns = self._patterns(language)
        out = np.zeros((len(sentences), len(patterns)), np.float32)
        for i, sentence in enumerate(sentences):
            key = (language.code, sentence)
            with self._lock:
                known = self._counts.get(key)
            if known is None:
                known = np.array([len(p.findall(sentence)) for p in patterns], np.float32)
                with self._lock:
                    self._counts[key] = known
                    while len(self._counts) > self.CACHE:
                        self._counts.popitem(last=False)
            out[i] = known
        return out

    def features(self, sentences: list[str], language: Language) -> np.ndarray:
        return np.minimum(self.counts(sentences, language), self.CAP)

    def joined(self, counts: np.ndarray, language: Language) -> np.ndarray:
        """The features of sentences joined by spaces, from each one's counts: a pattern anchored
        at the start (``^``) finds the first sentence only, the others add up."""
        self._patterns(language)
        total = counts.sum(axis=0)
        anchored = self._anchored[language.code]
        total[anchored] = counts[0, anchored] if len(counts) else 0
        return np.minimum(total, self.CAP)


def as_stored(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors as the tone head stores them: int8 per row with the row's scale (a quarter of
    float32's size; the head is fitted on ``from_stored(*as_stored(v))``, so storing loses nothing,
    and its kernel multiplies them as int8 as they are)."""
    return quantise_rows(vectors)


def from_stored(quantised: np.ndarray, scales: np.ndarray) -> np.ndarray:
    return dequantise_rows(quantised, scales)


class ToneHead:
    """A politeness score over a sentence's unit vector and its strategy counts, on the scale of the
    Stanford corpus' normalised score; ``scores`` squashes it to [−1, 1] (tanh of the score over the
    corpus' standard deviation), 0 being the corpus' average request.

    A kernel ridge regression (``tact train tone``): an RBF kernel against the training texts'
    features — each one's ``vectors`` row beside its strategy ``counts`` times ``strategy_scale`` —
    weighted by ``dual``, plus ``bias``."""

    def __init__(self, model: str, vectors: np.ndarray, counts: np.ndarray, dual: np.ndarray, bias: float,
                 gamma: float, strategy_scale: float, strategies: tuple[str, ...] = (), scale: float = 1.0,
                 metrics: dict | None = None, int8: bool = True) -> None:
        """``int8``: the vector columns of the kernel multiplied in int8 (``kernel.RBFKernel``);
        False: float32, as scikit-learn computes."""
        self.model = model
        self.vectors = np.asarray(vectors, np.float32)
        self.counts = np.asarray(counts, np.float32)
        self.dual = np.asarray(dual, np.float32)
        self.bias = float(bias)
        self.gamma = float(gamma)
        self.strategy_scale = float(strategy_scale)
        self.strategies = tuple(strategies)
        self.scale = float(scale)
        self.metrics = metrics or {}
        self._kernel = RBFKernel(self.features(self.vectors, self.counts), self.gamma,
                                 int8_columns=self.vectors.shape[1] if int8 else 0)

    def features(self, vectors: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return np.hstack([np.asarray(vectors, np.float32), self.strategy_scale * np.asarray(counts, np.float32)])

    def raw(self, vectors: np.ndarray, counts: np.ndarray) -> np.ndarray:
        with one_blas_thread():
            return self._kernel(self.features(vectors, counts)) @ self.dual + self.bias

    def scores(self, vectors: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return np.tanh(self.raw(vectors, counts) / self.scale)

    def save(self, path: Path) -> None:
        quantised, scales = as_stored(self.vectors)
        with open(path, "wb") as fh:
            np.savez_compressed(fh, model=self.model, vectors=quantised, vector_scales=scales,
                                counts=self.counts.astype(np.uint8), dual=self.dual, bias=self.bias, gamma=self.gamma,
                                strategy_scale=self.strategy_scale, strategies=np.array(self.strategies),
                                scale=self.scale, metrics=json.dumps(self.metrics))

    @classmethod
    def load(cls, path: Path = HEAD_PATH) -> "ToneHead | None":
        try:
            with np.load(path, allow_pickle=False) as data:
                d = {k: data[k] for k in data.files}
            strategies = tuple(str(s) for s in d["strategies"])
            if strategies not in ((), POLITENESS_STRATEGIES):
                return None  # trained on other features: retrain ('tact train tone')
            return cls(str(d["model"]), from_stored(d["vectors"], d["vector_scales"]), d["counts"], d["dual"],
                       float(d["bias"]), float(d["gamma"]), float(d["strategy_scale"]), strategies,
                       float(d["scale"]), json.loads(str(d["metrics"])))
        except (OSError, ValueError, KeyError):
            return None


class WholeTextHead:
    """The politeness score of a text read as one (up to ``WHOLE_TEXT_SENTENCES`` sentences: a
    request, a chat line, a short reply), over the sentence head's vectors and a second model's
    side by side (``tone_head_whole.npz``, ``tact train tone``): a kernel ridge regression like
    ``ToneHead``'s, on the same training texts in the same order.

    Why: all-MiniLM-L6-v2 beside USE ranks requests better than USE alone. Cross-validated on the
    Wikipedia training part (5 folds, every other training text in; 2026-11-29): AUC 0.930 → 0.941;
    the held-out Wikipedia requests 0.939 → 0.952, detox comments 0.898 → 0.902. A weighted sum of
    the USE head and a ridge regression on MiniLM alone did worse (CV 0.932–0.938). Sentences keep
    the USE head: a draft's sentences are encoded by USE for the etiquette check anyway, and MiniLM
    for each would cost /check ~60 ms a 1,000-character draft; a text read as one and up to
    ``WHOLE_HEAD_MAX_CHARS`` long costs one MiniLM encode (~12 ms for a request of 200 characters).

    The file keeps only the second model's columns of the training vectors: the first ones are
    the sentence head's (``tone_head.npz``), checked by their count and a checksum at load."""

    def __init__(self, head: ToneHead, extra_model: str) -> None:
        self.head = head
        self.extra_model = extra_model

    @property
    def model(self) -> str:
        return self.head.model

    def scores(self, vector: np.ndarray, extra: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return self.head.scores(np.hstack([np.atleast_2d(vector), np.atleast_2d(extra)]), counts)

    def raw(self, vectors: np.ndarray, extra: np.ndarray, counts: np.ndarray) -> np.ndarray:
        return self.head.raw(np.hstack([vectors, extra]), counts)

    def save(self, path: Path, base: ToneHead) -> None:
        width = base.vectors.shape[1]
        quantised, scales = as_stored(self.head.vectors[:, width:])
        with open(path, "wb") as fh:
            np.savez_compressed(fh, model=self.head.model, extra_model=self.extra_model, base_model=base.model,
                                base_rows=len(base.vectors), base_checksum=_checksum(base.vectors),
                                vectors=quantised, vector_scales=scales, dual=self.head.dual, bias=self.head.bias,
                                gamma=self.head.gamma, strategy_scale=self.head.strategy_scale,
                                scale=self.head.scale, metrics=json.dumps(self.head.metrics))

    @classmethod
    def load(cls, base: ToneHead | None, path: Path = WHOLE_HEAD_PATH) -> "WholeTextHead | None":
        """None when there is no file, or when it was trained beside another sentence head."""
        if base is None:
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                d = {k: data[k] for k in data.files}
            if (str(d["base_model"]) != base.model or int(d["base_rows"]) != len(base.vectors)
                    or abs(float(d["base_checksum"]) - _checksum(base.vectors)) > 1e-3):
                return None  # retrain both ('tact train tone')
            vectors = np.hstack([base.vectors, from_stored(d["vectors"], d["vector_scales"])])
            head = ToneHead(str(d["model"]), vectors, base.counts, d["dual"], float(d["bias"]), float(d["gamma"]),
                            float(d["strategy_scale"]), base.strategies, float(d["scale"]), json.loads(str(d["metrics"])))
            return cls(head, str(d["extra_model"]))
        except (OSError, ValueError, KeyError):
            return None


def _checksum(vectors: np.ndarray) -> float:
    return float(np.asarray(vectors, np.float64).sum())


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


@dataclass
class LearnedTone:
    """The learned score of a text before any finding: its sentences, their scores, the mix."""
    sentences: list[tuple[int, str]]
    values: list[float]
    base: float


class ToneScorer:
    """The overall tone: learned sentence scores, lowered by the findings of tone-affecting checks."""

    def __init__(self, embedder=None, head: ToneHead | None = None, cache_size: int = 20_000,
                 whole: WholeTextHead | None = None, whole_embedder=None) -> None:
        """``whole`` and ``whole_embedder`` (its second model): a text read as one is scored by it."""
        self._embedder = embedder
        self._head = head
        self._whole = whole if whole_embedder is not None else None
        self._whole_embedder = whole_embedder
        self._strategies = Strategies()
        # Re-checking an edited draft embeds only the sentences that changed.
        self._scores_cache: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    @property
    def learned(self) -> bool:
        return self._head is not None and self._embedder is not None

    @property
    def whole_model(self) -> str | None:
        """The model beside the sentence head's for a text read as one, when that head serves."""
        return self._whole.extra_model if self._whole is not None and self.learned else None

    def learned_part(self, text: str, language: Language) -> LearnedTone:
        """What the learned score says of the text before any finding: ``CheckService`` computes it
        while LanguageTool checks the same draft (the head compares each new sentence with every
        training text: ~2 ms for a 1,000-character draft, which after LanguageTool's answer would
        be added to it whole)."""
        sentences = split_sentences(text)
        if not sentences or not self.learned:
            return LearnedTone(sentences, [], 0.0)
        texts = [s for _, s in sentences]
        values, whole = self._scores(texts, language)
        return LearnedTone(sentences, values, mixed(whole, values, len(texts)))

    def score(self, text: str, findings: list[Finding], language: Language,
              learned: LearnedTone | None = None) -> ToneScore:
        part = learned if learned is not None else self.learned_part(text, language)
        scored = [ScoredSentence(o, len(s), round(float(v), 3)) for (o, s), v in zip(part.sentences, part.values)]
        for sentence in scored:  # a finding inside a sentence lowers that sentence too
            for f in findings:
                if sentence.offset <= f.offset < sentence.offset + sentence.length:
                    sentence.score = round(max(-1.0, sentence.score - PENALTY[f.severity]), 3)
        score = float(np.clip(part.base - sum(PENALTY[f.severity] for f in findings if f.category == "tone") / 2, -1, 1))
        low, high = LABEL_BOUNDS
        label = "rude" if score < low else "polite" if score > high else "neutral"
        return ToneScore(round(score, 3), label, scored)

    def _scores(self, sentences: list[str], language: Language) -> tuple[list[float], float]:
        """Each sentence's score (cached: an edited draft scores only what changed) and the text's
        as a whole, in one pass of the head. The whole text ranks requests best (held-out Wikipedia
        AUC 0.93 with the linear head; the worst sentence counting double: 0.89), and the worst
        sentence still pulls a text with one rude line down (``mixed``). A short text is encoded as one; a longer
        one (a reply: the head was trained on requests of a few sentences) is the mean of its
        cached sentence vectors, which spares re-encoding the whole draft on every check (18 ms
        for 1,000 characters)."""
        keys = [(language.code, s) for s in sentences]
        with self._lock:
            known = {k: self._scores_cache[k] for k in keys if k in self._scores_cache}
        todo = list(dict.fromkeys(k for k in keys if k not in known))
        joined = " ".join(sentences)
        vectors = self._embedder.encode(sentences)
        if len(sentences) > WHOLE_TEXT_SENTENCES:
            whole_vector = vectors.mean(axis=0)
            whole_vector /= max(float(np.linalg.norm(whole_vector)), 1e-9)
        else:
            whole_vector = self._embedder.encode([joined])[0]
        at = {s: i for i, s in enumerate(sentences)}
        rows = [at[s] for _, s in todo]
        counts = self._strategies.counts(sentences, language)
        features = np.vstack([np.minimum(counts[rows], Strategies.CAP), self._strategies.joined(counts, language)[None, :]])
        read_as_one = (self._whole is not None and len(sentences) <= WHOLE_TEXT_SENTENCES
                       and len(joined) <= WHOLE_HEAD_MAX_CHARS)
        if read_as_one:  # the whole text by its own head; the sentences by this one
            fresh = self._head.scores(vectors[rows], features[:-1]) if rows else np.zeros(0)
            whole = float(self._whole.scores(whole_vector, self._whole_embedder.encode([joined])[0], features[-1:])[0])
        else:
            fresh = self._head.scores(np.vstack([vectors[rows], whole_vector[None, :]]), features)
            fresh, whole = fresh[:-1], float(fresh[-1])
        with self._lock:
            for key, value in zip(todo, fresh):
                known[key] = float(value)
                self._scores_cache[key] = float(value)
            while len(self._scores_cache) > self._cache_size:
                self._scores_cache.popitem(last=False)
        return [known[k] for k in keys], whole
