"""An embedder wrapper that keeps every vector on disk, keyed by a hash of model and text.

Evaluation re-embeds the same 10k+ public passages on every run; at about 25 passages/s on
this CPU that is minutes each time. The cache makes reruns take seconds. Shards are written
to a temporary name and renamed, so concurrent or interrupted runs never leave a torn file.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from .embed import Embedder


def text_key(model: str, text: str) -> bytes:
    """16-byte key of one text under one model."""
    return hashlib.blake2b(f"{model}\x00{text}".encode(), digest_size=16).digest()


class CachingEmbedder:
    """Embedder that encodes only texts it has never seen; vectors live under `folder`."""

    def __init__(self, inner: Embedder, folder: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.folder = Path(folder) / _safe(inner.name)
        self._vectors: dict[bytes, np.ndarray] = {}
        self._loaded = False

    def warm_up(self) -> None:
        """Load the inner model (used by callers that time queries)."""
        if hasattr(self.inner, "warm_up"):
            self.inner.warm_up()

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if not self.folder.is_dir():
            return
        for shard in sorted(self.folder.glob("shard-*.npz")):
            try:
                with np.load(shard) as data:
                    keys, vectors = data["keys"], data["vectors"]
            except Exception:  # a damaged shard only costs re-encoding its texts
                continue
            for key, vector in zip(keys, vectors):
                self._vectors[bytes(key)] = vector

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit vectors, one row per text, in input order; new texts are encoded and stored."""
        self._load()
        keys = [text_key(self.name, t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts) if k not in self._vectors}.items())
        if missing:
            new_keys = [k for k, _ in missing]
            vectors = self._encode_sorted([t for _, t in missing], batch_size)
            for key, vector in zip(new_keys, vectors):
                self._vectors[key] = vector
            self._save(new_keys, vectors)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, key in enumerate(keys):
            out[row] = self._vectors[key]
        return out

    def _encode_sorted(self, texts: list[str], batch_size: int) -> np.ndarray:
        # Length-sorted batches keep padding small; many short texts then run much faster.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        step = max(batch_size, 1) * 8
        for first in range(0, len(order), step):
            rows = order[first:first + step]
            vectors[rows] = self.inner.encode([texts[i] for i in rows], batch_size=batch_size)
        return vectors

    def _save(self, keys: list[bytes], vectors: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.blake2b(b"".join(keys), digest_size=8).hexdigest()
        final = self.folder / f"shard-{digest}.npz"
        tmp = self.folder / f".shard-{digest}.{os.getpid()}.tmp.npz"
        np.savez(tmp, keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, 16),
                 vectors=np.asarray(vectors, dtype=np.float32))
        os.replace(tmp, final)


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
