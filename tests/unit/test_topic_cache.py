"""Coverage gaps: the clustering of unanswered messages into topics (``index.ranking.topic_labels``)
and its answers kept per set of messages (``service.analytics.service.TopicCache``)."""

import threading

import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score

from index.ranking import topic_labels
from service.analytics.service import TopicCache


@pytest.mark.parametrize("n,block_cut", [(2, 0.5), (3, 0.5), (600, 0.3), (600, 0.6), (1100, 0.45)])
def test_topics_are_scikit_learns_average_linkage(n, block_cut):
    # clustered unit vectors (topics with spread) and a few far ones, over more than one block of rows
    rng = np.random.default_rng(n)
    centres = rng.normal(size=(max(n // 25, 1), 64))
    vectors = centres[rng.integers(0, len(centres), n)] + rng.normal(scale=0.45, size=(n, 64))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    expected = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average",
                                       distance_threshold=block_cut).fit_predict(vectors)
    got = topic_labels(vectors.astype(np.float32), block_cut)
    assert len(got) == n and len(set(got)) == len(set(expected))
    assert adjusted_rand_score(expected, got) == pytest.approx(1.0)


def test_topics_of_none_one_and_identical_messages():
    assert topic_labels(np.zeros((0, 8), np.float32), 0.5).tolist() == []
    assert topic_labels(np.ones((1, 8), np.float32), 0.5).tolist() == [0]
    same = np.tile(np.eye(8, dtype=np.float32)[:2], (3, 1))  # three copies of two messages
    labels = topic_labels(same, 0.5)
    assert len(set(labels)) == 2 and labels[0] == labels[2] == labels[4] and labels[1] == labels[3] == labels[5]


def counting(result):
    calls = []

    def compute():
        calls.append(1)
        return [dict(result)]
    return compute, calls


def test_same_messages_cluster_once_and_a_new_set_clusters_again():
    cache = TopicCache()
    compute, calls = counting({"label": "gift cards", "count": 3})
    first = cache.get(("en", 0.4, "a"), compute)
    first[0]["count"] = 99  # a caller's copy: the kept answer does not change
    assert cache.get(("en", 0.4, "a"), compute) == [{"label": "gift cards", "count": 3}]
    assert len(calls) == 1
    cache.get(("en", 0.4, "b"), compute)  # another set of messages (one new, one purged): clustered anew
    cache.get(("en", 0.5, "a"), compute)  # another topic distance (the library changed)
    assert len(calls) == 3


def test_a_clustering_under_way_is_waited_for_not_started_twice():
    cache, started, release = TopicCache(), threading.Event(), threading.Event()
    calls = []

    def slow():
        calls.append(1)
        started.set()
        release.wait(5)
        return [{"label": "x", "count": 2}]

    results = []
    first = threading.Thread(target=lambda: results.append(cache.get(("en", 0.4, "k"), slow)))
    first.start()
    assert started.wait(5)
    second = threading.Thread(target=lambda: results.append(cache.get(("en", 0.4, "k"), slow)))
    second.start()
    second.join(0.2)
    assert second.is_alive()  # waiting for the first one's answer
    release.set()
    first.join(5)
    second.join(5)
    assert len(calls) == 1 and results == [[{"label": "x", "count": 2}]] * 2


def test_a_failed_clustering_is_not_kept_and_a_waiter_tries_itself():
    cache, started, release = TopicCache(), threading.Event(), threading.Event()

    def failing():
        started.set()
        release.wait(5)
        raise RuntimeError("database went away")

    errors, results = [], []

    def first():
        try:
            cache.get(("ru", 0.4, "k"), failing)
        except RuntimeError as exc:
            errors.append(exc)

    a = threading.Thread(target=first)
    a.start()
    assert started.wait(5)
    b = threading.Thread(target=lambda: results.append(cache.get(("ru", 0.4, "k"), lambda: [{"label": "y"}])))
    b.start()
    release.set()
    a.join(5)
    b.join(5)
    assert errors and results == [[{"label": "y"}]]
    compute, calls = counting({"label": "z"})
    assert cache.get(("ru", 0.4, "k"), compute) == [{"label": "y"}] and not calls


def test_only_the_most_recently_used_sets_are_kept():
    cache = TopicCache()
    compute, calls = counting({"label": "t"})
    for n in range(TopicCache.SIZE + 1):
        cache.get(("en", 0.4, str(n)), compute)
    cache.get(("en", 0.4, str(TopicCache.SIZE)), compute)  # the newest: kept
    assert len(calls) == TopicCache.SIZE + 1
    cache.get(("en", 0.4, "0"), compute)  # the oldest: dropped
    assert len(calls) == TopicCache.SIZE + 2


def test_size_is_a_bound_not_a_target(monkeypatch):
    monkeypatch.setattr(TopicCache, "SIZE", 1)
    cache = TopicCache()
    compute, calls = counting({"label": "t"})
    cache.get(("en", 0.4, "a"), compute)
    cache.get(("en", 0.4, "b"), compute)
    cache.get(("en", 0.4, "a"), compute)
    assert len(calls) == 3
