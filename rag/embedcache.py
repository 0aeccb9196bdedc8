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

from .embed import Codes, Embedder, embed_queries, embed_with_tokens, makes_codes


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
        listed = []
        for shard in sorted(self.folder.glob("shard-*.npz")):
            try:
                with np.load(shard) as data:
                    found = np.ascontiguousarray(data["keys"], dtype=np.uint8).reshape(-1, 16)
                    coded = "codes" in data.files
            except Exception:  # a damaged shard only costs re-encoding its texts
                continue
            listed.append((not coded, shard.name, shard, found))
        # A text stored twice (first without codes, later with them) is found in the coded shard:
        # the sorted table keeps, among equal keys, the one merged first.
        keys, where = [], []
        for _, _, shard, found in sorted(listed, key=lambda item: item[:2]):
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

    def _vectors_of(self, shard: int) -> "_Shard | None":
        found = self._open.pop(shard, None)
        if found is None:
            try:
                with np.load(self._shards[shard]) as data:
                    vectors = np.asarray(data["vectors"], dtype=np.float32)
                    lengths = np.asarray(data["lengths"]) if "lengths" in data.files else None
                    codes = np.asarray(data["codes"]) if "codes" in data.files else None
            except Exception:  # vanished or damaged since it was listed: re-encode
                return None
            found = _Shard(vectors, lengths, codes)
            while len(self._open) >= self.OPEN_SHARDS:
                self._open.pop(next(iter(self._open)))
        self._open[shard] = found
        return found

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit vectors, one row per text, in input order; new texts are encoded and stored."""
        return self._encode(texts, batch_size, codes=False)[0]

    def encode_tokens(self, texts: Sequence[str], batch_size: int = 32) -> tuple[np.ndarray, Codes]:
        """Vectors and word-piece codes (rag/late.py); a text cached without codes is encoded again."""
        return self._encode(texts, batch_size, codes=True)

    @property
    def makes_codes(self) -> bool:
        return makes_codes(self.inner)

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> tuple[np.ndarray, Codes]:
        """Questions go to the inner embedder's query tower uncached (they are short and few)."""
        return embed_queries(self.inner, texts)

    def _encode(self, texts: Sequence[str], batch_size: int, codes: bool) -> tuple[np.ndarray, Codes]:
        self._load()
        codes = codes and self.makes_codes  # an inner embedder without codes: vectors alone
        keys = [text_key(self.name, t) for t in texts]
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        found_codes: Codes = [None] * len(texts)
        missing: dict[bytes, list[int]] = {}
        located: dict[int, list[tuple[int, int]]] = {}
        for position, key in enumerate(keys):
            place = self._locate(key)
            if place is None:
                missing.setdefault(key, []).append(position)
            else:
                located.setdefault(place[0], []).append((position, place[1]))
        for shard, pairs in sorted(located.items()):
            stored = self._vectors_of(shard)
            for position, row in pairs:
                code = stored.code(row) if stored is not None and codes else None
                if stored is None or row >= len(stored.vectors) or (codes and code is None):
                    missing.setdefault(keys[position], []).append(position)
                else:
                    out[position] = stored.vectors[row]
                    found_codes[position] = code
        if missing:
            first_of = {key: texts[positions[0]] for key, positions in missing.items()}
            new_keys = sorted(missing)
            # Length-sorted runs keep padding small; many short texts then run much faster.
            new_keys.sort(key=lambda k: len(first_of[k]))
            for first in range(0, len(new_keys), self.SHARD_TEXTS):
                run = new_keys[first:first + self.SHARD_TEXTS]
                run_texts = [first_of[k] for k in run]
                if codes:
                    vectors, run_codes = embed_with_tokens(self.inner, run_texts, batch_size=batch_size)
                else:
                    vectors, run_codes = self.inner.encode(run_texts, batch_size=batch_size), [None] * len(run)
                vectors = np.asarray(vectors, dtype=np.float32)
                self._save(run, vectors, run_codes)
                for key, vector, code in zip(run, vectors, run_codes):
                    out[missing[key]] = vector
                    for position in missing[key]:
                        found_codes[position] = code
        return out, found_codes

    def _save(self, keys: list[bytes], vectors: np.ndarray, codes: Codes | None = None) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.blake2b(b"".join(keys), digest_size=8).hexdigest()
        final = self.folder / f"shard-{digest}.npz"
        tmp = self.folder / f".shard-{digest}.{os.getpid()}.tmp.npz"
        extra = {}
        if codes is not None and any(c is not None for c in codes):
            extra["lengths"] = np.array([-1 if c is None else len(c) for c in codes], dtype=np.int64)
            extra["codes"] = np.concatenate([c for c in codes if c is not None])
        np.savez(tmp, keys=np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, 16),
                 vectors=np.asarray(vectors, dtype=np.float32), **extra)
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


class _Shard:
    """One shard's vectors and, when it has them, the word-piece codes of each row."""

    def __init__(self, vectors: np.ndarray, lengths: np.ndarray | None, codes: np.ndarray | None) -> None:
        self.vectors = vectors
        self.lengths = lengths
        self.codes = codes
        if lengths is not None:
            self.offsets = np.concatenate([[0], np.cumsum(np.maximum(lengths, 0))])

    def code(self, row: int) -> np.ndarray | None:
        if self.lengths is None or row >= len(self.lengths) or self.lengths[row] < 0:
            return None
        return self.codes[self.offsets[row]:self.offsets[row + 1]]


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
