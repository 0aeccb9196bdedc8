"""The fast int8 build path (rag/ov_embed.py): the real quantised model, its vectors beside
fp32's, the pooling done in its graph, and an index built with it answering from the CLI."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.embed import MODEL_NAME, default_embedder, mean_pool, trim_tokens
from rag.late import compress
from rag.onnx_embed import OnnxEmbedder
from rag.ov_embed import QUANTISED, OpenVinoEmbedder, calibration_feeds, is_quantised, quantise
from rag.report import int8_dot_products
from seedpaths import REPO, SEEDS


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ov") / "minilm-onnx"
    quantise(folder)
    return folder


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return json.loads((REPO / "rag/models/calibration.json").read_text())["texts"][:24] + [
        "Who chairs the CSTO?", "Protesters stormed the mayor's office in Almaty on Wednesday."]


def test_quantising_is_cached_and_stamped(folder):
    assert is_quantised(folder)
    before = (folder / QUANTISED).stat().st_mtime_ns
    assert quantise(folder) == folder / QUANTISED
    assert (folder / QUANTISED).stat().st_mtime_ns == before  # not redone
    stamp = folder / "passages.ov-int8.json"
    kept = stamp.read_text()
    stamp.write_text(kept.replace('"recipe"', '"recipe_old"'))
    assert not is_quantised(folder)  # another recipe: redone on next use
    stamp.write_text(kept)
    assert is_quantised(folder)


def test_a_damaged_quantised_model_is_made_again(folder, texts, tmp_path):
    damaged = tmp_path / "minilm-onnx"
    shutil.copytree(folder, damaged)
    graph = damaged / QUANTISED
    graph.write_text(graph.read_text()[:1000])  # a truncated copy
    assert is_quantised(damaged)  # the stamp cannot tell
    vectors = OpenVinoEmbedder(damaged).encode(texts[:3])
    assert np.allclose(vectors, OpenVinoEmbedder(folder).encode(texts[:3]), atol=1e-6)
    bin_file = Path(QUANTISED).with_suffix(".bin").name  # the weights, bit-identical when redone
    assert (damaged / bin_file).read_bytes() == (folder / bin_file).read_bytes()


def test_vectors_stay_close_to_fp32_and_keep_their_rows(folder, texts):
    fast = OpenVinoEmbedder(folder)
    vectors = fast.encode(texts)
    reference = OnnxEmbedder(folder, "fp32").encode(texts)
    cosines = np.sum(vectors * reference, axis=1)
    # Without int8 dot products (AVX2 only) OpenVINO sums pairs of u8 x s8 products in saturating
    # 16-bit registers, and vectors drift further from fp32: on a 2-CPU AVX2 EPYC, min 0.9915 and
    # mean 0.9943 against 0.99 and 0.996 with VNNI; EVAL.md's int8-build figures stayed within
    # 0.46 points there.
    least, mean = (0.99, 0.996) if int8_dot_products() else (0.985, 0.992)
    assert cosines.min() > least and cosines.mean() > mean, cosines
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Length sorting and concurrent batches put every row back in its place: each text alone
    # gives its own row (int8 ranges are fixed, so a batch's padding changes nothing).
    for i in (0, 7, len(texts) - 1):
        assert np.allclose(fast.encode([texts[i]])[0], vectors[i], atol=2e-3)
    assert fast.name == f"{MODEL_NAME}-ov-int8-v2"


def test_pooling_and_codes_in_the_graph_match_numpy(folder, texts):
    """The graph's "vector" and "codes" outputs equal embed.mean_pool and late.compress applied
    to the quantised model's own word-piece vectors."""
    from rag.ov_embed import _with_pooling, openvino

    ov = openvino()
    config = {"INFERENCE_NUM_THREADS": 1, "INFERENCE_PRECISION_HINT": "f32"}
    core = ov.Core()
    feed = calibration_feeds(folder)[0]
    tokens = core.compile_model(str(folder / QUANTISED), "CPU", config)(feed)[0]
    pooled = core.compile_model(_with_pooling(core.read_model(str(folder / QUANTISED))), "CPU", config)(feed)
    assert np.allclose(pooled["vector"], mean_pool(tokens, feed["attention_mask"]), atol=1e-5)
    expected = compress(trim_tokens(tokens[0], feed["attention_mask"][0]))
    got = pooled["codes"][0][1:-1]
    assert got.dtype == np.int8 and got.shape == expected.shape
    assert np.abs(got.astype(int) - expected).max() <= 1  # rounding ties only
    assert np.mean(got == expected) > 0.99


def test_codes_come_with_the_vectors_trimmed_like_fp32(folder, texts):
    vectors, codes = OpenVinoEmbedder(folder).encode_tokens(texts[:5])
    _, reference = OnnxEmbedder(folder, "fp32").encode_tokens(texts[:5])
    assert [c.shape for c in codes] == [c.shape for c in reference]
    assert all(c.dtype == np.int8 for c in codes)
    assert np.allclose(vectors, OpenVinoEmbedder(folder).encode(texts[:5]), atol=1e-6)


@pytest.mark.parametrize("manifest, kind", [
    ({"settings": {"model": f"{MODEL_NAME}-ov-int8-v2"}}, "OpenVinoEmbedder"),
    ({"settings": {"model": MODEL_NAME}}, "OnnxEmbedder"),
    ("{not json", "OnnxEmbedder"),
])
def test_auto_follows_the_embedder_of_the_index_it_finds(tmp_path, manifest, kind):
    (tmp_path / "CURRENT").write_text("build-1\n")
    (tmp_path / "build-1").mkdir()
    (tmp_path / "build-1" / "manifest.json").write_text(manifest if isinstance(manifest, str) else json.dumps(manifest))
    assert type(default_embedder(tmp_path)).__name__ == kind
    assert type(default_embedder(tmp_path / "missing")).__name__ == "OnnxEmbedder"


def test_questions_go_through_the_fp32_query_tower(folder):
    fast = OpenVinoEmbedder(folder)
    question = ["Who chairs the CSTO?"]
    assert np.array_equal(fast.encode_queries(question)[0], OnnxEmbedder(folder, "fp32").encode_queries(question)[0])
    with pytest.raises(ValueError, match="threads must be > 0"):
        OpenVinoEmbedder(folder, threads=0)


def test_an_index_built_int8_answers_from_the_cli_without_openvino(tmp_path):
    """`rag.build --embedder openvino-int8`, then `rag.ask` follows the index's embedder: no
    rebuild, the conflict still reported with its outlets, and no OpenVINO on the query path.
    The build runs with HOME in a scratch folder: neither OpenVINO's telemetry nor onnxruntime's
    may leave a client id there."""
    index, home = tmp_path / "index", tmp_path / "home"
    home.mkdir()
    # without the switch this test process inherited from importing rag: the child sets it itself
    env = {**{k: v for k, v in os.environ.items() if k != "ORT_DISABLE_TELEMETRY"}, "HF_HUB_OFFLINE": "1",
           "HOME": str(home)}
    built = subprocess.run([sys.executable, "-m", "rag.build", "--seeds", str(SEEDS), "--index", str(index),
                            "--embedder", "openvino-int8"], capture_output=True, text=True, cwd=REPO, env=env,
                           timeout=900)
    assert built.returncode == 0, built.stderr
    assert f"model {MODEL_NAME}-ov-int8-v2" in built.stdout
    assert built.stderr.count("quantising MiniLM to int8 for this index folder") == 1  # a new folder
    assert ("no int8 dot-product instructions" in built.stderr) is not int8_dot_products()
    assert not (home / "intel").exists()
    assert not (home / ".cache" / "Microsoft").exists()
    assert type(default_embedder(index)).__name__ == "OpenVinoEmbedder"

    script = ("import sys\nfrom rag.pipeline import Assistant, Settings\n"
              f"a = Assistant.load(Settings(seeds_dir={str(SEEDS)!r}, index_dir={str(index)!r}), progress=False)\n"
              "r = a.ask('How many security officers were killed?').to_dict()\n"
              "print(r['answer'], [c['answer'] for c in r['conflicts']], 'openvino' in sys.modules, "
              "'torch' in sys.modules)\n")
    asked = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, env=env,
                           timeout=300)
    assert asked.returncode == 0, asked.stderr
    assert "building the index" not in asked.stderr
    assert asked.stdout.split() == ["13", "['12',", "'8']", "False", "False"]
