"""Keeps one ``LanguageIndex`` (``index/``) per served language in step with the template library,
and follows the change log other replicas append to in a shared database. An index's revision is
the last log entry of its language it has applied."""

from __future__ import annotations

import json
import logging
import os
import threading
import time

from index.embedder import Batcher
from index.library import MAX_TRIGGERS, Document, LanguageIndex
from index.ranking import FALLBACK_TOPIC_DISTANCE, RankingSettings
from service.core.settings import Settings
from service.languages import LanguageRegistry
from service.library.rendering import plain_text
from service.library.schemas import Template
from service.library.service import TemplateService
from service.library.storage import CHANNEL
from service.suggest.embedders import Embedders
from service.suggest.stored_embeddings import (
    StoredEmbeddings,
    prune_embeddings,
    text_hash,
)

log = logging.getLogger("tact.search")
REEMBED_NICENESS = 10  # a model change re-embeds below the requests the old model still serves
PRUNE_EVERY_S = 3600.0  # the change log is pruned at start and hourly (any replica; it is idempotent)


def log_position(revision: str) -> int | None:
    """The change-log sequence a revision stands for ("log:123"); None for anything else."""
    return int(revision[4:]) if revision and revision.startswith("log:") and revision[4:].isdigit() else None


def to_document(template: Template) -> Document:
    text = plain_text(template.body)[:1000]
    # learned messages after the lead's own triggers, within the template's slots
    triggers = (template.triggers + [t for t in template.learned if t not in template.triggers])[:MAX_TRIGGERS]
    return Document(template.id, template.title, text, tuple(triggers), template.team_id,
                    own_triggers=min(len(template.triggers), MAX_TRIGGERS))


class SearchBatcher:
    """Concurrent /suggest requests for one language searched together: whatever is waiting when
    the worker is free goes through ``LanguageIndex.search_many`` as one batch (one forward pass,
    one vector scan). A lone request starts at once."""

    MAX_BATCH = 32

    def __init__(self, index: LanguageIndex) -> None:
        self._batcher = Batcher(index.search_many, f"tact-search-{index.language}", self.MAX_BATCH)

    def search(self, text: str, k: int, teams: frozenset | None):
        return self._batcher.submit((text, k, teams))


class SearchIndexes:
    def __init__(self, settings: Settings, languages: LanguageRegistry, library: TemplateService,
                 embedders: Embedders) -> None:
        self._settings = settings
        self._library = library
        self._embedders = embedders
        self._languages = {language.code: language for language in languages}
        self.indexes: dict[str, LanguageIndex] = {}
        # languages whose index is being re-embedded with a new model while the old one serves:
        # language → {"model", "from", "done", "total"} (shown by /health)
        self.reembedding: dict[str, dict] = {}
        for language in languages:
            embedder = embedders.get(settings.models.by_language.get(language.code, language.model))
            self.indexes[language.code] = self._new_index(language.code, embedder)
        self._batchers = {code: SearchBatcher(index) for code, index in self.indexes.items()}

    def _new_index(self, code: str, embedder) -> LanguageIndex:
        language = self._languages[code]
        ranking = RankingSettings(threshold_override=self._settings.no_match_threshold.get(code))
        stored = StoredEmbeddings(embedder, self._library.storage.db)
        return LanguageIndex(code, embedder, ranking, stopwords=language.stopwords, document_embedder=stored)

    def topic_distance(self, language: str) -> float:
        """Where coverage gaps split into topics for this language, as its library calibrated it."""
        index = self.indexes.get(language)
        return index.topic_distance if index is not None else FALLBACK_TOPIC_DISTANCE

    def search(self, language: str, text: str, k: int, teams: frozenset | None):
        """A search that shares its forward pass and vector scan with concurrent ones."""
        return self._batchers[language].search(text, k, teams)

    def open(self) -> None:
        """Load each saved index and bring it up to date with the library, embedding only what
        changed meanwhile; rebuild only when there is none or another model made it."""
        for language, index in list(self.indexes.items()):
            folder = self._settings.index_dir / language
            if index.load(folder):
                self.follow_all(language)
                log.info("index loaded", extra={"language": language, **index.manifest()})
            elif (previous := self._previous_model_index(language, folder)) is not None:
                # another model built the saved index: it serves (with its own model) while the
                # new model embeds the library in the background, then the new index takes over
                self.indexes[language], self._batchers[language] = previous, SearchBatcher(previous)
                self.follow_all(language)
                previous.start_background_training()
                self._reembed_in_background(language, index)
                continue
            else:
                self.rebuild(language)
            index.start_background_training()
        self._library.subscribe(self.templates_changed)

    def _previous_model_index(self, language: str, folder) -> LanguageIndex | None:
        """The saved index of another model, loaded with that model, if it is still installed."""
        try:
            model = json.loads((folder / "manifest.json").read_text()).get("model")
        except (OSError, ValueError):
            return None
        if not model or model == self.indexes[language].embedder.name:
            return None
        try:
            index = self._new_index(language, self._embedders.get(model))
        except Exception:  # noqa: BLE001 - the old model is gone: the new one builds before serving
            log.warning("index of another model, which is not available; rebuilding",
                        extra={"language": language, "model": model})
            return None
        return index if index.load(folder) else None

    def _reembed_in_background(self, language: str, index: LanguageIndex) -> None:
        serving = self.indexes[language]
        state = {"model": index.embedder.name, "from": serving.embedder.name, "done": 0, "total": 0}
        self.reembedding[language] = state

        report = self._progress(language, "re-embedding with a new model")

        def progress(done: int, total: int) -> None:
            state.update(done=done, total=total)
            report(done, total)

        def work() -> None:
            try:
                os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), REEMBED_NICENESS)
            except (AttributeError, OSError):
                pass
            try:
                started = time.perf_counter()
                self._build(language, index, progress)
                with self._library.change_lock:  # this process's own edits wait for the hand-over
                    self.follow_all(language, index)  # what changed while it embedded
                    old = self.indexes[language]
                    self.indexes[language], self._batchers[language] = index, SearchBatcher(index)
                old.stop()
                index.start_background_training()
                index.save(self._settings.index_dir / language)
                log.info("new model serving", extra={"language": language, "model": index.embedder.name,
                                                     "previous": old.embedder.name, "templates": len(index),
                                                     "seconds": round(time.perf_counter() - started, 1)})
            except Exception:  # noqa: BLE001 - the old model keeps serving; the next start retries
                log.exception("re-embedding failed; the previous model keeps serving", extra={"language": language})
            finally:
                self.reembedding.pop(language, None)

        threading.Thread(target=work, name=f"tact-reembed-{language}", daemon=True).start()

    def follow_all(self, language: str, index: LanguageIndex | None = None, page: int = 5000) -> None:
        """After a restart: the log since the saved index, in pages. An index ahead of the log (a
        restored database, another database) is compared with the library whole instead."""
        index = index or self.indexes[language]
        applied = log_position(index.revision)
        if applied is not None and (applied > log_position(self._library.revision(language))
                                    or applied < self._library.pruned_through(language)):
            self.sync(language, index)  # ahead of the log, or behind what the log still holds
            return
        while self.follow(language, page, index)[1] == page:
            pass

    def sync(self, language: str, index: LanguageIndex | None = None) -> int:
        """Apply the differences between the library and the index: new, edited and removed
        templates; what is already embedded is not embedded again. Returns how many changed.

        The revision is read before the templates: a commit landing in between is either seen
        now or, its revision being newer than the stamp, at the next round; never skipped."""
        index = index or self.indexes[language]
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
        started = time.perf_counter()
        documents = self._build(language, index, self._progress(language, "index build"))
        index.save(self._settings.index_dir / language)
        log.info("index built", extra={"language": language, "templates": len(documents),
                                       "vectors": index.vector_count, "seconds": round(time.perf_counter() - started, 2)})

    def _build(self, language: str, index: LanguageIndex, progress) -> list[Document]:
        """Embed the whole published library of ``language`` into ``index``, stamped with the
        revision read before the templates (a commit in between is applied by the next follow)."""
        revision = self._library.revision(language)
        documents = [to_document(t) for t in self._library.published(language)]
        index.rebuild(documents, revision, progress)
        return documents

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

    def start_sync(self, every_seconds: float = 1.0) -> None:
        """Follow the change log other replicas append to: woken by PostgreSQL's NOTIFY at their
        commit, and polling every ``every_seconds`` besides (SQLite, or a lost notification)."""
        self._stop_sync = threading.Event()
        listener = self._library.storage.db.listen(CHANNEL)

        def loop() -> None:
            pruned = 0.0
            while not self._stop_sync.is_set():
                if listener is not None:
                    listener.wait(every_seconds)
                elif self._stop_sync.wait(every_seconds):
                    break
                if not self._stop_sync.is_set():
                    self._sync_once()
                if time.monotonic() - pruned > PRUNE_EVERY_S:
                    pruned = time.monotonic()
                    self._prune_log()
                    # it reads every template and stored hash, which grows with the library: not on
                    # the thread that follows other replicas' changes
                    threading.Thread(target=self.prune_embeddings, name="tact-prune-embeddings", daemon=True).start()
            if listener is not None:
                listener.close()

        self._sync_thread = threading.Thread(target=loop, name="tact-index-sync", daemon=True)
        self._sync_thread.start()

    def follow(self, language: str, limit: int = 5000, index: LanguageIndex | None = None) -> tuple[int, int]:
        """Apply the change log of ``language`` after what the index has applied: only the templates
        named there are read, and only those that differ from the index are embedded (this
        replica's own changes are already in). Returns (templates changed, log entries read)."""
        index = index or self.indexes[language]
        applied = log_position(index.revision)
        if applied is None:  # an index saved before the change log: compare everything once
            return self.sync(language, index), 0
        rows = self._library.changes_since(language, applied, limit)
        if not rows:
            return 0, 0
        if rows[0][0] > applied + 1 and applied < self._library.pruned_through(language):
            # entries after this index's position were pruned: the log cannot say what changed
            return self.sync(language, index), len(rows)
        ids = sorted({template_id for _, template_id, _ in rows})
        current = self._library.current(ids)
        held = index.documents()
        changed, removed = [], []
        for template_id in ids:
            template = current.get(template_id)
            if template is not None and template.status == "published" and template.language == language:
                document = to_document(template)
                if held.get(template_id) != document:
                    changed.append(document)
            elif template_id in held:
                removed.append(template_id)
        index.apply(changed, removed, f"log:{rows[-1][0]}", progress=self._progress(language) if len(changed) > 200 else None)
        return len(changed) + len(removed), len(rows)

    def _prune_log(self) -> None:
        try:
            removed = self._library.prune_changes(self._settings.change_log_retention_days)
            if removed:
                log.info("change log pruned", extra={"entries": removed,
                                                     "retention_days": self._settings.change_log_retention_days})
        except Exception:  # noqa: BLE001 - pruning is housekeeping; following goes on
            log.exception("change log pruning failed")

    def prune_embeddings(self) -> int:
        """Drop stored vectors no published template uses any more, for the models this replica
        serves (every language's templates count: another replica may serve one this one does not).
        Not while a model change re-embeds: its new vectors are not in an index yet."""
        if self.reembedding:
            return 0
        try:
            live = {text_hash(text) for template in self._library.published(None)
                    for text in to_document(template).texts()}
            models = {index.embedder.name for index in self.indexes.values()}
            removed = prune_embeddings(self._library.storage.db, models, live)
            if removed:
                log.info("stored embeddings pruned", extra={"vectors": removed, "live_texts": len(live)})
            return removed
        except Exception:  # noqa: BLE001 - housekeeping; serving goes on
            log.exception("stored embeddings pruning failed")
            return 0

    def _sync_once(self) -> None:
        for language, index in self.indexes.items():
            try:
                # this process's own changes are applied whole (commit, then index) before the log is read
                with self._library.change_lock:
                    changed, _ = self.follow(language)
                if changed:
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
