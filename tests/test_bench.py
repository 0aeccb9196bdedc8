"""The benchmark runs end to end on a tiny configuration and writes a well-formed section.

Correctness only: timings on a shared machine are not asserted.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag import bench, report
from rag.scale import Measurement, synthetic_corpus

ROOT = Path(__file__).resolve().parents[1]
LOAD_SECTION = "<!-- load:begin -->\n## Load\n\n| clients | p50 |\n|---|---|\n| 4 | 9 |\n<!-- load:end -->"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> tuple[str, dict]:
    folder = tmp_path_factory.mktemp("bench")
    output = folder / "BENCHMARKS.md"
    output.write_text(f"# Benchmarks\n\n{bench.BEGIN}\nstale numbers\n{bench.END}\n\n{LOAD_SECTION}\n")
    argv = ["--quick", "--sizes", "600", "--seeds", str(ROOT / "seeds"),
            "--questions", str(ROOT / "tests/data/seed_dev.jsonl"), "--output", str(output),
            "--json", str(folder / "bench.json")]
    assert bench.main(argv) == 0
    return output.read_text(), json.loads((folder / "bench.json").read_text())


def test_section_replaces_only_its_own_markers(run):
    text, _ = run
    assert text.count(bench.BEGIN) == 1 and text.count(bench.END) == 1
    assert "stale numbers" not in text
    assert text.rstrip().endswith(LOAD_SECTION)
    assert text.startswith("# Benchmarks\n\n" + bench.BEGIN + "\n## Speed: build, ask, whole process")


def test_section_names_command_date_and_machine(run):
    text, raw = run
    assert "- Command: `python -m rag.bench --quick --sizes 600 --seeds " in text
    assert "- Date: 20" in text
    assert f"{raw['machine']['cores']} logical cores" in text
    assert f"{raw['machine']['ram_gib']} GiB RAM" in text


def test_section_holds_every_table(run):
    text, raw = run
    for row in ("| embed |", "| search |", "| answer |", "| total |", "| onnx-fp32 |", "| onnx-int8 |",
                "| this assistant (`python -m rag.ask`) |", "| (b) bm25s alone |", "| 600 | Flat |",
                "| 600 | IVF15,SQ8(nprobe=8) |", "| 600 | IVF15,SQ8(nprobe=15) |", "| 600 | HNSW32,Flat(efSearch=128) |"):
        assert row in text, row
    assert "- vs bm25s: warm " in text
    # The quick run skips peer (a), so no torch fp32 reference row is promised.
    assert "(a) naive" not in text


def test_numbers_are_consistent(run):
    _, raw = run
    seed = raw["seed"]
    dev = (ROOT / "tests/data/seed_dev.jsonl").read_text().splitlines()
    assert seed["questions"] == sum(1 for line in dev if line.strip())
    assert seed["counts"]["articles"] == 5
    assert seed["cli"]["stdout"].startswith("Answer: Nikol Pashinyan")
    flat = [m for m in raw["scale"] if m["index"] == "Flat"]
    assert [(m["size"], m["recall10"]) for m in flat] == [(600, 1.0)]
    shape = raw["shapes"]["600"]  # unrelated pairs measured even below 2,000 passages
    assert -1.0 < shape["random_cos"] < shape["top10_cos"] <= shape["top1_cos"] <= 1.0
    for stage in ("embed", "search", "answer", "total", "total_cpu"):
        p50, p95 = seed["ours_ms"][stage]
        assert 0 < p50 <= p95


def test_write_section_creates_or_appends(tmp_path):
    path = tmp_path / "B.md"
    bench.write_section(path, f"{bench.BEGIN}\none\n{bench.END}")
    assert path.read_text() == f"# Benchmarks\n\n{bench.BEGIN}\none\n{bench.END}\n"
    bench.write_section(path, f"{bench.BEGIN}\ntwo\n{bench.END}")
    assert path.read_text() == f"# Benchmarks\n\n{bench.BEGIN}\ntwo\n{bench.END}\n"


def test_growth_compares_smallest_and_largest_size():
    rows = [Measurement(1000, "ivf-sq8", "IVF32,SQ8(nprobe=8)", 1.0, 100, 0.5, 1.0, 0.99, 0.4),
            Measurement(10000, "ivf-sq8", "IVF128,SQ8(nprobe=8)", 4.0, 1000, 1.0, 2.0, 0.98, 1.2)]
    assert bench._growth(rows) == [
        "Growth from 1,000 to 10,000 passages (10x):", "",
        "- IVF,SQ8: p50 2.0x (CPU 3.0x), build 4.0x, memory 10.0x, recall@10 0.990 -> 0.980"]


def test_synthetic_corpus_is_unit_length_and_reproducible():
    base = np.eye(8, dtype=np.float32)[:4]
    corpus, queries = synthetic_corpus(base, 500, 7, seed=3)
    again, _ = synthetic_corpus(base, 500, 7, seed=3)
    assert corpus.shape == (500, 8) and queries.shape == (7, 8)
    np.testing.assert_allclose(np.linalg.norm(corpus, axis=1), np.ones(500), rtol=1e-5)
    np.testing.assert_array_equal(corpus, again)
    with pytest.raises(ValueError, match="base needs at least 2 real vectors, got 1"):
        synthetic_corpus(base[:1], 10, 1)


def test_windows_are_exactly_200_word_pieces():
    from tokenizers import Tokenizer

    from rag.embed import model_path

    tokenizer_file = Path(model_path()) / "tokenizer.json"
    text = (ROOT / "seeds/000_08e4dda83ff3d069.txt").read_text()[:6000]
    pieces = bench.windows([text], tokenizer_file)
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.no_truncation()
    inner = len(tokenizer.encode(text).ids) - 2  # without [CLS] and [SEP]
    assert len(pieces) == inner // 198
    assert [bench.word_pieces([p], tokenizer_file) for p in pieces] == [200] * len(pieces)


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(["--sizes", "10,x"])
    assert exit_info.value.code == 2
    assert "--sizes and --nprobes take comma-separated integers, got '10,x'" in capsys.readouterr().err


@pytest.mark.parametrize("flags, expected", [
    ("fpu sse4_2 avx avx2 fma", "AVX2 only"),
    ("avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 amx_int8 amx_tile", "AVX-512, VNNI, BF16, AMX"),
    ("avx2 avx_vnni", "VNNI"),
    ("fpu sse sse2", ""),
])
def test_cpu_features_name_what_decides_embedding_speed(tmp_path, flags, expected):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: {flags}\n\nprocessor\t: 1\n")
    assert report.cpu_features(str(cpuinfo)) == expected
    assert report.cpu_features(str(tmp_path / "missing")) == ""


@pytest.mark.parametrize("flags, fast", [("avx2 avx512f avx512_vnni", True), ("avx2 avx_vnni", True),
                                         ("avx2 amx_int8", True), ("fpu avx avx2 fma", False)])
def test_int8_dot_products_are_read_from_the_cpu_flags(tmp_path, flags, fast):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    assert report.int8_dot_products(str(cpuinfo)) is fast
    assert report.int8_dot_products(str(tmp_path / "missing")) is True  # unknown: no warning


def test_machine_line_names_the_cpu_features():
    features = report.cpu_features()
    assert (f"({features})" in report.machine()) == bool(features)
    assert (f"({features})" in bench.machine()["cpu"]) == bool(features)
