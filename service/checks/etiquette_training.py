"""``tact train etiquette``: the etiquette model, reproducibly (fixed seed), from data in the repo.

Violations: ``languages/<code>/etiquette/train.yaml`` (nine categories and hard negatives). Clean
examples also come from the starter library's own reply sentences (``responses/``), rendered with
sample values. The evaluation sentences in ``bench/etiquette/`` are never read here.

The vector part is an RBF support-vector machine over the multilingual sentence vectors (pairwise,
with Platt probabilities: ``etiquette.PairwiseSVM``); the n-gram part two logistic regressions, over
character 2–5-grams and over words and word pairs (TF-IDF), averaged. The mixing weight
and the flagging thresholds are chosen on 5-fold out-of-fold predictions of the training data only:
each language's threshold flags at most ``TARGET_FALSE_ALARMS`` of its clean training sentences
(fewer while recall allows: ``FALSE_ALARM_TARGETS``). The weight is the one with the best out-of-fold recall less the share of ordinary sentences by
other people it flags (``ordinary_halves``: one half of JFLEG's essays and of LanguageTool's rule
examples; the benchmark reports only the other half). The long-sentence model is trained the same way
with sentences joined out of the training ones added (``joined_sentences``, built per fold from that
fold's training rows only) and written beside the base model (``etiquette.long_path``).
"""

from __future__ import annotations

import json
import random
import re
import warnings
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from scipy import sparse
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import SVC

from service.checks.etiquette import CATEGORIES, LONG_WORDS, TARGET_FALSE_ALARMS, PairwiseSVM, is_long, long_path
from service.checks.tone import split_sentences
from service.library.files import read_library
from service.library.rendering import SAMPLE_VARIABLES, SandboxedRenderer

SEED = 13
NGRAMS = (2, 5)
WORDS = (1, 2)
# Share of the vector model in the mix; the n-gram models share the rest. Chosen by out-of-fold recall
# less the share of held-in ordinary text flagged (``ordinary_held_in``).
WEIGHTS = (0.33, 0.5, 0.7)
# The support-vector machine over the vectors (RBF, gamma "scale"), out-of-fold recall EN / RU mixed
# with the n-gram models at 5 % false alarms: C = 4 0.934 / 0.937, C = 16 0.947 / 0.943 (the logistic
# regression it replaced, C = 32: 0.894 / 0.900; what else was tried: ``etiquette.PairwiseSVM``).
# Its Platt probabilities need scikit-learn < 1.11 to train.
SVM_C = 16.0
# With per-language thresholds and 2,427 sentences (mean of EN and RU out-of-fold recall at 5 % false
# alarms, best mix): vector C / n-gram C 8/10 0.885, 2/10 0.871, 32/10 0.898, 8/30 0.893, 32/30 0.899,
# 128/30 0.901, 32/100 0.904, 128/100 0.901: a plateau from 32/30 on.
NGRAM_C = 30.0
# Flagging thresholds: at most 5 % of the clean training sentences flagged out of fold
# (``TARGET_FALSE_ALARMS``), or fewer while every language keeps MIN_OOF_RECALL out of fold: the
# 5 % asked for is on sentences by other people, where the out-of-fold share is only an estimate
# (held-out RU: 0.948 out of fold became 0.926 on bench/etiquette/), and a stricter line also flags
# less ordinary text (at 3 %: LanguageTool RU examples 0.43 -> 0.29, JFLEG 0.28 -> 0.23). Chosen by
# the same score as the weight; the recall floor is set ahead, not read off the evaluation set.
FALSE_ALARM_TARGETS = (TARGET_FALSE_ALARMS, 0.04, 0.03)
MIN_OOF_RECALL = 0.93
ORDINARY_MAX = 1500  # sentences per ordinary set read when choosing the weight


def ordinary_halves(items: list[str], seed: int = SEED) -> tuple[list[str], list[str]]:
    """Ordinary sentences split in two fixed halves: training reads the first (to choose the mix
    weight), the benchmark reports the second (bench/etiquette_bench.py)."""
    items = list(dict.fromkeys(items))
    order = list(range(len(items)))
    random.Random(seed).shuffle(order)
    return [items[i] for i in sorted(order[:len(order) // 2])], [items[i] for i in sorted(order[len(order) // 2:])]


def jfleg_sentences(evaldata: Path) -> list[str]:
    """JFLEG's first corrected reference of each essay sentence (English learners' essays)."""
    path = evaldata / "jfleg" / "dev.ref0"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    return [" ".join(line.split()) for line in lines if len(line.strip()) > 15]


def languagetool_sentences(lt_lib: Path, code: str) -> list[str]:
    """The correct example sentences of LanguageTool's rules (``language-<code>-*.jar``, fetched by
    ``make setup``): ordinary sentences by its many contributors."""
    jars = sorted(Path(lt_lib).glob(f"language-{code}-[0-9]*.jar"))
    if not jars:
        return []
    out = []
    with zipfile.ZipFile(jars[-1]) as jar:
        for name in jar.namelist():
            if not re.fullmatch(rf"org/languagetool/rules/{code}/[^/]+\.xml", name):
                continue
            for example in ElementTree.fromstring(jar.read(name)).iter("example"):
                if example.get("correction") is not None or example.get("type") == "incorrect":
                    continue
                text = " ".join("".join(example.itertext()).split())
                if len(text) > 15 and len(text.split()) >= 3:
                    out.append(text)
    return out


def ordinary_held_in(evaldata: Path | None, lt_lib: Path | None) -> dict[str, tuple[str, list[str]]]:
    """The halves of ordinary text training may read: name → (language, sentences)."""
    sets = {}
    if evaldata is not None:
        sets["JFLEG"] = ("en", ordinary_halves(jfleg_sentences(evaldata))[0])
    if lt_lib is not None:
        for code in ("en", "ru"):
            sets[f"LanguageTool {code}"] = (code, ordinary_halves(languagetool_sentences(lt_lib, code))[0][:ORDINARY_MAX])
    return {name: value for name, value in sets.items() if value[1]}


def written_examples(lang) -> dict[str, list[str]]:
    """A language's ``etiquette/train.yaml``: category → sentences, checked (the tone score reads it too)."""
    path = lang.folder / "etiquette" / "train.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for label, sentences in data.items():
        if label not in CATEGORIES and label != "clean":
            raise ValueError(f"{path}: unknown category {label!r}")
        for sentence in sentences:
            if not isinstance(sentence, str):  # "a: b" unquoted is a mapping in YAML
                raise TypeError(f"{path}, {label}: not a sentence (quote it): {sentence!r}")
    return data


def library_sentences(languages, responses: Path) -> list[tuple[str, str]]:
    """The starter library's reply sentences, rendered with sample values, with their language."""
    renderer = SandboxedRenderer()
    library, _ = read_library(responses, [lang.code for lang in languages])
    return [(sentence, template.language) for template in library
            for _, sentence in split_sentences(renderer.render(template.body, SAMPLE_VARIABLES).text)]


def training_sentences(languages, responses: Path) -> tuple[list[str], list[str], list[str]]:
    """Texts, their labels and their language codes."""
    texts, labels, codes = [], [], []
    for lang in languages:
        for label, sentences in written_examples(lang).items():
            texts += sentences
            labels += [label] * len(sentences)
            codes += [lang.code] * len(sentences)
    for sentence, code in library_sentences(languages, responses):
        if len(sentence) > 15:
            texts.append(sentence)
            labels.append("clean")
            codes.append(code)
    return texts, labels, codes


# The long-sentence model (``etiquette.LONG_WORDS`` words and more) learns from sentences joined out
# of the training sentences: per language and category JOINED violations each set among one or two
# clean sentences (it keeps its category), and JOINED_CLEAN joins of two or three clean ones (clean).
# The base model, trained on the sentences as written, misses a violation that is one clause of a
# long sentence (long sentences written for the purpose, bench/etiquette/dev_long_*.yaml: recall
# EN 0.315, RU 0.407). Chosen on that set with the joined model reading all of it, (violations, clean
# joins) → recall EN / RU, clean long sentences flagged EN / RU: (20, 60) 0.926 / 0.944, 0.15 / 0.35;
# (20, 180) 0.796 / 0.833, 0.10 / 0.15; (10, 200) 0.537 / 0.667, 0.00 / 0.00; (20, 400) 0.759 / 0.759,
# 0.05 / 0.00 (as served, the set's few sentences under LONG_WORDS read by the base model: 0.759 / 0.741).
JOINED = 20
JOINED_CLEAN = 400
JOINERS = {"en": (", and ", " - ", "; ", ", but ", ", so ", " and honestly "),
           "ru": (", и ", " - ", "; ", ", но ", ", так что ", " и честно говоря ")}
PUNCTUATION_JOINERS = (" - ", "; ")  # a language without words of its own here


def _join(parts: list[str], joiners, rng) -> str:
    out = parts[0].rstrip(" .!")
    for n, part in enumerate(parts[1:], 1):
        part = part if n == len(parts) - 1 else part.rstrip(" .!")
        out += rng.choice(joiners) + part[:1].lower() + part[1:]
    return out if out[-1:] in ".!?" else out + "."


def joined_sentences(texts, labels, codes, salt, violations: int = JOINED,
                     clean_joins: int = JOINED_CLEAN) -> tuple[list[str], list[str]]:
    """Long sentences of several training sentences: a violation among clean ones keeps its
    category, clean ones together stay clean."""
    rng = random.Random(f"{SEED}-{salt}")
    out, out_labels = [], []
    for code in sorted(set(codes)):
        joiners = JOINERS.get(code, PUNCTUATION_JOINERS)
        clean = [t for t, label, c in zip(texts, labels, codes) if c == code and label == "clean"]
        if len(clean) < 3:
            continue
        for category in sorted(set(labels) - {"clean"}):
            bad = [t for t, label, c in zip(texts, labels, codes) if c == code and label == category]
            for sentence in rng.sample(bad, min(violations, len(bad))):
                parts = rng.sample(clean, rng.choice((1, 1, 2))) + [sentence]
                rng.shuffle(parts)
                out.append(_join(parts, joiners, rng))
                out_labels.append(category)
        for _ in range(clean_joins):
            out.append(_join(rng.sample(clean, rng.choice((2, 2, 3))), joiners, rng))
            out_labels.append("clean")
    return out, out_labels


def train_etiquette(languages, embedder, responses: Path, output: Path, progress=print,
                    evaldata: Path | None = None, lt_lib: Path | None = None) -> dict:
    """Both models: the base one to ``output``, the long-sentence one beside it (``etiquette.long_path``)."""
    texts, labels, codes = training_sentences(languages, responses)
    progress(f"{len(texts)} sentences ({labels.count('clean')} clean); encoding with {embedder.name} …")
    vectors = embedder.encode(texts)
    # Ordinary text by other people (the held-in halves): a mix that flags more of it has learned
    # surface cues of the training sentences rather than what they say.
    ordinary = {}
    for name, (code, sentences) in ordinary_held_in(evaldata, lt_lib).items():
        progress(f"{name}: {len(sentences)} ordinary sentences (held-in half) …")
        ordinary[name] = (code, sentences, embedder.encode(sentences))
    if not ordinary:
        progress("no ordinary text found (evaldata, LanguageTool): the weight is chosen on recall alone")
    metrics = _train_mix(texts, labels, codes, vectors, embedder, ordinary, output, progress, joined=False)
    progress(f"long sentences ({LONG_WORDS} words and more): the model with joined sentences …")
    metrics["long"] = _train_mix(texts, labels, codes, vectors, embedder, ordinary, long_path(output), progress,
                                 joined=True)
    return metrics


def _train_mix(texts, labels, codes, vectors, embedder, ordinary, output: Path, progress, joined: bool) -> dict:
    y = np.array(labels)
    language = np.array(codes)
    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, min_df=2, sublinear_tf=True, lowercase=True)
    word_tfidf = TfidfVectorizer(analyzer="word", ngram_range=WORDS, sublinear_tf=True, lowercase=True)
    grams, words = tfidf.fit_transform(texts), word_tfidf.fit_transform(texts)  # joined sentences add no words
    vec_model = SVC(C=SVM_C, kernel="rbf", probability=True, class_weight="balanced", random_state=SEED)
    gram_model = LogisticRegression(C=NGRAM_C, max_iter=3000, class_weight="balanced", random_state=SEED)
    word_model = LogisticRegression(C=NGRAM_C, max_iter=3000, class_weight="balanced", random_state=SEED)
    classes = sorted(set(labels))
    clean = classes.index("clean")

    def fit(rows, salt):
        """The three models on these rows, and (long model) on sentences joined from these rows only:
        no sentence predicted out of fold is inside a training row."""
        extra = joined_sentences([texts[i] for i in rows], [labels[i] for i in rows], [codes[i] for i in rows],
                                 salt) if joined else ([], [])
        extra_y = np.array(extra[1], dtype=y.dtype)
        extra_vectors = embedder.encode(extra[0]) if extra[0] else vectors[:0]
        models = [clone(vec_model), clone(gram_model), clone(word_model)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # SVC's probability=True, deprecated in 1.9
            models[0].fit(np.vstack([vectors[rows], extra_vectors]), np.concatenate([y[rows], extra_y]))
        for model, vectorizer, matrix in ((models[1], tfidf, grams), (models[2], word_tfidf, words)):
            extra_rows = vectorizer.transform(extra[0]) if extra[0] else matrix[:0]
            model.fit(sparse.vstack([matrix[rows], extra_rows]).tocsr(), np.concatenate([y[rows], extra_y]))
        return models

    oof_vec = np.zeros((len(texts), len(classes)))
    oof_gram = np.zeros((len(texts), len(classes)))
    folds = StratifiedKFold(5, shuffle=True, random_state=SEED)
    for fold, (train_rows, test_rows) in enumerate(folds.split(vectors, y)):
        models = fit(train_rows, fold)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            oof_vec[test_rows] = models[0].predict_proba(vectors[test_rows])
        oof_gram[test_rows] = (models[1].predict_proba(grams[test_rows]) + models[2].predict_proba(words[test_rows])) / 2
    vec_model, gram_model, word_model = fit(np.arange(len(texts)), "all")
    svm = PairwiseSVM.from_sklearn(vec_model)
    assert list(vec_model.classes_) == classes == list(gram_model.classes_) == list(word_model.classes_)
    scored = {}
    for name, (code, sentences, sentence_vectors) in ordinary.items():
        if joined:  # the long model reads long sentences only
            keep = [i for i, s in enumerate(sentences) if is_long(s)]
            sentences, sentence_vectors = [sentences[i] for i in keep], sentence_vectors[keep]
        if not sentences:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            p_vec = vec_model.predict_proba(sentence_vectors)
        p_gram = (gram_model.predict_proba(tfidf.transform(sentences))
                  + word_model.predict_proba(word_tfidf.transform(sentences))) / 2
        scored[name] = (code, p_vec[:, clean], p_gram[:, clean])
    best = None
    for target in FALSE_ALARM_TARGETS:
        for weight in WEIGHTS:
            violation = 1.0 - (weight * oof_vec + (1 - weight) * oof_gram)[:, clean]
            # Per language: at most ``target`` of its clean sentences flagged. (One threshold for
            # both let the harder Russian negatives set the English one.)
            thresholds, recalls = {}, {}
            for code in sorted(set(codes)):
                rows = language == code
                thresholds[code] = float(np.quantile(violation[rows & (y == "clean")], 1.0 - target))
                recalls[code] = float((violation[rows & (y != "clean")] > thresholds[code]).mean())
            flagged = {name: float((1.0 - (weight * vec + (1 - weight) * gram) > thresholds[code]).mean())
                       for name, (code, vec, gram) in scored.items()}
            recall = float(np.mean(list(recalls.values())))
            score = recall - (float(np.mean(list(flagged.values()))) if flagged else 0.0)
            # A stricter target counts only while every language keeps MIN_OOF_RECALL; the first
            # (TARGET_FALSE_ALARMS) always does.
            eligible = target == TARGET_FALSE_ALARMS or min(recalls.values()) >= MIN_OOF_RECALL
            progress(f"false alarms {target}, weight {weight}: out-of-fold recall { {c: round(r, 3) for c, r in recalls.items()} } "
                     f"at thresholds { {c: round(t, 3) for c, t in thresholds.items()} }; ordinary text flagged "
                     f"{ {n: round(f, 3) for n, f in flagged.items()} }{'' if eligible else ' (recall too low)'}")
            if eligible and (best is None or score > best[2]):
                best = (weight, thresholds, score, recalls, flagged, target)
    weight, thresholds, _, recalls, flagged, target = best
    threshold = max(thresholds.values())  # for a language the model was not trained on
    metrics = {"sentences": len(texts), "oof_recall": {c: round(r, 4) for c, r in recalls.items()}, "weight": weight,
               "ordinary_flagged": {n: round(f, 4) for n, f in flagged.items()},
               "thresholds": {c: round(t, 4) for c, t in thresholds.items()}, "target_false_alarms": target, "seed": SEED}
    if joined:
        metrics.update(joined=JOINED, joined_clean=JOINED_CLEAN, long_words=LONG_WORDS)
    vocabulary = [g for g, _ in sorted(tfidf.vocabulary_.items(), key=lambda kv: kv[1])]
    word_vocabulary = [g for g, _ in sorted(word_tfidf.vocabulary_.items(), key=lambda kv: kv[1])]
    np.savez_compressed(
        output, model=embedder.name, classes=np.array(classes), **svm.to_arrays("svm_"),
        ngram_coef=gram_model.coef_.astype(np.float32),
        ngram_bias=gram_model.intercept_.astype(np.float32), vocabulary=np.array(vocabulary), idf=tfidf.idf_.astype(np.float32),
        ngram_range=np.array(NGRAMS), word_coef=word_model.coef_.astype(np.float32),
        word_bias=word_model.intercept_.astype(np.float32), word_vocabulary=np.array(word_vocabulary),
        word_idf=word_tfidf.idf_.astype(np.float32), word_range=np.array(WORDS), weight=weight, threshold=threshold,
        threshold_languages=np.array(sorted(thresholds)), threshold_values=np.array([thresholds[c] for c in sorted(thresholds)]),
        metrics=json.dumps(metrics), **({"long_words": LONG_WORDS} if joined else {}))
    progress(f"etiquette model written to {output}: {metrics}")
    return metrics
