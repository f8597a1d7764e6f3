import sys

import numpy as np
import pytest

from avili.errors import AviliError
from avili.retrieval.search import build_ivfpq, exact_topk, ivfpq_topk, recall_at_k


def unit(rng, n, e=16):
    x = rng.standard_normal((n, e)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("memory_mb", [0, 1, 256])  # 0: one gallery row per... k-wide block
def test_exact_topk_matches_a_full_sort(memory_mb):
    rng = np.random.default_rng(0)
    q, g = unit(rng, 37), unit(rng, 1500)
    scores, idx = exact_topk(q, g, 7, memory_mb)
    full = q @ g.T
    ref = np.argsort(-full, axis=1)[:, :7]
    np.testing.assert_array_equal(idx, ref)
    np.testing.assert_allclose(scores, np.take_along_axis(full, ref, 1), rtol=1e-5)
    assert (np.diff(scores, axis=1) <= 0).all()


def test_exact_topk_clips_k_and_refuses_empty():
    rng = np.random.default_rng(1)
    s, i = exact_topk(unit(rng, 2), unit(rng, 3), 10)
    assert s.shape == (2, 3) and sorted(i[0].tolist()) == [0, 1, 2]
    with pytest.raises(AviliError, match="k >= 1"):
        exact_topk(unit(rng, 2), np.zeros((0, 16), np.float32), 3)


@pytest.mark.slow
def test_ivfpq_finds_near_duplicates_and_reports_recall():
    pytest.importorskip("faiss")
    rng = np.random.default_rng(2)
    g = unit(rng, 6000, 32)
    q = g[:200] + 0.05 * unit(rng, 200, 32)  # each query's true neighbour: its source row
    blob = build_ivfpq(g, nlist=32, m=8, seed=0)
    assert build_ivfpq(g, nlist=32, m=8, seed=0) == blob  # seeded: the same index
    found = ivfpq_topk(blob, q, 10, nprobe=8)[1]
    assert np.mean([i in row for i, row in enumerate(found)]) > 0.9
    truth = exact_topk(q, g, 10)[1]
    assert (truth[:, 0] == np.arange(200)).all()
    assert 0 < recall_at_k(found, truth) < 1 and recall_at_k(truth, truth) == 1.0
    with pytest.raises(AviliError, match="must divide"):
        build_ivfpq(g, nlist=32, m=7)


def test_missing_faiss_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss -> ImportError
    with pytest.raises(AviliError, match=r"pip install 'avili\[faiss\]'"):
        build_ivfpq(np.zeros((10, 8), np.float32), 2, 2)
