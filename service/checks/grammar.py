"""Grammar, spelling and style from LanguageTool, checked sentence by sentence through a cache.

Re-checking an edited draft sends LanguageTool only the sentences that changed (all of them in
one request). LanguageTool's rules are almost all sentence-level; the few that look across
sentences (repeated sentence starts) are the price of a re-check that costs a fraction of the first.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict

from service.checks.base import CheckContext, Finding
from service.checks.languagetool import GrammarClient, GrammarMatch, LanguageToolServer
from service.languages import Language

log = logging.getLogger("tact.check")

# A sentence: up to and including its end punctuation (and closing quotes), within one line.
SEGMENT = re.compile(r"[^\n]*?(?:[.!?…]+[\"»”')\]]*(?=\s|$)|$)", re.M)
CACHE_SIZE = 5000
# Sentences go to LanguageTool in requests of about this many characters, and the client is free
# between them: a long draft interleaves with other users' short ones instead of holding them.
CHUNK_CHARS = 1_500
# After this long, the rest of a draft is left unchecked and the response says so (``partial``).
TIME_BUDGET_S = 6.0


def _category(match: GrammarMatch) -> tuple[str, str]:
    issue_type = match.issue_type.lower()
    category = match.category.upper()
    if issue_type == "misspelling" or category == "TYPOS":
        return "spelling", "error"
    if issue_type in ("style", "locale-violation", "register") or category in ("STYLE", "REDUNDANCY", "TYPOGRAPHY"):
        return "style", "info"
    if issue_type in ("whitespace", "typographical"):
        return "style", "info"
    return "grammar", "error" if issue_type in ("grammar", "") else "warning"


class SentenceCache:
    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._items: OrderedDict[str, list[GrammarMatch]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    @staticmethod
    def key(language: str, disabled: frozenset[str], sentence: str) -> str:
        return hashlib.sha1(f"{language}\0{','.join(sorted(disabled))}\0{sentence}".encode()).hexdigest()

    def get(self, key: str) -> list[GrammarMatch] | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def put(self, key: str, matches: list[GrammarMatch]) -> None:
        with self._lock:
            self._items[key] = matches
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


def _chunks(sentences: list[tuple[int, str]]):
    chunk, size = [], 0
    for item in sentences:
        if chunk and size + len(item[1]) > CHUNK_CHARS:
            yield chunk
            chunk, size = [], 0
        chunk.append(item)
        size += len(item[1]) + 2
    if chunk:
        yield chunk


class GrammarCheck:
    name = "grammar"
    affects_tone = False
    remote = True  # waits on LanguageTool's Java process: runs beside the local checks

    def __init__(self, server: LanguageToolServer) -> None:
        self.server = server
        self._client = GrammarClient(server)
        self.cache = SentenceCache()

    def warm_up(self, languages) -> None:
        """LanguageTool loads each language's rules on first use (seconds): do it before users wait."""
        for language in languages:
            if language.languagetool:
                try:
                    self._client.check(language.sample, language.languagetool, set())
                except Exception:  # noqa: BLE001 - warm-up only
                    log.warning("languagetool warm-up failed", extra={"language": language.code})

    def check(self, text: str, language: Language, context: CheckContext) -> list[Finding]:
        if not language.languagetool:  # the language declares no grammar checking
            context.unavailable.add(self.name)
            return []
        disabled = context.rules.disabled_rules
        sentences = [(m.start() + len(m.group()) - len(m.group().lstrip()), m.group().lstrip())
                     for m in SEGMENT.finditer(text) if m.group().strip()]
        cached: dict[int, list[GrammarMatch]] = {}
        missing: list[tuple[int, str]] = []
        for start, sentence in sentences:
            found = self.cache.get(SentenceCache.key(language.code, disabled, sentence))
            if found is None:
                missing.append((start, sentence))
            else:
                cached[start] = found
        if missing:
            if not self.server.available():
                context.unavailable.add(self.name)
                return []
            deadline = time.monotonic() + TIME_BUDGET_S
            for chunk in _chunks(missing):
                if time.monotonic() > deadline:
                    context.partial.add(self.name)
                    break
                sent, positions, at = "", [], 0
                for _, sentence in chunk:
                    positions.append(at)
                    sent += sentence + "\n\n"
                    at += len(sentence) + 2
                try:
                    matches = self._client.check(sent, language.languagetool, set(disabled))
                except Exception as exc:  # noqa: BLE001 - LanguageTool down: the other checks still answer
                    log.warning("languagetool request failed", extra={"error": type(exc).__name__})
                    if not self.server.responsive():
                        self.server.mark_down()
                    context.unavailable.add(self.name)
                    return []
                for (start, sentence), position in zip(chunk, positions):
                    end = position + len(sentence)
                    own = [GrammarMatch(m.offset - position, m.length, m.rule, m.message, m.replacements, m.issue_type,
                                        m.category) for m in matches if position <= m.offset < end]
                    self.cache.put(SentenceCache.key(language.code, disabled, sentence), own)
                    cached[start] = own
        findings = []
        for start, _ in sentences:
            for m in cached.get(start, []):
                category, severity = _category(m)
                findings.append(Finding(start + m.offset, m.length, category, m.rule, m.message, severity,
                                        tuple(m.replacements)))
        return findings
