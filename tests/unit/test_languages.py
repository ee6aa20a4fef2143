"""The language registry: resources per language folder, errors at start for anything missing, and
a toy third language (German, tests/fixtures/languages/de) added without touching the code."""

import shutil
from pathlib import Path

import pytest

from service.languages import LanguageConfigError, load_languages
from service.languages.detect import LanguageDetector

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "languages"


def test_built_in_languages_load_with_their_own_resources():
    registry = load_languages(("en", "ru"))
    assert registry.codes == ("en", "ru") and registry.default.code == "en"
    en, ru = registry.get("en"), registry.get("ru")
    assert en.languagetool == "en-US" and ru.languagetool == "ru-RU"
    assert en.messages["greeting_example"] == "Hello," and ru.messages["greeting_example"] == "Здравствуйте!"
    assert en.ui.keys() == ru.ui.keys()
    assert {r.id for r in en.tone_rules} >= {"BLAME", "ARGUE", "REPEAT"} and {r.id for r in ru.tone_rules} >= {"BLAME", "ARGUE"}


def test_a_third_language_from_its_folder():
    registry = load_languages(("en", "ru", "de"), extra_dirs=(FIXTURES,))
    de = registry.get("de")
    assert de.native_name == "Deutsch" and de.languagetool is None
    detector = LanguageDetector(registry)
    assert detector.detect("Guten Tag, meine Bestellung ist noch nicht angekommen.") == "de"
    assert detector.detect("Здравствуйте, заказ не пришёл") == "ru"
    assert detector.detect("Hello, my order has not arrived yet.") == "en"


def test_unknown_code_is_refused_at_start_and_in_requests():
    with pytest.raises(LanguageConfigError, match="'uk' has no resource folder"):
        load_languages(("en", "uk"))
    from service.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed, match="unknown language 'de'; use one of en, ru"):
        load_languages(("en", "ru")).get("de")


@pytest.mark.parametrize("damage,message", [
    (lambda d: (d / "tone.yaml").unlink(), "tone.yaml is missing"),
    (lambda d: (d / "ui.yaml").write_text("templates: Vorlagen\n"), "ui.yaml: missing"),
    (lambda d: (d / "tone.yaml").write_text((d / "tone.yaml").read_text().replace("  no_closing:", "  x_closing:")),
     "missing no_closing"),
    (lambda d: (d / "tone.yaml").write_text((d / "tone.yaml").read_text().replace("selbst schuld", "selbst (schuld")),
     "bad regular expression"),
    (lambda d: (d / "language.yaml").write_text((d / "language.yaml").read_text().replace("code: de", "code: dd")),
     "code 'dd' but the folder is de"),
])
def test_a_missing_or_broken_resource_stops_the_start(tmp_path, damage, message):
    shutil.copytree(FIXTURES / "de", tmp_path / "de")
    damage(tmp_path / "de")
    with pytest.raises(LanguageConfigError, match=message):
        load_languages(("en", "ru", "de"), extra_dirs=(tmp_path,))
