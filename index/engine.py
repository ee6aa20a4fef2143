"""ONNX Runtime as the engine under a sentence-transformers model: the same weights, exported once.

Why: on 2 cores, torch spends most of a short message's encode in per-operator overhead, not in
arithmetic. Measured (all-MiniLM-L6-v2, CLINC150 test messages, texts per second, best of 3):

    batch          1      8     64
    torch         54    198    246
    ONNX Runtime 161    363    303

all-mpnet-base-v2: torch 10 / 34 / 38, ONNX Runtime 34 / 55 / 43. The vectors agree to cosine
0.9999999 (min over 64 messages). So a lone ``/suggest`` encodes in ~6 ms instead of ~18 ms, and
eight concurrent clients' shared pass costs what torch needs for four.

The transformer module is exported with ``torch.onnx.export`` into the model cache, keyed by the
model folder's files and the torch / transformers / onnx versions, written to a temporary file and
renamed (a half-written export is never loaded). Pooling (mean or CLS) and normalisation are done
here in numpy. A model this does not cover (extra Dense layers, other pooling) raises
``Unsupported`` and the caller keeps torch; every loaded export is checked against torch on probe
sentences before it serves.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
import warnings
from pathlib import Path

import numpy as np

log = logging.getLogger("tact.models")

# Sentences the export must reproduce before it serves: both scripts, a long one, an empty one.
PROBES = [
    "Where is my order #4521? It was due on Monday.",
    "Здравствуйте! Не могу войти в личный кабинет, пишет «неверный пароль».",
    "",
    "refund pls!!! charged twice 😡",
    " ".join(["The invoice lists the annual plan, but we signed up for the monthly one."] * 40),
]
AGREEMENT = 0.9999  # minimum cosine between torch's and the export's vector of each probe


class Unsupported(Exception):
    """The model has a shape this engine does not reproduce; the caller keeps its own engine
    (torch, or USE's numpy)."""


def session_options(threads: int):
    """ONNX Runtime's options for every model Tact runs on it."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    # Idle pool threads sleep instead of spinning: 2 cores are shared with LanguageTool and the
    # web workers (measured: no slower, batch of 8 363 vs 331 texts/s with spinning).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def _pooling(model) -> str:
    modules = list(model)
    kinds = [type(m).__name__ for m in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or any(k != "Normalize" for k in kinds[2:]):
        raise Unsupported(f"modules {kinds}")
    mode = getattr(modules[1], "pooling_mode", None)
    if mode not in ("mean", "cls"):
        raise Unsupported(f"pooling {mode!r}")
    return mode


def _fingerprint(folder: Path | None, spec: str) -> str:
    import onnx
    import torch
    import transformers

    digest = hashlib.sha256(f"{spec}|torch {torch.__version__}|transformers {transformers.__version__}|"
                            f"onnx {onnx.__version__}".encode())
    if folder is not None:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(f"{path.relative_to(folder)}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return digest.hexdigest()[:16]


def _export(model, names: list[str], target: Path) -> None:
    import torch

    transformer = model[0].auto_model.eval()

    class Hidden(torch.nn.Module):  # positional inputs in the tokenizer's order → token vectors
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(self, *inputs):
            return self.inner(**dict(zip(names, inputs))).last_hidden_state

    sample = model.tokenizer(["a short one", "and a somewhat longer second sentence"], padding=True,
                             return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "hidden"]}
    work = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        # The tracer warns about shape checks it freezes (padding, causal masks): fixed for an
        # encoder's inputs, and every export is compared with torch before it serves.
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(Hidden(), tuple(sample[n] for n in names), str(work), input_names=names,
                              output_names=["hidden"], dynamic_axes=axes, opset_version=17, dynamo=False)
        os.replace(work, target)
    finally:
        work.unlink(missing_ok=True)


class OnnxTransformer:
    """Texts → unit vectors with ONNX Runtime, for a loaded ``SentenceTransformer``'s weights."""

    def __init__(self, model, spec: str, folder: Path | None, cache: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        import torch

        self.pooling = _pooling(model)
        self._tokenizer = model.tokenizer
        self._names = [n for n in self._tokenizer.model_input_names
                       if n in ("input_ids", "attention_mask", "token_type_ids")]
        self._max_length = int(model.max_seq_length or 512)
        target = cache / "onnx" / f"{spec.replace('/', '_')}-{_fingerprint(folder, spec)}" / "model.onnx"
        if not target.exists():
            started = time.perf_counter()
            log.info("exporting model to ONNX", extra={"model": spec, "into": str(target)})
            target.parent.mkdir(parents=True, exist_ok=True)
            _export(model, self._names, target)
            log.info("model exported", extra={"model": spec, "seconds": round(time.perf_counter() - started, 1)})
        options = session_options(threads or torch.get_num_threads())
        try:
            self._session = ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
        except Exception:  # a damaged cache file: export again once
            log.warning("cached ONNX export unreadable, exporting again", extra={"model": spec})
            _export(model, self._names, target)
            self._session = ort.InferenceSession(str(target), options, providers=["CPUExecutionProvider"])
        self.path = target
        reference = np.asarray(model.encode(PROBES, normalize_embeddings=True, convert_to_numpy=True,
                                            show_progress_bar=False), dtype=np.float32)
        agreement = float(np.min(np.sum(reference * self.encode(PROBES), axis=1)))
        if agreement < AGREEMENT:
            raise Unsupported(f"export disagrees with torch (cosine {agreement:.5f})")

    def encode(self, texts: list[str]) -> np.ndarray:
        tokens = self._tokenizer(list(texts), padding=True, truncation=True, max_length=self._max_length,
                                 return_tensors="np")
        hidden = self._session.run(None, {n: np.asarray(tokens[n], dtype=np.int64) for n in self._names})[0]
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            mask = np.asarray(tokens["attention_mask"], dtype=np.float32)[..., None]
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return np.ascontiguousarray(pooled / norms, dtype=np.float32)
