"""Liveness and what is loaded; no token needed."""

from __future__ import annotations

from typing import Any

from litestar import get

from index.embedder import engine_of
from service.http.deps import ResourcesDep


@get("/health", sync_to_thread=True, tags=["health"])
def health(resources: ResourcesDep) -> dict[str, Any]:
    checks = resources.checks
    server = checks.server if checks else None
    grammar = bool(server and server.available())
    indexes = {lang: {**idx.manifest(), "classifier": idx.classifier_fresh} for lang, idx in resources.search.indexes.items()}
    return {
        "status": "ok" if grammar else "degraded",
        "templates": resources.library.count(),
        "languages": list(resources.languages.codes),
        "models": {**{code: idx.embedder.name for code, idx in resources.search.indexes.items()},
                   "tone": resources.settings.models.tone,
                   # beside it for a text read as one (null: off, or its head not trained)
                   "tone_whole": checks.scorer.whole_model if checks else None},
        # what runs each language's model: "onnx" (the default), or "torch" when the export did not
        # reproduce the model (the log says why); for USE "onnx-int8", or "numpy" where its graph did not
        # reproduce the package's vectors
        "engines": {code: engine_of(idx.embedder) for code, idx in resources.search.indexes.items()},
        "indexes": indexes,
        # a model change: the previous model serves while the new one embeds the library
        "reembedding": {code: dict(state) for code, state in resources.search.reembedding.items()},
        "grammar": {"available": grammar, "external": bool(server and server.external),
                    "restarts": server.restarts if server else 0, "error": server.last_error if server else None},
    }
