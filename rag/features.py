"""Candidate features of the learned reranker (rag/rerank.py).

Every feature is a number per candidate chunk, computed from what the index already holds
(BM25 statistics, chunk and sentence vectors, word-piece codes, stored entities) and the
question: no model runs here beyond a few small matrix products, so a query stays within a
few milliseconds.

    bm25               BM25 score over the best candidate's (0..1)
    dense              cosine of the question and the chunk vector
    sentence           best cosine of the question and one sentence of the chunk
    coverage           idf-weighted share of the question's stemmed words the chunk holds
    window             best cosine with two adjacent sentences (their vectors summed)
    sentence_coverage  the coverage of the chunk's best-covering single sentence
    bigram             share of the question's adjacent word pairs found adjacent in the chunk
    headline           coverage of the question's words by the article's headline
    answer_type        1 when the chunk has an entity of the type the question asks for
                       (rag.question) that the question does not already name
    dense_rank         log(1 + rank) in the dense list (depth when absent)
    bm25_rank          log(1 + rank) in the BM25 list (depth when absent)
    sentence_bm25      BM25 of the best single sentence, over the best candidate's (0..1)
    full_coverage      1 when the chunk holds every question word
    length             log(1 + stemmed words of the chunk)
    second_sentence    cosine of the second-best sentence (the best when only one)
    novel              log(1 + entities of the chunk that the question does not name)
    answer_type_count  log(1 + entities of the asked-for type the question does not name)
    dense_gap          dense minus the best dense among the candidates (<= 0)
    sentence_gap       sentence minus the best among the candidates
    window_gap         window minus the best among the candidates
    question_length    log(1 + words of the question): long quiz-style questions lean on
                       other signals than short ones, and the hidden layer can tell them apart
    late               MaxSim (rag/late.py): mean over the question's word pieces of their best
                       cosine with a word piece of the chunk; the chunk cosine when the index
                       holds no word-piece codes
    late_gap           late minus the best among the candidates
    late_median        the median instead of the mean of those best cosines
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .question import classify

FEATURES = ("bm25", "dense", "sentence", "coverage", "window", "sentence_coverage", "bigram", "headline",
            "answer_type", "dense_rank", "bm25_rank", "sentence_bm25", "full_coverage", "length",
            "second_sentence", "novel", "answer_type_count", "dense_gap", "sentence_gap", "window_gap",
            "question_length", "late", "late_gap", "late_median")
RELATIVE = ("bm25", "sentence_bm25")  # divided by the best candidate's value
GAPS = {"dense_gap": "dense", "sentence_gap": "sentence", "window_gap": "window", "late_gap": "late"}
BM25_K1, BM25_B = 1.5, 0.75  # bm25s defaults, for the sentence-level score
SENTENCE_WORDS = 25.0  # typical stemmed words per sentence (the length normaliser of sentence BM25)
ENTITY_SKIP = ("NP", "ST")  # stored candidate spans that are not named entities


def bigrams(terms) -> set[tuple[str, str]]:
    """Adjacent pairs of a sequence of stemmed words."""
    return set(zip(terms, terms[1:]))


def covered_share(weights: dict[str, float], terms, total: float) -> float:
    """Share of the total weight of `weights` whose terms are in `terms` (0 when total is 0)."""
    return sum(w for t, w in weights.items() if t in terms) / total if total > 0 else 0.0


def sentence_bm25(weights: dict[str, float], terms) -> float:
    """BM25 of one sentence for the question terms (`weights`: idf), lengths over SENTENCE_WORDS."""
    norm = BM25_K1 * (1 - BM25_B + BM25_B * len(terms) / SENTENCE_WORDS)
    score = 0.0
    for term, idf in weights.items():
        tf = terms.count(term)
        if tf:
            score += idf * tf * (BM25_K1 + 1) / (tf + norm)
    return score


def sentence_cosines(rows: list[int], vectors: np.ndarray, query: np.ndarray) -> tuple[float, float, float] | None:
    """(best, second best, best adjacent pair) cosine of `query` with the sentences `rows` (text
    order); None when there are none. A pair's vector is the sum of its two unit vectors."""
    if not rows:
        return None
    v = np.asarray(vectors[rows], dtype=np.float32)
    cos = v @ np.asarray(query, dtype=np.float32)
    ordered = np.sort(cos)
    best = float(ordered[-1])
    second = float(ordered[-2]) if len(ordered) > 1 else best
    window = best
    if len(rows) > 1:
        adjacent = np.einsum("ij,ij->i", v[:-1], v[1:])
        pair = (cos[:-1] + cos[1:]) / np.sqrt(np.maximum(2 + 2 * adjacent, 1e-6))
        window = max(best, float(pair.max()))
    return best, second, window


def sentence_stats(cosines: list[float], adjacent) -> tuple[float, float, float] | None:
    """`sentence_cosines` from the sentences' cosines with the query and the cosines of each
    sentence with the next (`adjacent`, query-independent, so computed once per chunk)."""
    if not cosines:
        return None
    ordered = sorted(cosines)
    best = ordered[-1]
    second = ordered[-2] if len(ordered) > 1 else best
    window = best
    for a, b, between in zip(cosines, cosines[1:], adjacent):
        window = max(window, (a + b) / math.sqrt(max(2 + 2 * between, 1e-6)))
    return best, second, window


@dataclass(frozen=True)
class Question:
    """What the features need of a question: stemmed terms with idf, pairs, asked-for labels."""

    text: str  # lower-cased
    weights: dict[str, float]  # stemmed term -> idf
    total: float
    pairs: frozenset[tuple[str, str]]
    labels: frozenset[str]  # entity labels that answer it (rag.question); empty: any
    length: float = 0.0  # log(1 + words)

    @classmethod
    def of(cls, question: str, bm25) -> "Question":
        terms = bm25.analyze(question)
        weights = {t: bm25.idf(t) for t in terms}
        return cls(question.lower(), weights, sum(weights.values()), frozenset(bigrams(terms)),
                   classify(question).labels, math.log1p(len(question.split())))


@dataclass(frozen=True)
class ChunkProfile:
    """What the features need of a chunk, independent of the question (built once per chunk)."""

    terms: tuple[str, ...]  # stemmed words, in order
    sentences: tuple[tuple[str, ...], ...]  # stemmed words of each sentence
    headline: frozenset[str]  # stemmed words of the article's headline
    entities: tuple[tuple[str, str], ...]  # (label, lower-cased text) of named entities
    rows: tuple[int, ...] = ()  # the chunk's rows of the sentence table, in text order
    adjacent: tuple[float, ...] = ()  # cosine of each of those sentences with the next
    term_set: frozenset[str] = frozenset()
    sentence_sets: tuple[frozenset[str], ...] = ()
    pairs: frozenset[tuple[str, str]] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "term_set", frozenset(self.terms))
        object.__setattr__(self, "sentence_sets", tuple(frozenset(s) for s in self.sentences))
        object.__setattr__(self, "pairs", frozenset(bigrams(self.terms)))


def answer_type_entities(labels: frozenset[str], entities, question: str) -> tuple[int, int]:
    """(entities not named in the lower-cased `question`, those of them with a label in `labels`)."""
    novel = [label for label, text in entities if text not in question]
    return len(novel), (sum(label in labels for label in novel) if labels else 0)


def row(q: Question, chunk: ChunkProfile, bm25: float, dense: float,
        sentences: tuple[float, float, float] | None, dense_rank: int, bm25_rank: int,
        late: tuple[float, float] | None = None) -> list[float]:
    """The feature values of one candidate (order of FEATURES; RELATIVE ones not yet divided,
    GAPS not yet taken)."""
    best, second, window = sentences or (dense, dense, dense)
    late_mean, late_median = late if late is not None else (dense, dense)
    cover = covered_share(q.weights, chunk.term_set, q.total)
    sentence_cover = max((covered_share(q.weights, s, q.total) for s in chunk.sentence_sets), default=0.0)
    sentence_score = max((sentence_bm25(q.weights, s) for s, words in zip(chunk.sentences, chunk.sentence_sets)
                          if not words.isdisjoint(q.weights)), default=0.0)
    pairs = len(q.pairs & chunk.pairs) / len(q.pairs) if q.pairs else 0.0
    novel, typed = answer_type_entities(q.labels, chunk.entities, q.text)
    return [bm25, dense, best, cover, window, sentence_cover, pairs,
            covered_share(q.weights, chunk.headline, q.total), float(typed > 0),
            math.log1p(dense_rank), math.log1p(bm25_rank), sentence_score, float(cover > 0.999),
            math.log1p(len(chunk.terms)), second, math.log1p(novel), math.log1p(typed),
            dense, best, window, q.length, late_mean, late_mean, late_median]


def normalise(rows: np.ndarray) -> np.ndarray:
    """Divide the RELATIVE columns by their best value among the candidates and turn the GAPS
    columns into differences from their best (in place)."""
    for name in RELATIVE:
        column = FEATURES.index(name)
        top = rows[:, column].max() if len(rows) else 0.0
        rows[:, column] = rows[:, column] / top if top > 0 else 0.0
    if len(rows):
        for gap, base in GAPS.items():
            rows[:, FEATURES.index(gap)] = rows[:, FEATURES.index(base)] - rows[:, FEATURES.index(base)].max()
    return rows
