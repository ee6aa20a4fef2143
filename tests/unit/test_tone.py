"""Tone rules in both languages and the learned score on the real multilingual model, through the
check service with every registered check but LanguageTool (tests/api/test_check.py has that)."""

import numpy as np
import pytest

from service.checks.base import BannedPhrase, TeamRules
from service.checks.registry import CheckDeps, build_checks
from service.checks.service import CheckService
from service.checks.tone import ToneHead, ToneScorer, WholeTextHead
from service.core.settings import Settings
from service.languages import load_languages
from service.languages.detect import LanguageDetector


@pytest.fixture(scope="module")
def tone(use_model, minilm):
    """As the service scores: the sentence head, and a text read as one by the head beside MiniLM."""
    head = ToneHead.load()
    assert head is not None, "service/checks/tone_head.npz is missing: run 'make train-tone'"
    whole = WholeTextHead.load(head)
    assert whole is not None and whole.extra_model == minilm.name, "tone_head_whole.npz: run 'make train-tone'"
    languages = load_languages(("en", "ru"))
    return CheckService(build_checks(CheckDeps(Settings())), ToneScorer(use_model, head, whole=whole, whole_embedder=minilm),
                        languages, LanguageDetector(languages))


def rule_ids(result):
    return {i.rule for i in result.issues}


@pytest.mark.parametrize("text,rule", [
    ("As I already said, the refund takes five days.", "TONE_REPEAT"),
    ("It's your fault, you should have read the manual.", "TONE_BLAME"),
    ("You are wrong about the invoice.", "TONE_ARGUE"),
    ("Honestly our management is useless and never listens.", "TONE_MANAGEMENT"),
    ("Another provider would be cheaper for you.", "TONE_COMPETITOR"),
    ("I guarantee this will never happen again.", "TONE_PROMISE"),
    ("Calm down, this is obviously a simple thing.", "TONE_DISMISSIVE"),
    ("You need to send the form today.", "TONE_ORDER"),
    ("This is crap.", "TONE_PROFANITY"),
    ("Yeah, gonna check it.", "TONE_SLANG"),
    ("THIS IS NOT OUR PROBLEM", "TONE_CAPS"),
    ("Fixed!!!", "TONE_EXCLAMATION"),
])
def test_english_rules(tone, text, rule):
    result = tone.check(text, "en")
    assert rule in rule_ids(result)
    hit = next(i for i in result.issues if i.rule == rule)
    assert hit.message and hit.length >= 0


@pytest.mark.parametrize("text,rule", [
    ("Как я уже говорил, возврат занимает пять дней.", "TONE_REPEAT"),
    ("Это ваша вина, надо было читать инструкцию.", "TONE_BLAME"),
    ("Вы ошибаетесь насчёт счёта.", "TONE_ARGUE"),
    ("Наше руководство ничего не слушает.", "TONE_MANAGEMENT"),
    ("У конкурентов всё дешевле.", "TONE_COMPETITOR"),
    ("Гарантирую, больше никогда не повторится.", "TONE_PROMISE"),
    ("Успокойтесь, это не наша проблема.", "TONE_DISMISSIVE"),
    ("Вы должны прислать форму сегодня.", "TONE_ORDER"),
    ("Блин, капец какой-то.", "TONE_SLANG"),
])
def test_russian_rules(tone, text, rule):
    assert rule in rule_ids(tone.check(text, "ru"))


@pytest.mark.parametrize("text,blames", [
    ("You should have received a confirmation email from us.", False),
    ("You should have access now.", False),
    ("You should have been refunded on Monday.", False),
    ("You must have a valid licence for the add-on.", False),
    ("You should have backed up your data.", True),
    ("You could have told us sooner.", True),
    ("You should have been more careful.", True),
])
def test_should_have_blames_only_what_the_customer_did(tone, text, blames):
    """"You should have" + what the customer has or gets is information (a stock support phrase the
    rule used to flag); + what they did or failed to do is blame."""
    assert ("TONE_BLAME" in rule_ids(tone.check(text, "en"))) is blames


def test_polite_replies_have_no_rule_hits(tone):
    en = "Hello Ana,\n\nThank you for your patience. I have refunded the order and will write again tomorrow.\n\nBest regards,\nSam"
    ru = "Здравствуйте, Анна!\n\nСпасибо за терпение. Я оформил возврат и завтра напишу снова.\n\nС уважением,\nСэм"
    assert [i.rule for i in tone.check(en, "en").issues] == []
    assert [i.rule for i in tone.check(ru, "ru").issues] == []


def test_structure_rules_on_a_bare_reply(tone):
    ids = rule_ids(tone.check("The order shipped. The parcel is in transit. It is in the system.", "en"))
    assert {"TONE_NO_GREETING", "TONE_NO_CLOSING", "TONE_NO_NEXT_STEP"} <= ids


def test_learned_score_russian_rude_below_zero_polite_above(tone):
    rude = tone.check("Ты чё, совсем тупой? Отвали уже со своими вопросами.", "ru").tone
    polite = tone.check("Большое спасибо, что сообщили об ошибке, мы очень ценим вашу помощь.", "ru").tone
    assert rude.score < 0 and rude.label == "rude"
    assert polite.score > 0 and polite.label == "polite"
    # the sentence score itself, not only the rules, carries it
    assert rude.sentences and rude.sentences[0].score < 0


def test_learned_score_english(tone):
    assert tone.check("Thank you so much for your patience, I'm happy to help.", "en").tone.score > 0.2
    assert tone.check("Stop wasting my time with your stupid questions.", "en").tone.score < -0.2


def test_team_banned_phrase_with_replacement(tone):
    rules = TeamRules((BannedPhrase("no worries", "You're welcome"),))
    result = tone.check("Hello, no worries at all.", "en", rules=rules)
    hit = next(i for i in result.issues if i.rule == "TEAM_BANNED_PHRASE")
    assert hit.replacements == ["You're welcome"]


def test_strategies_are_counted_in_each_language():
    from service.checks.tone import Strategies
    from service.languages import POLITENESS_STRATEGIES

    languages = load_languages(("en", "ru"))
    counts = Strategies().features(["Could you please check it? Thanks!", "Не могли бы вы, пожалуйста, проверить? Спасибо!"],
                                   languages.get("en"))
    names = dict(zip(POLITENESS_STRATEGIES, counts[0]))
    assert names["please"] == 1 and names["gratitude"] == 1 and names["indirect"] >= 1 and names["question"] == 1
    assert counts[1][POLITENESS_STRATEGIES.index("please")] == 0  # English patterns do not read Russian
    ru = dict(zip(POLITENESS_STRATEGIES, Strategies().features(["Не могли бы вы, пожалуйста, проверить? Спасибо!"],
                                                                languages.get("ru"))[0]))
    assert ru["please"] == 1 and ru["gratitude"] == 1 and ru["indirect"] == 1


# Requests asking for the same thing, one politely and one not, in several voices (none of them in
# any training set): the score must rank each polite one above its impolite twin.
PAIRS = [
    ("en", "Would you mind taking another look at my edit when you have a moment? Thanks!",
     "Why did you revert my edit? Look at it again."),
    ("en", "Sorry to bother you, could you tell me where the invoice settings are?",
     "Where are the invoice settings, seriously, nobody can find anything in this app"),
    ("en", "I think the link in the guide might be broken - could you check it, please?",
     "The link in your guide is broken. Fix it."),
    ("en", "hi, i'd really appreciate it if u could reset my password, thx",
     "reset my password already, u r so slow"),
    ("ru", "Здравствуйте! Не могли бы вы посмотреть мою правку, когда будет время? Спасибо.",
     "Зачем ты откатил мою правку? Посмотри ещё раз."),
    ("ru", "Извините за беспокойство, подскажите, пожалуйста, где настройки счетов?",
     "Где эти ваши настройки счетов, вообще ничего найти нельзя"),
    ("ru", "Кажется, ссылка в инструкции не работает — проверьте, пожалуйста, если не сложно.",
     "Ссылка в инструкции не работает. Исправьте уже."),
    ("ru", "буду благодарен, если сбросите мне пароль, спасибо заранее",
     "сбрось мне пароль наконец, сколько можно ждать"),
]


@pytest.mark.parametrize("code,polite,impolite", PAIRS)
def test_polite_request_scores_above_its_impolite_twin(tone, code, polite, impolite):
    assert tone.check(polite, code).tone.score > tone.check(impolite, code).tone.score


def test_a_remote_check_runs_beside_the_local_ones():
    """LanguageTool's wait overlaps the local checks: the remote check is started before the local
    ones run, its findings still reach the response, and its failure still reaches the caller."""
    import threading

    from service.checks.base import Finding

    started = threading.Event()

    class Remote:
        name, affects_tone, remote = "remote", False, True

        def check(self, text, language, context):
            started.set()
            return [Finding(0, 5, "grammar", "REMOTE", "from the other process", "error")]

    class Local:
        name, affects_tone = "local", False

        def check(self, text, language, context):
            assert started.wait(5), "the remote check had not started while a local one ran"
            return []

    languages = load_languages(("en", "ru"))
    service = CheckService([Local(), Remote()], ToneScorer(), languages, LanguageDetector(languages))
    try:
        result = service.check("Hello there, your parcel is on its way.", "en")
        assert [i.rule for i in result.issues] == ["REMOTE"]

        class Broken(Remote):
            def check(self, text, language, context):
                started.set()
                raise RuntimeError("boom")

        service.checks = [Local(), Broken()]
        with pytest.raises(RuntimeError):
            service.check("Hello there, your parcel is on its way.", "en")
    finally:
        service.close()


def test_the_local_checks_wait_for_the_remote_request_to_be_on_its_way():
    """The local checks hold the interpreter lock: they start once the remote check has asked
    (``context.asked``), or has returned without asking, never while it is still preparing."""
    import time

    order = []

    class Remote:
        name, affects_tone, remote = "remote", False, True

        def __init__(self, asks: bool) -> None:
            self.asks = asks

        def check(self, text, language, context):
            time.sleep(0.005)  # splitting the draft, the cache, building the request
            order.append("asked")
            if self.asks:
                context.asked.set()
                time.sleep(0.01)  # the answer comes back later
            return []

    class Local:
        name, affects_tone = "local", False

        def check(self, text, language, context):
            order.append("local")
            return []

    languages = load_languages(("en", "ru"))
    service = CheckService([Local(), Remote(True)], ToneScorer(), languages, LanguageDetector(languages))
    try:
        for asks in (True, False):  # without asking (all cached): it returns, and that is enough
            order.clear()
            service.checks = [Local(), Remote(asks)]
            service.check("Hello there, your parcel is on its way.", "en")
            assert order == ["asked", "local"]
    finally:
        service.close()


def test_the_kernel_head_predicts_as_scikit_learns_kernel_ridge_and_survives_a_save(tmp_path):
    from sklearn.kernel_ridge import KernelRidge

    from service.checks.tone import as_stored, from_stored

    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(60, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    stored = from_stored(*as_stored(vectors[:40]))  # what training fits on
    assert np.abs(stored - vectors[:40]).max() < 0.005
    counts = rng.integers(0, 4, size=(60, 3)).astype(np.float32)
    target = vectors[:, 0] - 0.3 * counts[:, 1] + rng.normal(scale=0.1, size=60)
    model = KernelRidge(alpha=0.5, kernel="rbf", gamma=1.5).fit(np.hstack([stored, 0.2 * counts[:40]]),
                                                               target[:40] - target[:40].mean())
    head = ToneHead("m", stored, counts[:40], model.dual_coef_, float(target[:40].mean()), 1.5, 0.2)
    expected = model.predict(np.hstack([vectors[40:], 0.2 * counts[40:]])) + target[:40].mean()
    np.testing.assert_allclose(head.raw(vectors[40:], counts[40:]), expected, rtol=1e-4, atol=1e-4)
    exact = ToneHead("m", stored, counts[:40], model.dual_coef_, float(target[:40].mean()), 1.5, 0.2, int8=False)
    np.testing.assert_allclose(exact.raw(vectors[40:], counts[40:]), expected, rtol=1e-5, atol=1e-5)
    head.save(tmp_path / "head.npz")
    loaded = ToneHead.load(tmp_path / "head.npz")
    assert loaded.model == "m" and loaded.gamma == 1.5 and loaded.strategy_scale == 0.2
    # stored as int8 after training fitted on the same rounding: the saved head answers as the fitted one
    np.testing.assert_allclose(loaded.raw(vectors[40:], counts[40:]), expected, rtol=1e-4, atol=1e-4)


def test_a_texts_strategy_counts_come_from_its_sentences_as_from_the_whole_text():
    """``Strategies.joined`` (the sentences' own counts, added up) gives what a pass over the
    joined text gives, anchored patterns included, on the bench drafts and every starter reply."""
    from pathlib import Path

    from bench.check_bench import EN_DRAFT, RU_DRAFT
    from service.checks.tone import Strategies, split_sentences
    from service.library.files import read_library

    languages = load_languages(("en", "ru"))
    texts = [("en", EN_DRAFT), ("ru", RU_DRAFT), ("en", "Why is this broken? You never answer. Thanks anyway!"),
             ("ru", "Почему ничего не работает? Вы вообще читаете? Спасибо, конечно.")]
    library, _ = read_library(Path(__file__).resolve().parents[2] / "responses", ("en", "ru"))
    texts += [(t.language, t.body) for t in library]
    strategies = Strategies()
    anchored_hits = 0
    for code, text in texts:
        sentences = [s for _, s in split_sentences(text)]
        if not sentences:
            continue
        lang = languages.get(code)
        counts = strategies.counts(sentences, lang)
        expected = strategies.features([" ".join(sentences)], lang)[0]
        np.testing.assert_array_equal(strategies.joined(counts, lang), expected, err_msg=text[:60])
        anchored_hits += int(counts[1:, [p.startswith("^") for p in lang.politeness.values()]].sum())
    assert anchored_hits > 0  # later sentences do start with a greeting, a "why" or a "you" and are not counted


def test_written_requests_are_read_with_their_targets_and_bad_labels_refused(tmp_path):
    from types import SimpleNamespace

    from service.checks.tone_training import _requests

    ru = load_languages(("ru",)).get("ru")
    rows = _requests([ru], -1.0, -0.5, 0.6)
    assert {label for _, label, _ in rows} == {-1.0, -0.5, 0.6} and {code for *_, code in rows} == {"ru"}
    assert ("Почему откатили правку в разделе «Биография»?", -0.5, "ru") in rows
    en = load_languages(("en",)).get("en")
    rows = _requests([en], -1.0, -0.5, 0.6)
    assert {label for _, label, _ in rows} == {-1.0, -0.5, 0.6} and {code for *_, code in rows} == {"en"}
    assert ("Which plugin versions do you have installed?", -0.5, "en") in rows
    folder = tmp_path / "xx" / "politeness"
    folder.mkdir(parents=True)
    (folder / "requests.yaml").write_text("polite:\n- Thanks!\nrude:\n- No.\n", encoding="utf-8")
    with pytest.raises(ValueError, match="rude"):
        _requests([SimpleNamespace(code="xx", folder=tmp_path / "xx")], -1.0, -0.5, 0.6)
    assert _requests([SimpleNamespace(code="yy", folder=tmp_path / "yy")], -1.0, -0.5, 0.6) == []


@pytest.mark.parametrize("bare,courteous", [
    ("Почему удалили мой комментарий?", "Здравствуйте! Подскажите, пожалуйста, почему удалили мой комментарий? Спасибо."),
    ("Проверьте мой перевод.", "Если будет минутка, проверьте, пожалуйста, мой перевод. Заранее благодарю!"),
    ("Why did you delete my comment?", "Hi! Could you please tell me why my comment was deleted? Thanks."),
    ("What Python version?", "Thanks for the question! Which Python version are you using, if I may ask?"),
])
def test_a_courteous_request_scores_above_the_same_ask_made_bare(tone, bare, courteous):
    assert tone.check(courteous).tone.score > tone.check(bare).tone.score


def test_a_short_texts_worst_sentence_pulls_it_down_only_below_the_rude_line():
    from service.checks.tone import LABEL_BOUNDS, WHOLE_TEXT_SENTENCES, mixed

    rude = LABEL_BOUNDS[0]
    # a courteous request whose bare ask is its worst sentence: the whole text's score stands
    assert mixed(0.6, [0.5, -0.2], 2) == pytest.approx(0.6)
    assert mixed(0.6, [0.5, rude], 2) == pytest.approx(0.6)
    # a rude sentence in it: pulled down by 0.3 of how far it lies below the line
    assert mixed(0.6, [0.5, rude - 0.4], 2) == pytest.approx(0.6 - 0.3 * 0.4)
    # a reply longer than WHOLE_TEXT_SENTENCES is read as the mean of its sentences: the plain mix
    values = [0.5, 0.4, 0.3, 0.3, 0.4, 0.5, -0.2]
    assert mixed(0.6, values, WHOLE_TEXT_SENTENCES + 1) == pytest.approx(0.7 * 0.6 + 0.3 * -0.2)


def test_a_rude_line_still_lowers_a_short_reply(tone):
    polite = "Thank you for your patience. Your refund was sent today."
    assert tone.check(polite + " Stop wasting my time with stupid questions.", "en").tone.score < \
        tone.check(polite, "en").tone.score - 0.2


def test_a_text_read_as_one_is_scored_by_the_head_beside_minilm_and_a_long_one_is_not(use_model, minilm):
    """Up to ``WHOLE_TEXT_SENTENCES`` sentences and ``WHOLE_HEAD_MAX_CHARS`` characters the whole
    text's score is the whole-text head's on USE and MiniLM vectors side by side; a longer text's is
    the sentence head's, as before; sentences keep the sentence head either way."""
    from service.checks.tone import WHOLE_HEAD_MAX_CHARS, WHOLE_TEXT_SENTENCES, Strategies, split_sentences

    head = ToneHead.load()
    whole = WholeTextHead.load(head)
    en = load_languages(("en",)).get("en")
    both = ToneScorer(use_model, head, whole=whole, whole_embedder=minilm)
    alone = ToneScorer(use_model, head)
    request = "Could you please take a look at the citation? I think the year might be wrong. Thanks!"
    sentences = [s for _, s in split_sentences(request)]
    values, score = both._scores(sentences, en)
    counts = Strategies().features([" ".join(sentences)], en)
    expected = whole.scores(use_model.encode([" ".join(sentences)])[0], minilm.encode([" ".join(sentences)])[0], counts)[0]
    assert score == pytest.approx(float(expected), abs=1e-5)
    assert values == pytest.approx(alone._scores(sentences, en)[0], abs=1e-6)
    assert score != pytest.approx(alone._scores(sentences, en)[1], abs=1e-3)
    reply = " ".join(f"Step {n} is done and the log is attached." for n in range(WHOLE_TEXT_SENTENCES + 1))
    long = [s for _, s in split_sentences(reply)]
    assert len(long) > WHOLE_TEXT_SENTENCES
    # a few long sentences past WHOLE_HEAD_MAX_CHARS: MiniLM's encode would outgrow LanguageTool's time
    wordy = [("We have looked into the synchronisation problem you described with the shared calendar and the "
              "mobile application on both of your devices, step " + str(n) + ".") for n in range(4)]
    assert sum(map(len, wordy)) > WHOLE_HEAD_MAX_CHARS
    for texts in (long, wordy):
        (values_both, whole_both), (values_alone, whole_alone) = both._scores(texts, en), alone._scores(texts, en)
        assert values_both == pytest.approx(values_alone, abs=1e-6) and whole_both == pytest.approx(whole_alone, abs=1e-6)


def test_the_whole_text_head_keeps_only_its_own_columns_and_needs_its_sentence_head(tmp_path):
    from sklearn.kernel_ridge import KernelRidge

    from service.checks.tone import as_stored, from_stored

    rng = np.random.default_rng(5)
    unit = lambda m: (m / np.linalg.norm(m, axis=1, keepdims=True)).astype(np.float32)  # noqa: E731
    first, second = from_stored(*as_stored(unit(rng.normal(size=(30, 6))))), from_stored(*as_stored(unit(rng.normal(size=(30, 4)))))
    counts = rng.integers(0, 3, size=(30, 2)).astype(np.float32)
    target = first[:, 0] + second[:, 1]
    base = ToneHead("a", first, counts, np.zeros(30), 0.0, 1.5, 0.2)
    model = KernelRidge(alpha=0.5, kernel="rbf", gamma=0.75).fit(np.hstack([first, second, 0.28 * counts]), target)
    whole = WholeTextHead(ToneHead("a+b", np.hstack([first, second]), counts, model.dual_coef_, 0.0, 0.75, 0.28), "b")
    whole.save(tmp_path / "whole.npz", base)
    with np.load(tmp_path / "whole.npz") as data:
        assert data["vectors"].shape == (30, 4)  # the first model's columns are the sentence head's
    loaded = WholeTextHead.load(base, tmp_path / "whole.npz")
    assert loaded is not None and loaded.extra_model == "b" and loaded.model == "a+b"
    np.testing.assert_allclose(loaded.raw(first[:5], second[:5], counts[:5]), model.predict(
        np.hstack([first[:5], second[:5], 0.28 * counts[:5]])), atol=1e-3)
    other = ToneHead("a", from_stored(*as_stored(unit(rng.normal(size=(30, 6))))), counts, np.zeros(30), 0.0, 1.5, 0.2)
    assert WholeTextHead.load(other, tmp_path / "whole.npz") is None  # trained beside another head
    assert WholeTextHead.load(None, tmp_path / "whole.npz") is None
