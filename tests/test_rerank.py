"""Score fusion of hybrid retrieval: the pure functions, and the Retriever on a hand-made index."""
from __future__ import annotations

import numpy as np
import pytest

from rag.index import BM25Index, DenseIndex
from rag.records import Article, Block, Chunk
from rag.rerank import FusionWeights, coverage, fuse, relative, sentence_max
from rag.retrieve import RetrievalSettings, Retriever
from rag.store import CorpusIndex, Sentences


def test_relative_divides_by_the_best_and_keeps_zeros():
    assert relative(np.array([2.0, 1.0, 0.0])).tolist() == [1.0, 0.5, 0.0]
    assert relative(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]
    assert relative(np.zeros(0)).tolist() == []


def test_sentence_max_takes_each_chunks_best_sentence_or_the_fallback():
    vectors = np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float16)
    by_chunk = {7: [0, 1], 9: [2]}  # chunk 8 has no sentence rows
    got = sentence_max(by_chunk, vectors, np.array([0.0, 1.0]), np.array([7, 8, 9]), np.array([0.1, 0.2, 0.3]))
    assert got.tolist() == pytest.approx([1.0, 0.2, 0.8], abs=1e-3)


def test_coverage_is_the_idf_weighted_share_of_question_terms():
    got = coverage({"almati": 1.0, "troop": 3.0}, [frozenset({"almati"}), frozenset({"almati", "troop", "x"}),
                                                   frozenset()])
    assert got.tolist() == [0.25, 1.0, 0.0]
    assert coverage({}, [frozenset({"a"})]).tolist() == [0.0]


def test_fuse_is_the_weighted_sum_of_the_signals():
    weights = FusionWeights(bm25=0.4, dense=0.2, sentence=0.2, coverage=0.2)
    got = fuse(np.array([4.0, 2.0]), np.array([0.2, 0.6]), np.array([0.4, 1.0]), weights, np.array([1.0, 0.5]))
    assert got.tolist() == pytest.approx([0.4 * 1 + 0.2 * 0.2 + 0.2 * 0.4 + 0.2 * 1.0,
                                          0.4 * 0.5 + 0.2 * 0.6 + 0.2 * 1.0 + 0.2 * 0.5])
    without = fuse(np.array([4.0, 2.0]), np.array([0.2, 0.6]), np.array([0.4, 1.0]), weights)
    assert without.tolist() == pytest.approx([0.4 + 0.04 + 0.08, 0.2 + 0.12 + 0.2])
    with pytest.raises(ValueError, match="signal lengths differ: bm25 2, dense 1, sentence 2, coverage 2"):
        fuse(np.zeros(2), np.zeros(1), np.zeros(2), weights)
    with pytest.raises(ValueError, match="fusion weight dense must be >= 0, got -1"):
        FusionWeights(dense=-1)


def _index() -> CorpusIndex:
    """Four one-sentence chunks in two outlets, with 2-d unit vectors chosen by hand."""
    texts = ["Pashinyan chairs the alliance.", "Tokayev leads Kazakhstan.",
             "Troops landed in Almaty.", "Prices of gas doubled."]
    articles = {f"a{i}": Article(f"a{i}", "CNN" if i < 2 else "TASS", "h", t, blocks=(Block(0, len(t)),))
                for i, t in enumerate(texts)}
    chunks = [Chunk(i, f"a{i}", t, 0, len(t), outlet="CNN" if i < 2 else "TASS") for i, t in enumerate(texts)]
    angles = np.radians([0, 30, 60, 90])
    vectors = np.stack([np.cos(angles), np.sin(angles)], axis=1).astype(np.float32)
    sentences = Sentences(np.arange(4, dtype=np.int32), np.zeros(4, dtype=np.int32),
                          np.array([len(t) for t in texts], dtype=np.int32), vectors.astype(np.float16),
                          {i: [i] for i in range(4)})
    return CorpusIndex({}, articles, chunks, sentences, DenseIndex.build(vectors), BM25Index.build(texts))


def test_hybrid_fusion_ranks_by_the_fused_score():
    index = _index()
    query = np.array([np.cos(np.radians(80)), np.sin(np.radians(80))], dtype=np.float32)
    # Dense alone prefers chunk 3 (10 degrees away); BM25 only knows chunk 0 ("Pashinyan").
    dense_only = Retriever(index, RetrievalSettings(mode="dense")).retrieve("Pashinyan", query, 4)
    assert [h.chunk.id for h in dense_only] == [3, 2, 1, 0]
    bm25_heavy = RetrievalSettings(fusion="score", weights=FusionWeights(bm25=0.9, dense=0.05, sentence=0.05, coverage=0.0))
    hits = Retriever(index, bm25_heavy).retrieve("Pashinyan", query, 4)
    assert [h.chunk.id for h in hits] == [0, 3, 2, 1]
    cos = np.cos(np.radians([80, 10, 20, 50]))  # angles to chunks 0, 3, 2, 1
    expected = [0.9 + 0.1 * cos[0], 0.1 * cos[1], 0.1 * cos[2], 0.1 * cos[3]]
    assert [h.score for h in hits] == pytest.approx(expected, abs=1e-3)
    assert [h.rank for h in hits] == [1, 2, 3, 4]


def test_hybrid_fusion_respects_the_outlet_filter_and_k():
    index = _index()
    query = np.array([1.0, 0.0], dtype=np.float32)
    hits = Retriever(index).retrieve("gas prices", query, 10, outlet="tass")
    assert sorted(h.chunk.id for h in hits) == [2, 3]  # k larger than the outlet's chunks
    assert [h.chunk.id for h in Retriever(index).retrieve("gas prices", query, 1)] == [0]
