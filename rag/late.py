"""Late interaction: question and chunk compared word piece by word piece (MaxSim).

A chunk vector is the mean of its word pieces' contextual vectors, so one sentence that
answers the question is diluted by the rest of the chunk, and "youth-led protests" only
partly meets "protests led by young people". MaxSim keeps the word-piece vectors that
MiniLM computes anyway (the chunk vector is their mean): each question word piece finds its
most similar chunk word piece, and the feature is the mean of those best cosines.

Storage stays small: each word-piece vector is projected onto the 128 leading principal
directions of MiniLM's word-piece vectors (rag/models/late_projection.npy, fitted on SQuAD v1.1
train paragraphs by `python -m rag.train_query`), re-normalised and stored as int8: 128 bytes a
word piece, about 15 KB for a 116-piece chunk, 12x less than float32 at full width. While it
was built, a reranker fed the 128-d codes scored within noise of one fed the full 384-d vectors
on the news tuning questions (a one-off comparison; EVAL.md reports only the shipped codes).
"""
from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import numpy as np

PROJECTION_FILE = Path(__file__).resolve().parent / "models" / "late_projection.npy"
WIDTH = 128  # dimensions kept per word piece
SCALE = 127.0  # int8 code of a unit vector's components


@functools.lru_cache(maxsize=1)
def projection() -> np.ndarray:
    """The shipped (384, WIDTH) projection, float32."""
    matrix = np.load(PROJECTION_FILE).astype(np.float32)
    if matrix.ndim != 2 or matrix.shape[1] != WIDTH:
        raise ValueError(f"{PROJECTION_FILE} must be (dimension, {WIDTH}), got {matrix.shape}")
    return matrix


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """What identifies the codes an index holds: width and a hash of the projection."""
    return f"{WIDTH}:{hashlib.sha256(PROJECTION_FILE.read_bytes()).hexdigest()[:12]}"


def compress(tokens: np.ndarray, matrix: np.ndarray | None = None) -> np.ndarray:
    """int8 codes (n, WIDTH) of word-piece vectors (n, dimension): projected, unit length, x127."""
    matrix = projection() if matrix is None else matrix
    projected = np.asarray(tokens, dtype=np.float32) @ matrix
    projected /= np.maximum(np.linalg.norm(projected, axis=1, keepdims=True), 1e-6)
    return np.clip(np.rint(projected * SCALE), -127, 127).astype(np.int8)


def expand(codes: np.ndarray) -> np.ndarray:
    """Unit-scale float32 vectors back from int8 codes."""
    return np.asarray(codes, dtype=np.float32) / SCALE


def maxsim(question: np.ndarray, chunks: list[np.ndarray]) -> np.ndarray:
    """(n, 2) per chunk: mean and median over the question's word pieces of their best cosine
    with a word piece of the chunk. `question` and each chunk are int8 codes; a chunk with no
    word pieces scores 0."""
    out = np.zeros((len(chunks), 2), dtype=np.float32)
    if not len(question) or not chunks:
        return out
    q = expand(question)
    lengths = np.array([len(c) for c in chunks])
    if not lengths.sum():
        return out
    # One product for every chunk's word pieces, then the best per question piece per chunk.
    sims = q @ expand(np.concatenate([c for c in chunks if len(c)])).T  # (question pieces, all pieces)
    bounds = np.concatenate([[0], np.cumsum(lengths[lengths > 0])])
    best = np.maximum.reduceat(sims, bounds[:-1], axis=1)  # (question pieces, non-empty chunks)
    filled = np.flatnonzero(lengths > 0)
    out[filled, 0] = best.mean(axis=0)
    out[filled, 1] = np.median(best, axis=0)
    return out


def fit_projection(samples: np.ndarray, width: int = WIDTH) -> np.ndarray:
    """The `width` leading principal directions of word-piece vectors, (dimension, width).

    Fitted on centred samples; vectors are projected as they are (then re-normalised)."""
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or len(samples) < width:
        raise ValueError(f"need at least {width} sample vectors, got shape {samples.shape}")
    _, _, vt = np.linalg.svd(samples - samples.mean(axis=0), full_matrices=False)
    return np.ascontiguousarray(vt[:width].T, dtype=np.float32)


CODES_FILE = "late_codes.bin"  # int8 rows of WIDTH, the chunks' word pieces one after another
OFFSETS_FILE = "late_offsets.npy"  # int64: chunk i owns rows offsets[i]:offsets[i + 1]


class TokenCodes:
    """The word-piece codes of every chunk of an index, read from disk as needed (memory-mapped)."""

    def __init__(self, offsets: np.ndarray, codes: np.ndarray) -> None:
        if offsets.ndim != 1 or len(offsets) < 1 or offsets[0] != 0 or np.any(np.diff(offsets) < 0):
            raise ValueError("late-interaction offsets must start at 0 and never decrease")
        if codes.shape != (int(offsets[-1]), WIDTH):
            raise ValueError(f"late-interaction codes are {codes.shape}, offsets say ({int(offsets[-1])}, {WIDTH})")
        self.offsets = offsets
        self.codes = codes

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def of(self, chunk_id: int) -> np.ndarray:
        return self.codes[self.offsets[chunk_id]:self.offsets[chunk_id + 1]]

    @classmethod
    def load(cls, folder: Path) -> "TokenCodes":
        offsets = np.load(Path(folder) / OFFSETS_FILE)
        path = Path(folder) / CODES_FILE
        rows = int(offsets[-1]) if len(offsets) else 0
        if path.stat().st_size != rows * WIDTH:
            raise ValueError(f"{path} is {path.stat().st_size} bytes, offsets say {rows * WIDTH}")
        codes = np.memmap(path, dtype=np.int8, mode="r", shape=(rows, WIDTH)) if rows \
            else np.zeros((0, WIDTH), dtype=np.int8)
        return cls(offsets.astype(np.int64), codes)


class CodeWriter:
    """Appends chunks' codes to a file as a build streams, so they never all sit in memory."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._handle = open(self.path, "wb")
        self._lengths: list[int] = []

    def add(self, codes: list[np.ndarray]) -> None:
        if any(code is None for code in codes):
            raise ValueError("every chunk needs its word-piece codes once an index keeps them")
        for code in codes:
            code = np.ascontiguousarray(code, dtype=np.int8).reshape(-1, WIDTH)
            self._handle.write(code.tobytes())
            self._lengths.append(len(code))

    def finish(self, folder: Path) -> TokenCodes:
        """Close the file, move it into `folder` with its offsets, and map it."""
        self._handle.close()
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / OFFSETS_FILE, np.concatenate([[0], np.cumsum(self._lengths, dtype=np.int64)]))
        if self.path != folder / CODES_FILE:
            os.replace(self.path, folder / CODES_FILE)
        return TokenCodes.load(folder)
