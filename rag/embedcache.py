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
    """Embedder that encodes only texts it has never seen; vectors live under `folder`.

    Memory stays small however many vectors the cache holds: only the 16-byte keys are kept
    (a sorted table, about 24 bytes per vector), and vectors are read from their shard when
    asked for (the last few shards stay open). New texts are encoded in runs of `SHARD_TEXTS`
    and each run is saved as its own shard at once, so a killed build loses at most one run.
    """

    SHARD_TEXTS = 256
    OPEN_SHARDS = 8
    _MERGE_AT = 65_536  # keys added this session before they join the sorted table

    def __init__(self, inner: Embedder, folder: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.folder = Path(folder) / _safe(inner.name)
        self._shards: list[Path] = []
        self._keys = np.zeros(0, dtype="S16")  # sorted
        self._where = np.zeros((0, 2), dtype=np.int64)  # (shard, row) of each sorted key
        self._new: dict[bytes, tuple[int, int]] = {}  # keys saved since the last merge
        self._open: dict[int, np.ndarray] = {}  # shard number -> its vectors, most recent last
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
        keys, where = [], []
        for shard in sorted(self.folder.glob("shard-*.npz")):
            try:
                with np.load(shard) as data:
                    found = np.ascontiguousarray(data["keys"], dtype=np.uint8).reshape(-1, 16)
            except Exception:  # a damaged shard only costs re-encoding its texts
                continue
            number = len(self._shards)
            self._shards.append(shard)
            keys.append(found.view("S16").ravel())  # bytes keys sort and compare as S16
            where.append(np.stack([np.full(len(found), number), np.arange(len(found))], axis=1))
        if keys:
            self._merge(np.concatenate(keys), np.concatenate(where))

    def _merge(self, keys: np.ndarray, where: np.ndarray) -> None:
        keys = np.concatenate([self._keys, keys])
        where = np.concatenate([self._where, where])
        order = np.argsort(keys, kind="stable")
        self._keys, self._where = keys[order], where[order]

    def _locate(self, key: bytes) -> tuple[int, int] | None:
        found = self._new.get(key)
        if found is not None:
            return found
        probe = np.frombuffer(key, dtype="S16")
        at = int(np.searchsorted(self._keys, probe[0]))
        if at < len(self._keys) and self._keys[at] == probe[0]:
            shard, row = self._where[at]
            return int(shard), int(row)
        return None

    def _vectors_of(self, shard: int) -> np.ndarray | None:
        vectors = self._open.pop(shard, None)
        if vectors is None:
            try:
                with np.load(self._shards[shard]) as data:
                    vectors = np.asarray(data["vectors"], dtype=np.float32)
            except Exception:  # vanished or damaged since it was listed: re-encode
                return None
            while len(self._open) >= self.OPEN_SHARDS:
                self._open.pop(next(iter(self._open)))
        self._open[shard] = vectors
        return vectors

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit vectors, one row per text, in input order; new texts are encoded and stored."""
        self._load()
        keys = [text_key(self.name, t) for t in texts]
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        missing: dict[bytes, list[int]] = {}
        located: dict[int, list[tuple[int, int]]] = {}
        for position, key in enumerate(keys):
            place = self._locate(key)
            if place is None:
                missing.setdefault(key, []).append(position)
            else:
                located.setdefault(place[0], []).append((position, place[1]))
        for shard, pairs in sorted(located.items()):
            vectors = self._vectors_of(shard)
            for position, row in pairs:
                if vectors is None or row >= len(vectors):
                    missing.setdefault(keys[position], []).append(position)
                else:
                    out[position] = vectors[row]
        if missing:
            first_of = {key: texts[positions[0]] for key, positions in missing.items()}
            new_keys = sorted(missing)
            # Length-sorted runs keep padding small; many short texts then run much faster.
            new_keys.sort(key=lambda k: len(first_of[k]))
            for first in range(0, len(new_keys), self.SHARD_TEXTS):
                run = new_keys[first:first + self.SHARD_TEXTS]
                vectors = np.asarray(self.inner.encode([first_of[k] for k in run], batch_size=batch_size),
                                     dtype=np.float32)
                self._save(run, vectors)
                for key, vector in zip(run, vectors):
                    out[missing[key]] = vector
        return out

    def _save(self, keys: list[bytes], vectors: np.ndarray) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.blake2b(b"".join(keys), digest_size=8).hexdigest()
        final = self.folder / f"shard-{digest}.npz"
        tmp = self.folder / f".shard-{digest}.{os.getpid()}.tmp.npz"
        np.savez(tmp, keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, 16),
                 vectors=np.asarray(vectors, dtype=np.float32))
        os.replace(tmp, final)
        number = len(self._shards)
        self._shards.append(final)
        self._open.pop(number, None)
        for row, key in enumerate(keys):
            self._new[key] = (number, row)
        if len(self._new) >= self._MERGE_AT:
            new = list(self._new.items())
            self._new = {}
            self._merge(np.frombuffer(b"".join(k for k, _ in new), dtype="S16"),
                        np.asarray([w for _, w in new], dtype=np.int64))


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
