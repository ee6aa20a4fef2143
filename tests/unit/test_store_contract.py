"""One contract for every vector store backend; FAISS must agree with brute force."""

import numpy as np
import pytest

from index.store import STORES, BruteForceStore, FaissStore

BACKENDS = list(STORES.values())  # every registered backend signs the same contract
DIM = 32


def unit(rows):
    rows = np.asarray(rows, np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return np.arange(100, 400, dtype=np.int64), unit(rng.normal(size=(300, DIM)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_add_search_finds_itself(backend, data):
    ids, rows = data
    store = backend(DIM)
    store.add(ids, rows)
    assert len(store) == 300
    scores, found = store.search(rows[:5], 1)
    assert found[:, 0].tolist() == ids[:5].tolist()
    assert np.allclose(scores[:, 0], 1.0, atol=1e-5)


@pytest.mark.parametrize("backend", BACKENDS)
def test_update_replaces_vector_under_same_id(backend, data):
    ids, rows = data
    store = backend(DIM)
    store.add(ids, rows)
    store.add(ids[:1], rows[1:2])  # id 100 now holds row 1's vector
    assert len(store) == 300
    _, found = store.search(rows[:1], 1)
    assert found[0, 0] != ids[0]
    assert np.allclose(store.vectors(ids[:1]), rows[1:2])


@pytest.mark.parametrize("backend", BACKENDS)
def test_delete(backend, data):
    ids, rows = data
    store = backend(DIM)
    store.add(ids, rows)
    assert store.remove(ids[:10]) == 10
    assert store.remove(ids[:10]) == 0
    assert len(store) == 290
    _, found = store.search(rows[:10], 3)
    assert not set(found.ravel()) & set(ids[:10])


@pytest.mark.parametrize("backend", BACKENDS)
def test_save_load_round_trip(backend, data, tmp_path):
    ids, rows = data
    store = backend(DIM)
    store.add(ids, rows)
    store.save(tmp_path / "s")
    loaded = backend.load(tmp_path / "s")
    assert len(loaded) == 300
    a = store.search(rows[:20], 5)
    b = loaded.search(rows[:20], 5)
    assert (a[1] == b[1]).all() and np.allclose(a[0], b[0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_empty_store_searches_empty(backend):
    store = backend(DIM)
    scores, found = store.search(unit(np.ones((2, DIM))), 5)
    assert scores.shape == (2, 0) and found.shape == (2, 0)


def test_faiss_recall_against_brute_force(data):
    ids, rows = data
    rng = np.random.default_rng(1)
    queries = unit(rng.normal(size=(50, DIM)))
    faiss_store, brute = FaissStore(DIM), BruteForceStore(DIM)
    for store in (faiss_store, brute):
        store.add(ids, rows)
    k = 10
    _, got = faiss_store.search(queries, k)
    _, truth = brute.search(queries, k)
    recall = np.mean([len(set(g) & set(t)) / k for g, t in zip(got, truth)])
    assert recall >= 0.99
