"""Which language a customer wrote in: lingua, limited to the languages the registry serves."""

from __future__ import annotations

import re

from lingua import Language as LinguaLanguage
from lingua import LanguageDetectorBuilder

from service.languages import LanguageConfigError, LanguageRegistry


class LanguageDetector:
    def __init__(self, languages: LanguageRegistry) -> None:
        self.default = languages.default.code
        by_lingua = {}
        for lang in languages:
            try:
                by_lingua[getattr(LinguaLanguage, lang.lingua)] = lang.code
            except AttributeError:
                raise LanguageConfigError(f"{lang.folder / 'language.yaml'}: lingua knows no {lang.lingua!r}") from None
        self._codes = by_lingua
        self._detector = (LanguageDetectorBuilder.from_languages(*by_lingua).build() if len(by_lingua) > 1 else None)
        self._scripts = [(lang.code, re.compile(lang.script)) for lang in languages]

    def script_of(self, text: str, requested: str) -> str:
        """``requested``, unless the text is plainly written in another served language's letters
        (a Russian draft checked with the agent's English setting gets Russian advice)."""
        sample = text[:2000]
        counts = {code: len(pattern.findall(sample)) for code, pattern in self._scripts}
        total = sum(counts.values())
        if total < 20 or requested not in counts:
            return requested
        best = max(counts, key=counts.get)
        if best != requested and counts[best] >= 0.6 * total and counts[requested] < 0.2 * total:
            return self.detect(text)
        return requested

    def detect(self, text: str) -> str:
        sample = text[:2000]
        if self._detector is not None:
            found = self._detector.detect_language_of(sample)
            if found in self._codes:
                return self._codes[found]
        # Too little text for a model: the language whose letters are most of it.
        counts = [(len(pattern.findall(sample)), code) for code, pattern in self._scripts]
        best = max(counts, key=lambda c: c[0])
        if best[0] and sum(1 for c in counts if c[0] == best[0]) == 1:
            return best[1]
        return self.default
