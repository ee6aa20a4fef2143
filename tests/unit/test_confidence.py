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
from tests.unit.test_team_search import HashEmbedder

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


def test_without_a_classifier_the_candidates_are_reranked(minilm, monkeypatch):
    """Issue 12: above the classifier's size (or while it retrains) the nearest candidates are
    re-ranked by a model fitted on the library's own triggers: template-free features, so it
    scores only the candidates. On the starter library's held-out triggers it ranks at least as
    well as the nearest vector alone (measured on the dev sets: CLINC150 top-1 0.827 → 0.840)."""
    import index.library as library_module

    monkeypatch.setattr(library_module, "MAX_CLASSIFIER_VECTORS", 0)
    library, _ = read_library(ROOT / "responses", ["en"])
    library = sorted((t for t in library if t.language == "en" and len(t.triggers) >= 3), key=lambda t: t.key)
    documents = [Document(n, t.title, t.body, tuple(t.triggers[:-1])) for n, t in enumerate(library, 1)]
    held = [(t.triggers[-1], n) for n, t in enumerate(library, 1)]
    index = LanguageIndex("en", minilm, stopwords="en")
    index.rebuild(documents, "test")
    assert not index.classifier_fresh and index._reranker is not None

    def ranks():
        results = [(index.search(text, k=3), n) for text, n in held]
        modes = {r.mode for r, _ in results}
        top1 = np.mean([r.hits[0].template_id == n for r, n in results])
        top3 = np.mean([n in [h.template_id for h in r.hits] for r, n in results])
        return modes, top1, top3

    modes, top1, top3 = ranks()
    assert modes == {"reranker"}
    reranker, index._reranker = index._reranker, None
    plain_modes, plain_top1, plain_top3 = ranks()
    assert plain_modes == {"similarity"}
    assert top1 >= plain_top1 and top3 >= plain_top3 - 0.02, (top1, plain_top1, top3, plain_top3)
    assert top1 >= 0.5
    # the features name no template: a fitted ranker serves a library it was not fitted on
    assert reranker.probability(np.array([[0.8, 0.7, 0.6, 0.0, 0.3, 0.7]]))[0] > \
        reranker.probability(np.array([[0.5, 0.4, 0.3, -0.3, 0.05, 0.4]]))[0]


def test_fitted_ranking_models_travel_with_the_saved_index(split, tmp_path):
    """A start loads the confidence model and the candidate re-ranker with the index instead of
    refitting them (five classifier fits, and thousands of searches at a million vectors)."""
    index, answerable, _ = split
    assert index._confidence is not None and index._reranker is not None
    index.save(tmp_path / "en")
    again = LanguageIndex("en", index.embedder, stopwords="en")
    assert again.load(tmp_path / "en")
    assert not again._confidence_stale()
    np.testing.assert_allclose(again._confidence.coef, index._confidence.coef)
    assert again._confidence.threshold == pytest.approx(index._confidence.threshold)
    np.testing.assert_allclose(again._reranker.coef, index._reranker.coef)
    text, _ = answerable[0]
    assert again.search(text, k=3).confidence == pytest.approx(index.search(text, k=3).confidence, abs=1e-4)


@pytest.mark.parametrize("signature", ["", "\n\nBest regards, the ACME support team"])
def test_a_teams_copy_of_the_library_neither_splits_confidence_nor_shows_twice(split, minilm, signature):
    """A team that imported the shared library to adapt it holds a copy of every template, as is
    or with its own signature. Ranked as two, each copy got half the classifier's probability, for
    the team and for every other team (measured in the API suite: "I forgot my password and the
    reset link never arrives" fell to 0.26, below the unsure line) and the same reply showed twice.
    Copies (same title and triggers) are learnt from once and shown once: the team's own copy to
    its agents, the shared one to other teams."""
    index, answerable, _ = split
    shared = index.documents()
    copies = [Document(t + 1000, d.title, d.text + signature, d.triggers, 7) for t, d in shared.items()]
    doubled = LanguageIndex("en", minilm, stopwords="en")
    doubled.rebuild(list(shared.values()) + copies, "test")
    assert doubled.classifier_fresh and len(doubled._twins) == len(copies)
    for text, n in answerable[:12]:
        alone = index.search(text, k=3)
        team = doubled.search(text, k=3, teams=frozenset({None, 7}))
        other = doubled.search(text, k=3, teams=frozenset({None, 8}))
        everyone = doubled.search(text, k=3)
        assert [h.template_id for h in team.hits] == [h.template_id + 1000 for h in alone.hits]
        assert [h.template_id for h in other.hits] == [h.template_id for h in alone.hits]
        assert len({doubled.documents()[h.template_id].title for h in everyone.hits}) == 3  # no reply twice
        # the confidence model fitted on the doubled library reads the same ranking the same way
        assert team.confidence == pytest.approx(alone.confidence, abs=0.05), text
        assert other.confidence == pytest.approx(alone.confidence, abs=0.05), text
        assert team.no_match == alone.no_match


def test_twins_follow_edits_and_removals():
    index = LanguageIndex("en", HashEmbedder())
    index.rebuild([Document(1, "Refund", "refund sent", ("where is my refund",), None),
                   Document(2, "Refund", "refund sent", ("where is my refund",), 5),
                   Document(3, "Refund", "refund sent", ("where is my refund",), 6),
                   Document(4, "Order", "order shipped", ("where is my order",), None)], "log:1")
    shown = lambda teams: [h.template_id for h in index.search("where is my refund", k=2, teams=teams).hits]  # noqa: E731
    assert shown(frozenset({None, 5})) == [2, 4] and shown(frozenset({None, 9})) == [1, 4]
    index.remove(1)  # the first of the group goes: the others are still one reply
    assert len(index._twins) == 1 and shown(frozenset({None, 6})) == [3, 4] and shown(frozenset({None, 9})) == [4]
    index.upsert(Document(2, "Refund", "refund sent, in 5 days", ("where is my refund",), 5))  # team 5 adapts its copy
    assert len(index._twins) == 1 and shown(frozenset({None, 5})) == [2, 4]  # still the same reply to the same messages
    index.upsert(Document(2, "Refund", "refund sent", ("where is my refund", "refund status"), 5))  # it answers more
    assert len(index._twins) == 0
    assert shown(None)[:2] in ([2, 3], [3, 2])  # two different replies now
    index.upsert(Document(2, "Refund", "refund sent", ("where is my refund",), 5))  # and back
    assert len(index._twins) == 1 and shown(frozenset({None, 5})) == [2, 4]
    # what a copy learns from its team's sent replies keeps it a copy, and is learnt for the group
    index.upsert(Document(2, "Refund", "refund sent", ("where is my refund", "my order shipped where is it"), 5, own_triggers=1))
    index.train_now()
    assert len(index._twins) == 1 and index.classifier_fresh
    assert 2 in index._classifier.template_ids or 3 in index._classifier.template_ids  # the group's label
    learned = index.search("my order shipped where is it", k=1, teams=frozenset({None, 5}))
    assert learned.mode == "classifier" and [h.template_id for h in learned.hits] == [2]
    # without triggers, a title alone does not make a copy
    index.apply([Document(7, "Thanks", "thank you for writing", (), None), Document(8, "Thanks", "thanks, all sorted", (), 5)], [])
    assert len(index._twins) == 1


def test_the_classifier_serves_while_the_confidence_is_refitted(monkeypatch):
    """The refits cost five classifier fits more than the classifier (about 60 s against 15 s for 1,247
    templates): suggestions must not wait for them in re-ranker mode."""
    import index.library as library

    documents = _topic_documents()
    index = LanguageIndex("en", HashEmbedder())
    seen = []
    real = library.fit_confidence

    def watched(*args, **kwargs):
        seen.append((index.classifier_fresh, index.search("where is my coupon", k=1).mode))
        return real(*args, **kwargs)

    monkeypatch.setattr(library, "fit_confidence", watched)
    index.rebuild(documents, "log:1")
    assert seen == [(True, "classifier")]
    assert index._confidence is not None and index.search("where is my coupon", k=1).confidence is not None
    index.upsert(Document(13, "Gift card", "about your gift card", ("gift card balance",)))
    index.train_now()  # one edit: the refits wait for more (CONFIDENCE_REFIT_CHANGES), the classifier does not
    assert len(seen) == 1 and index.classifier_fresh and index.search("gift card balance", k=1).hits[0].template_id == 13


def _topic_documents() -> list[Document]:
    """Twelve templates of two lead triggers each (learned ones go after them)."""
    topics = ["refund", "order", "password", "invoice", "delivery", "account", "coupon", "warranty",
              "address", "subscription", "login", "shipping"]
    return [Document(n, t.title(), f"about your {t}", (f"where is my {t}", f"{t} problem"), None, 2)
            for n, t in enumerate(topics, 1)]


def _topics_index():
    documents = _topic_documents()
    index = LanguageIndex("en", HashEmbedder())
    index.rebuild(documents, "log:1")
    return index, documents


def test_triggers_learned_from_sent_replies_keep_the_classifier_serving():
    """A sent pick adds a learned trigger: the head trained before still knows every template, so it
    serves until the retrain; a lead's edit shows at once, by the nearest vectors."""
    index, documents = _topics_index()
    coupon = documents[6]
    learned = Document(coupon.template_id, coupon.title, coupon.text, coupon.triggers + ("discount code rejected",), None, 2)
    index.upsert(learned)
    assert not index.classifier_fresh and index.search("where is my coupon", k=1).mode == "classifier"
    index.upsert(Document(coupon.template_id, coupon.title, coupon.text, coupon.triggers + ("voucher",), None, 3))
    assert index.search("where is my coupon", k=1).mode != "classifier"  # the lead's trigger counts now
    index.train_now()
    assert index.classifier_fresh and index.search("voucher", k=1).hits[0].template_id == coupon.template_id


def test_a_withdrawn_learned_trigger_takes_the_head_out_until_the_retrain():
    """A lead's undo (or an agent's dismissal of the reply a message was learned from) withdraws what
    the head learned from it: the nearest vectors serve until the retrain, as after an edit. A new
    pick that pushes the oldest learned message out (newest 200 kept) is still learning only."""
    index, documents = _topics_index()
    coupon = documents[6]
    learned = ("discount code rejected", "voucher not accepted")
    index.upsert(Document(coupon.template_id, coupon.title, coupon.text, coupon.triggers + learned, None, 2))
    index.train_now()
    assert index.search("discount code rejected", k=1).mode == "classifier"
    index.upsert(Document(coupon.template_id, coupon.title, coupon.text, coupon.triggers + learned[1:], None, 2))
    assert index.search("discount code rejected", k=1).mode != "classifier"  # the undo shows at once
    index.train_now()
    assert index.search("discount code rejected", k=1).mode == "classifier"
    index.upsert(Document(coupon.template_id, coupon.title, coupon.text,
                          coupon.triggers + ("promo code expired",), None, 2))  # the oldest made room
    assert index.search("discount code rejected", k=1).mode == "classifier"


def test_a_fit_outpaced_by_learned_triggers_still_serves(monkeypatch):
    """On a large library a fit takes seconds, and agents send replies all along: a fit that a
    learned trigger overtook serves (else the head never would); one a lead's edit overtook not."""
    import index.library as library

    index, documents = _topics_index()
    real = library.TemplateClassifier.train
    coupon = documents[6]
    during = []

    def overtaken(labels, vectors):
        fitted = real(labels, vectors)
        index.upsert(during.pop())
        return fitted

    monkeypatch.setattr(library.TemplateClassifier, "train", staticmethod(overtaken))
    during.append(Document(coupon.template_id, coupon.title, coupon.text, coupon.triggers + ("promo code",), None, 2))
    index.upsert(Document(99, "Gift card", "about your gift card", ("gift card balance",)))  # a lead's new template
    assert index.search("gift card balance", k=1).mode != "classifier"
    index.train_now()
    assert not index.classifier_fresh
    assert index.search("gift card balance", k=1).mode == "classifier"  # learned only since: it serves
    during.append(Document(99, "Gift card", "about your gift card", ("gift card balance", "gift voucher"), None, None))
    index.upsert(Document(coupon.template_id, coupon.title, coupon.text, coupon.triggers, None, 2))  # an undo
    index.train_now()  # a lead's edit lands during the fit: the nearest vectors serve until the next
    assert index.search("gift card balance", k=1).mode != "classifier"


def test_the_refits_give_way_to_a_leads_edit(monkeypatch):
    """The refits are five fits (about 60 s for 1,247 templates): a lead's edit during them must not
    wait for the rest before its retrain; they are done after it."""
    import index.library as library

    index, documents = _topics_index()
    for n in range(library.CONFIDENCE_REFIT_CHANGES):  # enough edits to ask for the refits
        d = documents[n % len(documents)]
        index.upsert(Document(d.template_id, d.title, d.text, d.triggers + (f"{d.title} case {n}",), None, 3))
    real, fits, edits = library.TemplateClassifier.train, [], []

    def counted(labels, vectors):
        fits.append(len(labels))
        if edits and len(fits) == 2:  # the first fold of the refits
            index.upsert(edits.pop())
        return real(labels, vectors)

    monkeypatch.setattr(library.TemplateClassifier, "train", staticmethod(counted))
    basis = index._confidence_basis
    edits.append(Document(99, "Gift card", "about your gift card", ("gift card balance",)))
    index.train_now()
    assert len(fits) == 2 and index._confidence_basis == basis  # put off after the fold under way
    index.train_now()
    assert len(fits) == 2 + 1 + library.CONFIDENCE_FOLDS and index._confidence_basis != basis  # then done
    assert index.classifier_fresh and index.search("gift card balance", k=1).hits[0].template_id == 99


def test_learned_triggers_ask_for_the_refits_ten_times_less_often_than_edits(monkeypatch):
    import index.library as library

    index, documents = _topics_index()
    real, fits = library.TemplateClassifier.train, []
    monkeypatch.setattr(library.TemplateClassifier, "train", staticmethod(lambda *a: fits.append(1) or real(*a)))
    coupon = documents[6]

    def learn(n):
        for k in range(n):
            index.upsert(Document(coupon.template_id, coupon.title, coupon.text, coupon.triggers + (f"code {k}",), None, 2))
    learn(library.CONFIDENCE_REFIT_CHANGES)
    index.train_now()
    assert len(fits) == 1  # the classifier alone
    learn(library.CONFIDENCE_REFIT_LEARNED - library.CONFIDENCE_REFIT_CHANGES)
    index.train_now()
    assert len(fits) == 2 + library.CONFIDENCE_FOLDS  # and now the refits


def test_a_leads_edit_ends_the_rest_between_retrains_for_learned_triggers():
    """Retrains for learned triggers only wait as long as the last fit took (up to a minute on a
    large library); a lead's edit meanwhile is retrained at once, not after that wait."""
    import time

    index, documents = _topics_index()
    index.start_background_training()
    try:
        index._last_fit_seconds = 30.0  # as a large library's fit (set: this one fits in milliseconds)
        coupon = documents[6]
        index.upsert(Document(coupon.template_id, coupon.title, coupon.text, coupon.triggers + ("promo code",), None, 2))
        time.sleep(1.0)  # past the debounce: the worker rests
        index.upsert(Document(99, "Gift card", "about your gift card", ("gift card balance",)))
        deadline = time.monotonic() + 10
        while not index.classifier_fresh and time.monotonic() < deadline:
            time.sleep(0.05)
        assert index.classifier_fresh and index.search("gift card balance", k=1).mode == "classifier"
    finally:
        index.stop()
