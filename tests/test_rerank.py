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


# -- the learned reranker: features, model, retriever, training ----------------------------

from rag import features as F  # noqa: E402
from rag.rerank import LearnedRanker, default_ranker  # noqa: E402


def test_sentence_cosines_best_second_and_adjacent_window():
    vectors = np.array([[1, 0], [0, 1], [0.6, 0.8]], dtype=np.float16)
    query = np.array([np.sqrt(0.5), np.sqrt(0.5)], dtype=np.float32)
    best, second, window = F.sentence_cosines([0, 1], vectors, query)
    # Each sentence alone is 45 degrees off; their sum points exactly along the query.
    assert (best, second, window) == pytest.approx((0.7071, 0.7071, 1.0), abs=1e-3)
    assert F.sentence_cosines([2], vectors, query) == pytest.approx((0.9899, 0.9899, 0.9899), abs=1e-3)
    assert F.sentence_cosines([], vectors, query) is None
    # The same numbers from the cosines and the precomputed sentence-to-next cosines.
    assert F.sentence_stats([0.7071, 0.7071], [0.0]) == pytest.approx((0.7071, 0.7071, 1.0), abs=1e-4)
    assert F.sentence_stats([0.2, 0.8, 0.6], [0.5, 1.0]) == pytest.approx((0.8, 0.6, 0.8))
    assert F.sentence_stats([], []) is None


def test_sentence_bm25_bigrams_and_answer_type_entities():
    # norm = 1.5 * (0.25 + 0.75 * 2 / 25) = 0.465; one hit of idf 2: 2 * 2.5 / 1.465
    assert F.sentence_bm25({"troop": 2.0, "gas": 5.0}, ("troop", "land")) == pytest.approx(5 / 1.465)
    assert F.sentence_bm25({"gas": 5.0}, ("troop",)) == 0.0
    assert F.bigrams(("a", "b", "c")) == {("a", "b"), ("b", "c")}
    entities = [("PERSON", "tokayev"), ("GPE", "almaty"), ("PERSON", "putin")]
    assert F.answer_type_entities(frozenset({"PERSON"}), entities, "who did putin call?") == (2, 1)
    assert F.answer_type_entities(frozenset(), entities, "who did putin call?") == (2, 0)


def test_feature_row_of_a_hand_made_question_and_chunk():
    q = F.Question("who called almaty troops?", {"almati": 1.0, "troop": 3.0}, 4.0,
                   frozenset({("almati", "troop")}), frozenset({"PERSON"}), np.log1p(4))
    analysed = F.Question.of("Who called Almaty troops?", BM25Index.build(["Tokayev sent troops to Almaty.", "Calm."]))
    assert analysed.text == q.text and set(analysed.weights) == {"who", "call", "almati", "troop"}
    assert analysed.labels == {"PERSON", "NORP", "ORG"} and analysed.length == pytest.approx(np.log1p(4))  # four words
    chunk = F.ChunkProfile(terms=("tokayev", "sent", "troop", "almati"),
                           sentences=(("tokayev", "sent", "troop"), ("almati",)),
                           headline=frozenset({"almati"}), entities=(("PERSON", "tokayev"), ("GPE", "almaty")))
    row = dict(zip(F.FEATURES, F.row(q, chunk, 7.0, 0.5, (0.6, 0.4, 0.7), 3, 50)))
    assert row["bm25"] == 7.0 and row["dense"] == 0.5
    assert (row["sentence"], row["second_sentence"], row["window"]) == (0.6, 0.4, 0.7)
    assert row["coverage"] == 1.0 and row["full_coverage"] == 1.0
    assert row["sentence_coverage"] == 0.75  # "troop" (idf 3 of 4) in the first sentence
    assert row["bigram"] == 0.0  # "troop almati" is not the question's "almati troop"
    assert row["headline"] == 0.25
    assert row["answer_type"] == 1.0  # Tokayev is a PERSON the question does not name
    assert row["novel"] == pytest.approx(np.log(2)) and row["answer_type_count"] == pytest.approx(np.log(2))
    assert row["dense_rank"] == pytest.approx(np.log(4)) and row["bm25_rank"] == pytest.approx(np.log(51))
    assert row["length"] == pytest.approx(np.log(5))
    assert row["sentence_bm25"] == pytest.approx(3 * 2.5 / (1 + 1.5 * (0.25 + 0.75 * 3 / 25)))
    assert row["question_length"] == pytest.approx(np.log1p(4))
    assert (row["late"], row["late_median"]) == (0.5, 0.5)  # no word-piece codes: the chunk cosine
    with_codes = dict(zip(F.FEATURES, F.row(q, chunk, 7.0, 0.5, (0.6, 0.4, 0.7), 3, 50, (0.8, 0.75))))
    assert (with_codes["late"], with_codes["late_gap"], with_codes["late_median"]) == pytest.approx((0.8, 0.8, 0.75))
    # no sentence vectors: the chunk cosine stands in for the sentence ones
    bare = dict(zip(F.FEATURES, F.row(q, chunk, 7.0, 0.5, None, 3, 50)))
    assert (bare["sentence"], bare["second_sentence"], bare["window"]) == (0.5, 0.5, 0.5)
    rows = np.array([[4.0] * len(F.FEATURES), [2.0] * len(F.FEATURES)], dtype=np.float32)
    F.normalise(rows)
    assert rows[:, F.FEATURES.index("bm25")].tolist() == [1.0, 0.5]
    assert rows[:, F.FEATURES.index("sentence_bm25")].tolist() == [1.0, 0.5]
    assert rows[:, F.FEATURES.index("dense")].tolist() == [4.0, 2.0]
    for gap in ("dense_gap", "sentence_gap", "window_gap", "late_gap"):  # behind the best candidate
        assert rows[:, F.FEATURES.index(gap)].tolist() == [0.0, -2.0]
    assert F.normalise(np.zeros((0, len(F.FEATURES)), np.float32)).shape == (0, len(F.FEATURES))


def _ranker(feature: str, sign: float = 1.0) -> LearnedRanker:
    """A one-unit ranker whose score is sign * tanh(feature)."""
    return LearnedRanker((feature,), np.zeros(1, np.float32), np.ones(1, np.float32),
                         np.ones((1, 1), np.float32), np.zeros(1, np.float32), np.array([sign], np.float32))


def test_learned_ranker_scores_saves_and_checks_shapes(tmp_path):
    ranker = LearnedRanker(("a", "b"), np.array([1.0, 0.0], np.float32), np.array([2.0, 1.0], np.float32),
                           np.array([[1.0, 0.0], [0.0, 1.0]], np.float32), np.array([0.0, 0.5], np.float32),
                           np.array([1.0, -2.0], np.float32))
    x = np.array([[3.0, 0.0], [1.0, 1.0]])
    assert ranker.score(x).tolist() == pytest.approx([np.tanh(1.0) - 2 * np.tanh(0.5), -2 * np.tanh(1.5)])
    ranker.save(tmp_path / "r.npz")
    again = LearnedRanker.load(tmp_path / "r.npz")
    assert again.features == ("a", "b") and again.score(x).tolist() == pytest.approx(ranker.score(x).tolist())
    with pytest.raises(ValueError, match="ranker shapes do not match its 3 features"):
        LearnedRanker(("a", "b", "c"), np.zeros(2), np.ones(2), np.ones((1, 2)), np.zeros(1), np.ones(1))
    shipped = default_ranker()
    # three members of 16 units, averaged: one 48-unit layer with each member's output weights / 3
    assert shipped.features == F.FEATURES and shipped.hidden.shape == (48, len(F.FEATURES))


def test_learned_fusion_orders_by_the_rankers_score():
    index = _index()
    query = np.array([np.cos(np.radians(80)), np.sin(np.radians(80))], dtype=np.float32)
    by_dense = Retriever(index, ranker=_ranker("dense")).retrieve("troops in Almaty", query, 4)
    assert [h.chunk.id for h in by_dense] == [3, 2, 1, 0]  # 10, 20, 50, 80 degrees away
    assert [h.score for h in by_dense] == pytest.approx(np.tanh(np.cos(np.radians([10, 20, 50, 80]))), abs=1e-3)
    by_words = Retriever(index, ranker=_ranker("coverage")).retrieve("troops in Almaty", query, 2)
    assert [h.chunk.id for h in by_words] == [2, 0]  # chunk 2 holds both words; the rest tie, lower id first
    far = Retriever(index, ranker=_ranker("dense", -1.0)).retrieve("troops in Almaty", query, 4, outlet="CNN")
    assert [h.chunk.id for h in far] == [0, 1]
    ids, rows = Retriever(index).candidates("troops in Almaty", query, 4)
    assert ids.tolist() == [0, 1, 2, 3]
    column = dict(zip(F.FEATURES, rows.T))
    assert column["bm25"].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert column["dense_rank"].tolist() == pytest.approx(np.log1p([4, 3, 2, 1]))
    assert column["bm25_rank"].tolist() == pytest.approx(np.log1p([50, 50, 1, 50]))  # absent: the depth
    with pytest.raises(ValueError, match="needs a query vector"):
        Retriever(index).retrieve("troops", None, 2)


def test_train_ranker_learns_to_put_the_gold_row_first():
    from rag.train_fusion import train_ranker

    rng = np.random.RandomState(0)
    groups = []
    for _ in range(60):
        n = rng.randint(3, 9)  # groups of unequal length are padded to one tensor in training
        x = rng.rand(n, len(F.FEATURES))
        gold = np.zeros(n, dtype=bool)
        gold[rng.randint(n)] = True
        x[gold, F.FEATURES.index("coverage")] += 1.0  # only coverage tells the gold row apart
        groups.append((x, gold))
    ranker = train_ranker(groups, ("coverage", "dense"), hidden=4, epochs=30)
    assert ranker.features == ("coverage", "dense")
    firsts = [int(np.argmax(ranker.score(x[:, [F.FEATURES.index("coverage"), F.FEATURES.index("dense")]])))
              for x, _ in groups]
    assert firsts == [int(np.flatnonzero(g)[0]) for _, g in groups]


def _synthetic_rows(rng, count: int):
    """Candidate rows as `train_fusion.candidate_rows` gives them; coverage marks the answer."""
    rows = []
    for _ in range(count):
        n = rng.randint(6, 12)
        x = rng.rand(n, len(F.FEATURES))
        answer = np.zeros(n, dtype=bool)
        answer[rng.randint(n)] = True
        x[answer, F.FEATURES.index("coverage")] += 3.0
        rows.append((np.arange(100, 100 + n), x, answer.copy(), answer))
    return rows


def test_cross_validate_counts_each_tuning_question_once_in_the_fold_that_scores_it():
    from rag.train_fusion import cross_validate, feature_groups

    rng = np.random.RandomState(1)
    squad = feature_groups(_synthetic_rows(rng, 100))
    rows = _synthetic_rows(rng, 40)
    ids, x, gold, answer = rows[5]
    rows[5] = (ids, x, gold, np.zeros_like(answer))  # no candidate holds an answer: a miss at any depth
    rows[6] = None  # no candidates at all: a miss
    folds = [i % 2 for i in range(40)]
    assert cross_validate(squad, rows, rows, folds, members=1) == (38, 38)
    # Rows that teach the wrong signal: trained on them, the held-out fold's answers fall back.
    wrong = [None if r is None else (r[0], r[1][:, ::-1].copy(), r[2], r[3]) for r in rows]
    top1, _ = cross_validate([], wrong, rows, folds, members=1)
    assert top1 < 30


def test_tuning_folds_keep_quizzes_together_and_split_the_tuning_half():
    from rag.evalsets import Question, tuning_fold

    def q(quiz, n):
        return Question(id=f"rtqa-{quiz}_{n}", question="?", answers=("a",), gold=0)

    quizzes = [f"2021{m:02d}{d:02d}" for m in range(1, 13) for d in (1, 8, 15, 22)]
    folds = {quiz: {tuning_fold(q(quiz, n)) for n in range(5)} for quiz in quizzes}
    assert all(len(f) == 1 for f in folds.values())
    share = sum(f == {1} for f in folds.values()) / len(quizzes)
    assert 0.3 < share < 0.7
