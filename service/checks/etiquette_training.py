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
examples; the benchmark reports only the other half).
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
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.svm import SVC

from service.checks.etiquette import CATEGORIES, TARGET_FALSE_ALARMS, PairwiseSVM
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


def train_etiquette(languages, embedder, responses: Path, output: Path, progress=print,
                    evaldata: Path | None = None, lt_lib: Path | None = None) -> dict:
    texts, labels, codes = training_sentences(languages, responses)
    y = np.array(labels)
    language = np.array(codes)
    progress(f"{len(texts)} sentences ({int((y == 'clean').sum())} clean); encoding with {embedder.name} …")
    vectors = embedder.encode(texts)
    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, min_df=2, sublinear_tf=True, lowercase=True)
    grams = tfidf.fit_transform(texts)
    word_tfidf = TfidfVectorizer(analyzer="word", ngram_range=WORDS, sublinear_tf=True, lowercase=True)
    words = word_tfidf.fit_transform(texts)
    folds = StratifiedKFold(5, shuffle=True, random_state=SEED)
    vec_model = SVC(C=SVM_C, kernel="rbf", probability=True, class_weight="balanced", random_state=SEED)
    gram_model = LogisticRegression(C=NGRAM_C, max_iter=3000, class_weight="balanced", random_state=SEED)
    word_model = LogisticRegression(C=NGRAM_C, max_iter=3000, class_weight="balanced", random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # SVC's probability=True, deprecated in 1.9
        oof_vec = cross_val_predict(vec_model, vectors, y, cv=folds, method="predict_proba")
    oof_gram = cross_val_predict(gram_model, grams, y, cv=folds, method="predict_proba")
    oof_gram = (oof_gram + cross_val_predict(word_model, words, y, cv=folds, method="predict_proba")) / 2
    classes = sorted(set(labels))
    clean = classes.index("clean")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        vec_model.fit(vectors, y)
        svm = PairwiseSVM.from_sklearn(vec_model)
    gram_model.fit(grams, y)
    word_model.fit(words, y)
    assert list(vec_model.classes_) == classes == list(gram_model.classes_) == list(word_model.classes_)
    # Ordinary text by other people (the held-in halves), through the full models: a mix that flags
    # more of it has learned surface cues of the training sentences rather than what they say.
    ordinary = {}
    for name, (code, sentences) in ordinary_held_in(evaldata, lt_lib).items():
        progress(f"{name}: {len(sentences)} ordinary sentences (held-in half) …")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            p_vec = vec_model.predict_proba(embedder.encode(sentences))
        p_gram = (gram_model.predict_proba(tfidf.transform(sentences))
                  + word_model.predict_proba(word_tfidf.transform(sentences))) / 2
        ordinary[name] = (code, p_vec[:, clean], p_gram[:, clean])
    if not ordinary:
        progress("no ordinary text found (evaldata, LanguageTool): the weight is chosen on recall alone")
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
                       for name, (code, vec, gram) in ordinary.items()}
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
        metrics=json.dumps(metrics))
    progress(f"etiquette model written to {output}: {metrics}")
    return metrics
