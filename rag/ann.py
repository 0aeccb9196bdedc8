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
    import faiss

    settings = settings or AnnSettings()
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    kind = choose_kind(n, settings)
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, settings.hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 2 * settings.hnsw_m
        index.hnsw.efSearch = settings.ef_search
    else:
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
        sample = _sample(vectors, nlist * settings.train_per_list, settings.seed)
        index.train(sample)
        index.nprobe = probe_count(nlist, settings)
    index.add(vectors)
    return index


def _sample(vectors: np.ndarray, size: int, seed: int) -> np.ndarray:
    if size >= len(vectors):
        return vectors
    rows = np.random.default_rng(seed).choice(len(vectors), size=size, replace=False)
    return vectors[np.sort(rows)]


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
