"""The suggestion's confidence: calibrated on the library itself, it must tell messages the library
answers from on-topic messages it does not. Real model, the starter library split in two: the
templates left out of the index are the topics customers ask about that nothing answers."""

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from index.library import Document, LanguageIndex, fit_confidence
from index.ranking import ConfidenceModel
from service.library.files import read_library

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def split(minilm):
    library, _ = read_library(ROOT / "responses", ["en"])
    library = [t for t in library if t.language == "en" and len(t.triggers) >= 3]
    library.sort(key=lambda t: t.key)
    missing = library[::4]  # a quarter of the topics is not in the library
    present = [t for t in library if t not in missing]
    documents, answerable = [], []
    for n, t in enumerate(present, 1):
        # each template's last trigger is held out: a message the library answers, never indexed
        documents.append(Document(n, t.title, t.body, tuple(t.triggers[:-1])))
        answerable.append((t.triggers[-1], n))
    unanswerable = [trigger for t in missing for trigger in t.triggers]
    index = LanguageIndex("en", minilm, stopwords="en")
    index.rebuild(documents, "test")
    return index, answerable, unanswerable


def test_confidence_separates_answerable_from_unanswerable(split):
    index, answerable, unanswerable = split
    assert index.classifier_fresh
    results = [(index.search(text, k=3), n) for text, n in answerable]
    right = [r for r, n in results if r.hits[0].template_id == n]  # answered, and answered right
    wrong = [index.search(text, k=3) for text in unanswerable]
    # The starter library's topics sit close together (a refund approved, a refund's timing) and a
    # held-out trigger is a new phrasing: measured AUROC 0.73, no_match on 31 % of unanswerable
    # messages and 10 % of rightly answered ones.
    confidence = [r.confidence for r in right + wrong]
    assert all(c is not None and 0.0 <= c <= 1.0 for c in confidence)
    assert roc_auc_score([1] * len(right) + [0] * len(wrong), confidence) >= 0.68
    flagged_unanswerable = np.mean([r.no_match for r in wrong])
    flagged_right = np.mean([r.no_match for r in right])
    assert flagged_unanswerable >= 0.25 and flagged_unanswerable >= 2 * flagged_right, (flagged_unanswerable, flagged_right)
    # every hit's score is a probability, and the first hit's is the confidence
    for result in [r for r, _ in results] + wrong:
        assert result.hits[0].score == pytest.approx(result.confidence, abs=1e-3)
        assert all(0.0 <= h.score <= 1.0 for h in result.hits)


def test_calibration_needs_a_library_of_some_size(minilm):
    texts = ["Where is my order?", "I want my money back", "Reset my password please"]
    documents = [Document(n, t, t, (t,)) for n, t in enumerate(texts, 1)]
    vectors = {d.template_id: minilm.encode(d.texts()) for d in documents}
    assert fit_confidence({d.template_id: d for d in documents}, vectors, "en", 0.1) is None
    features = ConfidenceModel.features(np.ones(40), np.ones(40), np.ones(40))
    assert ConfidenceModel.fit(features, np.ones(40, bool)) is None  # one class: nothing to learn
