"""Index choice by corpus size, and every approximate index checked against a brute-force oracle."""
from __future__ import annotations

import numpy as np
import pytest

from rag.ann import (AnnSettings, build_faiss, choose_kind, describe, exact_top_k, list_count,
                     probe_count, recall_at_k)
from rag.index import EXACT_LIMIT, DenseIndex

DIM = 32


def clustered(n: int, seed: int = 0, clusters: int = 50) -> np.ndarray:
    """Unit vectors around `clusters` random centres: neighbours exist, as in real embeddings."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, DIM)).astype(np.float32)
    points = centres[rng.integers(0, clusters, n)] + 0.5 * rng.standard_normal((n, DIM)).astype(np.float32)
    return points / np.linalg.norm(points, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def corpus() -> np.ndarray:
    return clustered(6000)


@pytest.fixture(scope="module")
def queries() -> np.ndarray:
    return clustered(6100)[6000:]  # same centres (same seed), points the corpus does not hold


def test_kind_switches_at_the_exact_limit():
    settings = AnnSettings()
    assert EXACT_LIMIT == 50_000
    assert choose_kind(EXACT_LIMIT - 1, settings) == "flat"
    assert choose_kind(EXACT_LIMIT, settings) == "ivf-sq8"
    assert choose_kind(10, AnnSettings(kind="hnsw")) == "hnsw"


def test_list_and_probe_counts_follow_corpus_size():
    settings = AnnSettings()
    assert [list_count(n, settings) for n in (2000, 100_000, 1_000_000, 100_000_000)] == [32, 256, 1024, 4096]
    assert [probe_count(nlist, settings) for nlist in (4, 32, 256, 1024, 4096)] == [4, 8, 8, 16, 64]
    assert list_count(10**6, AnnSettings(nlist=64)) == 64
    assert probe_count(16, AnnSettings(nprobe=40)) == 16
    assert describe("ivf-sq8", 1_000_000, settings) == "IVF1024,SQ8(nprobe=16)"
    assert describe("flat", 10, settings) == "Flat"


@pytest.mark.parametrize("field, value", [("kind", "lsh"), ("exact_limit", 0), ("nprobe", -2), ("nlist", 0)])
def test_bad_settings_name_the_value(field, value):
    with pytest.raises(ValueError, match=f"{field} must .*got '?{value}'?"):
        AnnSettings(**{field: value})


def test_recall_at_k_counts_shared_ids():
    exact = np.array([[1, 2, 3], [4, 5, 6]])
    assert recall_at_k(np.array([[3, 2, 1], [4, 9, -1]]), exact) == 4 / 6
    with pytest.raises(ValueError, match=r"found has shape \(1, 3\), exact has \(2, 3\)"):
        recall_at_k(exact[:1], exact)


def test_flat_index_equals_the_oracle(corpus, queries):
    index = DenseIndex.build(corpus)
    exact = exact_top_k(corpus, queries, 10)
    for query, expected in zip(queries, exact):
        ids, scores = index.search(query, 10)
        assert ids.tolist() == expected.tolist()
        assert np.all(np.diff(scores) <= 0)


@pytest.mark.parametrize("kind, floor", [("ivf-sq8", 0.97), ("ivf-flat", 0.99), ("hnsw", 0.99)])
def test_approximate_indexes_against_the_oracle(corpus, queries, kind, floor):
    # Measured here: ivf-sq8 0.977 (8-bit codes cost a little), ivf-flat 1.0, hnsw 1.0.
    settings = AnnSettings(kind=kind, nprobe=8)
    index = DenseIndex.build(corpus, settings)
    exact = exact_top_k(corpus, queries, 10)
    found = np.array([index.search(q, 10)[0] for q in queries])
    assert recall_at_k(found, exact) >= floor
    # A vector of the corpus finds itself first.
    assert [index.search(corpus[i], 1)[0][0] for i in (0, 1234, 5999)] == [0, 1234, 5999]


def test_auto_builds_ivf_sq8_above_the_limit(corpus):
    import faiss

    index = build_faiss(corpus, AnnSettings(exact_limit=5000))
    assert isinstance(index, faiss.IndexIVFScalarQuantizer)
    assert (index.nlist, index.nprobe, index.ntotal) == (64, 8, 6000)
    assert isinstance(build_faiss(corpus[:4999], AnnSettings(exact_limit=5000)), faiss.IndexFlatIP)


def test_ivf_save_load_keeps_nprobe_and_hits(corpus, queries, tmp_path):
    index = DenseIndex.build(corpus, AnnSettings(kind="ivf-sq8", nprobe=5))
    index.save(tmp_path / "dense.faiss")
    loaded = DenseIndex.load(tmp_path / "dense.faiss")
    import faiss

    assert faiss.extract_index_ivf(loaded._index).nprobe == 5
    for query in queries[:20]:
        assert loaded.search(query, 10)[0].tolist() == index.search(query, 10)[0].tolist()


@pytest.mark.parametrize("kind", ["flat", "ivf-sq8", "hnsw"])
def test_filter_returns_only_allowed_ids(corpus, queries, kind):
    index = DenseIndex.build(corpus, AnnSettings(kind=kind, nprobe=64))
    allowed = np.arange(0, 6000, 3)
    exact = exact_top_k(corpus[allowed], queries[:10], 5)
    for query, expected in zip(queries[:10], exact):
        ids, _ = index.search(query, 5, allowed=allowed)
        assert set(ids.tolist()) <= set(allowed.tolist())
        if kind == "flat":
            assert ids.tolist() == allowed[expected].tolist()


def test_ivf_needs_vectors():
    with pytest.raises(ValueError, match="an ivf-sq8 index needs vectors to train on, got 0"):
        build_faiss(np.zeros((0, DIM), dtype=np.float32), AnnSettings(kind="ivf-sq8"))


def test_oracle_blocks_ties_and_small_corpora():
    corpus = np.array([[1, 0], [0, 1], [1, 0], [0.6, 0.8]], dtype=np.float32)
    queries = np.array([[1, 0], [0, 1]], dtype=np.float32)
    # Equal scores come out by lower id, whatever the block size; k is capped at the corpus size.
    for block in (1, 3, 100):
        assert exact_top_k(corpus, queries, 10, block=block).tolist() == [[0, 2, 3, 1], [1, 3, 0, 2]]
