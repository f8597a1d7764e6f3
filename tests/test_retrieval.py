import importlib.util
import sys

import numpy as np
import pytest

from avili.errors import AviliError
from avili.retrieval.search import (build_ivfpq, exact_topk, ivfpq_topk, recall_at_k,
                                    refine_topk)

NO_FAISS = importlib.util.find_spec("faiss") is None
BACKENDS = ["torch", pytest.param("faiss", marks=pytest.mark.skipif(NO_FAISS,
                                                                    reason="avili[faiss]"))]


def unit(rng, n, e=16):
    x = rng.standard_normal((n, e)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def naive_topk(q, g, k):
    """Score every pair, then sort each row by score descending, then row ascending."""
    full = q @ g.T
    idx = np.array([sorted(range(len(g)), key=lambda j: (-row[j], j))[:k] for row in full])
    return np.take_along_axis(full, idx, 1), idx


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("memory_mb", [0, 1, 256])  # 0: one gallery row per... k-wide block
def test_exact_topk_matches_a_full_sort(memory_mb, backend):
    rng = np.random.default_rng(0)
    q, g = unit(rng, 37), unit(rng, 1500)
    scores, idx = exact_topk(q, g, 7, memory_mb, backend=backend)
    full = q @ g.T
    ref = np.argsort(-full, axis=1)[:, :7]
    np.testing.assert_array_equal(idx, ref)
    np.testing.assert_allclose(scores, np.take_along_axis(full, ref, 1), rtol=1e-5)
    assert (np.diff(scores, axis=1) <= 0).all()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("memory_mb", [0, 256])
def test_exact_ties_go_to_the_lower_gallery_row(backend, memory_mb):
    rng = np.random.default_rng(3)
    base = unit(rng, 40)
    g = base[rng.integers(0, 40, 400)]  # every row repeated about ten times: many ties
    q = np.concatenate([base[:20], unit(rng, 20)])
    scores, idx = exact_topk(q, g, 15, memory_mb, backend=backend)
    ref_s, ref_i = naive_topk(q, g, 15)
    np.testing.assert_array_equal(idx, ref_i)
    np.testing.assert_allclose(scores, ref_s, rtol=1e-5, atol=1e-6)


def test_exact_search_is_the_same_with_and_without_faiss():
    pytest.importorskip("faiss")
    rng = np.random.default_rng(4)
    base = unit(rng, 300, 32)
    g, q = base[rng.integers(0, 300, 5000)], unit(rng, 64, 32)
    a, b = exact_topk(q, g, 10, backend="faiss"), exact_topk(q, g, 10, backend="torch")
    np.testing.assert_array_equal(a[1], b[1])
    np.testing.assert_allclose(a[0], b[0], atol=1e-6)
    with pytest.raises(AviliError, match="unknown exact search backend"):
        exact_topk(q, g, 10, backend="blas")


def test_refine_reranks_candidates_exactly_and_marks_missing():
    rng = np.random.default_rng(5)
    q, g = unit(rng, 6), unit(rng, 50)
    cand = np.array([rng.permutation(50)[:8] for _ in range(6)])
    cand[0, 3:] = -1  # the index found only three for the first query
    scores, idx = refine_topk(q, g, cand, 5, rows=4)
    for r in range(6):
        valid = [c for c in cand[r] if c >= 0]
        best = sorted(valid, key=lambda j: (-float(q[r] @ g[j]), j))[:5]
        assert idx[r, :len(best)].tolist() == best
        np.testing.assert_allclose(scores[r, :len(best)], g[best] @ q[r], rtol=1e-5)
    assert idx[0, 3:].tolist() == [-1, -1] and np.isneginf(scores[0, 3:]).all()


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


@pytest.mark.slow
@pytest.mark.parametrize("nbits", [4, 8])  # fast-scan and classic IVF-PQ
def test_refined_ivfpq_finds_exact_neighbours(nbits):
    pytest.importorskip("faiss")
    rng = np.random.default_rng(6)
    centres = unit(rng, 20, 32)
    g = centres[rng.integers(0, 20, 4000)] + 0.3 * unit(rng, 4000, 32)
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    q = g[:100] + 0.1 * unit(rng, 100, 32)
    blob = build_ivfpq(g, nlist=16, m=0, nbits=nbits, seed=0)  # m 0: 16 sub-quantizers
    truth_s, truth = exact_topk(q, g, 10)
    raw = recall_at_k(ivfpq_topk(blob, q, 10, nprobe=16)[1], truth)
    s, found = ivfpq_topk(blob, q, 10, nprobe=16, gallery=g, k_factor=20)
    assert recall_at_k(found, truth) >= 0.95 and recall_at_k(found, truth) > raw
    exact_rows = (found == truth).all(axis=1)  # re-ranked rows are in exact order
    np.testing.assert_allclose(s[exact_rows], truth_s[exact_rows], rtol=1e-5)


def test_missing_faiss_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss -> ImportError
    with pytest.raises(AviliError, match=r"pip install 'avili\[faiss\]'"):
        build_ivfpq(np.zeros((10, 8), np.float32), 2, 2)


def test_exact_search_without_faiss_uses_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)  # import faiss -> ImportError
    rng = np.random.default_rng(7)
    q, g = unit(rng, 5), unit(rng, 200)
    np.testing.assert_array_equal(exact_topk(q, g, 4)[1], naive_topk(q, g, 4)[1])
    with pytest.raises(AviliError, match=r"pip install 'avili\[faiss\]'"):
        exact_topk(q, g, 4, backend="faiss")
