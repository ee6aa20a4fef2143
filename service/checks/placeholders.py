"""Placeholders nobody filled in: template tags, ``[NAME]``, ``[customer.name]``, ``<name>``, TODO."""

from __future__ import annotations

import re

from service.checks.base import CheckContext, Finding
from service.languages import Language

PATTERNS = (
    (re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S), "unfilled template tag"),
    (re.compile(r"\[(?:[A-ZА-ЯЁ][A-ZА-ЯЁ0-9_ ]{1,30}|[a-z]+(?:\.[a-z_]+)+)\]"), "placeholder left in the text"),
    (re.compile(r"<(?:name|имя|first[ _]name|customer|клиент|order|заказ|date|дата|number|номер)>", re.I),
     "placeholder left in the text"),
    (re.compile(r"\b(?:XXX+|TODO|TBD)\b"), "placeholder left in the text"),
)


class PlaceholderCheck:
    name = "placeholder"
    affects_tone = False

    def check(self, text: str, language: Language, context: CheckContext) -> list[Finding]:
        found: list[Finding] = []
        taken: list[tuple[int, int]] = []
        for pattern, message in PATTERNS:
            for m in pattern.finditer(text):
                if any(m.start() < e and s < m.end() for s, e in taken):
                    continue
                taken.append(m.span())
                found.append(Finding(m.start(), m.end() - m.start(), "placeholder", "PLACEHOLDER",
                                     f"{message}: {m.group()}", "error"))
        return found
