"""The streaming index build: the same index whatever the batch size, resumable, with an ETA."""
from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from rag import store
from rag.ann import AnnSettings, FaissBuilder, build_faiss
from rag.bench_ingest import generate
from rag.chunk import ChunkSettings
from rag.embedcache import CachingEmbedder
from rag.ingest import load_seeds
from seedpaths import REPO, SEEDS

FAKE = '''
import hashlib, time
import numpy as np

class FakeEmbedder:
    """Deterministic unit vectors from a hash of each text; `delay` seconds per text."""
    name, dimension = "fake-hash", 384

    def __init__(self, delay=0.0):
        self.delay, self.texts = delay, 0

    def encode(self, texts, batch_size=32):
        self.texts += len(texts)
        time.sleep(self.delay * len(texts))
        out = np.empty((len(texts), 384), np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            vector = np.random.default_rng(seed).standard_normal(384)
            out[row] = vector / np.linalg.norm(vector)
        return out
'''
namespace: dict = {}
exec(FAKE, namespace)
FakeEmbedder = namespace["FakeEmbedder"]


def write_seeds(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    for i, text in enumerate(generate(count)):
        (folder / f"article-{i:03d}.md").write_text(text, encoding="utf-8")
    return folder


def contents(index: store.CorpusIndex) -> dict:
    """Everything an index holds, as comparable plain values."""
    dense = index.dense._index
    s = index.sentences
    return {"chunks": index.chunks, "articles": index.articles,
            "spans": np.stack([s.chunk, s.start, s.end], axis=1).tolist(), "by_chunk": s.by_chunk,
            "sentence_vectors": s.vectors, "dense": dense.reconstruct_n(0, dense.ntotal),
            "bm25": index.bm25.scores("strike port protest police ministry"),
            "counts": index.manifest["counts"]}


def assert_same(a: dict, b: dict, exact: bool = True) -> None:
    for key in a:
        if isinstance(a[key], np.ndarray):
            if exact:
                assert np.array_equal(a[key], b[key]), key
            else:
                assert np.allclose(np.asarray(a[key], np.float32), np.asarray(b[key], np.float32), atol=2e-3), key
        else:
            assert a[key] == b[key], key


def test_a_build_in_small_batches_equals_a_one_shot_build(tmp_path):
    articles, _ = load_seeds(write_seeds(tmp_path / "seeds", 40))
    one_shot = store.build_corpus(articles, FakeEmbedder(), ChunkSettings(), progress=False, batch=10**6)
    streamed = store.build_corpus(articles, FakeEmbedder(), ChunkSettings(), progress=False, batch=3)
    assert one_shot.manifest["counts"]["chunks"] > 40 and one_shot.manifest["counts"]["sentences"] > 200
    assert_same(contents(one_shot), contents(streamed))
    assert any(c.entities for c in streamed.chunks)  # annotated batch by batch


def test_streamed_and_one_shot_builds_of_the_seeds_give_the_same_answers(tmp_path, assistant, dev_set):
    from rag.pipeline import Assistant, Settings

    articles, _ = load_seeds(SEEDS)
    embedder = assistant.embedder
    builds = [store.build_corpus(articles, embedder, ChunkSettings(), progress=False, batch=batch)
              for batch in (10**6, 7)]
    assert_same(contents(builds[0]), contents(builds[1]), exact=False)  # vectors: batch padding, bf16
    settings = Settings(seeds_dir=SEEDS, index_dir=tmp_path / "unused")
    one_shot, streamed = (Assistant(index, embedder, settings) for index in builds)
    for row in dev_set[:20]:
        assert_close(one_shot.ask(row["question"]).to_dict(), streamed.ask(row["question"]).to_dict())


def assert_close(a, b, tolerance: float = 0.01) -> None:
    """Equal structures, every text and offset the same, floats within `tolerance`: bf16 vectors
    and their int8 word-piece codes move scores in the third decimal with batch padding."""
    if isinstance(a, float) or isinstance(b, float):
        assert a == pytest.approx(b, abs=tolerance)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys()
        for key in a:
            assert_close(a[key], b[key], tolerance)
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b)
        for x, y in zip(a, b):
            assert_close(x, y, tolerance)
    else:
        assert a == b


def test_an_ivf_index_fed_in_batches_equals_one_built_at_once():
    import faiss

    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((3000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    settings = AnnSettings(exact_limit=1000)
    builder = FaissBuilder(len(vectors), 32, settings)
    builder.BLOCK = 700  # several read-back blocks
    for first in range(0, len(vectors), 256):
        builder.add(vectors[first:first + 256])
    streamed = builder.finish()
    assert builder.kind == "ivf-sq8" and streamed.ntotal == 3000
    assert np.array_equal(faiss.serialize_index(streamed), faiss.serialize_index(build_faiss(vectors, settings)))
    with pytest.raises(ValueError, match="2 vectors added, 3 announced"):
        small = FaissBuilder(3, 32, AnnSettings(kind="ivf-flat", nlist=1))
        small.add(vectors[:2])
        small.finish()


def test_the_progress_bar_shows_an_eta(tmp_path, capsys):
    articles, _ = load_seeds(write_seeds(tmp_path / "seeds", 12))
    store.build_corpus(articles, FakeEmbedder(), ChunkSettings(), progress=True, batch=4)
    err = capsys.readouterr().err
    assert re.search(r"indexing: 100%.*\b(\d+)/\1 \[\d\d:\d\d<\d\d:\d\d, ", err), err[-300:]


def test_the_cache_keeps_only_keys_and_rereads_vectors_from_its_shards(tmp_path):
    texts = [f"sentence number {i}" for i in range(700)]
    first = CachingEmbedder(FakeEmbedder(), tmp_path)
    vectors = first.encode(texts + texts[:5])
    assert np.array_equal(vectors[700:], vectors[:5])
    assert len(list((tmp_path / "fake-hash").glob("shard-*.npz"))) == 3  # runs of 256 new texts
    inner = FakeEmbedder()
    again = CachingEmbedder(inner, tmp_path)
    assert np.array_equal(again.encode(texts[::-1]), vectors[:700][::-1]) and inner.texts == 0
    assert len(again._open) <= again.OPEN_SHARDS and len(again._keys) == 700
    shard = sorted((tmp_path / "fake-hash").glob("shard-*.npz"))[0]
    shard.write_bytes(b"damaged")
    inner = FakeEmbedder()
    assert np.array_equal(CachingEmbedder(inner, tmp_path).encode(texts), vectors[:700])
    assert 0 < inner.texts < 700  # only the damaged shard's texts are embedded again


BUILD_SCRIPT = FAKE + '''
import sys
from pathlib import Path
from rag import store
from rag.chunk import ChunkSettings
store.build(Path(sys.argv[1]), Path(sys.argv[2]), FakeEmbedder(delay=float(sys.argv[3])), ChunkSettings(),
            batch=8)
'''


def test_a_killed_build_resumes_from_its_cached_batches_and_gives_the_same_index(tmp_path):
    seeds = write_seeds(tmp_path / "seeds", 40)
    killed_dir, clean_dir = tmp_path / "killed", tmp_path / "clean"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}
    build = subprocess.Popen([sys.executable, "-c", BUILD_SCRIPT, str(seeds), str(killed_dir), "0.02"],
                             cwd=REPO, stderr=subprocess.PIPE, text=True, env=env)
    seen, deadline = "", time.monotonic() + 300
    while time.monotonic() < deadline:
        char = build.stderr.read(1)
        if not char:
            break
        seen += char
        done = re.findall(r"\| (\d+)/(\d+) \[", seen)
        if done and 24 <= int(done[-1][0]) < int(done[-1][1]):
            break
    build.send_signal(signal.SIGKILL)
    build.wait(timeout=30)
    assert store.current_folder(killed_dir) is None  # nothing half-built was made current
    total = store.build_corpus(load_seeds(seeds)[0], FakeEmbedder(), ChunkSettings(), progress=False)
    sentences = [total.articles[total.chunks[c].article_id].text[s:e]
                 for c, s, e in zip(total.sentences.chunk, total.sentences.start, total.sentences.end)]
    texts = len(set(sentences) | {c.text for c in total.chunks})  # the cache embeds each text once

    resumed_embedder, clean_embedder = FakeEmbedder(), FakeEmbedder()
    store.build(seeds, killed_dir, resumed_embedder, ChunkSettings(), progress=False, log=lambda _: None)
    store.build(seeds, clean_dir, clean_embedder, ChunkSettings(), progress=False, log=lambda _: None)
    assert clean_embedder.texts == texts
    assert 0 < resumed_embedder.texts <= texts - 24  # the batches finished before the kill were reused
    resumed, clean = store.load(killed_dir), store.load(clean_dir)
    assert_same(contents(resumed), contents(clean))
    hashes = [{name: digest for name, digest in json.loads((index.folder / "manifest.json").read_text())
               ["sha256"].items() if name != "sentences.npz"} for index in (resumed, clean)]
    assert hashes[0] == hashes[1]  # FAISS, BM25, chunks and articles files are byte for byte the same


class CodeEmbedder(FakeEmbedder):
    """The fake with word-piece codes: one code per word, from a hash of the word."""

    def encode_tokens(self, texts, batch_size=32):
        from rag.late import compress

        codes = []
        for text in texts:
            words = text.split() or [""]
            codes.append(compress(np.stack([self.encode([w])[0] for w in words])))
        self.texts -= sum(len(text.split() or [""]) for text in texts)  # count texts, not words
        return self.encode(texts, batch_size), codes


def test_the_cache_keeps_word_piece_codes_and_recodes_texts_cached_without_them(tmp_path):
    texts = [f"sentence number {i} " + "word " * (i % 5) for i in range(300)]
    first = CachingEmbedder(CodeEmbedder(), tmp_path)
    plain = first.encode(texts[:100])  # cached without codes
    vectors, codes = first.encode_tokens(texts)
    assert first.inner.texts == 400  # the first 100 again, for their codes
    assert np.array_equal(vectors[:100], plain) and [len(c) for c in codes] == [len(t.split()) for t in texts]
    inner = CodeEmbedder()
    again_vectors, again_codes = CachingEmbedder(inner, tmp_path).encode_tokens(texts[::-1])
    assert inner.texts == 0
    assert np.array_equal(again_vectors, vectors[::-1])
    assert all(np.array_equal(a, b) for a, b in zip(again_codes, codes[::-1]))
    # an embedder without codes: vectors from the same cache, no codes, nothing embedded again
    bare = CachingEmbedder(FakeEmbedder(), tmp_path)
    bare_vectors, bare_codes = bare.encode_tokens(texts[:3])
    assert bare.inner.texts == 0 and bare_codes == [None] * 3 and np.array_equal(bare_vectors, vectors[:3])


def test_an_index_keeps_each_chunks_codes_through_save_and_load(tmp_path):
    articles = load_seeds(write_seeds(tmp_path / "seeds", 6))[0]
    built = store.build_corpus(articles, CodeEmbedder(), ChunkSettings(), progress=False, batch=4)
    assert built.late is not None and len(built.late) == len(built.chunks)
    assert [len(built.late.of(c.id)) for c in built.chunks] == [len(c.text.split()) for c in built.chunks]
    assert store.build_corpus(articles, FakeEmbedder(), ChunkSettings(), progress=False).late is None
    folder = store.save(built, tmp_path / "index")
    loaded = store.load(tmp_path / "index")
    assert all(np.array_equal(loaded.late.of(c.id), built.late.of(c.id)) for c in built.chunks)
    assert not list((tmp_path / "index").glob(".late-*"))
    codes = bytearray((folder / "late_codes.bin").read_bytes())
    codes[5] ^= 1
    (folder / "late_codes.bin").write_bytes(bytes(codes))
    with pytest.raises(store.IndexUnavailable, match="late_codes.bin does not match its checksum"):
        store.load(tmp_path / "index")
