"""How a customer message is matched to templates, given their vectors.

Measured on the dev sets (see bench/): the nearest trigger alone tops out near 0.93 (Bitext) and
0.88 (CLINC150); a logistic-regression head over the same trigger vectors reaches 0.97 / 0.95,
and a small BM25 term adds a few tenths. So:

    score(t) = P_classifier(t | message) + CENTROID_WEIGHT * cos(message, centroid of t)
               + LEXICAL_WEIGHT * bm25(t)                                (classifier trained)
    score(t) = max_cos(message, vectors of t) + LEXICAL_WEIGHT * bm25(t) (while it retrains)

``no_match`` compares the cosine to the chosen template's nearest vector with a threshold the
library calibrates on itself: how close each trigger is to its own template's other vectors
(a low quantile of that), so it follows the model and the library without tuning on queries.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

LEXICAL_WEIGHT = 0.1
# The cosine to each template's centroid beside the classifier's probability: the classifier is
# sharp, so a right template it ranks fourth is often a close second by the centroid. Chosen on
# CLINC150's validation split (3,000 queries, 10 triggers; the bench reports test), top-1 / top-3:
# 0 0.921 / 0.981, 0.25 0.920 / 0.984, 0.5 0.920 / 0.984, 1.0 0.918 / 0.984; the starter library,
# each trigger held out, mpnet EN 0.656 / 0.656 / 0.670 (0, 0.25, 0.5), USE RU 0.478 / 0.482 / 0.478.
CENTROID_WEIGHT = 0.5
CLASSIFIER_C = 20.0
CALIBRATION_QUANTILE = 0.02
MIN_CALIBRATION_SAMPLES = 20
THRESHOLD_BOUNDS = (0.35, 0.7)
NO_MATCH_CONFIDENCE = 0.5
KEEP_RIGHT_MISSED = 0.02
UNSURE_QUANTILE = 0.2
CONFIDENCE_FOLDS = 5
# A message of several sentences is also read sentence by sentence (see ``sentences``).
SENTENCE_WEIGHT = 0.5
MAX_SENTENCES = 8
MIN_SENTENCE_WORDS = 3
SENTENCE_CHARS = 1000  # the sentences read on their own cover at most this much of the message
# Coverage gaps: the cut of an average-linkage clustering of unanswered messages, read off the library
TOPIC_DISTANCES = tuple(round(0.30 + 0.05 * n, 2) for n in range(11))  # 0.30 … 0.80
TOPIC_SAMPLE_TEMPLATES = 200
FALLBACK_TOPIC_DISTANCE = 0.45
# A run of whitespace is tried from its first character only: ``\s*\n+\s*`` tried every character of
# a long run without a line break against the rest of it (20,000 spaces: 1.9 s of /suggest).
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|(?<!\s)\s*\n\s*")


@dataclass(frozen=True)
class RankingSettings:
    # Used until the library has enough triggers to calibrate itself; None = calibrate.
    fallback_threshold: float = 0.45
    threshold_override: float | None = None
    lexical_weight: float = LEXICAL_WEIGHT


class TemplateClassifier:
    """Logistic regression over trigger vectors, one class per template, and each template's
    centroid (the unit mean of its vectors), in the same order."""

    def __init__(self, template_ids: np.ndarray, model: LogisticRegression, centroids: np.ndarray) -> None:
        self.template_ids = template_ids
        # Kept as plain arrays: scikit-learn's per-call input checks cost more than the maths.
        self._coef = model.coef_.astype(np.float32)
        self._intercept = model.intercept_.astype(np.float32)
        self._centroids = centroids.astype(np.float32)

    @classmethod
    def train(cls, labels: np.ndarray, vectors: np.ndarray) -> "TemplateClassifier | None":
        classes = np.unique(labels)
        if len(classes) < 2:
            return None
        model = LogisticRegression(C=CLASSIFIER_C, max_iter=1000)
        # One BLAS thread: a retrain is background work and must not take the cores that encode
        # queries (with several replicas on 2 cores, BLAS threads made one query encode take 1.3 s).
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(vectors, labels)
        return cls(model.classes_.astype(np.int64), model, class_centroids(labels, vectors))

    def probabilities(self, query: np.ndarray) -> dict[int, float]:
        probs = self.probability_matrix(query[None, :])[0]
        return {int(t): float(p) for t, p in zip(self.template_ids, probs)}

    def centroid_similarities(self, queries: np.ndarray) -> np.ndarray:
        """Cosines of unit queries (one, or a matrix of them) to each template's centroid, in
        ``template_ids`` order."""
        return queries.astype(np.float32) @ self._centroids.T

    def probability_matrix(self, queries: np.ndarray) -> np.ndarray:
        """(queries × templates, in ``template_ids`` order)."""
        logits = queries.astype(np.float32) @ self._coef.T + self._intercept
        if len(self.template_ids) == 2:  # binary: one logit for the second class
            second = 1.0 / (1.0 + np.exp(-logits[:, 0]))
            return np.stack([1.0 - second, second], axis=1)
        logits = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)


def class_centroids(labels: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """The unit mean of each class's vectors, classes in sorted order (as ``np.unique`` and
    scikit-learn's ``classes_`` give them)."""
    order = np.argsort(labels, kind="stable")
    starts = np.r_[0, np.flatnonzero(np.diff(labels[order])) + 1]  # one run per class, sorted
    centres = np.add.reduceat(vectors[order], starts, axis=0)
    return centres / np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-9)


class LogisticScore:
    """A fitted logistic regression kept as plain numbers: ``coef`` · features + ``intercept``
    through the sigmoid (the confidence model and the candidate re-ranker)."""

    def __init__(self, coef: np.ndarray, intercept: float) -> None:
        self.coef = np.asarray(coef, np.float64)
        self.intercept = float(intercept)

    def probability(self, features: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(features @ self.coef + self.intercept)))

    def to_dict(self) -> dict:
        return {"coef": self.coef.tolist(), "intercept": self.intercept}

    @staticmethod
    def _fit(features: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, float]:
        model = LogisticRegression(C=1.0, max_iter=1000).fit(features, right.astype(int))
        return model.coef_[0], float(model.intercept_[0])


class ConfidenceModel(LogisticScore):
    """P(the first suggestion is right), from how the ranking looks: the classifier's probability
    of the first template, the cosine to its nearest vector and to its centroid. (Measured AUROC
    answerable vs unanswerable, CLINC150 / Bitext with a fifth of the intents dropped: these three
    0.881 / 0.853; adding the leads over the next template, a log-ratio and BM25 0.880 / 0.789 —
    more features fitted the library's own left-out triggers, not messages.) A logistic regression fitted on the library
    itself (``LanguageIndex`` leaves out a fifth of the templates, whose triggers then stand for
    on-topic messages nothing answers, and a fifth of the others' triggers, which stand for
    answerable ones), never on queries. ``no_match`` when it is below ``NO_MATCH_CONFIDENCE``:
    more likely wrong than right."""

    MIN_SAMPLES = 30

    def __init__(self, coef: np.ndarray, intercept: float, samples: int = 0,
                 threshold: float = NO_MATCH_CONFIDENCE, unsure: float = NO_MATCH_CONFIDENCE) -> None:
        super().__init__(coef, intercept)
        self.samples = samples
        self.threshold = threshold
        self.unsure = unsure

    @staticmethod
    def features(p_first, sim_first, centroid_first) -> np.ndarray:
        return np.stack([np.asarray(p_first, float), np.asarray(sim_first, float), np.asarray(centroid_first, float)],
                        axis=-1)

    def to_dict(self) -> dict:
        return {**super().to_dict(), "samples": self.samples, "threshold": self.threshold, "unsure": self.unsure}

    @classmethod
    def from_dict(cls, data: dict) -> "ConfidenceModel":
        return cls(np.asarray(data["coef"], float), float(data["intercept"]), int(data["samples"]),
                   float(data["threshold"]), float(data["unsure"]))

    @classmethod
    def fit(cls, features: np.ndarray, right: np.ndarray) -> "ConfidenceModel | None":
        if len(right) < cls.MIN_SAMPLES or right.all() or not right.any():
            return None
        fitted = cls(*cls._fit(features, right), len(right))
        # Left-out triggers rank with fewer triggers per template than the library has, so the
        # confidence runs low on the whole library: the no-match line is set to keep all but
        # KEEP_RIGHT_MISSED of the left-out answers that were right (never above 0.5).
        right_scores = fitted.probability(features[right.astype(bool)])
        fitted.threshold = float(min(NO_MATCH_CONFIDENCE, np.quantile(right_scores, KEEP_RIGHT_MISSED)))
        # "Unsure" (shown as the closest replies, not as the answer): less sure than four in five
        # of this library's right answers were.
        fitted.unsure = float(max(fitted.threshold, np.quantile(right_scores, UNSURE_QUANTILE)))
        return fitted


class CandidateRanker(LogisticScore):
    """Re-ranks a query's candidate templates where no per-template classifier serves (above
    ``MAX_CLASSIFIER_VECTORS``, or while it retrains): a logistic regression over how the nearest
    vectors fall on each candidate — its best and next cosines, how many of the nearest are its
    own, how far it is behind the best candidate, the cosine to its centroid. The features do not
    name templates, so it is fitted once on a sample of the library's own triggers (each searched
    as a message, itself left out) and stays valid as templates come and go; its cost is that of
    the sample, not of the library, and at query time only the candidates are scored."""

    MIN_QUERIES = 50

    @staticmethod
    def features(hits: list[list[float]], centroids: list[float]) -> np.ndarray:
        """One row per candidate: ``hits`` its cosines among the nearest (best first)."""
        floor = min(h[-1] for h in hits)  # the weakest cosine retrieved: what "absent" is worth
        best = max(h[0] for h in hits)
        total = sum(len(h) for h in hits)
        rows = [[h[0], h[1] if len(h) > 1 else floor, h[2] if len(h) > 2 else floor, h[0] - best,
                 len(h) / total, c] for h, c in zip(hits, centroids)]
        return np.asarray(rows, np.float64)

    @classmethod
    def from_dict(cls, data: dict) -> "CandidateRanker":
        if len(data["coef"]) != 6:
            raise ValueError("a ranker of other features")
        return cls(np.asarray(data["coef"], float), float(data["intercept"]))

    @classmethod
    def fit(cls, features: np.ndarray, right: np.ndarray) -> "CandidateRanker | None":
        if right.all() or not right.any():
            return None
        return cls(*cls._fit(features, right))


def sentences(text: str) -> list[str]:
    """The sentences of a customer message worth reading on their own, when it has two or more;
    [] otherwise. A message's vector is the mean of its words, so in "Thanks, I'm in now. But I was
    charged twice… Please refund the second payment." the thank-you pulls it toward the thank-you
    reply; read sentence by sentence, two of three ask about the charge. The classifier's
    probabilities are then ``SENTENCE_WEIGHT`` × the whole message's + the rest × the mean of its
    sentences' (the candidate re-ranker's likewise, where it serves). Greetings, sign-offs and
    "Thanks!" (under ``MIN_SENTENCE_WORDS`` words) are not sentences here; at most
    ``MAX_SENTENCES`` (the first) within the first ``SENTENCE_CHARS`` characters, so a long email
    — or a hostile 20,000-character one — costs at most about one more pass of the model than the
    whole message, not one per sentence at full length.

    Measured on the starter library's probe (bench/probe/, 87 messages + the browser tests'
    thread message per language, 31 of them of several sentences; full ranking in-process; the
    weight not tuned: one half each view): all-mpnet-base-v2 0.886 → 0.898 (and the thread message
    right), USE (Russian) 0.852 → 0.852, all-MiniLM-L6-v2 0.920 → 0.909. Bitext and CLINC150 have
    one such query in 25,764: their numbers do not move. Its cost: one forward pass over the
    message and its sentences together, for messages of several sentences only.
    """
    parts, used = [], 0
    for part in _SENTENCE_END.split(text.strip()):
        part = part.strip()
        used += len(part) + 1
        if used > SENTENCE_CHARS or len(parts) == MAX_SENTENCES:
            break
        if len(part.split()) >= MIN_SENTENCE_WORDS:
            parts.append(part)
    return parts if len(parts) > 1 else []


def calibrate_threshold(groups: list[np.ndarray], settings: RankingSettings) -> float:
    """Low quantile of each trigger's cosine to the nearest other vector of its own template."""
    if settings.threshold_override is not None:
        return settings.threshold_override
    nearest: list[np.ndarray] = []
    for rows in groups:
        if len(rows) < 2:
            continue
        sims = rows @ rows.T
        np.fill_diagonal(sims, -1.0)
        nearest.append(sims[1:].max(axis=1))  # row 0 is the template's own text, not a message
    samples = np.concatenate(nearest) if nearest else np.zeros(0)
    if len(samples) < MIN_CALIBRATION_SAMPLES:
        return settings.fallback_threshold
    low, high = THRESHOLD_BOUNDS
    return float(np.clip(np.quantile(samples, CALIBRATION_QUANTILE), low, high))


def calibrate_topic_distance(groups: list[np.ndarray], seed: int = 0) -> float:
    """The cosine distance under which unanswered messages count as one topic (coverage gaps,
    average linkage), read off the library: its templates' triggers, clustered the same way, agree
    best with their templates (adjusted Rand index) at this cut. So it follows the model and how
    its library is written, as the no-match line does. A sample of ``TOPIC_SAMPLE_TEMPLATES``
    templates (fixed seed) keeps it to one small clustering however large the library.

    Starter library (2026-11-27): all-MiniLM-L6-v2 0.60, all-mpnet-base-v2 0.55, USE on the Russian
    one 0.60 — where 0.45, the fixed cut before, split "Can I buy a gift card for a friend?" and
    three other ways of asking it into two topics with mpnet."""
    from scipy.cluster.hierarchy import fcluster
    from sklearn.metrics import adjusted_rand_score

    triggers = [rows[1:11] for rows in groups if len(rows) > 2]  # row 0 is the template's own text
    if len(triggers) < 5:
        return FALLBACK_TOPIC_DISTANCE
    if len(triggers) > TOPIC_SAMPLE_TEMPLATES:
        chosen = np.random.default_rng(seed).choice(len(triggers), TOPIC_SAMPLE_TEMPLATES, replace=False)
        triggers = [triggers[i] for i in sorted(chosen)]
    labels = np.repeat(np.arange(len(triggers)), [len(rows) for rows in triggers])
    tree = topic_tree(np.vstack(triggers))
    agreement = [adjusted_rand_score(labels, fcluster(tree, cut, criterion="distance")) for cut in TOPIC_DISTANCES]
    return float(TOPIC_DISTANCES[int(np.argmax(agreement))])


def topic_tree(vectors: np.ndarray, block: int = 256) -> np.ndarray:
    """The average-linkage tree (scipy's) of vectors under cosine distance, as scikit-learn's
    ``AgglomerativeClustering(metric="cosine", linkage="average")`` builds it, with the distances
    from inner products of the unit rows, a block of rows at a time, written straight into the
    condensed form. For 5,000 messages on one BLAS thread (2026-11-28): 0.6 s instead of
    scikit-learn's 2.4 s at 384-d, 0.8 s instead of 4.4 s at 768-d, the same topics (adjusted Rand
    index 1.0); most of scikit-learn's time went to ``pdist``."""
    from scipy.cluster.hierarchy import linkage

    x = np.asarray(vectors, np.float64)
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    n = len(x)
    condensed = np.empty(n * (n - 1) // 2, np.float64)
    at = 0
    for start in range(0, n - 1, block):
        products = x[start:start + block] @ x[start:].T  # row i of the block against rows start.. on
        for i in range(min(block, n - 1 - start)):
            row = products[i, i + 1:]
            condensed[at:at + len(row)] = row
            at += len(row)
    np.subtract(1.0, condensed, out=condensed)
    np.clip(condensed, 0.0, 2.0, out=condensed)
    return linkage(condensed, method="average")


def topic_labels(vectors: np.ndarray, distance: float) -> np.ndarray:
    """Topics (0, 1, …) of vectors: average linkage under cosine distance, cut at ``distance``."""
    from scipy.cluster.hierarchy import fcluster

    if len(vectors) < 2:
        return np.zeros(len(vectors), int)
    return fcluster(topic_tree(vectors), distance, criterion="distance") - 1


def fuse(candidates: dict[int, float], lexical: dict[int, float], weight: float) -> dict[int, float]:
    return {t: s + weight * lexical.get(t, 0.0) for t, s in candidates.items()}
