"""The fast build path: passages through OpenVINO with int8 weights and activations.

At 200 word pieces a chunk, MiniLM's matrix products dominate an index build. OpenVINO runs
them in int8 (VNNI / AMX where the CPU has them) once NNCF has quantised the fp32 ONNX export
(rag/onnx_embed.py) with SmoothQuant and activation ranges measured on a fixed set of news
chunks (`rag/models/calibration.json`). On this project's 2-core AMD EPYC that is about 1.8x
the throughput of torch bf16 per CPU-second, 110 chunks of 200 word pieces a second on both
cores (`python -m rag.bench` has the figures). The vectors stay within
cosine ~0.997 of fp32 on average, but they are not the fp32 vectors, so an index built with
them records the model name `all-MiniLM-L6-v2-ov-int8-v<recipe>`, and EVAL.md's int8-build
section measures its answers beside the fp32 path.

Questions never go through this model: `encode_queries` is the fp32 ONNX query tower, so the
query path loads neither OpenVINO nor NNCF. The quantised model is written once per index
folder, beside the ONNX export, and is bit-identical from run to run (same weights, same
calibration texts).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Sequence

import numpy as np

from .embed import DIMENSION, MODEL_NAME, Codes, native_bf16, trim_tokens
from .late import SCALE, projection
from .onnx_embed import OnnxEmbedder, export, is_exported, load_tokenizer

CALIBRATION = Path(__file__).resolve().parent / "models" / "calibration.json"
QUANTISED = "passages.ov-int8.xml"  # and its weights, passages.ov-int8.bin
_STAMP = "passages.ov-int8.json"
# Bump when the quantisation recipe or the calibration texts change: it is part of the model
# name, so cached vectors and indexes made by an older recipe are not reused.
RECIPE_VERSION = 2
# SmoothQuant's migration strength for matrix products. Chosen by cosine to the fp32 vectors on
# 300 SQuAD train paragraphs (never reported on): mean / 1st percentile / min 0.99785 / 0.99654 /
# 0.99555 at 0.7, against 0.99731 / 0.99473 / 0.99056 at NNCF's default; 0.6 to 0.9 measured.
SMOOTH_QUANT = 0.7


def _recipe(folder: Path) -> dict:
    export_meta = json.loads((folder / "export.json").read_text())
    return {"export": export_meta["stamp"], "recipe": RECIPE_VERSION,
            "calibration": hashlib.sha256(CALIBRATION.read_bytes()).hexdigest()}


def is_quantised(folder: Path) -> bool:
    """True when `folder` holds the int8 OpenVINO model of its current ONNX export."""
    folder = Path(folder)
    try:
        stamp = json.loads((folder / _STAMP).read_text())
        return stamp == _recipe(folder) and (folder / QUANTISED).is_file() and \
            (folder / QUANTISED).with_suffix(".bin").is_file()
    except (OSError, ValueError, KeyError):
        return False


def openvino():
    """The `openvino` module, imported with its usage telemetry switched off.

    Importing openvino (and NNCF) sets up telemetry that, unless told otherwise, writes a client
    id under $HOME/intel and reports usage over the network. Both stay quiet when the telemetry
    package cannot be imported, so it is made unimportable first, for this process.
    """
    if "openvino" not in sys.modules:
        sys.modules.setdefault("openvino_telemetry", None)
    import openvino as ov

    return ov


def calibration_feeds(folder: Path) -> list[dict]:
    """One feed per calibration chunk, tokenised as the passage model sees it."""
    tokenizer = load_tokenizer(folder)
    feeds = []
    for text in json.loads(CALIBRATION.read_text())["texts"]:
        ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
        feeds.append({"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)})
    return feeds


def quantise(folder: Path) -> Path:
    """Write the int8 OpenVINO model of `folder`'s fp32 ONNX export (exported first if needed)."""
    folder = Path(folder)
    if not is_exported(folder):
        export(folder)
    if is_quantised(folder):
        return folder / QUANTISED
    from tqdm import tqdm

    # Said once, above the build's progress bar: its rate includes this step on a new folder.
    tqdm.write("quantising MiniLM to int8 for this index folder (once, about 10 s)", file=sys.stderr)
    ov = openvino()
    import nncf

    nncf.set_log_level(40)  # errors only: no advice in a build's log
    model = ov.Core().read_model(str(folder / "model.onnx"))
    feeds = calibration_feeds(folder)
    smooth = nncf.AdvancedSmoothQuantParameters(matmul=SMOOTH_QUANT)
    with contextlib.redirect_stdout(io.StringIO()):  # NNCF's own progress bars
        quantised = nncf.quantize(model, nncf.Dataset(feeds), model_type=nncf.ModelType.TRANSFORMER,
                                  subset_size=len(feeds),
                                  advanced_parameters=nncf.AdvancedQuantizationParameters(smooth_quant_alphas=smooth))
    staging = folder / f".{QUANTISED}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        ov.save_model(quantised, str(staging / QUANTISED), compress_to_fp16=False)
        for name in (QUANTISED, Path(QUANTISED).with_suffix(".bin").name):
            os.replace(staging / name, folder / name)
        (folder / _STAMP).write_text(json.dumps(_recipe(folder), indent=2))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder / QUANTISED


class OpenVinoEmbedder:
    """Passages through the int8 OpenVINO MiniLM, questions through the fp32 ONNX query tower.

    Texts are sorted by length and cut into small batches that run concurrently, one stream
    per core (throughput mode), each fed by its own thread: on 2 cores that beats one batch
    split over both cores.
    """

    name = f"{MODEL_NAME}-ov-int8-v{RECIPE_VERSION}"
    dimension = DIMENSION
    BATCH = 8  # texts per inference request; 8 to 32 measure alike, 8 keeps padding low

    def __init__(self, folder: Path, threads: int | None = None) -> None:
        if threads is not None and threads <= 0:
            raise ValueError(f"threads must be > 0, got {threads}")
        self.folder = Path(folder)
        self._threads = threads
        self.queries = OnnxEmbedder(self.folder, "fp32", threads=threads)
        self._compiled = None
        self._streams = threads or os.cpu_count() or 1

    def warm_up(self) -> None:
        """What a question needs (the ONNX query tower); the passage model compiles when used."""
        self.queries.warm_up()

    def _model(self):
        if self._compiled is None:
            core = openvino().Core()
            try:
                model = core.read_model(str(quantise(self.folder)))
            except RuntimeError:  # a damaged file (a disk error, a truncated copy): made again
                (self.folder / _STAMP).unlink(missing_ok=True)
                model = core.read_model(str(quantise(self.folder)))
            model = _with_pooling(model)
            threads = self._streams
            # What stays float (softmax x values, layer norms) runs in bf16 where the CPU has
            # it in hardware: about 8% faster here, vectors as close to fp32 as in f32.
            config = {"PERFORMANCE_HINT": "THROUGHPUT", "INFERENCE_NUM_THREADS": threads,
                      "NUM_STREAMS": threads, "INFERENCE_PRECISION_HINT": "bf16" if native_bf16() else "f32"}
            self._compiled = core.compile_model(model, "CPU", config)
        return self._compiled

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit vectors, one row per text, in input order."""
        return self._run(texts, codes=False)[0]

    def encode_tokens(self, texts: Sequence[str], batch_size: int = 32) -> tuple[np.ndarray, Codes]:
        """Unit vectors and the int8 word-piece codes of rag/late.py, one forward pass."""
        return self._run(texts, codes=True)

    def encode_queries(self, texts: Sequence[str], batch_size: int = 32) -> tuple[np.ndarray, Codes]:
        """Question vectors and codes through the fine-tuned query tower (fp32 ONNX)."""
        return self.queries.encode_queries(texts, batch_size)

    def _run(self, texts: Sequence[str], codes: bool) -> tuple[np.ndarray, Codes]:
        texts = list(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        found: Codes = [None] * len(texts)
        if not texts:
            return out, found
        tokenizer = self.queries.tokenizer
        compiled = self._model()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [order[first:first + self.BATCH] for first in range(0, len(order), self.BATCH)]

        def work(lane: int) -> None:
            # Each lane has its own request and takes every n-th batch; infer() releases the
            # GIL, so the lanes' forward passes run in parallel, one stream each.
            request = compiled.create_infer_request()
            for rows in batches[lane::lanes]:
                encodings = tokenizer.encode_batch([texts[i] for i in rows])
                ids = np.array([e.ids for e in encodings], dtype=np.int64)
                mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
                result = request.infer({"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})
                out[rows] = result["vector"]
                if codes:
                    for row, code, row_mask in zip(rows, result["codes"], mask):
                        found[row] = trim_tokens(code, row_mask).copy()  # the request reuses its buffer

        lanes = min(self._streams, len(batches))
        if lanes == 1:
            work(0)
        else:
            with ThreadPoolExecutor(lanes) as pool:
                list(pool.map(work, range(lanes)))  # list(): re-raises a lane's error here
        return out, found


def _with_pooling(model):
    """`model` with two outputs computed in the graph instead of numpy: "vector", the masked
    mean of the word-piece vectors, L2-normalised (embed.mean_pool), and "codes", the int8
    word-piece codes of rag/late.py (late.compress). Done in numpy in the callback, the same
    work held the GIL and cost about a fifth of the throughput."""
    import openvino.opset13 as ops

    old = model.get_results()[0]
    tokens = old.input_value(0)
    mask = next(p for p in model.get_parameters() if p.get_friendly_name() == "attention_mask")
    weights = ops.unsqueeze(ops.convert(mask, "f32"), [2])
    summed = ops.reduce_sum(ops.multiply(tokens, weights), [1])
    count = ops.maximum(ops.reduce_sum(weights, [1]), np.float32(1e-9))
    vector = ops.normalize_l2(ops.divide(summed, count), [1], 1e-24, "max", name="vector")
    projected = ops.normalize_l2(ops.matmul(tokens, projection(), False, False), [2], 1e-12, "max")
    rounded = ops.round(ops.multiply(projected, np.float32(SCALE)), "half_to_even")
    codes = ops.convert(ops.clamp(rounded, -127.0, 127.0), "i8", name="codes")
    vector.output(0).get_tensor().set_names({"vector"})
    codes.output(0).get_tensor().set_names({"codes"})
    model.remove_result(old)
    model.add_results([ops.result(vector), ops.result(codes)])
    return model
