"""The team's own "never say" phrases, each with a reason and a replacement."""

from __future__ import annotations

import re

from service.checks.base import CheckContext, Finding
from service.languages import Language


class TeamPhrasesCheck:
    name = "team_rules"
    affects_tone = True

    def check(self, text: str, language: Language, context: CheckContext) -> list[Finding]:
        out: list[Finding] = []
        for entry in context.rules.banned_phrases:
            if entry.language not in (None, "", language.code) or not entry.phrase:
                continue
            for m in re.finditer(r"(?<!\w)" + re.escape(entry.phrase) + r"(?!\w)", text, re.I):
                out.append(Finding(m.start(), m.end() - m.start(), "style", "TEAM_BANNED_PHRASE",
                                   entry.reason or language.messages["team_phrase"], "warning",
                                   (entry.replacement,) if entry.replacement else ()))
        return out
