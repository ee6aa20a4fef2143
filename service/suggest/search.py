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
        """Load each saved index and bring it up to date with the library, embedding only what
        changed meanwhile; rebuild only when there is none or another model made it."""
        for language, index in self.indexes.items():
            folder = self._settings.index_dir / language
            if index.load(folder):
                self.sync(language)
                log.info("index loaded", extra={"language": language, **index.manifest()})
            else:
                self.rebuild(language)
            index.start_background_training()
        self._library.subscribe(self.templates_changed)

    def sync(self, language: str) -> int:
        """Apply the differences between the library and the index: new, edited and removed
        templates; what is already embedded is not embedded again. Returns how many changed.

        The revision is read before the templates: a commit landing in between is either seen
        now or, its revision being newer than the stamp, at the next round; never skipped."""
        index = self.indexes[language]
        revision = self._library.revision(language)
        wanted = {t.id: to_document(t) for t in self._library.published(language)}
        held = index.documents()
        changed = [d for tid, d in wanted.items() if held.get(tid) != d]
        removed = [tid for tid in held if tid not in wanted]
        if changed or removed or index.revision != revision:
            index.apply(changed, removed, revision, progress=self._progress(language) if len(changed) > 200 else None)
        return len(changed) + len(removed)

    def rebuild(self, language: str) -> None:
        index = self.indexes[language]
        revision = self._library.revision(language)
        documents = [to_document(t) for t in self._library.published(language)]
        started = time.perf_counter()
        index.rebuild(documents, revision, self._progress(language, "index build"))
        index.save(self._settings.index_dir / language)
        log.info("index built", extra={"language": language, "templates": len(documents),
                                       "vectors": index.vector_count, "seconds": round(time.perf_counter() - started, 2)})

    def templates_changed(self, changes: list[tuple[Template | None, Template | None]], progress=None) -> None:
        """Apply committed changes without a rebuild: per language, one batched encode of what was
        created or edited, and the removal of what was deleted, unpublished or moved away."""
        for language, index in self.indexes.items():
            upserts, removed = {}, []
            for before, after in changes:
                template_id = (after or before).id
                if after is not None and after.status == "published" and after.language == language:
                    upserts[template_id] = to_document(after)
                elif template_id in index or (before is not None and before.language == language):
                    removed.append(template_id)
            if upserts or removed:
                if progress is None and len(upserts) > 200:
                    progress = self._progress(language)
                # Not stamped with the library revision: read now, it could already include another
                # replica's commit that this index has not seen. The sync round compares and applies it.
                index.apply(list(upserts.values()), removed, None, progress=progress)

    @staticmethod
    def _progress(language: str, event: str = "index update"):
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if time.perf_counter() - last[0] > 2 or done == total:
                last[0] = time.perf_counter()
                log.info(event, extra={"language": language, "done": done, "total": total,
                                                "percent": round(100 * done / max(total, 1))})

        return progress

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
                    changed = self.sync(language)
                    log.info("library changed elsewhere; applied", extra={"language": language, "templates": changed})
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
