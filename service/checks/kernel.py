"""What the learned checks' kernel models share: an RBF kernel against stored training points, and
running BLAS on one thread while they do (a draft's dozen rows against thousands of points start
OpenBLAS's second thread, whose spinning afterwards took the core LanguageTool was checking the
same draft on).

The kernel's products with the points' sentence-vector columns run in int8 on ONNX Runtime
(``Int8Products``). Why: a draft's dozen rows against ~13,000 stored points (the tone head's and
both etiquette models') read 27 MB of float32 points per check. That is memory traffic, and it slows
LanguageTool, checking the same draft on the other core, by more than the products' own time: with
LanguageTool checking a fresh 1,000-character draft, 13 ms of products over 27 MB of points beside it
added 10.6 ms to its answer, 13 ms of products over 0.5 MB 5.9 ms (median of 50, 2026-11-28). In
int8 the points are a quarter of the size (the etiquette models' half, with their remainders), and
the products of a check took 1.7 instead of 4.8 ms.
"""

from __future__ import annotations

import functools
import logging

import numpy as np

log = logging.getLogger("tact.check")


@functools.lru_cache(maxsize=1)
def _controller():
    """The process's thread pools, found once (finding them costs milliseconds; a limit then 18 µs)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread():
    return _controller().limit(limits=1, user_api="blas")


def quantise_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row as int8 times the row's scale (its largest magnitude over 127)."""
    rows = np.asarray(rows, np.float32)
    scales = np.maximum(np.abs(rows).max(axis=1), 1e-12) / 127.0 if rows.size else np.ones(len(rows), np.float32)
    return np.round(rows / scales[:, None]).astype(np.int8), scales.astype(np.float32)


def dequantise_rows(quantised: np.ndarray, scales: np.ndarray) -> np.ndarray:
    return quantised.astype(np.float32) * scales[:, None]


class Int8Products:
    """``x @ points.T`` in int8 on ONNX Runtime (``DynamicQuantizeMatMul``), on one thread.

    Each point is kept as int8 times its row's scale (``quantise_rows``), and, when that is not
    exact (the etiquette models' float16 support vectors; the tone head's points are int8 already),
    its remainder as a second such row. ``x`` is rounded to 8 bits for the batch, and its remainder
    multiplied too. So the products stray from float32's by ~1e-5 where the rounding alone strayed
    by ~1e-2 on the etiquette models' probabilities and changed two verdicts of the 3,210 etiquette
    sentences (training and bench); with the remainders, none (``tests/unit/test_kernel.py``)."""

    def __init__(self, points: np.ndarray) -> None:
        import onnxruntime as ort
        from onnx import TensorProto, helper, numpy_helper

        from index.engine import session_options

        points = np.asarray(points, np.float32)
        n, dims = points.shape
        terms = [quantise_rows(points)]
        rest = points - dequantise_rows(*terms[0])
        if np.abs(rest).max(initial=0.0) > 1e-7 * max(float(np.abs(points).max(initial=0.0)), 1e-12):
            terms.append(quantise_rows(rest))
        self._terms = terms
        weights = [numpy_helper.from_array(np.zeros(n, np.int8), "zero")]
        nodes = [helper.make_node("DynamicQuantizeLinear", ["x"], ["x8", "x_scale", "x_zero"]),
                 helper.make_node("DequantizeLinear", ["x8", "x_scale", "x_zero"], ["x_kept"]),
                 helper.make_node("Sub", ["x", "x_kept"], ["x_rest"])]
        products = []
        for t, (q, scale) in enumerate(terms):
            weights += [numpy_helper.from_array(np.ascontiguousarray(q.T), f"points{t}"),
                        numpy_helper.from_array(scale, f"scales{t}")]
            for x in ("x", "x_rest") if t == 0 else ("x",):  # the two remainders' product is below 1e-6
                nodes.append(helper.make_node("DynamicQuantizeMatMul", [x, f"points{t}", f"scales{t}", "zero"],
                                              [f"{x}_by_{t}"], domain="com.microsoft"))
                products.append(f"{x}_by_{t}")
        nodes.append(helper.make_node("Sum", products, ["products"]))
        graph = helper.make_graph(nodes, "int8_products",
                                  [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["rows", dims])],
                                  [helper.make_tensor_value_info("products", TensorProto.FLOAT, ["rows", n])], weights)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)])
        self._session = ort.InferenceSession(model.SerializeToString(), session_options(1),
                                             providers=["CPUExecutionProvider"])
        self.columns = n

    @property
    def kept(self) -> np.ndarray:
        """The points as multiplied: the int8 rows, plus their remainders' where there are any."""
        return sum(dequantise_rows(*term) for term in self._terms)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if not len(x):
            return np.zeros((0, self.columns), np.float32)
        return self._session.run(None, {"x": np.ascontiguousarray(x, np.float32)})[0]


class RBFKernel:
    """exp(−gamma · ‖x − p‖²) of each row x against each stored point p.

    ``int8_columns``: the points' first that many columns (the sentence vector) are kept as int8
    rows (``quantise_rows``) and multiplied in int8; the rest (the tone head's strategy counts)
    stay float32. The distances use the points as kept, so a head whose points were int8 already
    (the tone head's) answers as before but for the rounding of ``x``. 0: all float32 (exact)."""

    def __init__(self, points: np.ndarray, gamma: float, int8_columns: int = 0) -> None:
        points = np.asarray(points, np.float32)
        self.gamma = float(gamma)
        self._int8 = None
        self._split = 0
        if int8_columns and len(points):
            try:
                self._int8 = Int8Products(points[:, :int8_columns])
            except Exception as exc:  # noqa: BLE001 - no such operator in this runtime: float32 serves
                log.warning("int8 kernel unavailable, float32 used", extra={"error": type(exc).__name__})
            else:
                self._split = int8_columns
                points = np.hstack([self._int8.kept, points[:, int8_columns:]])
        self._norms = (points ** 2).sum(axis=1)
        # the float32 columns, transposed (measured: 0.9 → 0.45 ms for 10 sentences against them all)
        self._columns = np.ascontiguousarray(points[:, self._split:].T)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float32)
        if self._int8 is None:
            products = x @ self._columns
        else:
            products = self._int8(x[:, :self._split])
            if self._columns.shape[0]:
                products += x[:, self._split:] @ self._columns
        distances = np.maximum((x ** 2).sum(axis=1)[:, None] + self._norms[None, :] - 2.0 * products, 0.0)
        return np.exp(-self.gamma * distances)
