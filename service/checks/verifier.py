"""A second reading of what the etiquette model flags, on another sentence model (issue 9: false
alarms on polite sentences written by other people).

The etiquette model reads USE multilingual vectors, and on polite support sentences from five public
English collections of macros and reply templates by other people it flagged 50 of 516 (9.7 %,
2026-11-29; README, Checks), against 5 % of the evaluation set's clean sentences. Moving its line
does not mend that (+0.04: 8.1 %, recall on the held-out and five-voice violations 0.947 → 0.918): it
reads "Please don't hesitate to contact us if you have any other questions." as a dismissal
(P 0.95), close to "Please don't contact us about this again." in USE's space and in its n-grams.

So a sentence it flags (the base model's, under ``etiquette.LONG_WORDS`` words, in the language's
own script) is read once more by a binary support-vector machine (clean against any violation) over
an English sentence model, trained on the same sentences and on ``second_reading.yaml``'s polite
ones (``tact train etiquette``), and let go when that one finds it clean: below the line that keeps
``KEEP`` of the training violations out of fold. Only the flagged sentences are encoded again (none
in most drafts). With all-MiniLM-L6-v2: 36 of those 516 flagged, held-out recall EN 0.944
unchanged, the evaluation's clean sentences flagged 0.050 → 0.000. all-mpnet-base-v2 alone lost two
held-out violations; a second machine on USE's own vectors changed nothing. MiniLM and mpnet side by
side (``a+b``; mpnet is the English suggestion model, already loaded, and ``Embedders`` shares it)
separate better: out of fold, the clean training sentences let go 0.58 → 0.78 at the same line; of
the 516, 28 flagged (27 with the "you should have" rule narrowed), one held-out violation lost; ~36 ms
for a flagged sentence, at most ``etiquette.SECOND_READINGS`` of them a draft. Russian has none: the only other multilingual model installable here,
multilingual-e5-small, costs ~17 ms a sentence (README, Models).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from service.checks.etiquette import PairwiseSVM, read_model

KEEP = 0.98  # of the training violations out of fold that the second reading still flags
SVM_C = 8.0
SEED = 13


def verifier_path(head: Path, code: str) -> Path:
    """Where a language's verifier lives beside an etiquette model's file."""
    return head.with_name(f"etiquette_verifier_{code}.npz")


class Verifier:
    def __init__(self, data: dict) -> None:
        self.model = str(data["model"])
        self.language = str(data["language"])
        self.threshold = float(data["threshold"])
        self.svm = PairwiseSVM.from_arrays(data, "svm_")
        self.metrics = str(data["metrics"]) if "metrics" in data else ""

    @classmethod
    def load(cls, path: Path) -> "Verifier | None":
        return read_model(cls, path)

    def violation(self, vectors: np.ndarray) -> np.ndarray:
        """P(a violation) per sentence vector."""
        return self.svm.probabilities(vectors)[:, 1]

    def clears(self, vectors: np.ndarray) -> np.ndarray:
        """Which sentences the second reading finds clean."""
        return self.violation(vectors) < self.threshold


def load_verifiers(head: Path) -> dict[str, Verifier]:
    """The verifiers trained beside an etiquette model, by language."""
    out = {}
    for path in sorted(head.parent.glob(verifier_path(head, "*").name)):
        verifier = Verifier.load(path)
        if verifier is not None:
            out[verifier.language] = verifier
    return out


def second_reading_sentences(lang) -> list[str]:
    """The clean sentences only the second reading learns (``languages/<code>/etiquette/second_reading.yaml``)."""
    import yaml

    path = lang.folder / "etiquette" / "second_reading.yaml"
    if not path.is_file():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if set(data) - {"clean"} or not all(isinstance(s, str) for s in data.get("clean") or ()):
        raise ValueError(f"{path}: a list of quoted sentences under 'clean'")
    return list(data.get("clean") or ())


def training_rows(lang, responses: Path) -> tuple[list[str], list[bool]]:
    """What a language's verifier learns from: the etiquette training sentences and the starter
    library's (as the etiquette model does), and its own clean sentences."""
    from service.checks.etiquette_training import training_sentences

    texts, labels, _ = training_sentences([lang], responses)
    extra = second_reading_sentences(lang)
    return texts + extra, [label != "clean" for label in labels] + [False] * len(extra)


def train_verifier(texts: list[str], violating: list[bool], embedder, code: str, output: Path, progress=print) -> dict:
    """Clean against any violation over ``embedder``'s vectors; the line keeps ``KEEP`` of the
    violations out of fold (5 folds, fixed seed)."""
    from sklearn.base import clone
    from sklearn.model_selection import StratifiedKFold
    from sklearn.svm import SVC

    y = np.asarray(violating, int)
    progress(f"verifier {code}: {len(texts)} sentences ({int(y.sum())} violations); encoding with {embedder.name} …")
    vectors = embedder.encode(texts)
    model = SVC(C=SVM_C, kernel="rbf", probability=True, class_weight="balanced", random_state=SEED)
    oof = np.zeros(len(texts))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # SVC's probability=True, deprecated in 1.9
        for train, test in StratifiedKFold(5, shuffle=True, random_state=SEED).split(vectors, y):
            oof[test] = clone(model).fit(vectors[train], y[train]).predict_proba(vectors[test])[:, 1]
        model.fit(vectors, y)
    threshold = float(np.quantile(oof[y == 1], 1.0 - KEEP))
    metrics = {"sentences": len(texts), "keep": KEEP, "threshold": round(threshold, 4),
               "clean_cleared_out_of_fold": round(float((oof[y == 0] < threshold).mean()), 4), "seed": SEED}
    svm = PairwiseSVM.from_sklearn(model)
    np.savez_compressed(output, model=embedder.name, language=code, threshold=threshold, metrics=json.dumps(metrics),
                        **svm.to_arrays("svm_"))
    progress(f"verifier written to {output}: {metrics}")
    return metrics
