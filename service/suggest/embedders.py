"""Embedding models, loaded once each and shared by every language (and the tone head) naming the
same one."""

from __future__ import annotations

import logging
import threading
import time

from index.embedder import ConcatEmbedder, Embedder, MicroBatcher, engine_of, load_embedder

log = logging.getLogger("tact.search")


class Embedders:
    def __init__(self, engine: str = "onnx") -> None:
        self._engine = engine
        self._loaded: dict[str, Embedder] = {}
        self._lock = threading.Lock()

    def get(self, spec: str) -> Embedder:
        if "+" in spec:  # models side by side share each model with whoever else names it
            parts = [self.get(part.strip()) for part in spec.split("+")]
            with self._lock:
                return self._loaded.setdefault(spec, ConcatEmbedder(parts))
        with self._lock:
            if spec not in self._loaded:
                started = time.perf_counter()
                log.info("loading model", extra={"model": spec})
                # concurrent requests share forward passes (issue 12: throughput under load)
                self._loaded[spec] = MicroBatcher(load_embedder(spec, self._engine))
                log.info("model loaded", extra={"model": spec, "engine": engine_of(self._loaded[spec]), "seconds": round(time.perf_counter() - started, 2)})
            return self._loaded[spec]
