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
    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]: ...
    def vectors(self, ids: np.ndarray) -> np.ndarray: ...
    def save(self, path: Path) -> None: ...
    # and a classmethod ``load(path)``


def _as_ids(ids) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))


def _as_rows(vectors: np.ndarray, dim: int) -> np.ndarray:
    rows = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(-1, dim))
    return rows


class FaissStore:
    """``IndexIDMap2`` over an exact inner-product index: small libraries need no approximation."""

    def __init__(self, dim: int, index: faiss.Index | None = None) -> None:
        self.dim = dim
        self._index = index if index is not None else faiss.IndexIDMap2(faiss.IndexFlatIP(dim))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids, vectors) -> None:
        ids = _as_ids(ids)
        if len(ids) == 0:
            return
        self.remove(ids)  # IndexIDMap2 keeps duplicates; an id names one vector.
        self._index.add_with_ids(_as_rows(vectors, self.dim), ids)

    def remove(self, ids) -> int:
        ids = _as_ids(ids)
        if len(ids) == 0 or len(self) == 0:
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids)))

    def search(self, queries, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = _as_rows(queries, self.dim)
        k = max(1, min(k, len(self)))
        if len(self) == 0:
            return (np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64))
        scores, ids = self._index.search(queries, k)
        return scores, ids

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

    def search(self, queries, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = _as_rows(queries, self.dim)
        k = max(1, min(k, len(self)))
        if len(self) == 0:
            return (np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64))
        sims = queries @ self._rows.T
        order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(sims, order, axis=1), self._ids[order]

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
