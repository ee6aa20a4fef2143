"""Throttles: a token bucket per API token (429 with Retry-After past its rate), and sign-in
lockout with backoff per e-mail and per client address.

Both are kept in this process's memory: with several replicas each counts its own share, which
multiplies an attacker's budget by the number of replicas; the backoff still grows exponentially.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from service.core.errors import TooManyRequests


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """``per_minute`` requests a minute for each key, with bursts up to a minute's worth."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> None:
        if self.per_minute <= 0:
            return
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(key) or _Bucket(float(self.per_minute), now)
            bucket.tokens = min(float(self.per_minute), bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            if bucket.tokens < 1.0:
                self._buckets[key] = bucket
                raise TooManyRequests(f"more than {self.per_minute} requests a minute with this token; slow down",
                                      retry_after=math.ceil((1.0 - bucket.tokens) / rate))
            bucket.tokens -= 1.0
            self._buckets[key] = bucket
            if len(self._buckets) > 100_000:  # forget idle keys
                self._buckets = {k: b for k, b in self._buckets.items() if now - b.at < 120}


class LoginThrottle:
    """After ``free`` failures in a row for an e-mail or an address, each further attempt waits
    ``base`` seconds, doubling with every failure up to ``cap``. A success clears the e-mail."""

    def __init__(self, free: int = 5, base: float = 30.0, cap: float = 900.0) -> None:
        self.free, self.base, self.cap = free, base, cap
        self._failures: dict[str, tuple[int, float]] = {}  # key -> (failures, locked until)
        self._lock = threading.Lock()

    def check(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            wait = max((until - now for n, until in (self._failures.get(k, (0, 0.0)) for k in keys)), default=0.0)
        if wait > 0:
            raise TooManyRequests("too many failed sign-ins; try again later", retry_after=math.ceil(wait))

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                n, _ = self._failures.get(key, (0, 0.0))
                n += 1
                delay = min(self.cap, self.base * 2 ** (n - self.free - 1)) if n > self.free else 0.0
                self._failures[key] = (n, now + delay)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
