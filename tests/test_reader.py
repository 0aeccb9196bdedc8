"""The span reader: build-time candidates, the shipped weights, exact answers on hand-made cases."""
from __future__ import annotations

import numpy as np
import pytest

from rag import reader
from rag.records import Entity

CASES = [
    ("Who chairs the CSTO?",
     "The CSTO's current chairman, Armenian Prime Minister Nikol Pashinyan, said troops would be sent.",
     "Nikol Pashinyan"),
    ("How many security officers were killed?",
     "Thirteen security officers were killed and 353 were injured, the interior ministry said on Friday.",
     "Thirteen"),
    ("When did the protests begin?",
     "The protests began on January 2 in the oil town of Zhanaozen after fuel prices doubled.",
     "January 2"),
    ("Where did the protests begin?",
     "The protests began on January 2 in the oil town of Zhanaozen after fuel prices doubled.",
     "the oil town of Zhanaozen"),
    ("What city hosted the 2016 Summer Olympics?",
     "The 2016 Summer Olympics were held in Rio de Janeiro, the first South American host.",
     "Rio de Janeiro"),
]


@pytest.fixture(scope="module")
def nlp():
    from rag.annotate import pipeline

    return pipeline()


@pytest.fixture(scope="module")
def shipped():
    return reader.SpanRanker.load()


def test_shipped_weights_load_and_match_the_feature_code(shipped):
    assert shipped.w1.shape[1] == len(reader.DENSE_FEATURES) + shipped.embed.shape[1]
    assert shipped.linear.shape == (1 << reader.HASH_BITS,)
    assert reader.MODEL_PATH.stat().st_size < 20_000_000
    assert len(shipped.members) == 2


@pytest.mark.parametrize("question,context,expected", CASES)
def test_exact_answers(nlp, shipped, question, context, expected):
    spans = shipped.extract(question, context, reader.candidates_of(nlp(context)))
    start, end, _ = spans[0]
    assert context[start:end] == expected


def test_scores_are_sorted_probabilities_and_deterministic(nlp, shipped):
    question, context, _ = CASES[0]
    candidates = reader.candidates_of(nlp(context))
    first = shipped.extract(question, context, candidates)
    assert first == shipped.extract(question, context, candidates)
    scores = [s for _, _, s in first]
    assert scores == sorted(scores, reverse=True)
    assert sum(scores) == pytest.approx(1.0, abs=1e-5)
    assert len(first) == len(candidates)


def test_plain_entities_are_accepted(shipped):
    context = "Thirteen security officers were killed, the ministry said."
    spans = shipped.extract("How many security officers were killed?", context,
                            [Entity(0, 8, "CARDINAL"), Entity(9, 26, "NP"), Entity(40, 52, "NP")])
    assert context[spans[0][0]:spans[0][1]] == "Thirteen"


def test_no_candidates_gives_no_spans(shipped):
    assert shipped.extract("Who chairs the CSTO?", "No names here.", []) == []


def test_candidates_are_trimmed_spans_of_the_text(nlp):
    context = "The CSTO's current chairman, Armenian Prime Minister Nikol Pashinyan, said (on Friday) so."
    candidates = reader.candidates_of(nlp(context))
    texts = {context[c.start:c.end] for c in candidates}
    assert {"Nikol Pashinyan", "Friday", "Armenian Prime Minister Nikol Pashinyan"} <= texts
    for c in candidates:
        span = context[c.start:c.end]
        assert span == span.strip() and span[0] not in ",.()" and span[-1] not in ",.()"
    assert [(c.start, c.end) for c in candidates] == sorted((c.start, c.end) for c in candidates)


def test_question_analysis_finds_the_wh_type():
    idf = reader.Idf(np.ones(1 << reader.HASH_BITS, dtype=np.float32))
    assert reader.analyse_question("How many people died?", idf).wh == "how many"
    q = reader.analyse_question("In what year did the war end?", idf)
    assert (q.wh, q.head) == ("what", "year")
    assert reader.analyse_question("What is the capital?", idf).head == ""


def test_rank_puts_spans_of_several_passages_in_one_order(nlp, shipped):
    passages = [(context, reader.candidates_of(nlp(context))) for _, context, _ in CASES[:2]]
    ranked = shipped.rank("How many security officers were killed?", passages)
    number, start, end, _ = ranked[0]
    assert (number, passages[number][0][start:end]) == (1, "Thirteen")
    assert len(ranked) == sum(len(c) for _, c in passages)
    assert sum(p for *_, p in ranked) == pytest.approx(1.0, abs=1e-5)


def test_the_titled_name_is_the_runner_up_to_the_bare_name(nlp, shipped):
    question, context, _ = CASES[0]
    spans = shipped.extract(question, context, reader.candidates_of(nlp(context)), top=2)
    assert [context[s:e] for s, e, _ in spans] == ["Nikol Pashinyan", "Armenian Prime Minister Nikol Pashinyan"]
