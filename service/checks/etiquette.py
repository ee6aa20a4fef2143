"""The support playbook as a learned check: each sentence of a draft is scored for nine etiquette
violations (criticising one's own management, praising competitors, arguing, blaming, dismissing,
rudeness back, leaking confidential matters, promises nobody can keep, sarcasm).

The model (``etiquette_head.npz``, made by ``tact train etiquette`` from the sentences in
``languages/<code>/etiquette/train.yaml`` and the starter library's own sentences as clean
examples) averages three models: a support-vector machine over the multilingual sentence vectors
the tone score already computes (meaning, paraphrase, word order), and logistic regressions over
character n-grams (misspellings, names) and over words and word pairs. A sentence is flagged when the probability that it is clean falls below a
threshold chosen on out-of-fold training predictions for at most ``TARGET_FALSE_ALARMS`` of clean
sentences flagged. Sentences of ``LONG_WORDS`` words and more are read by a second model of the
same kind (``etiquette_head_long.npz``, trained with sentences joined out of the training ones as
well), with thresholds of its own. The reason and the softer rewrite come from the language's
``tone.yaml``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from service.checks.base import CheckContext, Finding
from service.checks.kernel import RBFKernel, one_blas_thread
from service.checks.team_head import TEAM_LINE, TeamHeads
from service.checks.tone import split_sentences
from service.languages import Language

HEAD_PATH = Path(__file__).resolve().parent / "etiquette_head.npz"
# Sentences this long are read by the long-sentence model (trained with sentences joined out of the
# training sentences, ``etiquette_training.joined_sentences``): 1.7 % of the training sentences have
# as many words (50 of 2,970; median 8, 99th percentile 22), so the base model has seen few.
LONG_WORDS = 20
CATEGORIES = ("management", "competitor", "argue", "blame", "dismiss", "rude", "confidential", "promise", "sarcasm")
TARGET_FALSE_ALARMS = 0.05
# A team's own examples act at once, as nearest neighbours over the same sentence vectors: a
# sentence this close (cosine) to one the team never sends is flagged; this close to one the team
# marked fine, it is not. Paraphrases of a sentence score about 0.75-0.9 on USE multilingual;
# unrelated support sentences about 0.2-0.5.
NEVER_SAY_SIMILARITY = 0.75
FINE_SIMILARITY = 0.80
# A sentence naming one of the team's competitors is flagged when the model is not sure it is clean.
COMPETITOR_NAME_CLEAN = 0.9
_SPACES = re.compile(r"\s\s+")


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's ``char_wb`` analyzer (lowercased): n-grams inside each space-padded word."""
    out: list[str] = []
    for word in _SPACES.sub(" ", text.lower()).split():
        word = f" {word} "
        length = len(word)
        for n in range(low, high + 1):
            offset = 0
            out.append(word[offset:offset + n])
            while offset + n < length:
                offset += 1
                out.append(word[offset:offset + n])
            if offset == 0:
                break
    return out


_WORD = re.compile(r"(?u)\b\w\w+\b")


def word_ngrams(text: str, low: int, high: int) -> list[str]:
    """scikit-learn's ``word`` analyzer (lowercased, tokens of two or more word characters)."""
    tokens = _WORD.findall(text.lower())
    return [" ".join(tokens[i:i + n]) for n in range(low, high + 1) for i in range(len(tokens) - n + 1)]


class NgramFeatures:
    """TF-IDF over character or word n-grams (sublinear tf, l2 norm), as scikit-learn computes it."""

    # Words whose character n-gram columns are kept (a draft's words recur across sentences, edits
    # and drafts): the cache is dropped whole when it reaches this size.
    WORD_CACHE = 50_000

    def __init__(self, vocabulary: list[str], idf: np.ndarray, low: int, high: int, analyzer=char_wb_ngrams) -> None:
        self.index = {gram: i for i, gram in enumerate(vocabulary)}
        self.idf = idf.astype(np.float32)
        self.low, self.high = low, high
        self.analyzer = analyzer
        self._words: dict[str, np.ndarray] = {}

    def _columns(self, text: str) -> np.ndarray:
        """The vocabulary columns of the text's n-grams, one entry per occurrence. Character
        n-grams never cross a word (``char_wb``), so they are looked up a word at a time and kept
        per word: measured on the 1,000-character bench drafts (12 sentences), both n-gram models
        2.5–2.9 → 1.2 ms once the words were seen, 2.5 ms when none were."""
        if self.analyzer is not char_wb_ngrams:
            return np.array([self.index[g] for g in self.analyzer(text, self.low, self.high) if g in self.index], np.int64)
        parts = []
        for word in _SPACES.sub(" ", text.lower()).split():
            columns = self._words.get(word)
            if columns is None:
                columns = np.array([self.index[g] for g in char_wb_ngrams(word, self.low, self.high) if g in self.index],
                                   np.int64)
                if len(self._words) >= self.WORD_CACHE:
                    self._words = {}
                self._words[word] = columns
            parts.append(columns)
        return np.concatenate(parts) if parts else np.zeros(0, np.int64)

    def rows(self, texts: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per text, the TF-IDF row as (column indices, values): a draft's sentences touch a few
        hundred of tens of thousands of n-grams."""
        out = []
        for text in texts:
            columns, counts = np.unique(self._columns(text), return_counts=True)
            values = (1.0 + np.log(counts.astype(np.float32))) * self.idf[columns]
            norm = float(np.linalg.norm(values))
            out.append((columns, values / norm if norm else values))
        return out

    def transform(self, texts: list[str]) -> np.ndarray:
        dense = np.zeros((len(texts), len(self.idf)), np.float32)
        for r, (columns, values) in enumerate(self.rows(texts)):
            dense[r, columns] = values
        return dense

    def logits(self, texts: list[str], weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
        """``transform(texts) @ weights + bias`` (``weights``: n-grams × classes) without the dense
        matrix, and without BLAS threads, which spin on after their work and took CPU from
        LanguageTool on two cores (a full check measured 22 ms here before, under 3 ms after).
        All texts in one pass of numpy, not one a text: a 12-sentence draft's four calls (two
        models, two analysers) 2.0 → 1.6 ms (2026-11-28)."""
        out = np.tile(bias, (len(texts), 1)).astype(np.float32)
        parts = [self._columns(text) for text in texts]
        if not any(len(p) for p in parts):
            return out
        width = len(self.idf)
        owner = np.repeat(np.arange(len(texts), dtype=np.int64), [len(p) for p in parts])
        keys, counts = np.unique(owner * width + np.concatenate(parts), return_counts=True)
        rows, columns = np.divmod(keys, width)  # sorted by row, then column
        values = (1.0 + np.log(counts.astype(np.float32))) * self.idf[columns]
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(texts))).astype(np.float32)
        values /= np.where(norms > 0, norms, 1.0)[rows]
        starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        out[rows[starts]] += np.add.reduceat(values[:, None] * weights[columns], starts, axis=0)
        return out


class PairwiseSVM:
    """An RBF support-vector machine over the sentence vectors, one against one, predicting as
    scikit-learn's ``SVC(probability=True)`` does: each pair of classes' decision value through
    its Platt sigmoid, then the pairwise probabilities coupled into one distribution (Wu, Lin and
    Weng 2004, libsvm's method), solved as its linear system where libsvm iterates to the same
    point. Kept as plain arrays (``tests/unit/test_etiquette.py`` checks it against scikit-learn).

    Why not the logistic regression it replaced: out-of-fold recall on the training sentences at
    5 % false alarms, mixed with the n-gram models, 0.894 / 0.900 (EN / RU) → 0.947 / 0.943 at
    C = 16 (C = 4: 0.934 / 0.937; kernel maps under a logistic regression 0.88–0.92). It costs a
    10-sentence draft ~0.8 ms more (2,100 support vectors × 512 per sentence). On the vectors'
    128 or 256 principal components it recalled as much for a quarter of that, but flagged more
    ordinary text by others (JFLEG essays, LanguageTool's examples EN / RU, the halves the bench
    does not report: 0.347 / 0.407 / 0.530 and 0.323 / 0.386 / 0.463 against 0.269 / 0.345 / 0.412)."""

    def __init__(self, vectors: np.ndarray, gamma: float, pair_coef: np.ndarray, pair_bias: np.ndarray,
                 prob_a: np.ndarray, prob_b: np.ndarray, n_classes: int, int8: bool = True) -> None:
        """``int8``: the support vectors multiplied in int8 (``kernel.RBFKernel``); False: float32,
        as scikit-learn computes."""
        self.vectors = np.asarray(vectors, np.float32)
        self.kernel = RBFKernel(self.vectors, gamma, int8_columns=self.vectors.shape[1] if int8 else 0)
        self.gamma = self.kernel.gamma
        self.pair_coef = np.ascontiguousarray(pair_coef.T, np.float32)  # support vectors × pairs
        self.pair_bias = np.asarray(pair_bias, np.float32)
        self.prob_a, self.prob_b = np.asarray(prob_a, np.float64), np.asarray(prob_b, np.float64)
        self.n_classes = n_classes
        self.first, self.second = np.triu_indices(n_classes, k=1)  # libsvm's pair order

    @classmethod
    def from_sklearn(cls, svc, int8: bool = True) -> "PairwiseSVM":
        k = len(svc.classes_)
        starts = np.concatenate([[0], np.cumsum(svc.n_support_)])
        pairs = list(zip(*np.triu_indices(k, k=1)))
        coef = np.zeros((len(pairs), len(svc.support_vectors_)), np.float64)
        for n, (i, j) in enumerate(pairs):
            # the support vectors of class i carry their coefficient against j in row j - 1, those of j in row i
            coef[n, starts[i]:starts[i + 1]] = svc.dual_coef_[j - 1, starts[i]:starts[i + 1]]
            coef[n, starts[j]:starts[j + 1]] = svc.dual_coef_[i, starts[j]:starts[j + 1]]
        intercept = svc.intercept_
        if k == 2:  # scikit-learn flips a binary machine's public signs (positive: its second class); libsvm's are kept
            coef, intercept = -coef, -intercept
        return cls(svc.support_vectors_, svc._gamma, coef, intercept, svc.probA_, svc.probB_, k, int8)

    def decisions(self, vectors: np.ndarray) -> np.ndarray:
        """(sentences × pairs) one-against-one decision values."""
        return self.kernel(vectors) @ self.pair_coef + self.pair_bias

    def probabilities(self, vectors: np.ndarray) -> np.ndarray:
        # One BLAS thread: products this size (10 sentences × 2,100 support vectors) and the
        # batched solve start OpenBLAS's second thread.
        with one_blas_thread():
            return self._probabilities(vectors)

    def _probabilities(self, vectors: np.ndarray) -> np.ndarray:
        decisions = self.decisions(vectors).astype(np.float64)
        # P(the pair's first class | one of the two), as libsvm's sigmoid_predict, kept off 0 and 1
        won = np.clip(1.0 / (1.0 + np.exp(decisions * self.prob_a + self.prob_b)), 1e-7, 1 - 1e-7)
        n, k = len(decisions), self.n_classes
        if k == 2:  # one pair: its sigmoid is the distribution (the coupling's system is singular)
            return np.column_stack([won[:, 0], 1.0 - won[:, 0]])
        r = np.zeros((n, k, k))
        r[:, self.first, self.second] = won
        r[:, self.second, self.first] = 1.0 - won
        # minimise p'Qp with the p summing to one: Q[t, t] = sum_j r[j, t]², Q[t, j] = -r[j, t] r[t, j]
        q = -np.transpose(r, (0, 2, 1)) * r
        idx = np.arange(k)
        q[:, idx, idx] = (r ** 2).sum(axis=1)
        solved = np.linalg.solve(q, np.ones((n, k, 1)))[..., 0]
        return solved / solved.sum(axis=1, keepdims=True)

    def to_arrays(self, prefix: str) -> dict:
        return {f"{prefix}vectors": self.vectors.astype(np.float16), f"{prefix}gamma": self.gamma,
                f"{prefix}pair_coef": self.pair_coef.T, f"{prefix}pair_bias": self.pair_bias,
                f"{prefix}prob_a": self.prob_a, f"{prefix}prob_b": self.prob_b, f"{prefix}classes": self.n_classes}

    @classmethod
    def from_arrays(cls, data: dict, prefix: str) -> "PairwiseSVM":
        return cls(data[f"{prefix}vectors"], float(data[f"{prefix}gamma"]), data[f"{prefix}pair_coef"],
                   data[f"{prefix}pair_bias"], data[f"{prefix}prob_a"], data[f"{prefix}prob_b"],
                   int(data[f"{prefix}classes"]))


def read_model(cls, path: Path):
    """``cls`` built from a saved model's arrays, or None when the file is missing or not one."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return cls({k: data[k] for k in data.files})
    except (OSError, ValueError, KeyError):
        return None


def as_written_in_training(sentence: str) -> str:
    """The sentence ending in a full stop when it ends in a letter or digit: the training sentences
    all end in punctuation (clean ones 100 %, violations 97-99 %), and without the stop the vector
    model read a violation as cleaner (mean P(clean) on the held-out violations EN 0.086 → 0.172
    with the stop and commas gone; recall 0.944 → 0.852 without the stop alone) — where chat-style
    drafts leave it out."""
    stripped = sentence.rstrip()
    return stripped + "." if stripped[-1:].isalnum() else sentence


def is_long(sentence: str, words: int = LONG_WORDS) -> bool:
    return len(sentence.split()) >= words


def long_path(path: Path) -> Path:
    """Where the long-sentence model lives beside a base model's file."""
    return path.with_name(path.stem + "_long" + path.suffix)


def _softmax(logits: np.ndarray) -> np.ndarray:
    logits = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


class EtiquetteModel:
    def __init__(self, data: dict) -> None:
        self.model = str(data["model"])
        self.classes = [str(c) for c in data["classes"]]
        self.clean = self.classes.index("clean")
        self.svm = PairwiseSVM.from_arrays(data, "svm_")
        self.ngram_weights = np.ascontiguousarray(data["ngram_coef"].T, np.float32)
        self.ngram_bias = data["ngram_bias"].astype(np.float32)
        low, high = (int(x) for x in data["ngram_range"])
        self.ngrams = NgramFeatures([str(g) for g in data["vocabulary"]], data["idf"], low, high)
        self.weight = float(data["weight"])
        # Word n-grams (a third model, when trained with one): the words themselves, in any order nearby.
        self.words = None
        if "word_coef" in data:
            low, high = (int(x) for x in data["word_range"])
            self.words = NgramFeatures([str(g) for g in data["word_vocabulary"]], data["word_idf"], low, high, word_ngrams)
            self.word_weights = np.ascontiguousarray(data["word_coef"].T, np.float32)
            self.word_bias = data["word_bias"].astype(np.float32)
        self.threshold = float(data["threshold"])
        # Per language when trained so (``tact train etiquette``); ``threshold`` for any other language.
        self.thresholds = dict(zip((str(c) for c in data.get("threshold_languages", ())),
                                   (float(t) for t in data.get("threshold_values", ()))))
        self.metrics = str(data["metrics"]) if "metrics" in data else ""

        self.long: EtiquetteModel | None = None  # reads the sentences of its ``long_words`` words and more
        self.long_words = int(data.get("long_words", LONG_WORDS))

    @classmethod
    def load(cls, path: Path = HEAD_PATH) -> "EtiquetteModel | None":
        model = cls._read(path)
        if model is not None and long_path(path).exists():
            model.long = cls._read(long_path(path))
            if model.long is not None and (model.long.classes, model.long.model) != (model.classes, model.model):
                model.long = None  # trained apart from the base model: not used
        return model

    @classmethod
    def _read(cls, path: Path) -> "EtiquetteModel | None":
        return read_model(cls, path)

    def probabilities(self, vectors: np.ndarray, sentences: list[str]) -> np.ndarray:
        return self._routed(vectors, sentences)[0]

    def reads_long(self, sentence: str) -> bool:
        """Whether the long-sentence model reads this sentence (when there is one)."""
        return self.long is not None and is_long(sentence, self.long.long_words)

    def _routed(self, vectors: np.ndarray, sentences: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Each sentence's probabilities from the model that reads it, and which were long."""
        long = np.array([self.reads_long(s) for s in sentences], bool)
        if not long.any():
            return self._probabilities(vectors, sentences), long
        out = np.zeros((len(sentences), len(self.classes)))
        if (~long).any():
            out[~long] = self._probabilities(vectors[~long], [s for s, x in zip(sentences, long) if not x])
        out[long] = self.long._probabilities(vectors[long], [s for s, x in zip(sentences, long) if x])
        return out, long

    def _probabilities(self, vectors: np.ndarray, sentences: list[str]) -> np.ndarray:
        p_vec = self.svm.probabilities(vectors)
        p_ngram = _softmax(self.ngrams.logits(sentences, self.ngram_weights, self.ngram_bias))
        if self.words is None:
            return self.weight * p_vec + (1.0 - self.weight) * p_ngram
        p_word = _softmax(self.words.logits(sentences, self.word_weights, self.word_bias))
        return self.weight * p_vec + (1.0 - self.weight) * (p_ngram + p_word) / 2

    def verdicts(self, vectors: np.ndarray, sentences: list[str], language: str = "") -> list[tuple[str, float] | None]:
        """Per sentence: (category, probability of a violation) when flagged, else None."""
        out: list[tuple[str, float] | None] = []
        short_threshold = self.thresholds.get(language, self.threshold)
        long_threshold = self.long.thresholds.get(language, self.long.threshold) if self.long is not None else 1.0
        for row, long in zip(*self._routed(vectors, sentences)):
            violation = 1.0 - float(row[self.clean])
            if violation <= (long_threshold if long else short_threshold):
                out.append(None)
                continue
            masked = row.copy()
            masked[self.clean] = -1.0
            out.append((self.classes[int(masked.argmax())], violation))
        return out


def _clean_sentences(languages) -> list[str]:
    """Every language's clean etiquette training sentences: what a team's own model learns against."""
    from service.checks.etiquette_training import written_examples

    return [s for lang in languages if (lang.folder / "etiquette" / "train.yaml").is_file()  # a language may have none
            for s in written_examples(lang).get("clean") or ()]


def _in_script(sentence: str, language: Language) -> bool:
    """Most of the sentence's letters are the language's own (``script`` in its language.yaml)."""
    letters = len(re.findall(r"[^\W\d_]", sentence))
    return letters > 0 and len(re.findall(language.script, sentence)) >= 0.5 * letters


def _with_object(sentence: str, language: Language, category: str) -> str | None:
    """The category's rewrite about what the sentence is about ("your refund"), when the language
    says how (``rewrite_object`` and ``etiquette_objects`` in its tone.yaml) and the sentence names it."""
    template = language.etiquette.get(category, {}).get("rewrite_object")
    if not template:
        return None
    for pattern, phrase in language.etiquette_objects:
        if re.search(pattern, sentence, re.I):
            return template.replace("{object}", phrase)
    return None


# Flagged sentences of one draft read a second time at most (``EtiquetteCheck._verified``): 8 take
# ~200 ms to encode with MiniLM and mpnet side by side on two cores, 16 ~390 ms.
SECOND_READINGS = 8


class EtiquetteCheck:
    name = "etiquette"
    # Its findings are issues of their own and do not lower the tone score, as the tone rules' do:
    # the score reads the same sentence vectors already, and this check also flags a share of
    # ordinary text. Measured with the score's head retrained per fold on the training splits only
    # (5 folds), AUC with the etiquette findings pulling the score down / without: Wikipedia
    # requests 0.905 / 0.909, RUSSE detox toxic vs rewrites 0.851 / 0.875, toxic below zero
    # 0.963 / 0.963 (the etiquette eval sentences, which it was written for: EN 0.973 / 0.967,
    # RU 0.931 / 0.914).
    affects_tone = False

    def __init__(self, vectors, model: EtiquetteModel | None, languages=None, verifiers: dict | None = None) -> None:
        """``languages``: where the clean training sentences are that a team's own model learns
        against (``team_head.py``); without them a team's examples act as nearest neighbours only.
        ``verifiers``: language code → (``verifier.Verifier``, its model's ``SentenceVectors``), a
        second reading of what the model flags."""
        self._vectors = vectors  # checks.vectors.SentenceVectors of the model's embedder
        self._model = model
        self._verifiers = verifiers or {}
        self._team_heads = None
        if languages is not None and vectors is not None:
            self._team_heads = TeamHeads(lambda texts: self._vectors.encode([as_written_in_training(t) for t in texts]),
                                         lambda: _clean_sentences(languages))

    @property
    def ready(self) -> bool:
        return self._model is not None and self._vectors is not None

    def warm_up(self) -> None:
        """Before the first team's check: what a team's own model learns against."""
        if self._team_heads is not None:
            self._team_heads.prepare()

    def check(self, text: str, language: Language, context: CheckContext) -> list[Finding]:
        if not self.ready:
            context.unavailable.add(self.name)
            return []
        sentences = split_sentences(text)
        if not sentences:
            return []
        # A sentence a rule already explained keeps the rule's precise advice, not a second one.
        explained = [(f.offset, f.offset + max(f.length, 1)) for f in context.found
                     if f.category in ("tone", "privacy") and f.severity != "info"]
        todo = [(o, s) for o, s in sentences if not any(a < o + len(s) and o < b for a, b in explained)]
        if not todo:
            return []
        texts = [as_written_in_training(s) for _, s in todo]
        vectors = self._vectors.encode(texts)
        verdicts = self._verified(texts, self._model.verdicts(vectors, texts, language.code), language)
        if context.rules.never_say or context.rules.fine or context.rules.competitors:
            verdicts = self._team_verdicts(vectors, texts, verdicts, context.rules)
        out = []
        for (offset, sentence), verdict in zip(todo, verdicts):
            if verdict is None:
                continue
            category, probability = verdict
            if category == "team":
                reason, rewrite = language.messages["team_phrase"], ""
            else:
                reason, rewrite = language.etiquette[category]["reason"], language.etiquette[category]["rewrite"]
            rewrites = tuple(r for r in (_with_object(sentence, language, category), rewrite) if r)
            out.append(Finding(offset, len(sentence), "privacy" if category == "confidential" else "tone",
                               f"ETIQUETTE_{category.upper()}", reason, "error" if probability > 0.9 else "warning",
                               rewrites))
        return out

    def _verified(self, texts: list[str], verdicts: list, language: Language) -> list:
        """The base model's verdicts read once more by the language's verifier, if it has one: a
        sentence it finds clean is let go. Long sentences keep the long model's verdict (the
        verifier learned from the training sentences as written, few of them that long), and so
        does a sentence in another script (its model reads one language: the Russian violations of
        bench/etiquette/eval read as English lost 9 of 151 flags to it)."""
        verifier, vectors = self._verifiers.get(language.code, (None, None))
        todo = [i for i, v in enumerate(verdicts)
                if v is not None and not self._model.reads_long(texts[i]) and _in_script(texts[i], language)]
        if verifier is None or not todo:
            return verdicts
        # The least sure flags first, and no more than SECOND_READINGS a draft: the rest keep the
        # first verdict. A reply has a few flagged sentences at most; a pasted 19,000-character text
        # had 151, and reading them all again with mpnet (the English suggestion model, shared)
        # took 2 s and held another user's /suggest up to 5.7 s (tests/system/test_bad_days.py).
        todo = sorted(sorted(todo, key=lambda i: verdicts[i][1])[:SECOND_READINGS])
        cleared = verifier.clears(vectors.encode([texts[i] for i in todo]))
        out = list(verdicts)
        for i, clear in zip(todo, cleared):
            if clear:
                out[i] = None
        return out

    def _team_verdicts(self, vectors: np.ndarray, texts: list[str], verdicts: list, rules) -> list:
        never = self._vectors.encode([as_written_in_training(e.text) for e in rules.never_say]) if rules.never_say else None
        fine = self._vectors.encode([as_written_in_training(e.text) for e in rules.fine]) if rules.fine else None
        clean = self._model.probabilities(vectors, texts)[:, self._model.clean] if rules.competitors else None
        names = [re.compile(r"(?<!\w)" + re.escape(n) + r"(?!\w)", re.I) for n in rules.competitors]
        head = self._team_heads.head([e.text for e in rules.never_say], [e.text for e in rules.fine]) \
            if self._team_heads is not None and rules.never_say else None
        team = head.probabilities(vectors) if head is not None else None
        never_sims = never @ vectors.T if never is not None else None  # examples × sentences
        out = []
        for i, verdict in enumerate(verdicts):
            near_never = float(never_sims[:, i].max()) if never is not None else -1.0
            near_fine = float((fine @ vectors[i]).max()) if fine is not None else -1.0
            nearest_taught = near_never >= NEVER_SAY_SIMILARITY and near_never >= near_fine
            # the team's own model catches its paraphrases too, unless a "fine" example clears them
            if nearest_taught or (team is not None and team[i] >= TEAM_LINE and near_fine < FINE_SIMILARITY):
                example = rules.never_say[int(never_sims[:, i].argmax())]
                category = example.category or (verdict[0] if verdict else "team")
                verdict = (category, near_never if nearest_taught else float(team[i]))
            elif near_fine >= FINE_SIMILARITY:
                verdict = None
            elif verdict is None and names and clean[i] < COMPETITOR_NAME_CLEAN and any(n.search(texts[i]) for n in names):
                verdict = ("competitor", 1.0 - float(clean[i]))
            out.append(verdict)
        return out
