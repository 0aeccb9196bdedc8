"""The query tower's training data never touches what EVAL.md reports; the shipped tower loads."""
from __future__ import annotations

import numpy as np
import pytest

from rag import embed
from rag.evalsets import news_corpus, news_split, read_jsonl, squad_train_titles
from rag.train_query import dense_recall, news_pairs, squad_pairs
from seedpaths import REPO

EXTERNAL = REPO.parent / "shared" / "eval" / "external"
SQUAD_TRAIN = EXTERNAL / "squad_v1.1_train_paragraphs.jsonl.gz"
NEWS = EXTERNAL / "realtimeqa_news_evidence.jsonl"


def test_squad_articles_are_apart_from_the_rerankers_sample():
    rows = read_jsonl(SQUAD_TRAIN)
    paragraphs, pairs = squad_pairs(SQUAD_TRAIN, articles=5)
    titles = {r["title"] for r in rows if r["context"] in set(paragraphs)}
    assert len(titles) == 5 and not titles & squad_train_titles(rows)
    assert all(0 <= i < len(paragraphs) for _, i in pairs)
    by_text = {r["context"]: {qa["question"] for qa in r["qas"]} for r in rows}
    assert all(q in by_text[paragraphs[i]] for q, i in pairs)  # each question points at its own paragraph


def test_news_pairs_are_the_tuning_half_only():
    passages, pairs = news_pairs(NEWS, offset=10)
    corpus, questions = news_corpus(NEWS)
    tune, held_out = news_split(questions)
    assert sorted(q for q, _ in pairs) == sorted(q.question for q in tune)
    assert not {q for q, _ in pairs} & ({q.question for q in held_out} - {q.question for q in tune})
    # in tuning order, each question points at its own evidence (a question text recurs across quizzes)
    assert [text for text, _ in pairs] == [q.question for q in tune]
    assert all(passages[i - 10] == corpus.texts[q.gold] for (_, i), q in zip(pairs, tune))


def test_dense_recall_counts_answers_in_the_top_k():
    passages = np.eye(3, dtype=np.float32)
    queries = np.array([[0.9, 0.1, 0.0], [0.0, 0.2, 0.8]], dtype=np.float32)
    texts = ["Paris is in France", "Rome is in Italy", "Berlin is in Germany"]
    # the first query's best passage holds "France"; the second's answer "Italy" is its 2nd hit
    assert dense_recall(queries, passages, texts, [("France",), ("Italy",)], ks=(1, 2)) == [50.0, 100.0]


def test_the_shipped_tower_holds_every_transformer_layer_and_nothing_else():
    state = embed.query_state()
    assert len([k for k in state if k.startswith("encoder.layer.")]) == 6 * 16
    assert all(k.startswith("encoder.") for k in state)
    assert state["encoder.layer.0.attention.self.query.weight"].shape == (384, 384)


def test_a_tower_of_another_shape_is_refused(tmp_path):
    from transformers import AutoModel

    np.savez(tmp_path / "bad.npz", **{"encoder.layer.0.attention.self.query.weight": np.zeros((384, 384), np.float16),
                                      "decoder.weight": np.zeros(3, np.float16)})
    model = AutoModel.from_pretrained(embed.model_path())
    with pytest.raises(ValueError, match="does not fit MiniLM: unexpected \\['decoder.weight'\\]"):
        embed.load_query_tower(model, tmp_path / "bad.npz")


def test_the_answer_tuning_set_is_the_span_rankers_held_out_articles():
    from rag.evalsets import squad_train_heldout
    from rag.train_reader import is_tuning

    rows = read_jsonl(SQUAD_TRAIN)
    passages, questions = squad_train_heldout(SQUAD_TRAIN, questions=200)
    by_text = {r["context"]: r for r in rows}
    assert len(questions) == 200 and len({q.id for q in questions}) == 200
    assert all(is_tuning(by_text[text]["title"]) for text in passages.texts)
    assert len(passages.texts) == sum(is_tuning(r["title"]) for r in rows)  # every paragraph of those articles
    assert all(q.context == passages.texts[q.gold] for q in questions)
    assert [q.id for q in squad_train_heldout(SQUAD_TRAIN, questions=200)[1]] == [q.id for q in questions]


def test_a_fold_tower_trains_without_its_fold_of_the_tuning_half():
    from rag.evalsets import tuning_fold

    _, questions = news_corpus(NEWS)
    tune, _ = news_split(questions)
    kept = {}
    for left_out in (0, 1):
        _, pairs = news_pairs(NEWS, offset=0, leave_out=left_out)
        kept[left_out] = [q for q, _ in pairs]
        assert kept[left_out] == [q.question for q in tune if tuning_fold(q) != left_out]
    assert 500 < len(kept[0]) < 1000 and len(kept[0]) + len(kept[1]) == len(tune)
    only_in_fold_0 = {q.question for q in tune if tuning_fold(q) == 0} - {q.question for q in tune if tuning_fold(q) == 1}
    assert only_in_fold_0 and not set(kept[0]) & only_in_fold_0


def test_leaving_a_fold_out_asks_where_to_write_the_tower(capsys):
    from rag.train_query import main

    before = embed.QUERY_WEIGHTS.read_bytes()
    with pytest.raises(SystemExit) as stopped:
        main(["--leave-out-fold", "0"])
    assert stopped.value.code == 2
    assert "--leave-out-fold needs --out" in capsys.readouterr().err
    assert embed.QUERY_WEIGHTS.read_bytes() == before


def test_an_embedder_reads_its_questions_through_the_tower_it_is_given(tmp_path):
    state = {k: v.astype(np.float16) for k, v in embed.query_state().items()}
    np.savez(tmp_path / "same.npz", **state)
    state["encoder.layer.5.output.dense.weight"] = np.zeros_like(state["encoder.layer.5.output.dense.weight"])
    np.savez(tmp_path / "other.npz", **state)
    questions = ["Who chairs the CSTO?"]
    shipped, _ = embed.MiniLMEmbedder().encode_queries(questions)
    same, _ = embed.MiniLMEmbedder(query_weights=tmp_path / "same.npz").encode_queries(questions)
    other, _ = embed.MiniLMEmbedder(query_weights=tmp_path / "other.npz").encode_queries(questions)
    np.testing.assert_array_equal(same, shipped)
    assert float(other[0] @ shipped[0]) < 0.999
