"""Embedding, vector search and ranking. Knows nothing of HTTP or SQL."""

import os

# torch's OpenMP threads (GNU libgomp, read when torch loads) spin after each parallel region by
# default, holding a core for a while after every forward pass. A service answers requests with
# gaps between them, and the threads that carry the answer back then wait for that core: measured
# on two cores, /suggest over HTTP p50 38.2–39.3 ms → 35.1 ms with a short spin, the encode itself
# unchanged; 8 concurrent clients 48.4 → 47.4 requests/s (the same within noise). An operator's
# own setting wins.
os.environ.setdefault("GOMP_SPINCOUNT", "10000")
