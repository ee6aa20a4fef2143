"""Which language a customer wrote in: lingua, limited to the languages we serve."""

from __future__ import annotations

import re

from lingua import Language, LanguageDetectorBuilder

from service.settings import LANGUAGES

_LINGUA = {"en": Language.ENGLISH, "ru": Language.RUSSIAN}
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_LATIN = re.compile(r"[A-Za-z]")


class LanguageDetector:
    def __init__(self, languages: tuple[str, ...] = LANGUAGES, default: str = "en") -> None:
        self.languages = languages
        self.default = default
        self._detector = LanguageDetectorBuilder.from_languages(*(_LINGUA[l] for l in languages)).build()
        self._codes = {v: k for k, v in _LINGUA.items()}

    def detect(self, text: str) -> str:
        sample = text[:2000]
        found = self._detector.detect_language_of(sample)
        if found is not None and found in self._codes:
            return self._codes[found]
        # Too little text for a model: count scripts.
        cyr, lat = len(_CYRILLIC.findall(sample)), len(_LATIN.findall(sample))
        if "ru" in self.languages and cyr > lat:
            return "ru"
        return self.default
