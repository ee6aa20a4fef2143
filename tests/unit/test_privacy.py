from service.checks.base import CheckContext
from service.checks.placeholders import PlaceholderCheck
from service.checks.privacy import PrivacyCheck, iban_valid, luhn_valid, redact
from service.languages import load_languages

P = PrivacyCheck(internal_hosts=("intranet.acme.local",))
EN = load_languages(("en",)).get("en")


def rules(text, reply_to=None):
    found = P.check(text, EN, CheckContext(reply_to=reply_to)) + PlaceholderCheck().check(text, EN, CheckContext())
    return [(f.rule, text[f.offset:f.offset + f.length]) for f in sorted(found, key=lambda f: f.offset)]


def test_luhn_and_iban():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid("DE00 3704 0044 0532 0130 00")


def test_card_numbers_only_when_luhn_valid():
    assert ("CARD_NUMBER", "4111 1111 1111 1111") in rules("Your card 4111 1111 1111 1111 was charged")
    assert not [r for r in rules("Order 4111 1111 1111 1112 shipped") if r[0] == "CARD_NUMBER"]


def test_iban_secrets_and_passwords():
    found = rules("IBAN DE89370400440532013000, key sk_live_abcdefghijklmnop1234, password: Hunter22!")
    kinds = {r[0] for r in found}
    assert {"IBAN", "SECRET_KEY", "PASSWORD"} <= kinds
    assert ("PASSWORD", "Hunter22") in found  # trailing punctuation is the sentence, not the secret
    assert not rules("Your password is incorrect, please reset it.")
    assert ("PASSWORD", "Zx81vq") in rules("Ваш пароль: Zx81vq")


def test_high_entropy_token():
    assert ("HIGH_ENTROPY", "aZ3kP9qLm2Xv8RtY6wNb") in rules("Use aZ3kP9qLm2Xv8RtY6wNb to log in")


def test_other_peoples_contacts_only_with_reply_to():
    text = "Write to bob@other.com or call +1 415 555 0199; we reply to ana@example.com."
    reply = "Hi, I'm ana@example.com"
    found = rules(text, reply)
    assert ("OTHER_EMAIL", "bob@other.com") in found
    assert ("OTHER_EMAIL", "ana@example.com") not in found
    assert any(r[0] == "OTHER_PHONE" for r in found)
    assert not [r for r in rules(text) if r[0].startswith("OTHER_")]


def test_internal_url_and_placeholders():
    found = rules("See https://wiki.intranet.acme.local/x and https://acme.com/help. Hi [NAME], {{ customer.first_name }} <name> [customer.name]")
    assert ("INTERNAL_URL", "https://wiki.intranet.acme.local/x") in found
    placeholders = [r[1] for r in found if r[0] == "PLACEHOLDER"]
    assert placeholders == ["[NAME]", "{{ customer.first_name }}", "<name>", "[customer.name]"]


def test_redact_masks_contacts_numbers_secrets():
    out = redact("I'm ana@example.com, card 4111 1111 1111 1111, call +7 912 345-67-89, password: Qw3rty!x")
    for secret in ("ana@example.com", "4111", "912", "Qw3rty"):
        assert secret not in out
