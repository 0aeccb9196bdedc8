"""Retrieval: dense (FAISS) and BM25 candidates, reranked by a learned model over their features.

Hybrid mode (the default, `fusion="learned"`) takes the union of the dense and BM25 lists,
computes the features of rag/features.py for each candidate and orders them by the small MLP
of rag/rerank.py (`rerank.default_ranker`).
`fusion="score"` is the earlier weighted sum of four normalised signals (`rerank.fuse`);
weighted reciprocal rank fusion stays available (`fusion="rrf"`) for comparison in EVAL.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .index import top_k
from .late import maxsim
from .records import Hit
from . import features as F
from .rerank import FusionWeights, LearnedRanker, coverage, default_ranker, fuse, sentence_max
from .store import CorpusIndex

MODES = ("hybrid", "dense", "bm25")
FUSIONS = ("learned", "score", "rrf")
PROFILE_CACHE = 50_000  # chunk profiles (question-independent features) kept per retriever


@dataclass(frozen=True)
class RetrievalSettings:
    """How the two rankings are combined; weights are chosen on dev data (see EVAL.md)."""

    mode: str = "hybrid"
    fusion: str = "learned"  # how hybrid mode combines: learned reranker, normalised score sum, reciprocal ranks
    weights: FusionWeights = field(default_factory=FusionWeights)  # score fusion
    dense_weight: float = 1.0  # reciprocal rank fusion
    bm25_weight: float = 1.0
    rrf_k: int = 60  # damping of reciprocal rank fusion: 1 / (rrf_k + rank)
    depth: int = 50  # candidates taken from each ranking before fusion

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.fusion not in FUSIONS:
            raise ValueError(f"fusion must be one of {FUSIONS}, got {self.fusion!r}")
        if self.depth <= 0:
            raise ValueError(f"depth must be > 0, got {self.depth}")


def reciprocal_rank_fusion(rankings: list[np.ndarray], weights: list[float], rrf_k: int) -> dict[int, float]:
    """Fused score of each id: sum over rankings of weight / (rrf_k + rank), rank from 1."""
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        if weight == 0:
            continue
        for rank, item in enumerate(ranking.tolist(), start=1):
            fused[item] = fused.get(item, 0.0) + weight / (rrf_k + rank)
    return fused


class UnknownOutlet(ValueError):
    """An outlet filter that names no outlet in the index."""


class Retriever:
    """Top-k chunks for a question, optionally restricted to one outlet."""

    def __init__(self, index: CorpusIndex, settings: RetrievalSettings | None = None,
                 ranker: LearnedRanker | None = None) -> None:
        """`ranker` (learned fusion) defaults to the trained one in rag/models/fusion.npz."""
        self.index = index
        self.settings = settings or RetrievalSettings()
        self._ranker = ranker
        self._profiles: dict[int, F.ChunkProfile] = {}  # filled as chunks become candidates
        self._by_outlet = self._outlet_table()
        self._chunk_terms: dict[int, frozenset[str]] = {}  # filled as chunks become candidates

    def _outlet_table(self) -> dict[str, np.ndarray]:
        """Chunk ids per outlet; a repeated paragraph counts for every outlet that carried it."""
        table: dict[str, set[int]] = {}
        articles = self.index.articles
        for chunk in self.index.chunks:
            outlets = {chunk.outlet, articles[chunk.article_id].outlet}
            outlets |= {articles[o.article_id].outlet for o in chunk.also}
            for outlet in outlets:
                table.setdefault(outlet, set()).add(chunk.id)
        return {name: np.array(sorted(ids), dtype=np.int64) for name, ids in table.items()}

    @property
    def outlets(self) -> list[str]:
        return sorted(self._by_outlet)

    def resolve_outlet(self, outlet: str | None) -> str | None:
        """The index's spelling of an outlet name (case and spaces ignored)."""
        if outlet is None or not outlet.strip():
            return None
        wanted = "".join(outlet.split()).casefold()
        for name in self._by_outlet:
            if "".join(name.split()).casefold() == wanted:
                return name
        raise UnknownOutlet(f"unknown outlet {outlet!r}; known: {', '.join(self.outlets)}")

    def retrieve(self, question: str, query_vector: np.ndarray | None, k: int,
                 outlet: str | None = None, query_codes: np.ndarray | None = None) -> list[Hit]:
        """Fused top-`k` hits, best first (`query_codes`: see `candidates`)."""
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        name = self.resolve_outlet(outlet)
        allowed = self._by_outlet[name] if name else None
        s = self.settings
        if s.mode == "hybrid" and s.fusion == "score":
            return self._score_fusion(question, query_vector, k, allowed)
        if s.mode == "hybrid" and s.fusion == "learned":
            if query_vector is None:
                raise ValueError("mode 'hybrid' needs a query vector")
            found = self.candidates(question, query_vector, k, allowed, query_codes)
            if found is None:
                return []
            candidates, x = found
            scores = self.ranker.score(x[:, [F.FEATURES.index(f) for f in self.ranker.features]])
            order = np.lexsort((candidates, -scores))[:k]  # ties go to the lower chunk id
            return [Hit(self.index.chunks[int(candidates[i])], float(scores[i]), rank)
                    for rank, i in enumerate(order.tolist(), start=1)]
        rankings, weights = [], []
        if s.mode in ("hybrid", "dense"):
            if query_vector is None:
                raise ValueError(f"mode {s.mode!r} needs a query vector")
            rankings.append(self.index.dense.search(query_vector, max(k, s.depth), allowed)[0])
            weights.append(s.dense_weight if s.mode == "hybrid" else 1.0)
        if s.mode in ("hybrid", "bm25"):
            rankings.append(self.index.bm25.search(question, max(k, s.depth), allowed)[0])
            weights.append(s.bm25_weight if s.mode == "hybrid" else 1.0)
        fused = reciprocal_rank_fusion(rankings, weights, s.rrf_k)
        best = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:k]
        return [Hit(self.index.chunks[i], score, rank) for rank, (i, score) in enumerate(best, start=1)]

    def _terms_of(self, chunk_id: int) -> frozenset[str]:
        """Stemmed words of a chunk, analysed once per retriever."""
        terms = self._chunk_terms.get(chunk_id)
        if terms is None:
            terms = self._chunk_terms[chunk_id] = frozenset(self.index.bm25.analyze(self.index.chunks[chunk_id].text))
        return terms

    def _score_fusion(self, question: str, query_vector: np.ndarray | None, k: int,
                      allowed: np.ndarray | None) -> list[Hit]:
        """Top-`k` of the dense and BM25 candidates by `rerank.fuse` of their normalised scores."""
        if query_vector is None:
            raise ValueError("mode 'hybrid' needs a query vector")
        depth = max(k, self.settings.depth)
        dense_ids, dense_scores = self.index.dense.search(query_vector, depth, allowed)
        bm25_all = self.index.bm25.scores(question)
        if allowed is not None:
            mask = np.zeros(len(bm25_all), dtype=bool)
            mask[allowed] = True
            bm25_all = np.where(mask, bm25_all, 0.0)
        bm25_ids, _ = top_k(bm25_all, depth, positive_only=True)
        candidates = np.union1d(dense_ids, bm25_ids).astype(np.int64)
        if not len(candidates):
            return []
        cosine = dict(zip(dense_ids.tolist(), dense_scores.tolist()))
        missing = np.array([i for i in candidates.tolist() if i not in cosine], dtype=np.int64)
        if len(missing):  # BM25-only candidates: their cosines, by a search restricted to them
            ids, scores = self.index.dense.search(query_vector, len(missing), missing)
            cosine.update(zip(ids.tolist(), scores.tolist()))
        dense = np.array([cosine[i] for i in candidates.tolist()], dtype=np.float32)
        sentences = self.index.sentences
        best_sentence = sentence_max(sentences.by_chunk, sentences.vectors, query_vector, candidates, dense)
        bm25 = self.index.bm25
        question_terms = {t: bm25.idf(t) for t in bm25.analyze(question)}
        covered = coverage(question_terms, [self._terms_of(i) for i in candidates.tolist()])
        fused = fuse(bm25_all[candidates], dense, best_sentence, self.settings.weights, covered)
        order = np.lexsort((candidates, -fused))[:k]  # ties go to the lower chunk id
        return [Hit(self.index.chunks[int(candidates[i])], float(fused[i]), rank)
                for rank, i in enumerate(order.tolist(), start=1)]

    @property
    def ranker(self) -> LearnedRanker:
        if self._ranker is None:
            self._ranker = default_ranker()
        return self._ranker

    def _profile(self, chunk_id: int) -> F.ChunkProfile:
        """What the features need of a chunk that does not depend on the question, built once."""
        profile = self._profiles.get(chunk_id)
        if profile is None:
            if len(self._profiles) >= PROFILE_CACHE:  # bounded: a large index never fills memory
                self._profiles.clear()
            index, bm25 = self.index, self.index.bm25
            chunk = index.chunks[chunk_id]
            article = index.articles[chunk.article_id]
            rows = index.sentences.by_chunk.get(chunk_id, [])
            sentences = index.sentences
            v = np.asarray(sentences.vectors[rows], dtype=np.float32)
            profile = self._profiles[chunk_id] = F.ChunkProfile(
                terms=tuple(bm25.analyze(chunk.text)),
                sentences=tuple(tuple(bm25.analyze(article.text[sentences.start[r]:sentences.end[r]])) for r in rows),
                headline=frozenset(bm25.analyze(article.headline)) if article.headline else frozenset(),
                entities=tuple((e.label, chunk.text[e.start:e.end].lower()) for e in chunk.entities
                               if e.label not in F.ENTITY_SKIP),
                rows=tuple(rows), adjacent=tuple(np.einsum("ij,ij->i", v[:-1], v[1:]).tolist()))
        return profile

    def candidates(self, question: str, query_vector: np.ndarray, k: int,
                   allowed: np.ndarray | None = None,
                   query_codes: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray] | None:
        """Candidate chunk ids (sorted: the dense and BM25 top-`depth` lists) and their feature
        rows (columns: `features.FEATURES`); None when no retriever finds anything.
        `query_codes`: the question's word-piece codes (rag/late.py) for the MaxSim features."""
        depth = max(k, self.settings.depth)
        index, bm25 = self.index, self.index.bm25
        query = np.asarray(query_vector, dtype=np.float32)
        dense_ids, dense_scores = index.dense.search(query, depth, allowed)
        bm25_all = bm25.scores(question)
        if allowed is not None:
            mask = np.zeros(len(bm25_all), dtype=bool)
            mask[allowed] = True
            bm25_all = np.where(mask, bm25_all, 0.0)
        bm25_ids, _ = top_k(bm25_all, depth, positive_only=True)
        candidates = np.union1d(dense_ids, bm25_ids).astype(np.int64)
        if not len(candidates):
            return None
        cosine = dict(zip(dense_ids.tolist(), dense_scores.tolist()))
        missing = np.array([i for i in candidates.tolist() if i not in cosine], dtype=np.int64)
        if len(missing):  # BM25-only candidates: their cosines, by a search restricted to them
            ids, scores = index.dense.search(query, len(missing), missing)
            cosine.update(zip(ids.tolist(), scores.tolist()))
        dense_rank = {c: r for r, c in enumerate(dense_ids.tolist(), start=1)}
        bm25_rank = {c: r for r, c in enumerate(bm25_ids.tolist(), start=1)}
        asked = F.Question.of(question, bm25)
        profiles = [self._profile(c) for c in candidates.tolist()]
        sentence_rows = [r for p in profiles for r in p.rows]  # one product for every sentence
        sentence_cos = (np.asarray(index.sentences.vectors[sentence_rows], dtype=np.float32) @ query).tolist() \
            if sentence_rows else []
        late = None
        if query_codes is not None and index.late is not None:
            late = maxsim(query_codes, [index.late.of(c) for c in candidates.tolist()]).tolist()
        rows = np.zeros((len(candidates), len(F.FEATURES)), dtype=np.float32)
        at = 0
        for n, (chunk_id, profile) in enumerate(zip(candidates.tolist(), profiles)):
            stats = F.sentence_stats(sentence_cos[at:at + len(profile.rows)], profile.adjacent)
            at += len(profile.rows)
            rows[n] = F.row(asked, profile, float(bm25_all[chunk_id]), cosine[chunk_id], stats,
                            dense_rank.get(chunk_id, depth), bm25_rank.get(chunk_id, depth),
                            late[n] if late is not None else None)
        F.normalise(rows)
        return candidates, rows
