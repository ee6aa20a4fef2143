"""Vectors → ids. Two backends with one contract: FAISS (served) and brute force (the reference).

Vectors are unit rows, so inner product is cosine. Ids are int64 and chosen by the caller, which
lets one template own several vectors (its text and each trigger) and be replaced without a
rebuild.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

# Libraries are thousands of vectors, not millions: one exact search takes microseconds, and an
# OpenMP team waking up next to torch's threads costs more than the search itself.
faiss.omp_set_num_threads(1)


class VectorStore(Protocol):
    dim: int

    def __len__(self) -> int: ...
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None: ...
    def remove(self, ids: np.ndarray) -> int: ...
    # ``allowed``: a selector from ``select(ids)``: only those ids are searched (team filtering
    # inside the search, not after it)
    def search(self, queries: np.ndarray, k: int, allowed=None) -> tuple[np.ndarray, np.ndarray]: ...
    def select(self, ids: np.ndarray): ...
    def vectors(self, ids: np.ndarray) -> np.ndarray: ...
    def save(self, path: Path) -> None: ...
    # and a classmethod ``load(path)``


def _as_ids(ids) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))


def _as_rows(vectors: np.ndarray, dim: int) -> np.ndarray:
    rows = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(-1, dim))
    return rows


# Exact search while a language holds fewer vectors than this; above it an IVF index, trained on
# the vectors held: recall@10 against exact search ≥ 0.99 (tests/unit/test_store_contract.py).
# Measured (bench/REPORT.md, scale): an exact scan of 110,000 vectors took 12.6 ms a query even in
# batches of 32, which capped 8-client throughput at 0.14× of batched encoding; a 50,000-vector
# scan is ~6 ms.
APPROXIMATE_ABOVE = 50_000
# Lists: 4·√N; probed: 2·√lists. Measured on CLINC150 queries against the scale bench's libraries
# (real utterance vectors + noise), recall@10 vs exact / ms a query on one core:
#   110,000 vectors:   2·√N lists, an eighth probed (the old rule) 0.996 / 1.6 ms;
#                      4·√N lists, 82 probed 0.996 / 0.70 ms, 41 probed 0.990 / 0.32 ms
#   1,100,000 vectors: 2·√N lists, an eighth probed (262) 0.999 / 22 ms (the 1 M p99 missed 50 ms);
#                      4·√N lists, 131 probed 1.000 / 8 ms, 65 probed 1.000 / 3.7 ms
# Recall depends on how many lists the true neighbours spread over, which grows far slower than
# the lists do: probing a fixed share scanned ten times what recall needed at 1 M.
# Lists hold fp16 rows: at 1.1 M vectors the scan took 7.1 → 4.1 ms p50 with recall@10 0.997, and
# the lists take half the memory (8-bit codes: recall 0.959, too low).
LISTS_PER_SQRT = 4
PROBES_PER_SQRT_LIST = 2
MIN_PROBES = 32
TRAIN_PER_LIST = 40  # k-means sample: FAISS asks for ≥ 39 vectors a centroid


class FaissStore:
    """Exact inner product (``IndexIDMap2`` over a flat index) while small; an IVF index with fp16
    lists and a hash-table id map once the store grows past ``approximate_above`` vectors (retrained when it
    has doubled since). Both keep our ids, remove by id and search inside a selection."""

    def __init__(self, dim: int, index: faiss.Index | None = None, approximate_above: int = APPROXIMATE_ABOVE) -> None:
        self.dim = dim
        self.approximate_above = approximate_above
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._trained_at = int(self._index.ntotal) if self.approximate else 0
        # The owner may build the IVF off its lock (``begin_retrain``/``finish_retrain``): training
        # and filling it took 51 s at 600,000 vectors and 120 s at 1.1 M on 2 cores, which under a
        # lock that searches share stalled every request of the language. Then ``add`` only marks it due.
        self.defer_retrain = False
        self.retrain_due = False
        self._journal: list[tuple[np.ndarray, np.ndarray | None]] | None = None  # changes since the snapshot

    @property
    def approximate(self) -> bool:
        return isinstance(faiss.downcast_index(self._index), faiss.IndexIVF)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids, vectors) -> None:
        ids = _as_ids(ids)
        if len(ids) == 0:
            return
        self.remove(ids)  # IndexIDMap2 keeps duplicates; an id names one vector.
        rows = _as_rows(vectors, self.dim)
        self._index.add_with_ids(rows, ids)
        if self._journal is not None:
            self._journal.append((ids.copy(), rows.copy()))
        grown = len(self) > self.approximate_above and (not self.approximate or len(self) > 2 * self._trained_at)
        if grown and self.defer_retrain:
            self.retrain_due = True
        elif grown:
            self._to_ivf()

    def _all(self) -> tuple[np.ndarray, np.ndarray]:
        index = faiss.downcast_index(self._index)
        if isinstance(index, faiss.IndexIVF):
            invlists = index.invlists
            ids, rows = [], []
            for list_no in range(index.nlist):
                size = invlists.list_size(list_no)
                if size:
                    ids.append(faiss.rev_swig_ptr(invlists.get_ids(list_no), size).copy())
                    codes = faiss.rev_swig_ptr(invlists.get_codes(list_no), size * index.code_size).copy()
                    # IVF lists hold float32 (IndexIVFFlat, indexes saved before fp16) or fp16 rows
                    kind = np.float16 if index.code_size == 2 * self.dim else np.float32
                    rows.append(codes.view(kind).reshape(size, self.dim).astype(np.float32))
            if not ids:
                return np.zeros(0, np.int64), np.zeros((0, self.dim), np.float32)
            return np.concatenate(ids), np.vstack(rows)
        ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        return ids, self._index.index.reconstruct_n(0, len(ids))

    def _to_ivf(self) -> None:
        ids, rows = self._all()
        self._index = self._build_ivf(ids, rows)
        self._trained_at = len(ids)

    def begin_retrain(self, snapshot=None):
        """Under the owner's lock: snapshot the vectors and start recording changes. Returns the
        build to run off the lock; hand its result to ``finish_retrain`` (or call ``abort_retrain``).

        ``snapshot``: a callable giving (ids, rows) as they are now, run with the build off the
        lock — for an owner that keeps its own copy of the rows, so the lock is not held while
        every row is read out of the index (0.8 s at 1.1 M vectors)."""
        self._journal, self.retrain_due = [], False
        if snapshot is None:
            ids, rows = self._all()
            return lambda: self._build_ivf(ids, rows)
        return lambda: self._build_ivf(*snapshot())

    def finish_retrain(self, index: faiss.Index) -> None:
        """Under the owner's lock: replay what changed since the snapshot onto the new index and swap it in."""
        fresh = FaissStore(self.dim, index, self.approximate_above)
        fresh.defer_retrain = True
        for ids, rows in self._journal or ():
            if rows is None:
                fresh.remove(ids)
            else:
                fresh.add(ids, rows)  # replaces what the ids held
        self._index, self._journal = fresh._index, None
        self._trained_at = len(self)
        self.retrain_due = fresh.retrain_due

    def abort_retrain(self) -> None:
        self._journal, self.retrain_due = None, True

    def _build_ivf(self, ids: np.ndarray, rows: np.ndarray) -> faiss.Index:
        nlist = int(max(64, LISTS_PER_SQRT * np.sqrt(len(ids))))
        quantizer = faiss.IndexFlatIP(self.dim)
        index = faiss.IndexIVFScalarQuantizer(quantizer, self.dim, nlist, faiss.ScalarQuantizer.QT_fp16,
                                              faiss.METRIC_INNER_PRODUCT, False)  # the rows themselves, not residuals
        sample = rows[np.random.default_rng(0).choice(len(rows), min(len(rows), nlist * TRAIN_PER_LIST), replace=False)]
        index.train(sample)
        index.set_direct_map_type(faiss.DirectMap.Hashtable)
        index.nprobe = min(nlist, max(MIN_PROBES, int(PROBES_PER_SQRT_LIST * np.sqrt(nlist))))
        index.add_with_ids(rows, ids)
        index.own_fields = True
        quantizer.this.disown()
        return index

    def remove(self, ids) -> int:
        ids = _as_ids(ids)
        if len(ids) == 0 or len(self) == 0:
            return 0
        if self._journal is not None:
            self._journal.append((ids.copy(), None))
        if self.approximate:  # the IVF's hash-table id map removes from an id array only
            return int(self._index.remove_ids(faiss.IDSelectorArray(len(ids), faiss.swig_ptr(ids))))
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids)))

    def search(self, queries, k: int, allowed=None) -> tuple[np.ndarray, np.ndarray]:
        queries = _as_rows(queries, self.dim)
        k = max(1, min(k, len(self)))
        if len(self) == 0:
            return (np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64))
        if self.approximate:
            index = faiss.downcast_index(self._index)
            params = faiss.SearchParametersIVF(nprobe=index.nprobe)
            if allowed is not None:
                params.sel = allowed
            return index.search(queries, k, params=params)
        if allowed is None:
            return self._index.search(queries, k)
        # IndexIDMap2 applies the selector to our ids (FAISS translates it to its internal ones)
        return self._index.search(queries, k, params=faiss.SearchParameters(sel=allowed))

    def select(self, ids):
        """A reusable selector of ``ids`` for ``search(allowed=…)``; build it once per team."""
        return faiss.IDSelectorBatch(_as_ids(ids))

    def vectors(self, ids) -> np.ndarray:
        ids = _as_ids(ids)
        return np.vstack([self._index.reconstruct(int(i)) for i in ids]) if len(ids) else np.zeros((0, self.dim), np.float32)

    def save(self, path: Path) -> None:
        path = Path(path)
        tmp = path.with_suffix(path.suffix + ".tmp")
        faiss.write_index(self._index, str(tmp))
        tmp.replace(path)  # readers never see a half-written file

    @classmethod
    def load(cls, path: Path) -> "FaissStore":
        index = faiss.read_index(str(path))
        if isinstance(index, faiss.IndexIVF):
            index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct and remove by our ids
        return cls(index.d, index)


class BruteForceStore:
    """numpy reference: what FAISS must agree with (the recall test), and the contract's other half."""

    def __init__(self, dim: int) -> None:
        self.dim = dim
        self._ids = np.zeros(0, np.int64)
        self._rows = np.zeros((0, dim), np.float32)

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, ids, vectors) -> None:
        ids = _as_ids(ids)
        self.remove(ids)
        self._ids = np.concatenate([self._ids, ids])
        self._rows = np.vstack([self._rows, _as_rows(vectors, self.dim)])

    def remove(self, ids) -> int:
        keep = ~np.isin(self._ids, _as_ids(ids))
        removed = int((~keep).sum())
        self._ids, self._rows = self._ids[keep], self._rows[keep]
        return removed

    def search(self, queries, k: int, allowed=None) -> tuple[np.ndarray, np.ndarray]:
        queries = _as_rows(queries, self.dim)
        k = max(1, min(k, len(self)))
        if len(self) == 0:
            return (np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64))
        sims = queries @ self._rows.T
        if allowed is not None:
            sims = np.where(np.isin(self._ids, allowed)[None, :], sims, -np.inf)
        order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        scores, ids = np.take_along_axis(sims, order, axis=1), self._ids[order]
        missing = ~np.isfinite(scores)  # fewer allowed than k: FAISS's convention, id -1
        return np.where(missing, -1.0, scores).astype(np.float32), np.where(missing, -1, ids)

    def select(self, ids):
        return _as_ids(ids)

    def vectors(self, ids) -> np.ndarray:
        index = {int(i): n for n, i in enumerate(self._ids)}
        return self._rows[[index[int(i)] for i in _as_ids(ids)]]

    def save(self, path: Path) -> None:
        path = Path(path)
        with open(path, "wb") as fh:
            np.savez(fh, ids=self._ids, rows=self._rows)

    @classmethod
    def load(cls, path: Path) -> "BruteForceStore":
        data = np.load(path)
        store = cls(int(data["rows"].shape[1]))
        store._ids, store._rows = data["ids"], data["rows"]
        return store


# Backends by name: ``LanguageIndex`` asks this factory, so swapping the vector store is one entry
# here (and the contract test in tests/unit/test_store_contract.py runs against every entry).
STORES: dict[str, type] = {"faiss": FaissStore, "brute-force": BruteForceStore}


def make_store(dim: int, kind: str = "faiss") -> VectorStore:
    try:
        return STORES[kind](dim)
    except KeyError:
        raise ValueError(f"unknown vector store {kind!r}; one of {', '.join(STORES)}") from None


def load_store(path: Path, kind: str = "faiss") -> VectorStore:
    return STORES[kind].load(path)
