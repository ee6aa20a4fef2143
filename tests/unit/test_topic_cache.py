"""The coverage-gaps clustering kept per set of messages (``service.analytics.service.TopicCache``)."""

import threading

from service.analytics.service import TopicCache


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
