"""The learned checks' kernel products in int8 (``service/checks/kernel.py``) against float32: the
same numbers to ~1e-5, and on the committed models the same verdicts and tone scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from service.checks.kernel import Int8Products, RBFKernel, dequantise_rows, quantise_rows

ROOT = Path(__file__).resolve().parents[2]


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def test_int8_products_agree_with_float32_with_and_without_a_remainder():
    rng = np.random.default_rng(5)
    points = _unit(rng.normal(size=(3000, 512)))
    x = _unit(points[:13] + 0.5 * _unit(rng.normal(size=(13, 512))))
    exact = x @ points.T
    products = Int8Products(points)
    assert np.abs(products.kept - points).max() < 1e-5  # float points: int8 rows and their remainders
    assert np.abs(products(x) - exact).max() < 1e-4
    # points that are int8 rows already (the tone head's) are kept as they are, with one term
    stored = dequantise_rows(*quantise_rows(points))
    as_stored = Int8Products(stored)
    assert np.array_equal(as_stored.kept, stored)
    assert np.abs(as_stored(x) - x @ stored.T).max() < 1e-4
    assert products(np.zeros((0, 512), np.float32)).shape == (0, 3000)


def test_the_rbf_kernel_in_int8_agrees_with_float32_beside_float_columns():
    rng = np.random.default_rng(6)
    points = np.hstack([_unit(rng.normal(size=(500, 64))), 0.2 * rng.integers(0, 4, (500, 5))]).astype(np.float32)
    x = np.hstack([_unit(rng.normal(size=(7, 64))), 0.2 * rng.integers(0, 4, (7, 5))]).astype(np.float32)
    exact = RBFKernel(points, 1.5)(x)
    int8 = RBFKernel(points, 1.5, int8_columns=64)(x)
    assert exact.shape == int8.shape == (7, 500)
    assert np.abs(int8 - exact).max() < 1e-4
    assert RBFKernel(points, 1.5, int8_columns=64)(np.zeros((0, 69), np.float32)).shape == (0, 500)


def _etiquette_sentences() -> dict[str, list[str]]:
    """Every sentence of the etiquette training and bench files, per language."""
    out: dict[str, list[str]] = {}

    def walk(node, language):
        if isinstance(node, str):
            if len(node) > 3:
                out.setdefault(language, []).append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item, language)
        elif isinstance(node, dict):
            for item in node.values():
                walk(item, language)

    for language in ("en", "ru"):
        paths = sorted((ROOT / "service" / "languages" / language / "etiquette").glob("*.yaml"))
        paths += sorted((ROOT / "bench" / "etiquette").glob(f"*_{language}.yaml"))
        for path in paths:
            walk(yaml.safe_load(path.read_text(encoding="utf-8")), language)
    return out


def test_the_committed_models_answer_in_int8_as_in_float32(use_model):
    """On the ~3,500 etiquette sentences (training and bench, EN and RU): the same verdict for every
    sentence, probabilities within 1e-3, tone scores within 1e-3."""
    from service.checks.etiquette import EtiquetteModel, PairwiseSVM, as_written_in_training
    from service.checks.tone import ToneHead

    def exact_svm(svm: PairwiseSVM) -> PairwiseSVM:
        return PairwiseSVM(svm.vectors, svm.gamma, svm.pair_coef.T, svm.pair_bias, svm.prob_a, svm.prob_b,
                           svm.n_classes, int8=False)

    int8, exact = EtiquetteModel.load(), EtiquetteModel.load()
    for model in (exact, exact.long):
        model.svm = exact_svm(model.svm)
    head = ToneHead.load()
    exact_head = ToneHead(head.model, head.vectors, head.counts, head.dual, head.bias, head.gamma, head.strategy_scale,
                          head.strategies, head.scale, head.metrics, int8=False)
    sentences = _etiquette_sentences()
    assert min(len(s) for s in sentences.values()) > 1000
    for language, texts in sentences.items():
        texts = [as_written_in_training(t) for t in texts]
        vectors = use_model.encode(texts)
        assert np.abs(int8.probabilities(vectors, texts) - exact.probabilities(vectors, texts)).max() < 1e-3
        flagged = [v and v[0] for v in int8.verdicts(vectors, texts, language)]  # category, or None
        assert flagged == [v and v[0] for v in exact.verdicts(vectors, texts, language)]
        counts = np.zeros((len(texts), head.counts.shape[1]), np.float32)
        assert np.abs(head.scores(vectors, counts) - exact_head.scores(vectors, counts)).max() < 1e-3
