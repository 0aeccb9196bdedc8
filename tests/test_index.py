"""Index mechanics on hand-made vectors and texts, checked against brute force."""
from __future__ import annotations

import numpy as np
import pytest

from rag.index import BM25Index, DenseIndex, one_edit, top_k
from rag.retrieve import reciprocal_rank_fusion


def unit(rows):
    m = np.asarray(rows, dtype=np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def test_dense_search_matches_brute_force_in_order():
    rng = np.random.default_rng(7)
    vectors = unit(rng.normal(size=(200, 16)))
    index = DenseIndex.build(vectors)
    query = unit(rng.normal(size=(1, 16)))[0]
    ids, scores = index.search(query, 10)
    expected = np.argsort(-(vectors @ query), kind="stable")[:10]
    assert ids.tolist() == expected.tolist()
    assert np.allclose(scores, (vectors @ query)[expected], atol=1e-5)
    assert all(a >= b for a, b in zip(scores, scores[1:]))


def test_dense_search_respects_the_allowed_ids_and_k_beyond_the_corpus():
    vectors = unit([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]])
    index = DenseIndex.build(vectors)
    ids, _ = index.search(np.array([1.0, 0.0], dtype=np.float32), 10, allowed=np.array([2, 3]))
    assert ids.tolist() == [3, 2]
    ids, _ = index.search(np.array([1.0, 0.0], dtype=np.float32), 10)
    assert ids.tolist() == [0, 1, 3, 2]
    with pytest.raises(ValueError, match="k must be > 0, got 0"):
        index.search(np.array([1.0, 0.0], dtype=np.float32), 0)


def test_dense_index_round_trips_through_a_file(tmp_path):
    vectors = unit(np.eye(5) + 0.1)
    DenseIndex.build(vectors).save(tmp_path / "d.faiss")
    loaded = DenseIndex.load(tmp_path / "d.faiss")
    assert loaded.search(vectors[3], 2)[0].tolist() == DenseIndex.build(vectors).search(vectors[3], 2)[0].tolist()


def test_bm25_ranks_the_document_with_the_rare_term_first(tmp_path):
    texts = ["Police officers were injured in Almaty.", "The president addressed the nation.",
             "Thirteen police officers were killed.", "Prices of gas doubled."]
    index = BM25Index.build(texts)
    ids, scores = index.search("How many officers were killed?", 3)
    assert ids.tolist() == [2, 0]  # the others share no term with the question
    assert scores[0] > scores[1] > 0
    assert index.search("killed", 5, allowed=np.array([0, 1]))[0].tolist() == []
    index.save(tmp_path / "bm25")
    assert BM25Index.load(tmp_path / "bm25").search("How many officers were killed?", 3)[0].tolist() == [2, 0]


def test_a_stem_is_looked_up_as_it_is_not_stemmed_again():
    index = BM25Index.build(["One of Ellen DeGeneres' jokes backfired.", "The Committee met."])
    assert index.analyze("DeGeneres") == ["degener"]
    assert index.knows("degener") and index.knows("committe")
    assert index.terms("degener") == []  # stemmed again it is "degen", which no document has
    assert not index.knows("degen") and not index.knows("DeGeneres")


def test_a_term_one_edit_away_or_starting_with_a_prefix_is_found():
    assert {"tokayev", "okaev", "tokaeev", "otkaev"} <= one_edit("tokaev")
    assert "tokaev" not in one_edit("tokaev") and "kotaev" not in one_edit("tokaev")
    index = BM25Index.build(["President Tokayev spoke in Almaty.", "China and Kazakhstan share a border."])
    assert index.near_spelling("tokaev") == "tokayev"  # a letter dropped
    assert index.near_spelling("tokyaev") == "tokayev"  # two letters swapped
    assert index.near_spelling("tokyo") is None
    both = BM25Index.build(["Tokayev met Tokaeva."])
    assert both.near_spelling("tokaev") == "tokaeva"  # two one edit away: the first in order
    assert index.has_prefix("chin", 8) and not index.has_prefix("chin", 4)  # "china": 5 letters
    assert not index.has_prefix("japan", 9)


def test_top_k_breaks_ties_by_id():
    ids, scores = top_k(np.array([0.5, 0.9, 0.5, 0.0, 0.9]), 3)
    assert ids.tolist() == [1, 4, 0]
    assert scores.tolist() == pytest.approx([0.9, 0.9, 0.5])


def test_reciprocal_rank_fusion_adds_weighted_reciprocal_ranks():
    fused = reciprocal_rank_fusion([np.array([3, 1]), np.array([1, 2])], [1.0, 0.5], rrf_k=60)
    assert fused == pytest.approx({3: 1 / 61, 1: 1 / 62 + 0.5 / 61, 2: 0.5 / 62})
