"""Placeholders nobody filled in: template tags, ``[NAME]``, ``[customer.name]``, ``<name>``, TODO."""

from __future__ import annotations

import bisect
import re

from service.checks.base import CheckContext, Finding
from service.core.text import tag_spans
from service.languages import Language

TAG = "unfilled template tag"
PATTERNS = (
    (re.compile(r"\[(?:[A-ZА-ЯЁ][A-ZА-ЯЁ0-9_ ]{1,30}|[a-z]+(?:\.[a-z_]+)+)\]"), "placeholder left in the text"),
    (re.compile(r"<(?:name|имя|first[ _]name|customer|клиент|order|заказ|date|дата|number|номер)>", re.I),
     "placeholder left in the text"),
    (re.compile(r"\b(?:XXX+|TODO|TBD)\b"), "placeholder left in the text"),
)


class PlaceholderCheck:
    name = "placeholder"
    affects_tone = False

    def check(self, text: str, language: Language, context: CheckContext) -> list[Finding]:
        # Template tags first (``tag_spans``: linear where a regex was not), then the other kinds
        # where no earlier finding is; ``taken`` stays sorted, so each overlap test is a bisection.
        spans = [(span, TAG) for span in tag_spans(text, ("{{", "{%"))]
        taken = [span for span, _ in spans]
        for pattern, message in PATTERNS:
            for m in pattern.finditer(text):
                start, end = m.span()
                i = bisect.bisect_left(taken, (start, end))
                if (i > 0 and taken[i - 1][1] > start) or (i < len(taken) and taken[i][0] < end):
                    continue
                taken.insert(i, (start, end))
                spans.append(((start, end), message))
        return [Finding(start, end - start, "placeholder", "PLACEHOLDER", f"{message}: {text[start:end]}", "error")
                for (start, end), message in spans]
