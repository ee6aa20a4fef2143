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


@pytest.mark.parametrize("backend", BACKENDS)
def test_search_inside_a_selection_agrees_with_brute_force(backend, data):
    """Team filtering inside the search: only the selected ids come back, the best of them first,
    as many as asked for while there are that many."""
    ids, rows = data
    store = backend(rows.shape[1])
    store.add(ids, rows)
    chosen = ids[::7]
    reference = BruteForceStore(rows.shape[1])
    reference.add(ids[::7], rows[::7])
    queries = rows[:20] + 0.05
    scores, found = store.search(queries, 10, store.select(chosen))
    expected_scores, expected = reference.search(queries, 10)
    assert set(found.ravel().tolist()) <= set(chosen.tolist())
    assert (found == expected).mean() > 0.99
    np.testing.assert_allclose(scores, expected_scores, atol=1e-4)
    few = store.search(queries[:1], 10, store.select(chosen[:3]))[1][0]
    assert sorted(i for i in few.tolist() if i >= 0) == sorted(chosen[:3].tolist())


def test_large_store_turns_approximate_with_recall_at_10_of_0_99(tmp_path):
    """Above its size threshold the FAISS store becomes an IVF index; against exact search its
    recall@10 stays ≥ 0.99 (clustered vectors, like embeddings of many templates' triggers), and it
    keeps the contract: our ids, removal, selection, save/load."""
    rng = np.random.default_rng(1)
    centers = unit(rng.normal(size=(400, DIM)))
    rows = unit(centers[rng.integers(0, 400, 20_000)] + 0.12 * rng.normal(size=(20_000, DIM)))  # cos ≈ 0.7 to its centre
    ids = np.arange(1_000, 21_000, dtype=np.int64) * 1024
    store = FaissStore(DIM, approximate_above=5_000)
    exact = BruteForceStore(DIM)
    for start in range(0, len(ids), 4_000):
        store.add(ids[start:start + 4_000], rows[start:start + 4_000])
    exact.add(ids, rows)
    assert store.approximate and len(store) == 20_000
    queries = unit(rows[rng.integers(0, 20_000, 300)] + 0.08 * rng.normal(size=(300, DIM)))
    found = store.search(queries, 10)[1]
    truth = exact.search(queries, 10)[1]
    recall = np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)])
    assert recall >= 0.99, recall
    store.remove(ids[:10])
    assert len(store) == 19_990 and not set(store.search(rows[:10], 3)[1].ravel()) & set(ids[:10].tolist())
    chosen = ids[5_000:6_000]
    assert set(store.search(queries[:5], 10, store.select(chosen))[1].ravel().tolist()) <= set(chosen.tolist())
    store.save(tmp_path / "ivf.faiss")
    loaded = FaissStore.load(tmp_path / "ivf.faiss")
    assert loaded.approximate and len(loaded) == 19_990
    np.testing.assert_allclose(loaded.vectors(ids[20:23]), rows[20:23], atol=2e-3)  # IVF lists hold fp16 rows


def test_an_ivf_index_saved_with_float32_lists_still_loads_and_grows(tmp_path):
    """Indexes saved before the lists were fp16 (``IndexIVFFlat``) load, give their vectors back
    exactly, and are rebuilt with fp16 lists when they have doubled."""
    import faiss

    rng = np.random.default_rng(3)
    rows = unit(rng.normal(size=(6_001, DIM)))
    ids = np.arange(6_001, dtype=np.int64) * 7
    quantizer = faiss.IndexFlatIP(DIM)
    old = faiss.IndexIVFFlat(quantizer, DIM, 64, faiss.METRIC_INNER_PRODUCT)
    old.train(rows[:3_000])
    old.add_with_ids(rows[:3_000], ids[:3_000])
    faiss.write_index(old, str(tmp_path / "old.faiss"))
    store = FaissStore.load(tmp_path / "old.faiss")
    store.approximate_above = 1_000
    assert store.approximate and len(store) == 3_000
    np.testing.assert_allclose(store.vectors(ids[5:8]), rows[5:8], atol=1e-6)
    store.add(ids[3_000:], rows[3_000:])  # doubled: retrained, with fp16 lists
    assert len(store) == 6_001
    assert faiss.downcast_index(store._index).code_size == 2 * DIM
    np.testing.assert_allclose(store.vectors(ids[5:8]), rows[5:8], atol=2e-3)
    assert store.search(rows[10:11], 1)[1][0, 0] == ids[10]
