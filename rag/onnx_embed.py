"""The bundled MiniLM run by onnxruntime: the query path needs neither torch nor transformers.

`export(folder)` writes the transformer (fp32, and on request an int8 copy with dynamically
quantised weights) plus the tokenizer into a cache folder; it needs torch and transformers and
runs once, when an index is first built. `OnnxEmbedder` then loads only onnxruntime and
`tokenizers` (about 0.2 s of imports instead of about 6 s for sentence-transformers) and
reproduces sentence-transformers' output: same tokenisation (256 word pieces), mean pooling over
real tokens, L2 normalisation. Large batches (an index build) can be handed to a `bulk`
embedder that produces the same vectors faster, e.g. torch in bf16 on a CPU with AMX.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Sequence

import numpy as np

from .embed import DIMENSION, MODEL_NAME, QUERY_WEIGHTS, Codes, load_query_tower, mean_pool, model_path, trim_tokens

MAX_TOKENS = 256  # sentence-transformers' max_seq_length for this model
PRECISIONS = ("fp32", "int8")
_FILES = {"fp32": "model.onnx", "int8": "model.int8.onnx", "query": "query.onnx"}
_META = "export.json"
# Bump when the export recipe changes, so cached exports are redone.
EXPORT_VERSION = 4
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _source_stamp(source: Path) -> dict:
    """What identifies the weights that an export came from (cheap: no hashing)."""
    weights = source / "model.safetensors"
    query = QUERY_WEIGHTS.stat()
    return {"model": MODEL_NAME, "source": str(source), "bytes": weights.stat().st_size,
            "query": [str(QUERY_WEIGHTS), query.st_size, query.st_mtime_ns], "export_version": EXPORT_VERSION}


def is_exported(folder: Path, source: Path | None = None, precision: str = "fp32") -> bool:
    """True when `folder` holds a complete export of the current bundled weights, in `precision`."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / _META).read_text())
    except (OSError, ValueError):
        return False
    source = Path(source or model_path())
    if meta.get("stamp") != _source_stamp(source):
        return False
    needed = {_FILES["fp32"], _FILES[precision], _FILES["query"], "tokenizer.json"}
    return all((folder / name).is_file() for name in needed)


def export(folder: Path, source: Path | None = None, precision: str = "fp32") -> Path:
    """Export the bundled MiniLM to ONNX under `folder` (fp32, plus int8 if asked); returns `folder`.

    Files are written to a temporary sibling and renamed into place, so a killed export never
    leaves a half-written model that a later run would trust.
    """
    folder = Path(folder)
    source = Path(source or model_path())
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if is_exported(folder, source, precision):
        return folder
    staging = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        with _quiet():
            _export_fp32(source, staging / _FILES["fp32"])
            _export_fp32(source, staging / _FILES["query"], query=True)
            if precision == "int8":
                _quantize(staging / _FILES["fp32"], staging / _FILES["int8"])
        shutil.copyfile(source / "tokenizer.json", staging / "tokenizer.json")
        (staging / _META).write_text(json.dumps({"stamp": _source_stamp(source)}, indent=2))
        if not is_exported(folder, source, precision):  # another process may have finished first
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


@contextlib.contextmanager
def _quiet():
    """Silence the exporters' tracer warnings and advice, and undo what they do to the root logger."""
    import warnings

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.setLevel(logging.ERROR)  # the quantiser logs advice on every run
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def _export_fp32(source: Path, target: Path, query: bool = False) -> None:
    """The transformer as ONNX (word-piece vectors out); `query`: with the fine-tuned query tower."""
    import torch
    from transformers import AutoModel

    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    # Eager attention: the SDPA path may drop an all-ones mask while tracing, which would bake
    # "no padding" into the graph. The example batch is padded for the same reason.
    model = AutoModel.from_pretrained(str(source), attn_implementation="eager").eval()
    if query:
        load_query_tower(model)

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self, bert) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    ids = torch.tensor([[101, 2054, 2003, 1996, 3007, 102], [101, 7592, 102, 0, 0, 0]])
    mask = (ids != 0).long()
    dynamic = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "token_embeddings")}
    with torch.no_grad():
        torch.onnx.export(TokenEmbeddings(model), (ids, mask, torch.zeros_like(ids)), str(target),
                          input_names=list(_INPUTS), output_names=["token_embeddings"],
                          dynamic_axes=dynamic, opset_version=17, dynamo=False)


def _quantize(fp32: Path, int8: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    fused = int8.with_suffix(".fused.onnx")
    # Fusing attention, GELU and layer norms first lets the quantiser turn each attention block
    # into one int8 QAttention op: about 1.8x the fp32 graph's throughput on 200-token chunks.
    optimize_model(str(fp32), model_type="bert", num_heads=12, hidden_size=DIMENSION,
                   opt_level=1).save_model_to_file(str(fused))
    # The first layers' feed-forward outputs have outlier activations: quantised, they drop the
    # worst cosine to the fp32 vector on the seed paragraphs from about 0.991 to 0.987, so they
    # stay float (a few % slower). Embeddings (Gather) stay float too.
    graph = onnx.load(str(fused), load_external_data=False).graph
    keep_float = [n.name for n in graph.node if n.op_type == "MatMul"
                  and any(f"layer.{i}/output/dense" in n.name for i in (0, 1))]
    quantize_dynamic(str(fused), str(int8), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul", "Attention"], nodes_to_exclude=keep_float,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    fused.unlink()


def load_tokenizer(folder: Path):
    """The export's tokenizer set up as sentence-transformers uses it: the shipped
    tokenizer.json pads and truncates to 128; sentence-transformers truncates at 256 and pads
    to the longest text in the batch (a single text is not padded)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    return tokenizer


class OnnxEmbedder:
    """all-MiniLM-L6-v2 through onnxruntime; exports the model on first use if needed."""

    dimension = DIMENSION
    # Up to this many texts run on one thread: for a single query, a second thread costs more
    # in hand-off than it saves (6 ms vs 15 ms p50 on the shared 2-core machine).
    SMALL_BATCH = 4

    def __init__(self, folder: Path, precision: str = "fp32", threads: int | None = None,
                 bulk=None) -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
        if threads is not None and threads <= 0:
            raise ValueError(f"threads must be > 0, got {threads}")
        if bulk is not None and (precision != "fp32" or bulk.name != MODEL_NAME):
            raise ValueError(f"a bulk embedder must give the vectors of fp32 {MODEL_NAME}, "
                             f"got {bulk.name!r} beside {precision}")
        self.folder = Path(folder)
        self.precision = precision
        self.bulk = bulk  # embeds batches above SMALL_BATCH texts; None: onnxruntime does
        # fp32 ONNX gives the same vectors as sentence-transformers (cosine > 0.9999), so it
        # shares the model name; int8 vectors differ slightly, so an index records which made it.
        self.name = MODEL_NAME if precision == "fp32" else f"{MODEL_NAME}-int8"
        self._threads = threads
        self._sessions: dict[tuple[int, str], object] = {}
        self._tokenizer = None

    def warm_up(self) -> None:
        """Export the model if it is not cached yet, then open the tokenizer and a session."""
        if self._tokenizer is None:
            if not is_exported(self.folder, precision=self.precision):
                export(self.folder, precision=self.precision)
            self._tokenizer = load_tokenizer(self.folder)
        self._session(1, "query")  # what a question needs; the passage model opens when used

    @property
    def tokenizer(self):
        """The word-piece tokenizer of the export (truncating at 256, padding a batch)."""
        self.warm_up()
        return self._tokenizer

    def _session(self, threads: int, model: str | None = None):
        model = model or self.precision
        session = self._sessions.get((threads, model))
        if session is None:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            session = ort.InferenceSession(str(self.folder / _FILES[model]), options,
                                           providers=["CPUExecutionProvider"])
            self._sessions[(threads, model)] = session
        return session

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit vectors, one row per text, in input order."""
        if self.bulk is not None and len(texts) > self.SMALL_BATCH:
            return self.bulk.encode(texts, batch_size=batch_size)
        return self._run(texts, batch_size, None, codes=False)[0]

    def encode_tokens(self, texts: Sequence[str], batch_size: int = 32) -> tuple[np.ndarray, Codes]:
        """Unit vectors and the int8 word-piece codes of rag/late.py, one forward pass."""
        if self.bulk is not None and len(texts) > self.SMALL_BATCH:
            return self.bulk.encode_tokens(texts, batch_size=batch_size)
        return self._run(texts, batch_size, None, codes=True)

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> tuple[np.ndarray, Codes]:
        """Question vectors and codes through the fine-tuned query tower (query.onnx, fp32)."""
        return self._run(texts, batch_size, "query", codes=True)

    def _run(self, texts: Sequence[str], batch_size: int, model: str | None,
             codes: bool) -> tuple[np.ndarray, Codes]:
        if batch_size <= 0:
            raise ValueError(f"batch_size must be > 0, got {batch_size}")
        if len(texts) == 0:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        self.warm_up()
        texts = list(texts)
        threads = 1 if len(texts) <= self.SMALL_BATCH else (self._threads or os.cpu_count() or 1)
        session = self._session(threads, model)
        # Length-sorted batches keep padding (wasted compute) small; rows go back in order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        found: Codes = [None] * len(texts)
        for first in range(0, len(order), batch_size):
            rows = order[first:first + batch_size]
            out[rows], batch_codes = self._encode_batch(session, [texts[i] for i in rows], codes)
            for row, code in zip(rows, batch_codes):
                found[row] = code
        return out, found

    def _encode_batch(self, session, texts: list[str], codes: bool = False) -> tuple[np.ndarray, Codes]:
        from .late import compress

        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        tokens = session.run(None, feeds)[0]
        found = [compress(trim_tokens(t, m)) for t, m in zip(tokens, mask)] if codes else [None] * len(texts)
        return mean_pool(tokens, mask), found


