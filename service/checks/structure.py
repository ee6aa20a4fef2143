"""How a reply is put together: shouting (ALL CAPS, "!!!"), and for replies of three sentences or
more a greeting, a closing and a next step, by the language's own patterns and advice."""

from __future__ import annotations

import re

from service.checks.base import CheckContext, Finding
from service.checks.tone import split_sentences
from service.languages import Language

WORD = re.compile(r"\b\w{3,}\b")
PUNCTUATION_RUN = re.compile(r"[!?]{2,}")
MIN_SENTENCES = 3


class StructureCheck:
    name = "structure"
    affects_tone = True

    def check(self, text: str, language: Language, context: CheckContext) -> list[Finding]:
        say = language.messages
        out: list[Finding] = []
        words = list(WORD.finditer(text))
        # any script's capitals; words that are only letters (not "A1B2C3" codes)
        caps = [m for m in words if m.group().isalpha() and m.group().isupper() and m.group() not in language.acronyms]
        if caps and (len(caps) >= 2 or len(words) <= 3):
            first, last = caps[0], caps[-1]
            out.append(Finding(first.start(), last.end() - first.start(), "tone", "TONE_CAPS", say["caps"], "warning",
                               (text[first.start():last.end()].capitalize(),)))
        for start, end in exclamations(text):
            out.append(Finding(start, end - start, "tone", "TONE_EXCLAMATION", say["exclamation"], "warning", (".",)))
        if len(split_sentences(text)) >= MIN_SENTENCES:
            patterns = language.structure
            if not re.search(patterns.greeting, text, re.I):
                out.append(Finding(0, 0, "tone", "TONE_NO_GREETING", say["no_greeting"], "info",
                                   (say["greeting_example"],)))
            if not re.search(patterns.closing, text[-200:], re.I):
                out.append(Finding(len(text), 0, "tone", "TONE_NO_CLOSING", say["no_closing"], "info",
                                   (say["closing_example"],)))
            if not re.search(patterns.next_step, text, re.I):
                out.append(Finding(len(text), 0, "tone", "TONE_NO_NEXT_STEP", say["no_next_step"], "info"))
        return out


def exclamations(text: str):
    """Spans of shouted punctuation: a run of ``!`` and ``?`` holding ``!!`` as a whole, else each
    ``?!`` / ``!?`` in it. What ``[!?]*!{2,}[!?]*|\\?!|!\\?`` found, but in one pass: that regex
    tried every ``?`` of a long run against the rest of it (20,000 of them: 1.8 s of /check)."""
    for run in PUNCTUATION_RUN.finditer(text):
        chars, start = run.group(), run.start()
        if "!!" in chars:
            yield run.span()
            continue
        i = 0
        while i < len(chars) - 1:
            if chars[i] != chars[i + 1]:
                yield start + i, start + i + 2
                i += 2
            else:
                i += 1
