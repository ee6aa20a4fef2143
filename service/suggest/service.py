"""From a customer's message to rendered reply suggestions."""

from __future__ import annotations

import logging
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from service.analytics.storage import AnalyticsStorage
from service.auth.models import Principal
from service.checks.privacy import redact
from service.core.db import dumps, utcnow
from service.core.errors import ValidationFailed
from service.core.settings import Settings
from service.languages import LanguageRegistry
from service.languages.detect import LanguageDetector
from service.library.rendering import SandboxedRenderer
from service.library.service import TemplateService
from service.suggest.schemas import Suggestion, SuggestRequest, SuggestResponse
from service.suggest.search import SearchIndexes

log = logging.getLogger("tact.suggest")

# Search wider than k so that templates this caller may not see can be dropped afterwards.
# A best match this close above the no-match threshold is a coverage gap too: answered, but barely.
LOW_CONFIDENCE_MARGIN = 0.1


SHORT_MESSAGE_WORDS = 4  # fewer words than this: the subject is added to the query


class SuggestService:
    def __init__(self, settings: Settings, languages: LanguageRegistry, library: TemplateService,
                 search: SearchIndexes, detector: LanguageDetector, renderer: SandboxedRenderer,
                 analytics: AnalyticsStorage) -> None:
        self._settings = settings
        self._languages = languages
        self._library = library
        self._analytics = analytics
        self._search = search
        self._detector = detector
        self._renderer = renderer
        # Recording happens after the answer is computed, off the request's critical path.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tact-record")

    def suggest(self, request: SuggestRequest, principal: Principal) -> SuggestResponse:
        started = time.perf_counter()
        message = request.message.strip()
        if not message:
            raise ValidationFailed("message is empty")
        if len(message) > self._settings.max_message_chars:
            raise ValidationFailed(f"message is longer than {self._settings.max_message_chars} characters; "
                                   "send the customer's last message without the quoted thread")
        language = self._languages.get(request.language or self._detector.detect(message)).code
        # The subject is the thread's first topic; it joins the query only when the message alone
        # says too little ("any news?"): a thread begun as "login problem" must not steer "charged twice".
        short = len(re.findall(r"\w+", message)) < SHORT_MESSAGE_WORDS
        query = f"{request.subject.strip()}. {message}" if short and request.subject and request.subject.strip() else message
        # Only templates this caller may see take part in the search (global ones and their team's;
        # admins all): with hundreds of teams, other teams' templates must not crowd them out.
        teams = None if principal.role == "admin" else frozenset({None, principal.team_id})
        result = self._search.search(language, query, request.k + 2, teams)

        suggestions: list[Suggestion] = []
        visible = self._library.get_many([h.template_id for h in result.hits], principal)
        for hit in result.hits:
            template = visible.get(hit.template_id)
            if template is None:  # not visible to this caller, or deleted meanwhile
                continue
            rendered = self._renderer.render(template.body, request.variables or {})
            suggestions.append(Suggestion(template_id=template.id, title=template.title, score=hit.score,
                                          text=rendered.text, missing_variables=rendered.missing_variables,
                                          similarity=hit.similarity, shortcut=template.shortcut))
            if len(suggestions) == request.k:
                break
        no_match = result.no_match or not suggestions
        suggestion_id = str(uuid.uuid4())
        # Unsure: the calibrated confidence is below what most of this library's right answers get
        # (or, while the classifier retrains, the best match is barely above the threshold).
        low_confidence = bool(suggestions) and (
            result.unsure if result.confidence is not None
            else suggestions[0].similarity < result.threshold + LOW_CONFIDENCE_MARGIN)
        self._writer.submit(self._record_safely, suggestion_id, language, suggestions, no_match, low_confidence,
                            principal, message, result.vector)
        log.info("suggest", extra={"language": language, "no_match": no_match, "k": request.k,
                                   "confidence": result.confidence,
                                   "top": suggestions[0].template_id if suggestions else None,
                                   "mode": result.mode, **({"customer_text": message} if self._settings.log_customer_text else {}),
                                   **{k: round(v, 2) for k, v in result.timings.items()},
                                   "total_ms": round((time.perf_counter() - started) * 1000, 2)})
        return SuggestResponse(suggestion_id=suggestion_id, language=language, no_match=no_match,
                               suggestions=suggestions, threshold=result.threshold, confidence=result.confidence,
                               low_confidence=no_match or low_confidence)

    def flush(self) -> None:
        """Wait for suggestions recorded in the background (feedback may arrive right after)."""
        self._writer.submit(lambda: None).result()

    def close(self) -> None:
        self._writer.shutdown(wait=True)

    def _record_safely(self, *args) -> None:
        try:
            self._record(*args)
        except Exception:  # noqa: BLE001 - a failed write must not be lost silently
            log.exception("recording a suggestion failed")

    def _record(self, suggestion_id: str, language: str, suggestions: list[Suggestion], no_match: bool,
                low_confidence: bool, principal: Principal, message: str, vector) -> None:
        now = utcnow()
        top = suggestions[0].similarity if suggestions else None
        keep = self._settings.gaps_retention_days > 0
        # Only a redacted snippet is kept (for promoting picks and for coverage gaps), never the raw text.
        snippet = redact(message)[:500] if keep else None
        self._analytics.record_suggestion(
            suggestion_id=suggestion_id, language=language, template_ids=dumps([s.template_id for s in suggestions]),
            no_match=no_match, top_score=top, token_id=principal.token_id, team_id=principal.team_id, created_at=now,
            snippet=snippet,
            gap_vector=vector if keep and (no_match or low_confidence) else None)
