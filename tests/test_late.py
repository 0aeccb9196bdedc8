"""Late interaction (rag/late.py): codes, MaxSim against a brute-force oracle, storage, the index."""
from __future__ import annotations

import numpy as np
import pytest

from rag import features as F
from rag import late
from rag.embed import embed_queries


def random_codes(rng, n: int) -> np.ndarray:
    return late.compress(rng.normal(size=(n, 384)).astype(np.float32))


def brute_maxsim(question: np.ndarray, chunk: np.ndarray) -> tuple[float, float]:
    if not len(chunk):
        return 0.0, 0.0
    q, c = late.expand(question), late.expand(chunk)
    best = [max(float(a @ b) for b in c) for a in q]
    return float(np.mean(best)), float(np.median(best))


def test_codes_are_int8_unit_vectors_of_the_projection():
    rng = np.random.default_rng(0)
    tokens = rng.normal(size=(7, 384)).astype(np.float32)
    codes = late.compress(tokens)
    assert codes.dtype == np.int8 and codes.shape == (7, late.WIDTH)
    assert np.abs(codes).max() <= 127
    projected = tokens @ late.projection()
    projected /= np.linalg.norm(projected, axis=1, keepdims=True)
    # int8 rounding moves each component by at most half a step
    assert np.abs(late.expand(codes) - projected).max() <= 0.5 / late.SCALE + 1e-6
    # scaling a vector does not change its code (it is normalised after projection)
    assert np.array_equal(late.compress(tokens * 3.0), codes)


def test_maxsim_equals_the_brute_force_oracle_on_uneven_chunks():
    rng = np.random.default_rng(1)
    question = random_codes(rng, 5)
    chunks = [random_codes(rng, n) for n in (1, 0, 9, 3, 0, 20)]
    got = late.maxsim(question, chunks)
    expected = np.array([brute_maxsim(question, c) for c in chunks], dtype=np.float32)
    assert np.allclose(got, expected, atol=1e-5)
    assert got[1].tolist() == [0.0, 0.0] and got[4].tolist() == [0.0, 0.0]


def test_maxsim_of_a_chunk_holding_the_question_itself_is_near_one():
    rng = np.random.default_rng(2)
    question = random_codes(rng, 4)
    other = random_codes(rng, 30)
    scores = late.maxsim(question, [other, np.concatenate([other[:10], question, other[10:]])])
    # each question piece meets itself: its code's squared length (1 up to int8 rounding)
    own = float(np.mean(np.sum(late.expand(question) ** 2, axis=1)))
    assert scores[1, 0] == pytest.approx(own, abs=1e-5) and own == pytest.approx(1.0, abs=5e-3)
    assert scores[1, 0] > scores[0, 0]
    assert late.maxsim(question[:0], [other]).tolist() == [[0.0, 0.0]]
    assert late.maxsim(question, []).shape == (0, 2)


def test_codes_written_in_batches_read_back_per_chunk(tmp_path):
    rng = np.random.default_rng(3)
    chunks = [random_codes(rng, n) for n in (4, 0, 11, 2)]
    writer = late.CodeWriter(tmp_path / "spool.bin")
    writer.add(chunks[:1])
    writer.add(chunks[1:])
    table = writer.finish(tmp_path / "index")
    assert len(table) == 4 and table.offsets.tolist() == [0, 4, 4, 15, 17]
    for i, expected in enumerate(chunks):
        assert np.array_equal(table.of(i), expected)
    reloaded = late.TokenCodes.load(tmp_path / "index")
    assert np.array_equal(reloaded.of(2), chunks[2])


def test_damaged_codes_are_refused(tmp_path):
    writer = late.CodeWriter(tmp_path / "spool.bin")
    writer.add([random_codes(np.random.default_rng(4), 3)])
    writer.finish(tmp_path)
    with open(tmp_path / late.CODES_FILE, "ab") as handle:
        handle.write(b"\x00")
    with pytest.raises(ValueError, match="bytes, offsets say"):
        late.TokenCodes.load(tmp_path)
    with pytest.raises(ValueError, match="start at 0"):
        late.TokenCodes(np.array([1, 2]), np.zeros((1, late.WIDTH), np.int8))


def test_fit_projection_finds_the_subspace_of_the_samples():
    rng = np.random.default_rng(5)
    basis = np.linalg.qr(rng.normal(size=(384, 128)))[0]
    samples = rng.normal(size=(2000, 128)) @ basis.T
    matrix = late.fit_projection(samples)
    assert matrix.shape == (384, 128)
    assert np.allclose(matrix.T @ matrix, np.eye(128), atol=1e-4)
    # every sample lies in the fitted subspace: projecting and back loses nothing
    assert np.allclose(samples @ matrix @ matrix.T, samples, atol=1e-3)
    with pytest.raises(ValueError, match="at least 128"):
        late.fit_projection(samples[:10])


def test_the_seed_index_holds_one_code_per_word_piece_of_each_chunk(assistant):
    index = assistant.index
    assert index.late is not None and len(index.late) == len(index.chunks)
    from tokenizers import Tokenizer

    from rag.embed import MODEL_CACHE
    tokenizer = Tokenizer.from_file(str(assistant.settings.index_dir / MODEL_CACHE / "minilm-onnx" / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(256)
    for chunk in index.chunks[:5]:
        assert len(index.late.of(chunk.id)) == len(tokenizer.encode(chunk.text).ids) - 2


def test_the_late_feature_is_maxsim_and_falls_back_to_the_chunk_cosine(assistant):
    question = "Who chairs the CSTO?"
    vectors, codes = embed_queries(assistant.embedder, [question])
    retriever = assistant.retriever
    ids, rows = retriever.candidates(question, vectors[0], 10, query_codes=codes[0])
    expected = late.maxsim(codes[0], [assistant.index.late.of(i) for i in ids.tolist()])
    late_column, gap = F.FEATURES.index("late"), F.FEATURES.index("late_gap")
    assert np.allclose(rows[:, late_column], expected[:, 0], atol=1e-6)
    assert np.allclose(rows[:, F.FEATURES.index("late_median")], expected[:, 1], atol=1e-6)
    assert rows[:, gap].max() == 0.0 and np.allclose(rows[:, gap], expected[:, 0] - expected[:, 0].max(), atol=1e-6)
    # the chunk naming the CSTO's chairman matches the question word by word better than most
    chairman = [n for n, i in enumerate(ids.tolist()) if "chairman" in assistant.index.chunks[i].text]
    assert chairman and rows[chairman, late_column].max() > np.median(rows[:, late_column])
    _, plain = retriever.candidates(question, vectors[0], 10)
    assert np.allclose(plain[:, late_column], plain[:, F.FEATURES.index("dense")])
