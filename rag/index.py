"""Search structures over chunk ids: a FAISS vector index and a BM25 index.

Both take what they index (vectors, texts) from the caller and never import the embedder.
Searches return (ids, scores) in descending score order, restricted to `allowed` ids when given.
"""
from __future__ import annotations

import bisect
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from .ann import AnnSettings, build_faiss, search_params

# bm25s's default token pattern: words of two or more word characters.
_TOKEN = re.compile(r"(?u)\b\w\w+\b")
_ANALYZE_CACHE = 100_000  # memoised texts before the memo is emptied
# Below this many vectors an exact (flat) index is fast enough and has perfect recall.
EXACT_LIMIT = AnnSettings.exact_limit


class DenseIndex:
    """Cosine search: inner product on L2-normalised vectors equals cosine similarity."""

    def __init__(self, index) -> None:
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray, settings: AnnSettings | None = None) -> "DenseIndex":
        """Exact below `settings.exact_limit` vectors, IVF-SQ8 above (see rag/ann.py)."""
        return cls(build_faiss(_as_matrix(vectors), settings))

    @property
    def size(self) -> int:
        return self._index.ntotal

    @property
    def dimension(self) -> int:
        return self._index.d

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-`k` (ids, scores) for one query vector."""
        import faiss

        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        query = _as_matrix(query.reshape(1, -1))
        if query.shape[1] != self.dimension:
            raise ValueError(f"query has dimension {query.shape[1]}, index has {self.dimension}")
        k = min(k, self.size if allowed is None else len(allowed))
        if k == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
            params = search_params(self._index, selector)
        scores, ids = self._index.search(query, k, params=params)
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep]

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> "DenseIndex":
        import faiss

        return cls(faiss.read_index(str(path)))


def one_edit(word: str) -> set[str]:
    """Every lower-case spelling one edit from `word`: a letter dropped, added or changed, or
    two neighbours swapped."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in letters}
    out |= {a + c + b for a, b in splits for c in letters}
    out.discard(word)
    return out


class BM25Index:
    """Okapi BM25 over stemmed English words (bm25s + PyStemmer), stop words removed."""

    def __init__(self, model, stemmer) -> None:
        self._model = model
        self._stemmer = stemmer
        self._analyzed: dict[str, list[str]] = {}
        self._sorted: list[str] | None = None  # the vocabulary in order, for prefix lookups

    @staticmethod
    def _stemmer():
        import Stemmer

        return Stemmer.Stemmer("english")

    @classmethod
    def build(cls, texts: Sequence[str]) -> "BM25Index":
        import bm25s

        stemmer = cls._stemmer()
        tokens = bm25s.tokenize(list(texts), stopwords="en", stemmer=stemmer, show_progress=False)
        model = bm25s.BM25()
        model.index(tokens, show_progress=False)
        return cls(model, stemmer)

    @property
    def size(self) -> int:
        return int(self._model.scores["num_docs"])

    def analyze(self, text: str) -> list[str]:
        """Stemmed words of `text`, stop words removed, exactly as bm25s tokenises documents.

        The reader asks for the same sentences and words again and again, so results are
        memoised (bounded; the returned lists must not be changed by callers)."""
        cached = self._analyzed.get(text)
        if cached is None:
            from bm25s.stopwords import STOPWORDS_EN

            cached = self._stemmer.stemWords([w for w in _TOKEN.findall(text.lower()) if w not in STOPWORDS_EN])
            if len(self._analyzed) >= _ANALYZE_CACHE:
                self._analyzed.clear()
            self._analyzed[text] = cached
        return cached

    def terms(self, text: str) -> list[str]:
        """The stemmed query terms of `text` that the index knows."""
        return [t for t in self.analyze(text) if self.knows(t)]

    def knows(self, term: str) -> bool:
        """Whether `term`, already stemmed, is a term of the index (`terms` would stem it again:
        "degener", the stem of "DeGeneres", stems to "degen")."""
        return term in self._model.vocab_dict

    def has_prefix(self, prefix: str, longest: int) -> bool:
        """Whether a known term starts with `prefix` and is at most `longest` characters long."""
        vocabulary = self._vocabulary()
        at = bisect.bisect_left(vocabulary, prefix)
        while at < len(vocabulary) and vocabulary[at].startswith(prefix):
            if len(vocabulary[at]) <= longest:
                return True
            at += 1
        return False

    def near_spelling(self, term: str) -> str | None:
        """A known term one edit (a letter dropped, added, changed or two swapped) from `term`
        (the first in alphabetical order when several are)."""
        return next((v for v in sorted(one_edit(term)) if self.knows(v)), None)

    def _vocabulary(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self._model.vocab_dict)
        return self._sorted

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed term; unseen terms get the largest value."""
        column = self._model.vocab_dict.get(term)
        indptr = self._model.scores["indptr"]
        df = 0 if column is None else int(indptr[column + 1] - indptr[column])
        n = self.size
        return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))

    def scores(self, text: str) -> np.ndarray:
        """BM25 score of every document for `text` (zeros when no term is known)."""
        terms = self.terms(text)
        if not terms:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._model.get_scores(terms), dtype=np.float32)

    def search(self, text: str, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-`k` (ids, scores) of documents that share at least one term with `text`."""
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        scores = self.scores(text)
        if allowed is not None:
            mask = np.zeros_like(scores, dtype=bool)
            mask[np.asarray(allowed, dtype=np.int64)] = True
            scores = np.where(mask, scores, 0.0)
        return top_k(scores, k, positive_only=True)

    def save(self, folder: Path) -> None:
        self._model.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> "BM25Index":
        import bm25s

        model = bm25s.BM25.load(str(folder), show_progress=False)
        return cls(model, cls._stemmer())


def top_k(scores: np.ndarray, k: int, positive_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Ids and scores of the `k` largest entries, best first (ties broken by lower id)."""
    candidates = np.flatnonzero(scores > 0) if positive_only else np.arange(len(scores))
    if len(candidates) > k:
        # keep every entry tied with the k-th largest so that ties resolve by id, not by chance
        kth = np.partition(scores[candidates], len(candidates) - k)[len(candidates) - k]
        candidates = candidates[scores[candidates] >= kth]
    order = np.lexsort((candidates, -scores[candidates]))
    ids = candidates[order][:k].astype(np.int64)
    return ids, scores[ids].astype(np.float32)


def _as_matrix(vectors: np.ndarray) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array, got shape {vectors.shape}")
    return vectors
