"""How the classifier's ranking is put together (index/ranking.py): the probability of each
template plus ``CENTROID_WEIGHT`` × the cosine to its centroid, real model, starter library."""

from pathlib import Path

import numpy as np
import pytest

from index.library import Document, LanguageIndex
from index.ranking import CENTROID_WEIGHT, RankingSettings, TemplateClassifier, class_centroids, sentences
from service.library.files import read_library

ROOT = Path(__file__).resolve().parents[2]


def test_class_centroids_are_unit_means_in_class_order():
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(9, 5)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)  # unit, as the models give them
    labels = np.array([7, 3, 7, 11, 3, 3, 11, 7, 11])
    classes = np.unique(labels)
    centres = class_centroids(labels, vectors)
    for row, label in zip(centres, classes):
        mean = vectors[labels == label].mean(axis=0)
        assert np.allclose(row, mean / np.linalg.norm(mean), atol=1e-6)
    classifier = TemplateClassifier.train(labels, vectors)
    query = vectors[0]
    assert np.allclose(classifier.centroid_similarities(query), centres @ query, atol=1e-5)
    assert classifier.centroid_similarities(np.vstack([query, query])).shape == (2, 3)


def test_suggestions_follow_probability_plus_centroid(minilm):
    """With BM25 off, a one-sentence message's suggestions come in the order of
    P + CENTROID_WEIGHT × cos(centroid)."""
    assert CENTROID_WEIGHT > 0
    library, _ = read_library(ROOT / "responses", ["en"])
    library = sorted((t for t in library if t.language == "en" and len(t.triggers) >= 3), key=lambda t: t.key)
    documents = [Document(n, t.title, t.body, tuple(t.triggers[:-1])) for n, t in enumerate(library, 1)]
    index = LanguageIndex("en", minilm, RankingSettings(lexical_weight=0.0), stopwords="en")
    index.rebuild(documents, "test")
    assert index.classifier_fresh
    classifier = index._classifier
    differs = 0
    for t in library:
        message = t.triggers[-1]  # held out: never indexed
        if sentences(message):  # several sentences are also read one by one: another mix
            continue
        query = minilm.encode([message])[0]
        probs = classifier.probability_matrix(query[None, :])[0]
        combined = probs + CENTROID_WEIGHT * classifier.centroid_similarities(query)
        expected = [int(classifier.template_ids[i]) for i in np.argsort(-combined)[:3]]
        by_probability = [int(classifier.template_ids[i]) for i in np.argsort(-probs)[:3]]
        differs += expected != by_probability
        result = index.search(message, k=3)
        assert [h.template_id for h in result.hits] == expected, message
    # the centroid changes some orders on this library (else the test above shows nothing)
    assert differs > 0


def test_a_template_with_a_reply_text_has_its_title_as_a_row_of_its_own(minilm):
    """Slot 0 holds the title with the reply text, whose words outweigh it; the title alone is the
    last row, learnt by the classifier and searched like a trigger."""
    body = "Hello {{ customer.name }}, good news: your refund of {{ amount }} was approved today."
    refund = Document(1, "Refund approved", body, ("I want my money back", "where is my refund"))
    assert refund.texts() == [f"Refund approved. {body}".rstrip("."), "I want my money back", "where is my refund",
                              "Refund approved"]
    # no reply text (the benches' intents): the first row is already the title alone
    assert Document(2, "transfer", "", ("move money",)).texts() == ["transfer", "move money"]
    # a title a lead also wrote as a trigger is held once
    assert Document(3, "Refund", body, ("Refund",)).texts() == [f"Refund. {body}".rstrip("."), "Refund"]
    # what was learned from sent replies sits between the lead's triggers and the title
    learned = Document(5, "Refund approved", body, ("lead's", "learned one", "learned two"), own_triggers=1)
    assert learned.texts()[learned.learned_rows()] == ["learned one", "learned two"]
    shipping = Document(4, "Shipping delay", "We are sorry: the carrier reports a delay of two days.",
                        ("my parcel is late", "order not arrived yet"))
    index = LanguageIndex("en", minilm, stopwords="en")
    index.rebuild([refund, shipping], "test")
    rows = index._vectors[1]
    assert len(rows) == 4
    assert float(rows[-1] @ minilm.encode(["Refund approved"])[0]) > 0.999
    assert index.search("refund approved?", k=1).hits[0].template_id == 1


def test_a_title_with_the_separators_of_macro_names_is_read_as_words(minilm):
    """Titles named like intents or Zendesk macros ("card_arrival", "Billing::Refunds") are
    embedded and matched as words: the title shown stays as the lead wrote it."""
    card = Document(1, "card_arrival", "Your new card is on its way.", ("has my card been sent",))
    assert card.texts() == ["card arrival. Your new card is on its way", "has my card been sent", "card arrival"]
    assert card.lexical_text() == "card arrival has my card been sent"
    macro = Document(2, "Billing::Refunds :: Partial_refund", "", ())
    assert macro.texts() == ["Billing: Refunds: Partial refund"]
    assert macro.title == "Billing::Refunds :: Partial_refund"
    assert Document(3, "___", "", ()).texts() == ["___"]  # nothing but separators: kept, not an empty row
    index = LanguageIndex("en", minilm, stopwords="en")
    index.rebuild([card, Document(4, "card_declined", "", ("my payment was refused",))], "test")
    assert float(index._vectors[1][-1] @ minilm.encode(["card arrival"])[0]) > 0.999
    # BM25 finds "arrival" in the title (one token "card_arrival" before)
    assert index._lexical.scores("arrival") == {1: 1.0}
