"""Confidential data in a draft: card numbers, IBANs, secrets, other people's contacts, internal
links. Offsets are Python string indices (code points). ``redact`` masks the same things in text
that is kept (snippets of customer messages)."""

from __future__ import annotations

import math
import re
from collections import Counter
from urllib.parse import urlsplit

from service.checks.base import CheckContext, Finding
from service.languages import Language

CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
# Bounded parts and a left boundary keep this linear: the unbounded form went quadratic on long
# runs of letters (a 100,000-character reply_to held the server 86 s).
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}", re.UNICODE)
PHONE = re.compile(r"(?<![\w+])\+?\d[\d\s().-]{8,18}\d(?!\w)")
URL = re.compile(r"\bhttps?://[^\s<>\"')]+", re.I)
SECRET_LABEL = re.compile(
    r"(?i)\b(password|passwd|pwd|пароль|api[ _-]?key|secret|token|токен|ключ)\b\s*(?:is|:|=|—|-|это)\s*(\S{3,}[^\s.,;!?)])")
KNOWN_SECRET = re.compile(
    r"\b(?:sk_(?:live|test)_[0-9A-Za-z]{10,}|gh[pousr]_[0-9A-Za-z]{20,}|AKIA[0-9A-Z]{16}|xox[abprs]-[0-9A-Za-z-]{10,}"
    r"|eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]{8,}|AIza[0-9A-Za-z_-]{30,})")
LONG_TOKEN = re.compile(r"(?<![\w/.@-])[A-Za-z0-9_\-+/=]{20,}(?![\w/.@-])")


def luhn_valid(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    iban = candidate.replace(" ", "")
    if not 15 <= len(iban) <= 34:
        return False
    moved = iban[4:] + iban[:4]
    try:
        number = int("".join(str(int(c, 36)) for c in moved))
    except ValueError:
        return False
    return number % 97 == 1


def entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())


def _looks_random(token: str) -> bool:
    classes = sum(bool(re.search(p, token)) for p in (r"[a-z]", r"[A-Z]", r"\d"))
    return classes >= 2 and entropy(token) >= 3.5 and not token.isdigit()


def _plain_word(token: str) -> bool:
    return token.isalpha() and (token.islower() or token[1:].islower())


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


class PrivacyCheck:
    name = "privacy"
    affects_tone = False

    def __init__(self, internal_hosts: tuple[str, ...] = ()) -> None:
        self._internal = tuple(h.lower().lstrip(".") for h in internal_hosts)

    def check(self, text: str, language: Language, context: CheckContext) -> list[Finding]:
        return self.scan(text, context.reply_to)

    def scan(self, text: str, reply_to: str | None = None) -> list[Finding]:
        found: list[Finding] = []
        taken: list[tuple[int, int]] = []

        def add(start: int, end: int, rule: str, message: str, severity: str = "error",
                replacements: tuple[str, ...] = ()) -> None:
            if any(start < e and s < end for s, e in taken):
                return
            taken.append((start, end))
            found.append(Finding(start, end - start, "privacy", rule, message, severity, replacements))

        for m in KNOWN_SECRET.finditer(text):
            add(m.start(), m.end(), "SECRET_KEY", "This looks like an API key or access token. Never send secrets to a customer.")
        for m in SECRET_LABEL.finditer(text):
            if _plain_word(m.group(2)):
                continue  # "your password is incorrect" names no password
            add(m.start(2), m.end(2), "PASSWORD", "A password or key is written out. Send a reset link instead.")
        for m in CARD.finditer(text):
            digits = _digits(m.group())
            if 13 <= len(digits) <= 19 and luhn_valid(digits):
                masked = "•••• " + digits[-4:]
                add(m.start(), m.end(), "CARD_NUMBER", "A full card number. Mention only its last four digits.",
                    replacements=(masked,))
        for m in IBAN.finditer(text):
            if iban_valid(m.group()):
                add(m.start(), m.end(), "IBAN", "A full bank account (IBAN). Confirm details only in a secure channel.")
        for m in URL.finditer(text):
            host = (urlsplit(m.group()).hostname or "").lower()
            if self._internal and any(host == h or host.endswith("." + h) for h in self._internal):
                add(m.start(), m.end(), "INTERNAL_URL", "A link to an internal system the customer cannot open and should not see.")
        if reply_to is not None:
            known = {e.lower() for e in EMAIL.findall(reply_to)}
            known_phones = {_digits(p)[-10:] for p in PHONE.findall(reply_to)}
            for m in EMAIL.finditer(text):
                if m.group().lower() not in known:
                    add(m.start(), m.end(), "OTHER_EMAIL", "An e-mail address that is not the customer's. Is it meant for them?",
                        severity="warning")
            for m in PHONE.finditer(text):
                digits = _digits(m.group())
                if 10 <= len(digits) <= 15 and digits[-10:] not in known_phones:
                    add(m.start(), m.end(), "OTHER_PHONE", "A phone number that is not the customer's. Is it meant for them?",
                        severity="warning")
        for m in LONG_TOKEN.finditer(text):
            if _looks_random(m.group()):
                add(m.start(), m.end(), "HIGH_ENTROPY", "A long random-looking string: it may be a password or a key.",
                    severity="warning")
        return sorted(found, key=lambda f: f.offset)


_REDACTIONS = (
    (KNOWN_SECRET, "[secret]"),
    (SECRET_LABEL, None),
    (EMAIL, "[email]"),
    (CARD, "[number]"),
    (IBAN, "[iban]"),
    (PHONE, "[phone]"),
    (LONG_TOKEN, "[token]"),
)


def redact(text: str) -> str:
    """A snippet safe to keep: contacts, numbers and secrets masked."""
    for pattern, mask in _REDACTIONS:
        if mask is None:
            text = pattern.sub(lambda m: m.group(0).replace(m.group(2), "[secret]"), text)
        else:
            text = pattern.sub(mask, text)
    return re.sub(r"\d{4,}", "[number]", text)
