"""Keeps one ``LanguageIndex`` (``index/``) per served language in step with the template library,
and follows changes other replicas write to a shared database."""

from __future__ import annotations

import logging
import threading
import time

from index.library import MAX_TRIGGERS, Document, LanguageIndex
from index.ranking import RankingSettings
from service.core.settings import Settings
from service.languages import LanguageRegistry
from service.library.rendering import plain_text
from service.library.schemas import Template
from service.library.service import TemplateService
from service.suggest.embedders import Embedders

log = logging.getLogger("tact.search")


def to_document(template: Template) -> Document:
    text = plain_text(template.body)[:1000]
    return Document(template.id, template.title, text, tuple(template.triggers[:MAX_TRIGGERS]))


class SearchIndexes:
    def __init__(self, settings: Settings, languages: LanguageRegistry, library: TemplateService,
                 embedders: Embedders) -> None:
        self._settings = settings
        self._library = library
        self.indexes: dict[str, LanguageIndex] = {}
        for language in languages:
            ranking = RankingSettings(threshold_override=settings.no_match_threshold.get(language.code))
            embedder = embedders.get(settings.models.by_language.get(language.code, language.model))
            self.indexes[language.code] = LanguageIndex(language.code, embedder, ranking, stopwords=language.stopwords)

    def open(self) -> None:
        """Load each saved index, or rebuild it when its model or library revision changed."""
        for language, index in self.indexes.items():
            revision = self._library.revision(language)
            folder = self._settings.index_dir / language
            if index.load(folder, revision):
                log.info("index loaded", extra={"language": language, **index.manifest()})
            else:
                self.rebuild(language)
            index.start_background_training()
        self._library.subscribe(self.template_changed)

    def rebuild(self, language: str) -> None:
        index = self.indexes[language]
        revision = self._library.revision(language)
        documents = [to_document(t) for t in self._library.published(language)]
        started = time.perf_counter()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if time.perf_counter() - last[0] > 2 or done == total:
                last[0] = time.perf_counter()
                log.info("index build", extra={"language": language, "done": done, "total": total,
                                               "percent": round(100 * done / max(total, 1))})

        index.rebuild(documents, revision, progress)
        index.save(self._settings.index_dir / language)
        log.info("index built", extra={"language": language, "templates": len(documents),
                                       "vectors": index.vector_count, "seconds": round(time.perf_counter() - started, 2)})

    def template_changed(self, before: Template | None, after: Template | None) -> None:
        """Apply one template's change without a full rebuild. ``before`` may be unknown (None)."""
        template_id = (after or before).id
        for language, index in self.indexes.items():
            if after is not None and after.status == "published" and after.language == language:
                index.upsert(to_document(after), self._library.revision(language))
            else:
                index.remove(template_id, self._library.revision(language))

    def start_sync(self, every_seconds: float = 5.0) -> None:
        """Follow changes other replicas write to a shared database: rebuild a language whose
        library revision moved on without this process applying it."""
        self._stop_sync = threading.Event()

        def loop() -> None:
            while not self._stop_sync.wait(every_seconds):
                self._sync_once()

        self._sync_thread = threading.Thread(target=loop, name="tact-index-sync", daemon=True)
        self._sync_thread.start()

    def _sync_once(self) -> None:
        for language, index in self.indexes.items():
            try:
                with self._library.change_lock:  # this process's own changes are applied, not half-done
                    foreign = self._library.revision(language) != index.revision
                if foreign:
                    log.info("library changed elsewhere; rebuilding", extra={"language": language})
                    self.rebuild(language)
                elif index.dirty:
                    # Saved in the background: a burst of edits or an import writes the file once.
                    index.save(self._settings.index_dir / language)
            except Exception:  # noqa: BLE001 - keep following; the next round retries
                log.exception("index sync failed", extra={"language": language})

    def stop(self) -> None:
        if getattr(self, "_stop_sync", None):
            self._stop_sync.set()
            self._sync_thread.join(timeout=30)  # before the database it reads is closed
        for language, index in self.indexes.items():
            index.stop()
            if index.dirty:
                index.save(self._settings.index_dir / language)
