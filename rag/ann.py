"""Which FAISS index a corpus gets, by its size: exact below a limit, IVF + 8-bit codes above.

Inner product on L2-normalised vectors equals cosine similarity, so every index here uses
METRIC_INNER_PRODUCT. Choices measured by `python -m rag.bench` (BENCHMARKS.md), one thread:

- below `exact_limit` vectors a flat index: perfect recall, and about 16 ms of CPU per query at
  100k vectors, growing linearly (140 ms at 1M);
- above it, IVF with a power of two near sqrt(n) lists over 8-bit scalar-quantised vectors
  (SQ8): a quarter of the float32 memory (1M x 384 -> 375 MiB), 1.6 ms and recall@10 0.995 at
  1M with nprobe 16 on realistic synthetic vectors, and an 11 s build. IVF-Flat needs 1.5 GiB
  at 1M; HNSW32 was as fast but took 28 s to build 100k (vs 2 s) and 4.5x the memory; IVF-PQ48
  (the issue's measurement) kept only 0.48 recall.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

KINDS = ("auto", "flat", "ivf-sq8", "ivf-flat", "hnsw")


@dataclass(frozen=True)
class AnnSettings:
    """How a dense index is chosen and searched."""

    kind: str = "auto"
    exact_limit: int = 50_000  # "auto" builds an exact index below this many vectors
    nlist: int | None = None  # IVF lists; None: a power of two near sqrt(n)
    nprobe: int | None = None  # IVF lists searched per query; None: nlist / 64, at least 8
    train_per_list: int = 40  # k-means training sample: this many vectors per list
    hnsw_m: int = 32
    ef_search: int = 128
    seed: int = 1234

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        for name in ("exact_limit", "train_per_list", "hnsw_m", "ef_search"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("nlist", "nprobe"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be > 0, got {value}")


def choose_kind(n: int, settings: AnnSettings) -> str:
    """The concrete index kind for `n` vectors."""
    if settings.kind != "auto":
        return settings.kind
    return "flat" if n < settings.exact_limit else "ivf-sq8"


def list_count(n: int, settings: AnnSettings) -> int:
    """IVF lists for `n` vectors: a power of two near sqrt(n), 16 to 4096, at most n / 39."""
    if settings.nlist is not None:
        return settings.nlist
    target = 2 ** round(math.log2(max(math.sqrt(max(n, 1)), 1)))
    # FAISS warns below 39 training points per centroid; fewer lists beat bad centroids.
    return int(max(1, min(4096, max(16, target), n // 39)))


def probe_count(nlist: int, settings: AnnSettings) -> int:
    """IVF lists searched per query."""
    if settings.nprobe is not None:
        return min(settings.nprobe, nlist)
    return min(nlist, max(8, nlist // 64))


def describe(kind: str, n: int, settings: AnnSettings) -> str:
    """The FAISS factory-style name of what `build_faiss` makes, for manifests and reports."""
    if kind == "flat":
        return "Flat"
    if kind == "hnsw":
        return f"HNSW{settings.hnsw_m},Flat(efSearch={settings.ef_search})"
    nlist = list_count(n, settings)
    codes = "SQ8" if kind == "ivf-sq8" else "Flat"
    return f"IVF{nlist},{codes}(nprobe={probe_count(nlist, settings)})"


def build_faiss(vectors: np.ndarray, settings: AnnSettings | None = None):
    """A FAISS inner-product index holding `vectors` (rows get ids 0..n-1)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    settings = settings or AnnSettings()
    index = _empty_index(choose_kind(n, settings), n, dim, settings)
    if not index.is_trained:
        index.train(_sample(vectors, list_count(n, settings) * settings.train_per_list, settings.seed))
    index.add(vectors)
    return index


class FaissBuilder:
    """The index `build_faiss` makes for `n` vectors, fed a batch at a time (bounded memory).

    Flat and HNSW indexes take each batch as it comes. An IVF index must be trained on a sample
    of the whole corpus first, so its batches are spooled, as float32, to a temporary file
    (deleted on close), then read back in blocks: the trained index holds only its 8-bit codes,
    and the result equals `build_faiss` over the concatenated batches.
    """

    BLOCK = 65_536  # vectors read back from the spool at a time

    def __init__(self, n: int, dim: int, settings: AnnSettings | None = None, spool_dir=None) -> None:
        self.settings = settings or AnnSettings()
        self.n, self.dim, self.added = n, dim, 0
        self.kind = choose_kind(n, self.settings)
        self.index = _empty_index(self.kind, n, dim, self.settings)
        self._spool = None
        if not self.index.is_trained:
            import tempfile

            self._spool = tempfile.TemporaryFile(prefix="faiss-spool-", dir=spool_dir)

    def add(self, vectors: np.ndarray) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if self.added + len(vectors) > self.n:
            raise ValueError(f"more than the {self.n} vectors announced")
        self.added += len(vectors)
        if self._spool is None:
            self.index.add(vectors)
        else:
            self._spool.write(vectors.tobytes())

    def finish(self):
        """The finished index; all `n` vectors must have been added."""
        if self.added != self.n:
            raise ValueError(f"{self.added} vectors added, {self.n} announced")
        if self._spool is not None:
            size = list_count(self.n, self.settings) * self.settings.train_per_list
            rows = _sample_rows(self.n, size, self.settings.seed)
            self.index.train(np.vstack([block[rows[(rows >= first) & (rows < first + len(block))] - first]
                                        for first, block in self._blocks()]))
            for _, block in self._blocks():
                self.index.add(block)
            self._spool.close()
            self._spool = None
        return self.index

    def _blocks(self):
        self._spool.seek(0)
        for first in range(0, self.n, self.BLOCK):
            count = min(self.BLOCK, self.n - first)
            block = np.frombuffer(self._spool.read(count * self.dim * 4), dtype=np.float32)
            yield first, block.reshape(count, self.dim)


def _empty_index(kind: str, n: int, dim: int, settings: AnnSettings):
    """An empty index of `kind` for `n` vectors (IVF ones still untrained)."""
    import faiss

    if kind == "flat":
        return faiss.IndexFlatIP(dim)
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 2 * settings.hnsw_m
        index.hnsw.efSearch = settings.ef_search
        return index
    if n == 0:
        raise ValueError(f"an {kind} index needs vectors to train on, got 0")
    nlist = list_count(n, settings)
    coarse = faiss.IndexFlatIP(dim)
    if kind == "ivf-sq8":
        index = faiss.IndexIVFScalarQuantizer(coarse, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT)
    else:
        index = faiss.IndexIVFFlat(coarse, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.own_fields = True
    coarse.this.disown()  # the IVF index frees its quantizer
    # k-means on a sample: its cost grows with sample x lists, and ~40 points per list
    # already place the centroids well; 10 iterations instead of 25 changed recall by < 0.002.
    index.cp.niter = 10
    index.cp.seed = settings.seed
    index.nprobe = probe_count(nlist, settings)
    return index


def _sample_rows(n: int, size: int, seed: int) -> np.ndarray:
    if size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def _sample(vectors: np.ndarray, size: int, seed: int) -> np.ndarray:
    if size >= len(vectors):
        return vectors
    return vectors[_sample_rows(len(vectors), size, seed)]


def search_params(index, selector=None):
    """FAISS search parameters that keep the index's own nprobe/efSearch when filtering."""
    import faiss

    if selector is None:
        return None
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        return faiss.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe)
    if isinstance(index, faiss.IndexHNSW):
        return faiss.SearchParametersHNSW(sel=selector, efSearch=index.hnsw.efSearch)
    return faiss.SearchParameters(sel=selector)


def exact_top_k(corpus: np.ndarray, queries: np.ndarray, k: int, block: int = 100_000) -> np.ndarray:
    """Ids of the exact top-`k` by inner product for each query: the oracle for recall.

    Blocked numpy matmuls: on the shared 2-core machine this was 7x faster than a FAISS flat
    search over the same 300k vectors, and memory stays at queries x block scores.
    """
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    k = min(k, len(corpus))
    scores, ids = [], []
    for first in range(0, len(corpus), block):
        part = queries @ np.asarray(corpus[first:first + block], dtype=np.float32).T
        take = min(k, part.shape[1])
        top = np.argpartition(-part, take - 1, axis=1)[:, :take]
        scores.append(np.take_along_axis(part, top, axis=1))
        ids.append(top + first)
    scores, ids = np.hstack(scores), np.hstack(ids)
    # Best first; equal scores by lower id, as a flat FAISS index returns them.
    order = np.lexsort((ids, -scores), axis=1)[:, :k]
    return np.take_along_axis(ids, order, axis=1).astype(np.int64)


def recall_at_k(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean fraction of each query's exact top-k that the approximate search returned."""
    if found.shape != exact.shape:
        raise ValueError(f"found has shape {found.shape}, exact has {exact.shape}")
    hits = [len(set(f.tolist()) & set(e.tolist()) - {-1}) for f, e in zip(found, exact)]
    return float(np.sum(hits) / exact.size) if exact.size else 1.0
