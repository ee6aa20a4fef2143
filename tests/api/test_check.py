"""/check against the real LanguageTool the service starts, with real tone and privacy checks."""

import os
import re
import signal
import time

import pytest

from tests.conftest import token_for


def check(client, **body):
    response = client.post("/api/v1/check", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def utf16(text: str, offset: int, length: int) -> str:
    """What JavaScript's text.substr(offset, length) returns."""
    units = text.encode("utf-16-le")
    return units[offset * 2:(offset + length) * 2].decode("utf-16-le")


def find(result, rule_prefix):
    return [i for i in result["issues"] if i["rule"].startswith(rule_prefix)]


def test_english_grammar_and_spelling_at_right_offsets(client, grammar_ready):
    text = "Hello Ana,\n\nThis are a tset of our new sistem. We will write again tomorrow.\n\nBest regards"
    result = check(client, text=text, language="en")
    assert result["grammar_available"] is True and result["language"] == "en"
    flagged = {utf16(text, i["offset"], i["length"]): i for i in result["issues"] if i["category"] in ("grammar", "spelling")}
    assert "tset" in flagged and flagged["tset"]["category"] == "spelling"
    assert "test" in flagged["tset"]["replacements"]
    assert "sistem" in flagged and "system" in flagged["sistem"]["replacements"]
    assert any(k in ("This", "are", "This are") for k in flagged)


def test_russian_spelling_at_right_offsets(client, grammar_ready):
    text = "Здравствуйте! Мы правирили ваш заказ и завтра отправем его."
    result = check(client, text=text, language="ru")
    spelled = {utf16(text, i["offset"], i["length"]) for i in result["issues"] if i["category"] == "spelling"}
    assert {"правирили", "отправем"} <= spelled


def test_offsets_survive_emoji_and_cyrillic(client, grammar_ready):
    text = "Привет 😀👍🏽! Hello there, this is a tset 🎉 and your card 4111 1111 1111 1111."
    result = check(client, text=text, language="en")
    spans = {i["rule"]: utf16(text, i["offset"], i["length"]) for i in result["issues"]}
    assert spans["CARD_NUMBER"] == "4111 1111 1111 1111"
    assert any(v == "tset" for v in spans.values())


def test_a_new_draft_goes_to_languagetool_as_written_and_an_edit_sends_only_its_sentence(client, resources,
                                                                                          grammar_ready, monkeypatch):
    """What LanguageTool gets: a new draft as the agent wrote it, then, after an edit, the changed
    sentence alone (not the rest of its paragraph); the findings are the same either way, at the
    draft's offsets."""
    grammar = resources.checks.grammar
    sent = []
    real = grammar._client.check
    monkeypatch.setattr(grammar._client, "check", lambda text, *args: sent.append(text) or real(text, *args))
    draft = (f"Здравствуйте, Анна!\n\nМы правирили ваш заказ {time.time_ns()}. Завтра отправем его курьером.\n\n"
             "С уважением,\nСэм")
    first = check(client, text=draft, language="ru")
    assert sent == [draft + "\n\n"]
    edited = draft.replace("курьером", "почтой")
    second = check(client, text=edited, language="ru")
    assert sent[1:] == ["Завтра отправем его почтой.\n\n"]
    for text, result in ((draft, first), (edited, second)):
        spelled = {utf16(text, i["offset"], i["length"]) for i in result["issues"] if i["category"] == "spelling"}
        assert {"правирили", "отправем"} <= spelled


def test_a_numbered_list_is_not_read_as_sentences_starting_in_lowercase(client, grammar_ready):
    """A list item's number is no sentence of its own: split off it, every item went to LanguageTool
    starting in lowercase and was reported for it, in a new draft and after an edit of the item."""
    draft = (f"Hello Ana,\n\nTo reproduce the problem ({time.time_ns()}), could you please send:\n\n"
             "1. the steps that lead to the error;\n2. what you expected and what happened instead.\n\n"
             "Best regards,\nSam")
    for text in (draft, draft.replace("what you expected", "what you hoped to see")):
        result = check(client, text=text, language="en")
        assert result["grammar_available"] is True
        assert not [i for i in result["issues"] if i["rule"] == "UPPERCASE_SENTENCE_START"], result["issues"]


def test_a_sentence_without_an_end_goes_to_languagetool_in_pieces(client, resources, grammar_ready, monkeypatch):
    """A draft of one "sentence" thousands of characters long (no full stop anywhere) went to
    LanguageTool whole: its time grows faster than a sentence's length, and at 20,000 characters the
    request ran into the server's 20 s limit, grammar reported unavailable. It goes in pieces cut at
    spaces now: a mistake in a late piece is found at its offset, no piece is reported for starting
    in lowercase, and no request is much over a chunk."""
    from service.checks.grammar import CHUNK_CHARS

    grammar = resources.checks.grammar
    sent = []
    real = grammar._client.check
    monkeypatch.setattr(grammar._client, "check", lambda text, *args: sent.append(text) or real(text, *args))
    draft = (f"Hello Ana {time.time_ns()} " + " ".join(["we will look into the order and write back to you"] * 70)
             + " and we recieved your parcel yesterday")
    result = check(client, text=draft, language="en")
    assert result["grammar_available"] is True and not result["partial"]
    assert len(sent) > 1 and max(len(text) for text in sent) <= CHUNK_CHARS + 10, [len(text) for text in sent]
    spelled = [utf16(draft, i["offset"], i["length"]) for i in result["issues"] if i["category"] == "spelling"]
    assert "recieved" in spelled
    assert not find(result, "UPPERCASE_SENTENCE_START"), result["issues"]


def test_tone_rules_and_score_both_languages(client):
    en = check(client, text="As I already said, it's your fault. You are wrong.", language="en")
    assert {"TONE_REPEAT", "TONE_BLAME", "TONE_ARGUE"} <= {i["rule"] for i in en["issues"]}
    assert en["tone"]["label"] == "rude" and en["tone"]["score"] < 0
    rude_ru = check(client, text="Вы сами виноваты, как я уже говорил. Отвалите.", language="ru")
    assert rude_ru["tone"]["score"] < 0
    polite_ru = check(client, text="Спасибо за ваше терпение, мы уже разбираемся и скоро вернёмся с ответом.", language="ru")
    assert polite_ru["tone"]["score"] > 0 and polite_ru["tone"]["label"] == "polite"
    sentence = rude_ru["tone"]["sentences"][0]
    assert sentence["offset"] == 0 and sentence["length"] > 0 and -1 <= sentence["score"] <= 1


def test_language_is_detected(client):
    assert check(client, text="Спасибо, всё работает.")["language"] == "ru"


def test_privacy_and_placeholders(client):
    text = "Hi [NAME], write to boss@acme.com; key sk_live_abcdefghijklmnop1234; see https://wiki.intranet.acme.local/p1"
    result = check(client, text=text, reply_to="From: ana@example.com", language="en")
    rules = {i["rule"]: i for i in result["issues"]}
    assert rules["PLACEHOLDER"]["category"] == "placeholder"
    assert rules["OTHER_EMAIL"]["category"] == "privacy"
    assert rules["SECRET_KEY"]["severity"] == "error"
    assert rules["INTERNAL_URL"]["severity"] == "error"


def test_team_rules_need_lead_and_apply(client, resources):
    agent = token_for(resources, "agent")
    assert client.get("/api/v1/check/rules", headers=agent).status_code == 403
    body = {"banned_phrases": [{"phrase": "no worries", "replacement": "You're welcome", "language": "en"}],
            "disabled_rules": ["MORFOLOGIK_RULE_EN_US"]}
    assert client.put("/api/v1/check/rules", json=body).status_code == 200
    assert client.get("/api/v1/check/rules").json()["banned_phrases"][0]["phrase"] == "no worries"
    result = check(client, text="Hello, no worries, the tset is fine.", language="en")
    banned = find(result, "TEAM_BANNED_PHRASE")
    assert banned and banned[0]["replacements"] == ["You're welcome"]
    assert not find(result, "MORFOLOGIK_RULE_EN_US")
    assert client.put("/api/v1/check/rules", json={"disabled_rules": ["bad rule!"]}).status_code == 400
    client.put("/api/v1/check/rules", json={})


@pytest.mark.parametrize("body,status", [
    ({"text": ""}, 422), ({"text": "   "}, 422), ({"text": "x" * 60_000}, 400),
    ({"text": "hi", "language": "fr"}, 422), ({"text": 5}, 400), ({}, 400),
    ({"text": "hi", "template_id": 999999}, 404),
])
def test_check_bad_input(client, body, status):
    response = client.post("/api/v1/check", json=body)
    assert response.status_code == status and response.json()["message"]


def test_languagetool_killed_then_degraded_then_recovered(client, resources, grammar_ready):
    server = resources.checks.server
    pid = server.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    text = f"Your card 4111 1111 1111 1111 is a tset number {time.time()}."  # new text: no cache hit
    result = check(client, text=text, language="en")
    # Java needs seconds to come back: meanwhile tone and privacy still answer.
    assert result["grammar_available"] is False
    assert any(i["rule"] == "CARD_NUMBER" for i in result["issues"])
    assert result["tone"]["label"] in ("rude", "neutral", "polite")
    assert client.get("/health", headers={"Authorization": ""}).json()["status"] == "degraded"
    assert server.wait_ready(180), server.last_error
    assert server.pid != pid and server.restarts >= 1
    recovered = check(client, text=text + " again", language="en")
    assert recovered["grammar_available"] is True
    assert client.get("/health", headers={"Authorization": ""}).json()["grammar"]["available"] is True


def test_etiquette_violations_are_caught_with_advice_in_the_drafts_language(client):
    for text in ("Our managment is useless but thats not my problem.", "Honestly, CompetitorX does this better."):
        result = check(client, text=text, language="en")
        hits = [i for i in result["issues"] if i["category"] in ("tone", "privacy") and i["severity"] != "info"]
        assert hits and hits[0]["replacements"], (text, result["issues"])
    ru = check(client, text="Добрый день! Честно, наше начальство ничего не понимает. Мы проверим заказ и завтра напишем. "
                            "С уважением, Анна")
    assert ru["language"] == "ru"
    messages = " ".join(i["message"] + " ".join(i["replacements"]) for i in ru["issues"])
    assert "ETIQUETTE_MANAGEMENT" in {i["rule"] for i in ru["issues"]} or "TONE_MANAGEMENT" in {i["rule"] for i in ru["issues"]}
    assert not re.search(r"[A-Za-z]{4,}", messages.replace("LanguageTool", "")), messages  # no English advice
    assert "TONE_NO_GREETING" not in {i["rule"] for i in ru["issues"]}


def test_a_polite_closing_the_first_reading_flags_passes_the_service(client):
    """The second reading (checks/verifier.py) is wired into the running service: the etiquette
    model alone reads this closing as a dismissal (tests/unit/test_etiquette.py)."""
    result = check(client, text="Hello Dana,\n\nYour new card is on its way. Please don't hesitate to reach us by phone "
                                "or chat.\n\nBest regards,\nSam", language="en")
    assert not [i for i in result["issues"] if i["rule"].startswith("ETIQUETTE_")], result["issues"]
    assert check(client, text="Don't bother calling again, nobody here can change it.", language="en")["issues"]


def test_a_russian_draft_gets_russian_advice_even_when_english_is_asked(client):
    result = check(client, text="Добрый день! Как я уже говорил, возврат занимает пять дней. Проверим заказ. Всего доброго",
                   language="en")
    assert result["language"] == "ru"
    rules = {i["rule"] for i in result["issues"]}
    assert "TONE_REPEAT" in rules and "TONE_NO_GREETING" not in rules
    assert check(client, text="Hello, your order has shipped.", language="en")["language"] == "en"


def test_agent_own_words_and_signature_are_not_flagged(client, grammar_ready):
    text = "Hello Dana, this is a tset of our reply.\n\nSam Kowalczyk\nBrightdesk support team"
    plain = check(client, text=text, language="en")
    flagged = {utf16(text, i["offset"], i["length"]) for i in plain["issues"] if i["category"] == "spelling"}
    assert {"tset", "Kowalczyk"} <= flagged  # without the profile, the surname is a "mistake"
    own = check(client, text=text, language="en", ignore_words=["Sam", "Kowalczyk"], signature="Sam Kowalczyk\nBrightdesk support team")
    flagged = {utf16(text, i["offset"], i["length"]) for i in own["issues"] if i["category"] == "spelling"}
    assert flagged == {"tset"}
    # a card number inside the signature is still confidential
    card = check(client, text="Thanks!\nSam 4111 1111 1111 1111", language="en", signature="Sam 4111 1111 1111 1111")
    assert any(i["rule"] == "CARD_NUMBER" for i in card["issues"])


@pytest.mark.parametrize("body", [{"text": "hi", "ignore_words": ["x" * 101]}, {"text": "hi", "ignore_words": ["a"] * 201},
                                  {"text": "hi", "ignore_words": "Sam"}, {"text": "hi", "signature": "x" * 1001}])
def test_own_words_bad_input(client, body):
    response = client.post("/api/v1/check", json=body)
    assert response.status_code in (400, 422) and response.json()["message"]
