"""A team's own etiquette model (checks/team_head.py): on the real multilingual model, it flags what
the team's examples mean beyond their nearest neighbours and leaves the team's ordinary replies
alone; it is fitted once per exact set of examples."""

import threading

import numpy as np
import pytest

from service.checks.base import CheckContext, Example, TeamRules
from service.checks.etiquette import NEVER_SAY_SIMILARITY, EtiquetteCheck, EtiquetteModel, as_written_in_training
from service.checks.team_head import TeamHeads
from service.checks.vectors import SentenceVectors
from service.languages import load_languages

LANGUAGES = load_languages(("en", "ru"))
PHONE = TeamRules(never_say=(Example("Please call our phone line for this."), Example("Ring our hotline, they will help you."),
                             Example("Phone support can do this for you.")))


@pytest.fixture(scope="module")
def checks(use_model):
    model = EtiquetteModel.load()
    vectors = SentenceVectors(use_model)
    return EtiquetteCheck(vectors, model), EtiquetteCheck(vectors, model, LANGUAGES), vectors


def rules_of(check, text, rules, code="en"):
    return {f.rule for f in check.check(text, LANGUAGES.get(code), CheckContext(rules=rules))}


def test_a_teams_model_flags_a_paraphrase_beyond_its_nearest_example(checks):
    nearest_only, learned, vectors = checks
    paraphrase = "Our phone team handles these requests."
    examples = vectors.encode([as_written_in_training(e.text) for e in PHONE.never_say])
    assert float((examples @ vectors.encode([paraphrase])[0]).max()) < NEVER_SAY_SIMILARITY
    assert rules_of(nearest_only, paraphrase, PHONE) == set()
    assert rules_of(learned, paraphrase, PHONE) == {"ETIQUETTE_TEAM"}
    assert rules_of(learned, paraphrase, TeamRules()) == set()  # another team's check is untouched


@pytest.mark.parametrize("reply", ["You can also reach us by e-mail at any time.",
                                   "I've called the courier and they will deliver tomorrow."])
def test_a_teams_model_leaves_its_other_replies_alone(checks, reply):
    assert rules_of(checks[1], reply, PHONE) == set()


def test_a_fine_example_clears_what_the_teams_model_would_flag(checks):
    paraphrase = "Our phone team handles these requests."
    rules = TeamRules(never_say=PHONE.never_say, fine=(Example(paraphrase),))
    assert rules_of(checks[1], paraphrase, rules) == set()


def test_a_teams_model_is_fitted_once_per_set_of_examples_and_the_oldest_forgotten():
    rng = np.random.default_rng(0)
    table: dict[str, np.ndarray] = {}
    calls = []

    def encode(texts):
        calls.append(len(texts))
        rows = [table.setdefault(t, rng.normal(size=16)) for t in texts]
        return np.array([r / np.linalg.norm(r) for r in rows], np.float32)

    heads = TeamHeads(encode, lambda: [f"clean {n}" for n in range(50)], kept=2)
    assert heads.head([], ["fine"]) is None and calls == []
    first = heads.head(["never a"], [])
    assert heads.head(["never a"], []) is first and len(calls) == 2  # the clean sentences, then the example
    second = heads.head(["never a"], ["fine b"])  # a fine example is a new set
    assert second is not first
    heads.head(["never c"], [])
    assert heads.head(["never a"], []) is not first  # the oldest of three was forgotten: fitted again
    probabilities = second.probabilities(encode(["never a", "clean 1"]))
    assert probabilities[0] > 0.5 > probabilities[1]


def test_concurrent_checks_fit_a_new_set_once():
    fits = []
    started = threading.Event()

    def encode(texts):
        if texts and texts[0].startswith("never"):
            fits.append(texts)
            started.wait(0.2)
        return np.eye(len(texts), 8, dtype=np.float32) if texts else np.zeros((0, 8), np.float32)

    heads = TeamHeads(encode, lambda: ["clean 1", "clean 2", "clean 3"])
    results = []
    threads = [threading.Thread(target=lambda: results.append(heads.head(["never x"], []))) for _ in range(4)]
    for t in threads:
        t.start()
    started.set()
    for t in threads:
        t.join()
    assert len(fits) == 1 and len({id(r) for r in results}) == 1


def test_a_language_without_etiquette_sentences_and_a_failing_fit_leave_the_nearest_examples_acting(tmp_path, use_model):
    from types import SimpleNamespace

    third = SimpleNamespace(code="xx", folder=tmp_path / "xx")  # a language folder without etiquette/train.yaml
    check = EtiquetteCheck(SentenceVectors(use_model), EtiquetteModel.load(), [third])
    rules = TeamRules(never_say=(Example("I'm closing this ticket now."),))
    assert rules_of(check, "I'm closing this ticket now.", rules) == {"ETIQUETTE_TEAM"}  # the nearest example
    assert rules_of(check, "Thanks, your refund was sent today.", rules) == set()

    def broken(texts):
        raise RuntimeError("encoder down")

    assert TeamHeads(broken, lambda: ["clean"]).head(["never"], []) is None


def test_prepared_clean_sentences_leave_a_first_check_only_its_examples_to_encode():
    calls = []

    def encode(texts):
        calls.append(list(texts))
        return np.eye(len(texts), 8, dtype=np.float32) if texts else np.zeros((0, 8), np.float32)

    heads = TeamHeads(encode, lambda: ["clean 1", "clean 2", "clean 3"])
    heads.prepare()
    assert calls == [["clean 1", "clean 2", "clean 3"]]
    assert heads.head(["never x"], []) is not None
    assert calls[1:] == [["never x"]]
