"""Search at 100k-1M passages: realistic vectors, each index kind timed against exact search.

There are not a million real passages here, and embedding them would take hours on this CPU,
so the vectors are generated around real MiniLM embeddings of the seed corpus, with the
structure a news archive has: topics (between two real passages), stories inside a topic
(several articles about one event), articles inside a story. Queries are new articles of
existing stories, not copies of corpus vectors. What one measures depends on that structure,
so `synthetic_corpus` documents it and BENCHMARKS.md prints the neighbour cosines it yields.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .ann import AnnSettings, build_faiss, describe, exact_top_k, recall_at_k

ARTICLES_PER_STORY = 10
STORIES_PER_TOPIC = 100
# Noise scales (per vector, spread over all dimensions): chosen so that a query's nearest
# article has cosine ~0.76 and its 10th ~0.65, with ~0.09 between unrelated articles, as
# MiniLM gives between related and unrelated news paragraphs.
TOPIC_NOISE, STORY_NOISE, ARTICLE_NOISE = 0.6, 0.8, 0.6


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _jitter(rng, rows: np.ndarray, scale: float) -> np.ndarray:
    noise = rng.standard_normal(rows.shape, dtype=np.float32) * np.float32(scale / np.sqrt(rows.shape[1]))
    return _unit(rows + noise)


def synthetic_corpus(base: np.ndarray, n: int, queries: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n` corpus vectors and `queries` query vectors around the real unit vectors `base`."""
    if len(base) < 2:
        raise ValueError(f"base needs at least 2 real vectors, got {len(base)}")
    if n <= 0 or queries <= 0:
        raise ValueError(f"n and queries must be > 0, got {n} and {queries}")
    rng = np.random.default_rng(seed)
    base = _unit(np.asarray(base, dtype=np.float32))
    stories_n = max(1, n // ARTICLES_PER_STORY)
    topics_n = max(1, stories_n // STORIES_PER_TOPIC)
    weight = rng.random((topics_n, 1), dtype=np.float32)
    mix = weight * base[rng.integers(0, len(base), topics_n)] + (1 - weight) * base[rng.integers(0, len(base), topics_n)]
    topics = _jitter(rng, mix, TOPIC_NOISE)
    stories = _jitter(rng, topics[rng.integers(0, topics_n, stories_n)], STORY_NOISE)
    out = np.empty((n + queries, base.shape[1]), dtype=np.float32)
    step = 100_000  # bounded temporaries
    for first in range(0, n + queries, step):
        rows = min(step, n + queries - first)
        out[first:first + rows] = _jitter(rng, stories[rng.integers(0, stories_n, rows)], ARTICLE_NOISE)
    return out[:n], out[n:]


@dataclass(frozen=True)
class Measurement:
    """One index kind at one corpus size."""

    size: int
    kind: str
    index: str  # factory-style description, e.g. IVF1024,SQ8(nprobe=32)
    build_s: float
    bytes: int
    p50_ms: float
    p95_ms: float
    recall10: float
    p50_cpu_ms: float = float("nan")  # CPU time: what an unshared core would take


def index_bytes(index) -> int:
    """Bytes the index holds in memory (its serialised size: codes, ids, centroids, graph)."""
    import faiss

    return int(faiss.serialize_index(index).nbytes)


def time_queries(index, queries: np.ndarray, k: int = 10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ids found, and per-query wall and CPU milliseconds, one query at a time on one thread."""
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        index.search(queries[:1], k)  # first call pays one-off allocations
        found = np.empty((len(queries), k), dtype=np.int64)
        latency, cpu = np.empty(len(queries)), np.empty(len(queries))
        for row, query in enumerate(queries):
            started, started_cpu = time.perf_counter(), time.process_time()
            found[row] = index.search(query[None, :], k)[1][0]
            latency[row] = (time.perf_counter() - started) * 1000
            cpu[row] = (time.process_time() - started_cpu) * 1000
    finally:
        faiss.omp_set_num_threads(before)
    return found, latency, cpu


def measure(corpus: np.ndarray, queries: np.ndarray, exact: np.ndarray, kind: str,
            settings: AnnSettings, nprobes: list[int | None]) -> list[Measurement]:
    """Build one index kind over `corpus` once, then time `queries` at each nprobe (IVF)."""
    import faiss

    started = time.perf_counter()
    index = build_faiss(corpus, AnnSettings(**{**settings.__dict__, "kind": kind, "exact_limit": 1}))
    build_s = time.perf_counter() - started
    size = index_bytes(index)
    ivf = faiss.try_extract_index_ivf(index)
    out = []
    for nprobe in nprobes if ivf is not None else [None]:
        if nprobe is not None:
            ivf.nprobe = min(nprobe, ivf.nlist)
        described = describe(kind, len(corpus), AnnSettings(**{**settings.__dict__, "nprobe": nprobe or settings.nprobe}))
        found, latency, cpu = time_queries(index, queries)
        out.append(Measurement(len(corpus), kind, described, build_s, size,
                               float(np.percentile(latency, 50)), float(np.percentile(latency, 95)),
                               recall_at_k(found, exact), float(np.percentile(cpu, 50))))
    return out


def sweep(base: np.ndarray, sizes: list[int], queries: int, kinds: list[str], hnsw_max: int,
          nprobes: list[int | None], log=print) -> tuple[list[Measurement], dict[int, dict]]:
    """Every kind at every size (HNSW only up to `hnsw_max`: its build time grows fastest)."""
    results, shapes = [], {}
    for size in sizes:
        started = time.perf_counter()
        corpus, query_vectors = synthetic_corpus(base, size, queries, seed=size)
        exact = exact_top_k(corpus, query_vectors, 10)
        first = np.einsum("ij,ij->i", query_vectors, corpus[exact[:, 0]])
        tenth = np.einsum("ij,ij->i", query_vectors, corpus[exact[:, 9]])
        half = min(1000, size // 2)  # two disjoint samples of passages: unrelated pairs
        shapes[size] = {"top1_cos": float(first.mean()), "top10_cos": float(tenth.mean()),
                        "random_cos": float((corpus[:half] @ corpus[half:2 * half].T).mean()),
                        "generate_and_exact_s": time.perf_counter() - started}
        log(f"scale {size:,}: vectors and exact top-10 ready in {shapes[size]['generate_and_exact_s']:.0f} s")
        for kind in kinds:
            if kind == "hnsw" and size > hnsw_max:
                log(f"scale {size:,}: hnsw skipped (above --hnsw-max {hnsw_max:,})")
                continue
            for m in measure(corpus, query_vectors, exact, kind, AnnSettings(), nprobes):
                results.append(m)
                log(f"scale {size:,}: {m.index} build {m.build_s:.1f} s, p50 {m.p50_ms:.2f} ms "
                    f"(CPU {m.p50_cpu_ms:.2f} ms), "
                    f"recall@10 {m.recall10:.3f}, {m.bytes / 2**20:.0f} MiB")
        del corpus
    return results, shapes
