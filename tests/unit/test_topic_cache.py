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


def test_a_set_keeps_its_largest_topics_and_the_page_its_limit(tmp_path):
    import datetime as dt
    import uuid

    from service.analytics.service import TOPICS_KEPT, Analytics
    from service.analytics.storage import AnalyticsStorage
    from service.auth.models import Principal
    from service.core.db import Database, utcnow
    from service.core.errors import ValidationFailed

    storage = AnalyticsStorage(Database(f"sqlite:///{tmp_path}/gaps.db"))
    # TOPICS_KEPT + 20 topics, far apart (one-hot directions); topic n has 1 + (n % 3) messages
    dim, now = TOPICS_KEPT + 20, utcnow()
    for n in range(dim):
        for copy in range(1 + n % 3):
            vector = np.zeros(dim, np.float32)
            vector[n] = 1.0
            storage.record_suggestion(suggestion_id=uuid.uuid4().hex, language="en", template_ids="[]", no_match=True,
                                      top_score=0.1, token_id=None, team_id=None,
                                      created_at=now - dt.timedelta(seconds=n * 3 + copy), snippet=f"topic {n:03d} copy {copy}",
                                      gap_vector=vector)
    analytics = Analytics(storage, None, 90)
    lead = Principal(name="lead", role="admin")
    page = analytics.gaps(lead, "en")
    assert len(page) == 50 and all(t["count"] == 3 for t in page)  # the largest first
    widest = analytics.gaps(lead, "en", limit=TOPICS_KEPT)
    assert len(widest) == TOPICS_KEPT and [t["count"] for t in widest] == sorted((t["count"] for t in widest), reverse=True)
    assert widest[:50] == page
    with pytest.raises(ValidationFailed):
        analytics.gaps(lead, "en", limit=TOPICS_KEPT + 1)
