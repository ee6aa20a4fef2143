"""``/check``: a draft through every registered check (``checks/registry.py``), then a tone score
over it; findings become the wire's issues with UTF-16 offsets."""

from __future__ import annotations

import logging
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from service.checks.base import (
    Check,
    CheckContext,
    CheckResponse,
    Finding,
    Issue,
    SentenceTone,
    TeamRules,
    Tone,
)
from service.checks.etiquette import HEAD_PATH, EtiquetteCheck, EtiquetteModel
from service.checks.grammar import GrammarCheck
from service.checks.languagetool import LanguageToolServer
from service.checks.registry import CheckDeps, build_checks
from service.checks.schemas import MAX_TEXT as MAX_CHECK_CHARS
from service.checks.storage import RulesStorage
from service.checks.tone import ToneHead, ToneScorer, WholeTextHead
from service.checks.vectors import SentenceVectors
from service.checks.verifier import load_verifiers
from service.core.db import Database
from service.core.errors import ValidationFailed
from service.core.settings import Settings
from service.languages import LanguageRegistry
from service.languages.detect import LanguageDetector

log = logging.getLogger("tact.check")
# Threads for the remote checks of concurrent requests (each request starts one); beyond this
# many at once they queue, as they would at LanguageTool anyway.
REMOTE_WORKERS = 16
# How long the local checks wait for the remote ones' requests to be on their way (a remote check
# busy elsewhere, e.g. behind another user's request, is not waited for longer).
ASK_WAIT_S = 0.02


def utf16_converter(text: str):
    """Python index → UTF-16 code units, what JavaScript strings count. Without characters beyond
    the BMP (emoji) they are the same; the table costs 0.75 ms a 1,000-character draft."""
    if not text or max(text) <= "\uffff":
        return lambda index: max(0, min(index, len(text)))
    prefix = [0]
    for ch in text:
        prefix.append(prefix[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return lambda index: prefix[max(0, min(index, len(text)))]


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:
        key = (f.offset, f.length, f.rule)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _own_spans(text: str, signature: str | None) -> list[tuple[int, int]]:
    """Where the agent's signature stands in the draft (each line of it, wherever it is)."""
    spans = []
    for line in (signature or "").splitlines():
        line = line.strip()
        if len(line) < 2:
            continue
        for m in re.finditer(re.escape(line), text, re.IGNORECASE):
            spans.append((m.start(), m.end()))
    return spans


def _without_own(text: str, found: list[Finding], ignore_words: list[str] | None, signature: str | None) -> list[Finding]:
    """The agent's own name or signature is not a mistake: drop findings on them (privacy stays:
    a card number is confidential wherever it is)."""
    if not found or not (ignore_words or signature):
        return found
    own = {w.strip().casefold() for w in ignore_words or [] if w.strip()}
    spans = _own_spans(text, signature)
    kept = []
    for f in found:
        if f.category != "privacy":
            word = text[f.offset:f.offset + f.length].strip(" .,;:!?\"'()«»").casefold()
            if word and all(part in own for part in re.split(r"[\s,]+", word) if part):
                continue
            if f.length and any(a <= f.offset and f.offset + f.length <= b for a, b in spans):
                continue
        kept.append(f)
    return kept


class CheckService:
    def __init__(self, checks: list[Check], scorer: ToneScorer, languages: LanguageRegistry,
                 detector: LanguageDetector, rules: RulesStorage | None = None,
                 server: LanguageToolServer | None = None) -> None:
        self.checks = checks
        self.scorer = scorer
        self.languages = languages
        self.server = server
        self._detector = detector
        self._rules = rules
        self._remote = ThreadPoolExecutor(REMOTE_WORKERS, thread_name_prefix="tact-check")

    @classmethod
    def open(cls, settings: Settings, db: Database, languages: LanguageRegistry, detector: LanguageDetector,
             embedders) -> "CheckService":
        head = ToneHead.load()
        if head is None:
            log.warning("no tone head; run 'tact train tone'. Tone uses rules only.")
        etiquette = EtiquetteModel.load()
        if etiquette is None:
            log.warning("no etiquette model; run 'tact train etiquette'. Etiquette uses rules only.")
        elif etiquette.long is None:
            log.warning("no long-sentence etiquette model; run 'tact train etiquette'. Long sentences use the base model.")
        # a second reading of what the etiquette model flags, per language that has one trained
        verifiers = load_verifiers(HEAD_PATH) if etiquette is not None and settings.etiquette_verifier else {}
        verifiers = {code: v for code, v in verifiers.items() if code in {lang.code for lang in languages}}
        whole = WholeTextHead.load(head) if settings.models.tone_whole else None
        if whole is not None and whole.extra_model != settings.models.tone_whole:
            log.warning("the tone head of a text read as one was trained with another model; run 'tact train tone'",
                        extra={"model": whole.extra_model, "configured": settings.models.tone_whole})
            whole = None
        elif whole is None and head is not None and settings.models.tone_whole:
            log.warning("no tone head for a text read as one (or trained beside another head); run 'tact train tone'")
        vectors = {spec: SentenceVectors(embedders.get(spec)) for spec in
                   {m.model for m in (head, etiquette, *verifiers.values()) if m is not None}
                   | ({whole.extra_model} if whole else set())}
        scorer = ToneScorer(vectors.get(head.model) if head else None, head, whole=whole,
                            whole_embedder=vectors[whole.extra_model] if whole else None)
        server = LanguageToolServer(settings.languagetool, state_dir=settings.data_dir)
        deps = CheckDeps(settings, server, etiquette, vectors.get(etiquette.model) if etiquette else None, languages,
                         {code: (v, vectors[v.model]) for code, v in verifiers.items()})
        service = cls(build_checks(deps), scorer, languages, detector, RulesStorage(db), server)
        grammar = service.grammar
        if grammar is not None:
            # Each (re)start loads a language's rules on first use (seconds): before users wait.
            server.on_ready.append(lambda: grammar.warm_up(languages))
        server.start()
        for check in service.checks:
            if isinstance(check, EtiquetteCheck):  # off the request path, beside LanguageTool's start
                threading.Thread(target=check.warm_up, name="tact-etiquette-warm-up", daemon=True).start()
        return service

    @property
    def grammar(self) -> GrammarCheck | None:
        return next((c for c in self.checks if isinstance(c, GrammarCheck)), None)

    def close(self) -> None:
        self._remote.shutdown(wait=False, cancel_futures=True)
        if self.server is not None:
            self.server.stop()

    # ---------------------------------------------------------------- team rules
    def rules(self, team_id: int | None = None) -> TeamRules:
        return self._rules.load(team_id) if self._rules is not None else TeamRules()

    def save_rules(self, rules: TeamRules, team_id: int | None = None) -> TeamRules:
        saved = self._rules.save(rules, team_id)
        if self.grammar is not None:
            self.grammar.cache.clear()
        return saved

    # ---------------------------------------------------------------- check
    def check(self, text: str, language: str | None = None, reply_to: str | None = None,
              rules: TeamRules | None = None, team_id: int | None = None, ignore_words: list[str] | None = None,
              signature: str | None = None) -> CheckResponse:
        """``rules`` given, or else those of ``team_id`` (the caller's team). ``ignore_words`` and
        ``signature`` are the agent's own: never a spelling mistake, never a tone issue."""
        if not text.strip():
            raise ValidationFailed("text is empty")
        if len(text) > MAX_CHECK_CHARS:
            raise ValidationFailed(f"text is longer than {MAX_CHECK_CHARS} characters")
        if language is None:
            language = self._detector.detect(text)
        else:  # the language asked for, unless the draft is plainly in another one's letters
            language = self._detector.script_of(text, self.languages.get(language).code)
        lang = self.languages.get(language)
        context = CheckContext(reply_to=reply_to, rules=rules if rules is not None else self.rules(team_id))
        started = time.perf_counter()
        findings: list[Finding] = []
        toned: list[Finding] = []
        timings = {}

        def run(check: Check) -> list[Finding]:
            t0 = time.perf_counter()
            try:
                found = check.check(text, lang, context)
            finally:
                if getattr(check, "remote", False):
                    context.asked.set()
            timings[f"{check.name}_ms"] = round((time.perf_counter() - t0) * 1000, 1)
            return _without_own(text, found, ignore_words, signature)

        remote = [(check, self._remote.submit(run, check)) for check in self.checks if getattr(check, "remote", False)]
        local = [(check, None) for check in self.checks if not getattr(check, "remote", False)]
        if remote:
            # The local checks hold the interpreter lock: started first, they kept the request to
            # LanguageTool waiting for it (3.3 ms of a 1,000-character draft, median of 40).
            context.asked.wait(ASK_WAIT_S)
        learned = None
        for check, pending in local + remote:
            if pending is not None and learned is None:  # the local work is done: LanguageTool still checks
                learned = self.scorer.learned_part(text, lang)
            found = run(check) if pending is None else pending.result()
            findings += found
            context.found.extend(found)
            if check.affects_tone:
                toned += found
        tone = self.scorer.score(text, toned, lang, learned)
        to16 = utf16_converter(text)

        def span(offset: int, length: int) -> tuple[int, int]:
            start = to16(offset)
            return start, to16(offset + length) - start

        issues = []
        for f in sorted(_dedupe(findings), key=lambda f: (f.offset, f.length)):
            offset, length = span(f.offset, f.length)
            issues.append(Issue(offset=offset, length=length, category=f.category, rule=f.rule, message=f.message,
                                replacements=list(f.replacements), severity=f.severity))
        sentences = [SentenceTone(*span(s.offset, s.length), score=s.score) for s in tone.sentences]
        grammar_available = "grammar" not in context.unavailable and self.grammar is not None
        log.info("check", extra={"language": lang.code, "chars": len(text), "issues": len(issues),
                                 "grammar_available": grammar_available, **timings,
                                 "total_ms": round((time.perf_counter() - started) * 1000, 1)})
        return CheckResponse(language=lang.code, grammar_available=grammar_available, issues=issues,
                             tone=Tone(score=tone.score, label=tone.label, sentences=sentences),
                             partial=bool(context.partial))
