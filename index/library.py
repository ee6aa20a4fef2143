"""One language's searchable library: vectors in FAISS, a classifier over them, BM25 beside them.

Each template owns up to ``SLOTS`` vectors: slot 0 is its own text (title and body), the others
its triggers. A vector's id is ``template_id * SLOTS + slot``, so FAISS ids map back to templates
without a lookup table and one template can be replaced without touching the rest.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from threadpoolctl import threadpool_limits

from index.embedder import Embedder
from index.lexical import LexicalIndex
from index.ranking import (
    CENTROID_WEIGHT,
    CONFIDENCE_FOLDS,
    FALLBACK_TOPIC_DISTANCE,
    SENTENCE_WEIGHT,
    CandidateRanker,
    ConfidenceModel,
    RankingSettings,
    TemplateClassifier,
    calibrate_threshold,
    calibrate_topic_distance,
    fuse,
    sentences,
)
from index.store import load_store, make_store
from index.twins import Twins

SLOTS = 1024
MAX_TRIGGERS = SLOTS - 1
CANDIDATE_VECTORS = 64
MAX_CLASSIFIER_VECTORS = 30_000  # ~3,000 templates of 10 triggers: a retrain of under a minute, niced
RETRAIN_QUIET_S = 0.5  # a retrain starts once edits have paused this long …
RETRAIN_MAX_WAIT_S = 5.0  # … or this long after the first of a steady stream
RETRAIN_MAX_REST_S = 60.0  # the most a retrain for learned triggers only waits after the last
TRAINER_NICENESS = 10
# The confidence model is refitted after this many changes, or once the library grew or shrank by
# this share; in between the last one serves (it reads the ranking's shape, not template ids).
CONFIDENCE_REFIT_CHANGES = 20
# Triggers learned from sent replies move the ranking's shape far less than a lead's edits, and
# come in a stream. Measured with 1,247 templates and one every 3 s for 4 minutes: refitting after
# 20 of them, the trainer spent 65 s on 3 retrains and 58 s on one refit; after 200, 105 s on 5
# retrains (the head takes in what was learned sooner), no refit.
CONFIDENCE_REFIT_LEARNED = 200
CONFIDENCE_REFIT_SHARE = 0.1
# 2: a template with a reply text has its title as a row of its own (``Document.texts``); an
# index saved before lacks those rows and is rebuilt (from the stored vectors: only titles encode).
# 3: titles read as words (``Document.spoken_title``): rows of "card_arrival" are encoded again.
FORMAT_VERSION = 3

log = logging.getLogger("tact.index")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Document:
    template_id: int
    title: str
    text: str
    triggers: tuple[str, ...] = ()
    team_id: int | None = None  # None: every team's; a search names the teams its caller sees
    # how many of ``triggers`` a lead wrote (the rest were learned from sent replies); None: all
    own_triggers: int | None = None

    @property
    def lead_triggers(self) -> tuple[str, ...]:
        return self.triggers if self.own_triggers is None else self.triggers[:self.own_triggers]

    def texts(self) -> list[str]:
        """The rows the index holds for the template, in slot order: its title and reply text as
        one (slot 0), its triggers, and — when it has a reply text — its title alone, last.

        Why the title alone too: the reply's words outweigh the title in the first row, while a
        title names the case the way a short message does. Measured on the starter library, each
        trigger held out and matched against the rest with title and reply text in the first row
        (as the service holds templates): top-1 English (mpnet) 0.688 → 0.703, Russian (USE)
        0.471 → 0.489, English with MiniLM 0.645 → 0.652; with 4 triggers a template, 0.700 →
        0.717 and 0.448 → 0.474. The benches' intents have no reply text: their rows are as before."""
        head = self._head()
        if self._title_row():
            return [head, *self.triggers[:MAX_TRIGGERS - 1], self.spoken_title]
        return [head, *self.triggers[:MAX_TRIGGERS]]

    def learned_rows(self) -> slice:
        """Where the triggers learned from sent replies sit in ``texts()``."""
        held = min(len(self.triggers), MAX_TRIGGERS - 1 if self._title_row() else MAX_TRIGGERS)
        return slice(1 + min(len(self.lead_triggers), held), 1 + held)

    @property
    def spoken_title(self) -> str:
        """The title as words: the separators of macro names read as spaces ("card_arrival",
        Zendesk's "Billing::Refunds" → "card arrival", "Billing: Refunds"). Measured on CLINC150's
        validation split, 10 triggers, intent names as titles: top-1 0.916 with "card_arrival",
        0.920 with "card arrival" (mpnet)."""
        return _spoken(self.title)

    def _head(self) -> str:
        title = self.spoken_title
        return f"{title}. {self.text}".strip(" .") or title

    def _title_row(self) -> bool:
        title = self.spoken_title
        return bool(self.text.strip() and title and title != self._head() and title not in self.triggers)

    def lexical_text(self) -> str:
        return " ".join([self.spoken_title, *self.triggers])


@dataclass
class Hit:
    template_id: int
    score: float
    similarity: float


@dataclass
class SearchResult:
    hits: list[Hit]
    no_match: bool
    threshold: float
    mode: str  # "classifier" or "similarity"
    timings: dict[str, float] = field(default_factory=dict)
    vector: np.ndarray | None = None
    # P(the first hit is right), calibrated on the library; None while no classifier serves
    confidence: float | None = None
    unsure: bool = False  # confident enough to be shown as the answer, or only as the closest


class LanguageIndex:
    def __init__(self, language: str, embedder: Embedder, settings: RankingSettings | None = None,
                 stopwords: str | None = None, store: str = "faiss", document_embedder: Embedder | None = None) -> None:
        self.language = language
        self.embedder = embedder
        # Templates' texts may come from a store of vectors already computed (same model, same
        # name); queries always go to the model.
        self.document_embedder = document_embedder or embedder
        self.settings = settings or RankingSettings()
        self.revision = ""
        self._store_kind = store
        self._store = self._deferring(make_store(embedder.dim, store))
        self._store_retraining = False
        self._vectors: dict[int, np.ndarray] = {}
        self._centroids: dict[int, np.ndarray] = {}  # unit mean of each template's vectors (ranking features)
        self._documents: dict[int, Document] = {}
        self._twins = Twins()  # copies (same title and lead triggers): learnt from once, shown once
        self._stopwords = stopwords
        self._lexical = LexicalIndex(stopwords)
        self._derived_generation = -1  # the generation BM25 and the threshold were last built for
        self._selectors: dict[frozenset, object] = {}  # teams → store selector, until the next change
        self._classifier: TemplateClassifier | None = None
        self._confidence: ConfidenceModel | None = None
        self._reranker: CandidateRanker | None = None  # generic too: refitted with the confidence
        self._confidence_basis: tuple[int, int, int] | None = None  # (edits, learned, templates) it was fitted on
        self._threshold = self.settings.fallback_threshold
        # the cut under which unanswered messages are one topic (coverage gaps), calibrated with it
        self.topic_distance = FALLBACK_TOPIC_DISTANCE
        self._generation = 0
        # the last change a lead made (templates added, removed, rewritten); changes that only add
        # or drop triggers learned from sent replies do not move it (see ``_classifier_serves``)
        self._edit_generation = 0
        self._edits = 0  # how many of the changes were a lead's (the rest: learned triggers)
        self._trained_generation = -1
        self._last_fit_seconds = 0.0
        self._saved_generation = 0
        self._lock = threading.RLock()
        self._retrain_event = threading.Event()
        self._worker: threading.Thread | None = None
        self._stopped = False

    # ---------------------------------------------------------------- building
    def __len__(self) -> int:
        return len(self._documents)

    def __contains__(self, template_id: object) -> bool:
        return template_id in self._documents

    def documents(self) -> dict[int, Document]:
        """What the index holds now (a copy): compared with the library to apply only differences."""
        with self._lock:
            return dict(self._documents)

    @property
    def vector_count(self) -> int:
        return len(self._store)

    def rebuild(self, documents: list[Document], revision: str, progress: Progress | None = None,
                batch_size: int = 256) -> None:
        """Embed every document again (model changed, index stale or missing)."""
        texts: list[tuple[int, list[str]]] = [(d.template_id, d.texts()) for d in documents]
        total = sum(len(t) for _, t in texts)
        flat = [(tid, slot, s) for tid, ts in texts for slot, s in enumerate(ts)]
        vectors = np.zeros((total, self.embedder.dim), np.float32)
        for start in range(0, total, batch_size):
            chunk = flat[start:start + batch_size]
            vectors[start:start + len(chunk)] = self.document_embedder.encode([s for _, _, s in chunk])
            if progress:
                progress(min(start + batch_size, total), total)
        # the new store is filled (and an approximate one trained) before the lock: searches go on
        store = make_store(self.embedder.dim, self._store_kind)
        template_ids, counts = [tid for tid, _ in texts], [len(ts) for _, ts in texts]
        if template_ids:
            store.add(self._row_ids(template_ids, counts), vectors)
        with self._lock:
            self._store = self._deferring(store)
            self._vectors.clear()
            self._centroids.clear()
            self._documents = {d.template_id: d for d in documents}
            self._twins = Twins.of(documents, self._documents.__getitem__)
            self._keep_rows(template_ids, counts, vectors)
            self.revision = revision
            self._changed(upkeep_now=True)
        self.train_now()

    def upsert(self, document: Document, revision: str | None = None) -> None:
        self.apply([document], [], revision)

    def remove(self, template_id: int, revision: str | None = None) -> bool:
        existed = template_id in self._documents
        self.apply([], [template_id], revision)
        return existed

    def apply(self, documents: list[Document], removed: list[int], revision: str | None = None,
              progress: Progress | None = None, batch_size: int = 256) -> None:
        """Replace ``documents`` and drop ``removed`` in one step: one batched encode, one rebuild of
        BM25 and the threshold, one retrain, however many templates an import brings."""
        texts = [(d.template_id, d.texts()) for d in documents]
        flat = [s for _, ts in texts for s in ts]
        vectors = np.zeros((len(flat), self.embedder.dim), np.float32)
        for start in range(0, len(flat), batch_size):
            vectors[start:start + batch_size] = self.document_embedder.encode(flat[start:start + batch_size])
            if progress:
                progress(min(start + batch_size, len(flat)), len(flat))
        with self._lock:
            edited = bool(removed) or not all(_learned_only(self._documents.get(d.template_id), d) for d in documents)
            # one removal and one insertion for the whole change: a FAISS removal scans the store,
            # so one per template made an import of N templates cost N scans (10,000: 92 s)
            gone = [t for t in removed if t in self._documents] + [t for t, _ in texts]
            old_ids = [self._ids_of(t) for t in gone]
            if old_ids:
                self._store.remove(np.concatenate(old_ids))
            for template_id in gone:
                if template_id in self._documents:
                    self._twins.discard(self._documents[template_id])
            for template_id in removed:
                self._documents.pop(template_id, None)
                self._vectors.pop(template_id, None)
                self._centroids.pop(template_id, None)
            for document in documents:
                self._documents[document.template_id] = document
            for document in documents:
                self._twins.add(document, self._documents.__getitem__)
            self._put_all([t for t, _ in texts], [len(ts) for _, ts in texts], vectors)
            if revision is not None:
                self.revision = revision
            self._changed(edited=edited)

    @staticmethod
    def _deferring(store):
        """A store that, grown past its size, is retrained off the lock (``_retrain_store``)."""
        if hasattr(store, "defer_retrain"):
            store.defer_retrain = True
        return store

    @staticmethod
    def _row_ids(template_ids: list[int], counts: list[int]) -> np.ndarray:
        return np.concatenate([t * SLOTS + np.arange(n, dtype=np.int64) for t, n in zip(template_ids, counts)])

    def _put_all(self, template_ids: list[int], counts: list[int], vectors: np.ndarray) -> None:
        """Templates' rows (``counts[i]`` consecutive rows of ``vectors`` each) into the store, in one add."""
        if not template_ids:
            return
        self._store.add(self._row_ids(template_ids, counts), vectors)
        self._keep_rows(template_ids, counts, vectors)
        if getattr(self._store, "retrain_due", False) and not self._store_retraining:
            self._store_retraining = True
            store = self._store
            # The rows as they are now, gathered off the lock: each template's array is replaced on
            # an edit, never written in place, so references taken here stay this moment's rows.
            held = list(self._vectors.items())
            build = store.begin_retrain(lambda: (
                self._row_ids([t for t, _ in held], [len(r) for _, r in held]),
                np.ascontiguousarray(np.vstack([r for _, r in held]), dtype=np.float32)))
            threading.Thread(target=self._retrain_store, args=(store, build), daemon=True,
                             name=f"tact-store-{self.language}").start()

    def _retrain_store(self, store, build) -> None:
        """The approximate index built from a snapshot while the old one serves and takes edits;
        the edits are replayed onto it when it swaps in."""
        started = time.perf_counter()
        try:
            index = build()
            with self._lock:
                if self._store is store:  # not replaced by a rebuild meanwhile
                    store.finish_retrain(index)
                    self._saved_generation = -1  # the new store is saved with the next background save
            log.info("vector store retrained", extra={"language": self.language, "vectors": len(store),
                                                      "seconds": round(time.perf_counter() - started, 1)})
        except Exception:  # noqa: BLE001 - the current store keeps serving; the next add retries
            log.exception("vector store retrain failed", extra={"language": self.language})
            with self._lock:
                store.abort_retrain()
        finally:
            self._store_retraining = False

    def _keep_rows(self, template_ids: list[int], counts: list[int], vectors: np.ndarray) -> None:
        offset = 0
        for template_id, n in zip(template_ids, counts):
            self._vectors[template_id] = vectors[offset:offset + n]
            self._centroids[template_id] = _unit(vectors[offset:offset + n].mean(axis=0))
            offset += n

    def _ids_of(self, template_id: int) -> np.ndarray:
        old = self._vectors.get(template_id)
        n = len(old) if old is not None else 0
        return template_id * SLOTS + np.arange(n, dtype=np.int64)

    def _changed(self, upkeep_now: bool = False, edited: bool = True) -> None:
        """After a change: vectors and documents are already live. BM25, the no-match threshold and
        the classifier cost O(library) to redo, so the background worker redoes them once edits
        pause (one edit of 10,000 templates no longer rebuilds them in the writer's request); a
        rebuild, a load, or an index without the worker does it at once."""
        self._generation += 1
        if edited:
            self._edit_generation = self._generation
            self._edits += 1
        self._selectors = {}
        if upkeep_now or self._worker is None:
            self._refresh_derived()
        self._retrain_event.set()

    def _refresh_derived(self) -> None:
        with self._lock:
            generation = self._generation
            texts = {t: d.lexical_text() for t, d in self._documents.items()}
            groups = [rows for t, rows in self._vectors.items() if not self._twins.is_copy(t)]
        lexical = LexicalIndex(self._stopwords)
        lexical.build(texts)
        threshold = calibrate_threshold(groups, self.settings)
        topic_distance = calibrate_topic_distance(groups)
        with self._lock:
            if generation >= self._derived_generation:
                self._lexical, self._threshold, self._derived_generation = lexical, threshold, generation
                self.topic_distance = topic_distance

    # ---------------------------------------------------------------- classifier upkeep
    def start_background_training(self) -> None:
        """Retrain the classifier after changes, off the request path (debounced)."""
        if self._worker is not None:
            return
        self._worker = threading.Thread(target=self._train_loop, name=f"tact-train-{self.language}", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        self._stopped = True
        self._retrain_event.set()

    def _train_loop(self) -> None:
        # Retraining is background work: below the request threads in the scheduler's eyes, so a
        # busy replica answers /suggest (in similarity mode meanwhile) before it finishes a retrain.
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), TRAINER_NICENESS)
        except (AttributeError, OSError):
            pass
        while not self._stopped:
            self._retrain_event.wait()
            if self._stopped:
                return
            # let a burst of edits settle: one retrain for a stream of edits, not one per edit (but
            # never more than RETRAIN_MAX_WAIT_S behind a steady stream)
            deadline = time.monotonic() + RETRAIN_MAX_WAIT_S
            while time.monotonic() < deadline:
                self._retrain_event.clear()
                if self._stopped or not self._retrain_event.wait(RETRAIN_QUIET_S):
                    break
            self._retrain_event.clear()
            if self._stopped:
                return
            try:
                if self._derived_generation != self._generation:
                    self._refresh_derived()
                if self.classifier_fresh:
                    continue
                if self._classifier_serves:
                    # only learned triggers since the head serving now: a stream of sent replies
                    # retrains at most every other fit's length, not back to back on a core (a
                    # lead's edit meanwhile takes the head out of service: it retrains at once)
                    rest = time.monotonic() + min(self._last_fit_seconds, RETRAIN_MAX_REST_S)
                    while time.monotonic() < rest and not self._stopped and self._classifier_serves:
                        time.sleep(0.05)
                self.train_now()
            except Exception:  # noqa: BLE001 - a failed retrain leaves similarity mode serving
                log.exception("classifier training failed", extra={"language": self.language})

    def train_now(self) -> None:
        with self._lock:
            generation = self._generation
            labels, rows = self._training_set()
        started = time.perf_counter()
        # Above MAX_CLASSIFIER_VECTORS a retrain would take minutes of CPU per change: such a
        # library is ranked by similarity and BM25 alone (bench/REPORT.md, scale section).
        classifier = TemplateClassifier.train(labels, rows) if 0 < len(rows) <= MAX_CLASSIFIER_VECTORS else None
        # The classifier serves as soon as it is fitted, beside the confidence fitted before (it is
        # generic: the ranking's shape). The refits below cost five more fits: 1,247 templates
        # (the test suite's library) took 15 s for the classifier and about 60 s for the refits, and a
        # full test run once waited 100 s per retrain in re-ranker mode for them.
        # A fit outpaced by triggers learned meanwhile serves too (it knows every template), or a
        # steady stream of sent replies on a large library would keep the head from ever serving.
        self._last_fit_seconds = time.perf_counter() - started
        with self._lock:
            usable = self._edit_generation <= generation and generation >= self._trained_generation
            if usable:
                self._classifier = classifier
                self._trained_generation = generation
        log.info("classifier trained", extra={"language": self.language, "templates": len(np.unique(labels)) if len(labels) else 0,
                                              "vectors": len(rows), "seconds": round(self._last_fit_seconds, 3),
                                              "current": generation == self._generation, "serves": usable})
        if not usable or not self._confidence_stale():
            return  # (edited meanwhile: the worker retrains at once, the refits wait for that one)
        # More fits: done when the library has changed enough to matter, not for every edit
        # (three replicas refitting on each of a stream of edits saturated two cores and
        # delayed their following the change log by seconds).
        started = time.perf_counter()
        with self._lock:
            basis = (self._edits, self._learned_changes, len(self._documents))
            documents = dict(self._documents)
            vectors = {t: rows for t, rows in self._vectors.items() if not self._twins.is_copy(t)}
        # A lead's change meanwhile takes the head out of service: the refits give way to its
        # retrain (the models fitted before serve on) and are done after it.
        edited = lambda: self._edit_generation > generation  # noqa: E731
        # one BLAS thread, as the classifier's fit: BLAS's own threads are not niced with this
        # one and took the cores from replicas following the change log
        with threadpool_limits(1):
            confidence = fit_confidence(documents, vectors, self._stopwords, self.settings.lexical_weight,
                                        cancelled=edited) if classifier is not None else None
            sample = candidate_sample(vectors, self._locked_search) if not edited() else None
            reranker = CandidateRanker.fit(*sample) if sample is not None else None
        if edited():
            log.info("confidence refit put off", extra={"language": self.language,
                                                        "seconds": round(time.perf_counter() - started, 3)})
            return
        with self._lock:
            self._confidence_basis = basis
            self._reranker = reranker
            if confidence is not None:
                self._confidence = confidence  # generic (the ranking's shape): valid after later edits too
        log.info("confidence fitted", extra={"language": self.language, "templates": len(documents),
                                             "seconds": round(time.perf_counter() - started, 3)})

    def _confidence_stale(self) -> bool:
        if self._confidence_basis is None:  # (a fit may have found too little to fit: it waits too)
            return True
        edits, learned, templates = self._confidence_basis
        grown = abs(len(self._documents) - templates) > CONFIDENCE_REFIT_SHARE * max(templates, 1)
        return (grown or self._edits - edits >= CONFIDENCE_REFIT_CHANGES
                or self._learned_changes - learned >= CONFIDENCE_REFIT_LEARNED)

    @property
    def _learned_changes(self) -> int:
        return self._generation - self._edits

    def _training_set(self) -> tuple[np.ndarray, np.ndarray]:
        if not self._vectors:
            return np.zeros(0, np.int64), np.zeros((0, self.embedder.dim), np.float32)
        # a copy's own rows are its group's (learnt once); what it learned from sent replies is
        # its group's too, so a team's picks on its copy still teach the classifier
        learnt = [(self._twins.canonical(t), v if not self._twins.is_copy(t) else v[self._documents[t].learned_rows()])
                  for t, v in self._vectors.items()]
        learnt = [(t, v) for t, v in learnt if len(v)]
        labels = np.concatenate([np.full(len(v), t, np.int64) for t, v in learnt])
        return labels, np.vstack([v for _, v in learnt])

    @property
    def classifier_fresh(self) -> bool:
        return self._classifier is not None and self._trained_generation == self._generation

    @property
    def _classifier_serves(self) -> bool:
        """Fresh, or behind only by triggers learned from sent replies: it knows every template as
        the lead left it. After a lead's change the nearest vectors serve until it retrains, so
        the change shows at once."""
        return self._classifier is not None and self._trained_generation >= self._edit_generation

    # ---------------------------------------------------------------- search
    def search(self, text: str, k: int = 3, query_vector: np.ndarray | None = None,
               teams: frozenset | None = None) -> SearchResult:
        """``teams``: the team ids whose templates the caller sees (None in it for the shared ones);
        None for all. The filter is inside the vector search, so k visible hits come back however
        many teams' templates outrank them."""
        if query_vector is None:
            return self.search_many([(text, k, teams)])[0]
        t0 = time.perf_counter()
        parts = sentences(text)
        sentence_vectors = self.embedder.encode(parts) if parts else None
        with self._lock:
            result = self._rank(text, query_vector, k, teams, sentence_vectors=sentence_vectors)
        result.timings = {"encode_ms": 0.0, "rank_ms": (time.perf_counter() - t0) * 1000}
        result.vector = query_vector
        return result

    def _visible(self, teams: frozenset | None):
        if teams is None:
            return lambda template_id: True
        documents = self._documents
        return lambda template_id: template_id in documents and documents[template_id].team_id in teams

    def _selector(self, teams: frozenset):
        selector = self._selectors.get(teams)
        if selector is None:
            ids = [self._ids_of(t) for t, d in self._documents.items() if d.team_id in teams]
            selector = self._store.select(np.concatenate(ids) if ids else np.zeros(0, np.int64))
            self._selectors[teams] = selector
        return selector

    def search_many(self, requests: list[tuple[str, int, frozenset | None]]) -> list[SearchResult]:
        """Several searches as one: one forward pass for all texts, one vector search per team set
        for all their queries (a batched scan costs little more than one), then each ranked."""
        t0 = time.perf_counter()
        # each message, then the sentences of those that have several, in one pass
        parts = [sentences(text) for text, _, _ in requests]
        encoded = self.embedder.encode([text for text, _, _ in requests] + [p for ps in parts for p in ps])
        queries, start, per_sentence = encoded[:len(requests)], len(requests), []
        for ps in parts:
            per_sentence.append(encoded[start:start + len(ps)] if ps else None)
            start += len(ps)
        t1 = time.perf_counter()
        results: list[SearchResult | None] = [None] * len(requests)
        with self._lock:
            by_teams: dict[frozenset | None, list[int]] = {}
            for n, (_, _, teams) in enumerate(requests):
                by_teams.setdefault(teams, []).append(n)
            for teams, members in by_teams.items():
                nearest = self._nearest(queries[members], teams)
                for n, found in zip(members, nearest):
                    text, k, _ = requests[n]
                    results[n] = self._rank(text, queries[n], k, teams, found, per_sentence[n])
        elapsed = {"encode_ms": (t1 - t0) * 1000 / len(requests), "rank_ms": (time.perf_counter() - t1) * 1000 / len(requests),
                   "batch": len(requests)}
        for n, result in enumerate(results):
            result.timings = dict(elapsed)
            result.vector = queries[n]
        return results

    def _nearest(self, queries: np.ndarray, teams: frozenset | None) -> list[dict[int, list[float]]]:
        """Per query: template → cosines of its vectors among the nearest ``CANDIDATE_VECTORS``,
        best first (the first is the template's nearest)."""
        if not len(self._store):
            return [{} for _ in range(len(queries))]
        allowed = None if teams is None else self._selector(teams)
        scores, ids = self._store.search(queries, min(CANDIDATE_VECTORS, len(self._store)), allowed)
        return [candidate_hits(row_ids, row_scores) for row_scores, row_ids in zip(scores, ids)]

    def _rank(self, text: str, query: np.ndarray, k: int, teams: frozenset | None = None,
              hits: dict[int, list[float]] | None = None, sentence_vectors: np.ndarray | None = None) -> SearchResult:
        if not self._documents:
            return SearchResult([], True, self._threshold, "empty")
        visible = self._visible(teams)
        if hits is None:
            hits = self._nearest(query[None, :], teams)[0]
        # BM25 is rebuilt in the background once edits pause: until then it does not know the newest
        # templates and would lift older ones sharing their words above them, so it waits.
        lexical = ({t: v for t, v in self._lexical.scores(text).items() if visible(t)}
                   if self._derived_generation >= self._edit_generation else {})
        if len(self._twins):  # (hits and lexical are visible ones already)
            hits, lexical = self._one_each(hits, visible), self._one_each(lexical, visible)
        nearest = {t: h[0] for t, h in hits.items()}
        if self._classifier_serves:
            mode = "classifier"
            # the classifier knows one of each group of twins: its probability goes to the copy shown
            base, per_sentence = self._probabilities(query, sentence_vectors)
            # ranked by the probability and the centroid (CENTROID_WEIGHT), the confidence reading the
            # probability alone: both carried through one pass over the classes (a hot path)
            central = zip(self._classifier.template_ids.tolist(), self._classifier.centroid_similarities(query).tolist())
            pairs = self._one_each({t: (base[t] + CENTROID_WEIGHT * c, base[t]) for t, c in central}, visible)
            ordering = {t: pair[0] for t, pair in pairs.items()}
            base = {t: pair[1] for t, pair in pairs.items()}
        elif self._reranker is not None and hits:
            # no classifier (a large library, or retraining): the candidates re-ranked by how
            # the nearest vectors fall on them (CandidateRanker, fitted on the library itself)
            mode = "reranker"
            extra = {t: [self._similarity(t, query)] for t in lexical if t not in hits}  # words only
            base = self._rerank(query, {**hits, **extra} if extra else hits)
            if sentence_vectors is not None and len(sentence_vectors):
                base = self._rerank_sentences(base, sentence_vectors, teams, visible)
        else:
            mode = "similarity"
            base = dict(nearest)
            for tid in lexical:  # a lexical-only candidate still gets its real similarity
                base.setdefault(tid, self._similarity(tid, query))
        fused = fuse(ordering if mode == "classifier" else base, lexical, self.settings.lexical_weight)
        ranked = [(t, s) for t, s in sorted(fused.items(), key=lambda kv: -kv[1])[:k] if t in self._documents]
        sims = {t: nearest.get(t) or self._similarity(t, query) for t, _ in ranked}
        confidence, scores = None, {t: s for t, s in ranked}
        if mode == "classifier" and self._confidence is not None and ranked:
            # each hit's probability of being the right one, read off the ranking as the first's is
            ids = [t for t, _ in ranked]
            probs = self._confidence.probability(ConfidenceModel.features(
                [base.get(t, 0.0) for t in ids], [sims[t] for t in ids], [self._centroid_similarity(t, query) for t in ids]))
            if sentence_vectors is not None and len(sentence_vectors):
                # A message of several asks is as sure as its clearest part: each sentence read as
                # a message of its own (the mixed probability of "Thanks, I'm in now. But I was
                # charged twice…" is spread over both asks, the charge sentence's is not).
                for vector, own in zip(sentence_vectors, per_sentence):
                    own = self._one_each(own, visible)
                    probs = np.maximum(probs, self._confidence.probability(ConfidenceModel.features(
                        [own.get(t, 0.0) for t in ids], [self._similarity(t, vector) for t in ids],
                        [self._centroid_similarity(t, vector) for t in ids])))
            probs = np.minimum.accumulate(probs)  # the ranking's order stands: scores never rise down the list
            scores = {t: float(p) for t, p in zip(ids, probs)}
            confidence = scores[ids[0]]
        hits = [Hit(tid, round(scores[tid], 4), round(sims[tid], 4)) for tid, _ in ranked]
        no_match = not hits or hits[0].similarity < self._threshold or (
            confidence is not None and confidence < self._confidence.threshold)
        unsure = no_match or (confidence is not None and confidence < self._confidence.unsure)
        return SearchResult(hits, no_match, round(self._threshold, 4), mode,
                            confidence=None if confidence is None else round(confidence, 4), unsure=unsure)

    def _probabilities(self, query: np.ndarray, sentence_vectors: np.ndarray | None) -> tuple[dict[int, float], list[dict]]:
        """The classifier's, for the message as a whole and, when it has several sentences, for
        each of them (``index.ranking.sentences``): the mixed probabilities, and each sentence's
        own (the confidence reads those)."""
        if sentence_vectors is None or not len(sentence_vectors):
            return self._classifier.probabilities(query), []
        matrix = self._classifier.probability_matrix(np.vstack([query[None, :], sentence_vectors]))
        mixed = SENTENCE_WEIGHT * matrix[0] + (1.0 - SENTENCE_WEIGHT) * matrix[1:].mean(axis=0)
        ids = [int(t) for t in self._classifier.template_ids]
        return dict(zip(ids, mixed.tolist())), [dict(zip(ids, row.tolist())) for row in matrix[1:]]

    def _one_each(self, scores: dict, visible) -> dict:
        """``scores`` with one visible template per group of twins, with the best of their values. This runs
        over every class on each query: the groups are found by set intersections, not per item
        (10,000 classes: 0.6 ms, as the plain filter; with every one of them copied once, 6.8 ms)."""
        out = {t: value for t, value in scores.items() if visible(t)}
        grouped = self._twins.grouped_among(scores.keys())
        for t in grouped:
            out.pop(t, None)
        best = {}  # group → the best of its members' values (a float, a hits list: best first, or a tuple)
        for t in grouped:
            canonical = self._twins.canonical(t)
            if canonical not in best or scores[t] > best[canonical]:
                best[canonical] = scores[t]
        for canonical, value in best.items():
            shown = self._shown(canonical, visible)
            if shown is not None:
                out[shown] = value
        return out

    def _shown(self, template_id: int, visible) -> int | None:
        """The twin a caller sees: its team's own copy before the shared one, then the oldest."""
        seen = [m for m in self._twins.members(template_id) if visible(m)]
        return min(seen, key=lambda m: (self._documents[m].team_id is None, m)) if seen else None

    def _locked_search(self, queries: np.ndarray, k: int):
        """The store searched as requests search it, in short turns under the lock (writers
        change it under the same lock), so background work never holds requests up for long."""
        out = []
        for start in range(0, len(queries), 64):
            with self._lock:
                out.append(self._store.search(queries[start:start + 64], min(k, len(self._store))))
        return np.vstack([s for s, _ in out]), np.vstack([i for _, i in out])

    def _rerank(self, query: np.ndarray, hits: dict[int, list[float]]) -> dict[int, float]:
        ids = list(hits)
        centroids = (np.vstack([self._centroids[t] for t in ids]) @ query).tolist()
        return dict(zip(ids, self._reranker.probability(CandidateRanker.features([hits[t] for t in ids], centroids))))

    def _rerank_sentences(self, whole: dict[int, float], sentence_vectors: np.ndarray, teams: frozenset | None,
                          visible) -> dict[int, float]:
        """The re-ranker's view of a message of several sentences, mixed as the classifier's is
        (``SENTENCE_WEIGHT`` × the whole message's + the rest × the mean of its sentences'): each
        sentence searched and re-ranked as a message of its own, a template it did not retrieve
        counting 0 for it. One batched vector search for the sentences."""
        views = []
        for vector, found in zip(sentence_vectors, self._nearest(sentence_vectors, teams)):
            if len(self._twins):
                found = self._one_each(found, visible)
            views.append(self._rerank(vector, found) if found else {})
        share = (1.0 - SENTENCE_WEIGHT) / len(views)
        mixed = {t: SENTENCE_WEIGHT * p for t, p in whole.items()}
        for view in views:
            for t, p in view.items():
                mixed[t] = mixed.get(t, 0.0) + share * p
        return mixed

    def _centroid_similarity(self, template_id: int, query: np.ndarray) -> float:
        return float(self._centroids[template_id] @ query)

    def similar_templates(self, template_id: int, threshold: float) -> list[tuple[int, float]]:
        """Other templates whose own text (slot 0) is at least ``threshold`` similar to this one's."""
        with self._lock:
            own = self._vectors.get(template_id)
            if own is None:
                return []
            scores, ids = self._store.search(own[:1], min(CANDIDATE_VECTORS, len(self._store)))
        found: dict[int, float] = {}
        for score, vid in zip(scores[0], ids[0]):
            tid, slot = divmod(int(vid), SLOTS)
            if vid >= 0 and slot == 0 and tid != template_id and score >= threshold:
                found[tid] = float(score)
        return sorted(found.items(), key=lambda kv: -kv[1])

    def _similarity(self, template_id: int, query: np.ndarray) -> float:
        rows = self._vectors.get(template_id)
        return float((rows @ query).max()) if rows is not None and len(rows) else -1.0

    # ---------------------------------------------------------------- persistence
    def manifest(self) -> dict:
        return {"format": FORMAT_VERSION, "language": self.language, "model": self.embedder.name,
                "dim": self.embedder.dim, "revision": self.revision, "templates": len(self._documents),
                "vectors": len(self._store)}

    @property
    def dirty(self) -> bool:
        """Changed since it was last saved or loaded."""
        return self._saved_generation != self._generation

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._saved_generation = self._generation
            self._store.save(folder / "vectors.faiss")
            docs = [{"template_id": d.template_id, "title": d.title, "text": d.text, "triggers": list(d.triggers),
                     "team_id": d.team_id, "own_triggers": d.own_triggers} for d in self._documents.values()]
            _write_json(folder / "documents.json", docs)
            # the fitted ranking models travel with the index: a start does not refit them
            ranking = {"confidence": self._confidence.to_dict() if self._confidence else None,
                       "reranker": self._reranker.to_dict() if self._reranker else None}
            _write_json(folder / "ranking.json", ranking)
            _write_json(folder / "manifest.json", self.manifest())

    def load(self, folder: Path, expected_revision: str | None = None) -> bool:
        """Load a saved index if this model built it (and, when given, for this library revision;
        without one the caller brings it up to date with ``apply``)."""
        folder = Path(folder)
        try:
            manifest = json.loads((folder / "manifest.json").read_text())
        except (OSError, ValueError):
            return False
        if (manifest.get("format") != FORMAT_VERSION or manifest.get("model") != self.embedder.name
                or manifest.get("dim") != self.embedder.dim
                or (expected_revision is not None and manifest.get("revision") != expected_revision)):
            return False
        try:
            store = load_store(folder / "vectors.faiss", self._store_kind)
            docs = json.loads((folder / "documents.json").read_text())
        except (OSError, ValueError, RuntimeError):
            return False
        with self._lock:
            self._store = self._deferring(store)
            self._documents = {d["template_id"]: Document(d["template_id"], d["title"], d["text"], tuple(d["triggers"]),
                                                          d.get("team_id"), d.get("own_triggers")) for d in docs}
            self._vectors = {tid: store.vectors(tid * SLOTS + np.arange(len(doc.texts())))
                             for tid, doc in self._documents.items()}
            self._centroids = {tid: _unit(rows.mean(axis=0)) for tid, rows in self._vectors.items()}
            self._twins = Twins.of(self._documents.values(), self._documents.__getitem__)
            self.revision = manifest.get("revision", "") if expected_revision is None else expected_revision
            self._changed(upkeep_now=True)
            self._saved_generation = self._generation
            try:
                ranking = json.loads((folder / "ranking.json").read_text())
                self._confidence = ConfidenceModel.from_dict(ranking["confidence"]) if ranking.get("confidence") else None
                self._reranker = CandidateRanker.from_dict(ranking["reranker"]) if ranking.get("reranker") else None
                self._confidence_basis = (self._edits, self._learned_changes, len(self._documents))  # refitted after 20 edits
            except (OSError, ValueError, KeyError, TypeError):
                pass  # an index saved before they were: fitted by train_now below
        self.train_now()
        return True


def _learned_only(old: Document | None, new: Document) -> bool:
    """Whether ``new`` only adds triggers learned from sent replies to ``old`` (the oldest may leave
    in the same change: a template keeps its newest 200). A learned trigger withdrawn alone — a
    lead's undo, an agent's dismissal of a reply it was learned from, its retention run out — is
    an edit: the head trained with it must not serve it until the retrain."""
    if old is None or (old.title, old.text, old.team_id, old.lead_triggers) != (
            new.title, new.text, new.team_id, new.lead_triggers):
        return False
    before, after = set(old.triggers), set(new.triggers)
    return bool(after - before) or before <= after


_SEPARATORS = re.compile(r"\s*::\s*|_+")


def _spoken(title: str) -> str:
    words = " ".join(_SEPARATORS.sub(lambda m: ": " if ":" in m.group() else " ", title).split())
    return words if words.strip(": ") else title.strip()  # "___" stays itself, not an empty row


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / max(float(np.linalg.norm(vector)), 1e-9)).astype(np.float32)


def candidate_hits(ids: np.ndarray, scores: np.ndarray, skip: int = -1) -> dict[int, list[float]]:
    """Template → cosines of its vectors among one query's nearest (FAISS order: best first)."""
    hits: dict[int, list[float]] = {}
    for score, vid in zip(scores, ids):
        if vid >= 0 and vid != skip:
            hits.setdefault(int(vid) // SLOTS, []).append(float(score))
    return hits


def candidate_sample(vectors: dict[int, np.ndarray], search, sample: int = 3000, seed: int = 0):
    """Training rows for ``CandidateRanker`` from the library itself: triggers of templates with at
    least two, each searched as a message would be (itself left out of the hits and of its
    template's centroid); label = the candidate is its own template. Its cost does not grow with
    the library: ``sample`` searches, whatever the number of templates."""
    pairs = [(t, slot) for t, v in vectors.items() if len(v) >= 3 for slot in range(1, len(v))]
    if len(pairs) < CandidateRanker.MIN_QUERIES:
        return None
    rng = np.random.default_rng(seed)
    pairs = [pairs[i] for i in rng.choice(len(pairs), min(sample, len(pairs)), replace=False)]
    queries = np.vstack([vectors[t][slot] for t, slot in pairs])
    scores, ids = search(queries, CANDIDATE_VECTORS + 1)  # one more: the query itself is among them
    sums = {}
    features, right = [], []
    for n, ((own, slot), query) in enumerate(zip(pairs, queries)):
        hits = candidate_hits(ids[n], scores[n], skip=own * SLOTS + slot)
        hits = {t: h for t, h in hits.items() if t in vectors}  # an edit since the snapshot
        if own not in hits:  # nothing to learn from a query whose template is not among them
            continue
        centroids = []
        for t in hits:
            rows = vectors[t]
            total = sums.get(t)
            if total is None:
                total = sums[t] = rows.sum(axis=0)
            centre = total - rows[slot] if t == own else total
            centroids.append(float(centre @ query) / max(float(np.linalg.norm(centre)), 1e-9))
        features.append(CandidateRanker.features(list(hits.values()), centroids))
        right.append(np.array([t == own for t in hits]))
    if not features:
        return None
    return np.vstack(features), np.concatenate(right)


def fit_confidence(documents: dict[int, Document], vectors: dict[int, np.ndarray], stopwords: str | None,
                   lexical_weight: float, folds: int = CONFIDENCE_FOLDS, seed: int = 0,
                   cancelled: Callable[[], bool] = lambda: False) -> ConfidenceModel | None:
    """The confidence model, from the library alone. Each fold leaves out a fifth of the templates
    (their triggers are then on-topic messages nothing answers: the first suggestion is wrong) and
    a fifth of the other templates' triggers (answerable messages: right when their template comes
    first), trains the classifier on the rest, and ranks the left-out triggers as ``_rank`` does."""
    template_ids = sorted(t for t in vectors if t in documents)
    if len(template_ids) < 2 * folds:
        return None
    group = dict(zip(template_ids, np.random.default_rng(seed).permutation(len(template_ids)) % folds))
    features, right = [], []
    for fold in range(folds):
        if cancelled():  # (checked between folds: one fold of 1,247 templates is ~10 s)
            return None
        rows, labels, lexical_docs, queries, query_texts, truth = [], [], {}, [], [], []
        for tid in template_ids:
            v, texts = vectors[tid], documents[tid].texts()
            if group[tid] == fold:
                asked = list(range(1, len(v))) or [0]
                queries += [v[i] for i in asked]
                query_texts += [texts[i] for i in asked]
                truth += [-1] * len(asked)
                continue
            held = [i for i in range(1, len(v)) if (i + fold) % folds == 0] if len(v) > 2 else []
            kept = [i for i in range(len(v)) if i not in held]
            rows.append(v[kept])
            labels += [tid] * len(kept)
            lexical_docs[tid] = " ".join([documents[tid].spoken_title] + [texts[i] for i in kept if i > 0])
            queries += [v[i] for i in held]
            query_texts += [texts[i] for i in held]
            truth += [tid] * len(held)
        if not queries:
            continue
        train, labels = np.vstack(rows), np.array(labels, np.int64)
        classifier = TemplateClassifier.train(labels, train)
        if classifier is None:
            continue
        column = {int(t): n for n, t in enumerate(classifier.template_ids)}
        order = np.argsort(labels, kind="stable")
        starts = np.r_[0, np.flatnonzero(np.diff(labels[order])) + 1]  # one run per template, sorted
        lexical = LexicalIndex(stopwords)
        lexical.build(lexical_docs)
        queries_matrix = np.vstack(queries)
        for start in range(0, len(queries_matrix), 512):
            block = queries_matrix[start:start + 512]
            probs = classifier.probability_matrix(block)
            nearest = np.maximum.reduceat(block @ train[order].T, starts, axis=1)
            central = classifier.centroid_similarities(block)
            for n in range(len(block)):
                fused = probs[n] + CENTROID_WEIGHT * central[n]
                words = np.zeros(len(fused))
                for tid, score in lexical.scores(query_texts[start + n]).items():
                    words[column[tid]] = score
                fused += lexical_weight * words
                first = int(fused.argmax())
                features.append(ConfidenceModel.features(probs[n, first], nearest[n, first], central[n, first]))
                right.append(int(classifier.template_ids[first]) == truth[start + n])
    if not features:
        return None
    return ConfidenceModel.fit(np.vstack(features), np.array(right))


def _write_json(path: Path, data) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False))
    tmp.replace(path)
