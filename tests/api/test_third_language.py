"""A third language added as a folder of resources (tests/fixtures/languages/de) and a code in the
settings: the whole service serves it, with its own advice and no other language's."""

from dataclasses import replace
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "languages"
TOKEN = "third-language-admin"


@pytest.fixture(scope="module")
def german(tmp_path_factory):
    from litestar.testing import TestClient

    from service.core.settings import LanguageToolSettings, Settings
    from service.http.app import create_app

    settings = Settings.from_env(data_dir=tmp_path_factory.mktemp("de"), bootstrap_token=TOKEN, starter_library=False,
                                 languages=("en", "ru", "de"), language_dirs=(FIXTURES,))
    settings = replace(settings, languagetool=LanguageToolSettings(enabled=False))
    with TestClient(app=create_app(settings), timeout=120) as client:
        client.headers["Authorization"] = f"Bearer {TOKEN}"
        yield client


def test_german_templates_are_suggested_for_german_messages(german):
    for title, body, triggers in (
            ("Lieferung verspätet", "Guten Tag, Ihre Lieferung ist unterwegs und kommt morgen an.",
             ["Wo ist meine Bestellung?", "Mein Paket ist noch nicht angekommen", "Die Lieferung dauert zu lange"]),
            ("Rückerstattung", "Guten Tag, wir haben Ihnen den Betrag erstattet.",
             ["Ich möchte mein Geld zurück", "Bitte erstatten Sie meine Zahlung", "Wann bekomme ich die Rückerstattung?"])):
        created = german.post("/api/v1/templates", json={"title": title, "language": "de", "body": body, "triggers": triggers})
        assert created.status_code == 201, created.text
    data = german.post("/api/v1/suggest", json={"message": "Hallo, mein Paket ist immer noch nicht da."}).json()
    assert data["language"] == "de" and data["suggestions"][0]["title"] == "Lieferung verspätet"
    health = german.get("/health").json()
    assert health["languages"] == ["en", "ru", "de"] and "de" in health["indexes"]


def test_german_draft_gets_german_advice_only(german):
    result = german.post("/api/v1/check", json={"text": "Wie bereits gesagt, das ist Ihre Schuld. Wir prüfen das. Es dauert."}).json()
    assert result["language"] == "de" and result["grammar_available"] is False  # de declares no LanguageTool
    rules = {i["rule"]: i for i in result["issues"]}
    assert rules["TONE_REPEAT"]["message"] == "Wirft dem Kunden vor, erneut zu fragen."
    assert rules["TONE_BLAME"]["replacements"] == ["Lassen Sie uns das gemeinsam lösen."]
    assert rules["TONE_NO_GREETING"]["replacements"] == ["Guten Tag,"]
    english = german.post("/api/v1/check", json={"text": "As I already said, it's your fault.", "language": "en"}).json()
    assert "TONE_REPEAT" in {i["rule"] for i in english["issues"]}
    unknown = german.post("/api/v1/check", json={"text": "Bonjour", "language": "fr"})
    assert unknown.status_code == 422 and "en, ru, de" in unknown.json()["message"]
