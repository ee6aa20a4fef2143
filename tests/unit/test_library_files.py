from pathlib import Path

from service.library.files import MIN_TRIGGERS, validate_library

LANGUAGES = ("en", "ru")

ROOT = Path(__file__).resolve().parents[2]


def test_starter_library_is_valid_and_complete():
    templates, problems = validate_library(ROOT / "responses", LANGUAGES)
    assert [str(p) for p in problems] == []
    for language in ("en", "ru"):
        mine = [t for t in templates if t.language == language]
        assert len(mine) >= 40
        assert all(len(t.triggers) >= MIN_TRIGGERS for t in mine)
    # the etiquette topics the product promises are all there, in both languages
    groups = {t.translation_group for t in templates}
    for topic in ("acknowledgement", "solved", "delay-status-update", "apology", "de-escalation-angry",
                  "identity-check", "escalation-specialist", "refund-approved", "billing-error", "password-reset",
                  "bug-report-details", "feature-request", "outage-ongoing", "after-hours", "follow-up-silent",
                  "closing-satisfaction"):
        assert topic in groups
        assert {t.language for t in templates if t.translation_group == topic} == {"en", "ru"}


def write(root: Path, name: str, text: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_validator_reports_each_kind_of_problem(tmp_path):
    write(tmp_path, "en/no-front.md", "Hello")
    write(tmp_path, "en/bad-yaml.md", "---\ntitle: [unclosed\n---\nHi")
    write(tmp_path, "en/syntax.md", "---\ntitle: Syntax\n---\nHi {{ customer.first_name ")
    write(tmp_path, "en/unknown-var.md", "---\ntitle: Var\ntriggers: [a, b, c, d, e]\n---\nHi {{ customer.age }}")
    write(tmp_path, "de/lang.md", "---\ntitle: Lang\n---\nHallo")
    write(tmp_path, "en/few.md", "---\ntitle: Few\ntriggers: [one]\n---\nHi")
    _, problems = validate_library(tmp_path, LANGUAGES)
    text = "\n".join(str(p) for p in problems)
    assert "no-front.md: no YAML front matter" in text
    assert "bad-yaml.md: front matter is not valid YAML" in text
    assert "syntax.md" in text and "line" in text
    assert "unknown variable 'customer.age'" in text
    assert "lang.md: language 'de'" in text
    assert "warning:" in text and "few.md: 1 triggers" in text


def test_cli_validate_exit_codes(tmp_path):
    from service.cli import main

    assert main(["library", "validate", "--strict", str(ROOT / "responses")]) == 0
    write(tmp_path, "en/broken.md", "---\ntitle: x\n---\n{% if %}")
    assert main(["library", "validate", str(tmp_path)]) == 1
    write(tmp_path / "ok", "en/extra.md", "---\ntitle: x\n---\n{{ customer.age }}")
    assert main(["library", "validate", str(tmp_path / "ok")]) == 0
    assert main(["library", "validate", "--strict", str(tmp_path / "ok")]) == 1
