"""The arbiter between the heuristic answer and the span ranker's: its fit, its guards, and the
shipped model on a real index."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rag.answer import Reader
from rag.arbiter import Arbiter, fit
from rag.pipeline import Assistant, Settings

PIGS = """---
title: Feral pigs spread north
outlet: Reuters
date: 2023-03-14
---
Feral pigs have spread to 35 states, the Department of Agriculture said on Tuesday. Wildlife officials in Texas regard the animals as pests, and landowners there may shoot them all year round.

European settlers brought the first pigs to the region in the sixteenth century. A sounder of pigs can destroy a field of corn in a single night, farmers told Reuters.
"""


def _always(prefers: bool) -> Arbiter:
    """A stand-in arbiter that always (or never) prefers the ranker's span."""
    return Arbiter(("best_p",), np.zeros(1), np.ones(1), np.zeros(1), 30.0 if prefers else -30.0)


def _analysis(assistant, reader: Reader, question: str):
    vector = assistant.embedder.encode([question])[0]
    hits = assistant.retriever.retrieve(question, vector, reader.settings.read_top)
    reading = reader.analyze(question, vector, hits)
    _, answer, clause = reader.heuristic_answer(question, reading)
    return reading, answer, reader.alternative(question, reading, answer, clause)


def _ask(assistant, reader: Reader, question: str):
    vector = assistant.embedder.encode([question])[0]
    return reader.read(question, vector, assistant.retriever.retrieve(question, vector, reader.settings.read_top))


def test_the_fit_learns_which_way_a_feature_points_and_how_much_each_example_counts():
    rng = np.random.default_rng(0)
    xs = rng.normal(size=200)
    rows = [{"gap": float(x), "noise": float(n)} for x, n in zip(xs, rng.normal(size=200))]
    better = [x > 0 for x in xs]
    model = fit(rows, better, [1.0] * 200, l2=1.0)
    assert model.names == ("gap", "noise")
    assert model.weights[0] > 5 * abs(model.weights[1]) > 0
    low, high = ({"gap": -1.0, "noise": 0.0}, {"gap": 1.0, "noise": 0.0})
    probability = lambda row: 1 / (1 + np.exp(-(model.bias + ((np.array([row[n] for n in model.names])
                                                               - model.mean) / model.scale) @ model.weights)))
    assert probability(low) < 0.1 < 0.9 < probability(high)
    # an example of weight 0 changes nothing, however wrong its label
    flipped = fit(rows + [{"gap": 3.0, "noise": 0.0}], better + [False], [1.0] * 200 + [0.0], l2=1.0)
    assert flipped.weights[0] == pytest.approx(fit(rows + [{"gap": 3.0, "noise": 0.0}], better + [True],
                                                   [1.0] * 200 + [0.0], l2=1.0).weights[0])


def test_the_arbiter_file_round_trips(tmp_path):
    model = fit([{"a": 0.0, "b": 1.0}, {"a": 1.0, "b": 0.0}, {"a": 2.0, "b": 2.0}], [False, True, True],
                [1.0, 0.5, 1.0], l2=2.0, threshold=0.6, fitted_on="three rows")
    model.save(tmp_path / "arbiter.json")
    again = Arbiter.load(tmp_path / "arbiter.json")
    assert again.names == ("a", "b") and again.threshold == 0.6 and again.fitted_on == "three rows"
    assert np.allclose(again.weights, model.weights, atol=1e-5) and again.bias == pytest.approx(model.bias, abs=1e-5)


def test_the_shipped_arbiter_answers_with_the_rankers_span_where_the_type_rules_miss(tmp_path, assistant):
    # "regard the animals as what?" has no answer type; the heuristics take a name near the
    # question's words, the span ranker "pests", and the trained arbiter sides with the ranker
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "pigs.md").write_text(PIGS)
    pigs = Assistant.load(Settings(seeds_dir=seeds, index_dir=tmp_path / "index"), embedder=assistant.embedder,
                          progress=False)
    question = "What do wildlife officials in Texas regard the animals as?"
    reader = pigs.reader
    off = Reader(reader.index, replace(reader.settings, arbiter=False), reader.calibration, reader.ranker)
    assert _ask(pigs, off, question).answer == "Department of Agriculture"
    answer = pigs.ask(question)
    assert answer.answer == "pests"
    assert answer.sentence == ("Wildlife officials in Texas regard the animals as pests, and landowners there may "
                               "shoot them all year round.")
    first = answer.citations[0]
    assert first.outlet == "Reuters" and first.quote[first.answer_start:first.answer_end] == "pests"
    assert [first.quote in article.text for article in pigs.index.articles.values()] == [True]
    _, heuristic, alternative = _analysis(pigs, reader, question)
    assert (heuristic, alternative.text) == ("Department of Agriculture", "pests")
    assert reader.arbiter.probability(alternative.evidence) > reader.arbiter.threshold


def test_an_arbiter_that_prefers_the_ranker_answers_with_its_best_span_and_cites_it(assistant):
    base = assistant.reader
    ranker_side = Reader(base.index, base.settings, base.calibration, base.ranker, _always(True))
    heuristic_side = Reader(base.index, base.settings, base.calibration, base.ranker, _always(False))
    question = "Which supermarket chain's spokesman said stores were looted?"
    _, heuristic, alternative = _analysis(assistant, ranker_side, question)
    assert (heuristic, alternative.text) == ("Magnum", "Dmitry Shishkin")
    assert _ask(assistant, heuristic_side, question).answer == "Magnum"
    answer = _ask(assistant, ranker_side, question)
    home = alternative.sentence
    assert answer.answer == "Dmitry Shishkin"
    assert answer.sentence == base.index.articles[home.hit.chunk.article_id].text[home.start:home.end]
    assert "Dmitry Shishkin" in answer.sentence
    first = answer.citations[0]
    assert first.outlet == "Daily Mail" and first.quote[first.answer_start:first.answer_end] == "Dmitry Shishkin"
    # the shipped arbiter keeps the chain's name
    assert base.arbiter.probability(alternative.evidence) < base.arbiter.threshold
    assert assistant.ask(question).answer == "Magnum"


@pytest.mark.parametrize("question, kept", [
    ("How many people were hospitalised?", "400"),  # a figure: the ranker reads no unit or casualty
    # the name, not "internet freedom watchdog Netblocks"
    ("Which watchdog reported the nationwide internet blackout?", "Netblocks"),
    ("In which town did the rallies begin?", "Zhanaozen"),  # not a span around the town asked for
])
def test_the_ranker_never_replaces_a_figure_the_name_with_its_noun_or_a_name_of_the_asked_kind(assistant, question,
                                                                                              kept):
    base = assistant.reader
    ranker_side = Reader(base.index, base.settings, base.calibration, base.ranker, _always(True))
    assert _ask(assistant, ranker_side, question).answer == kept


def test_where_outlets_disagree_the_rival_reports_stay_with_the_heuristic_value(assistant):
    base = assistant.reader
    ranker_side = Reader(base.index, base.settings, base.calibration, base.ranker, _always(True))
    question = "Who currently leads the Russia-dominated military bloc?"
    reading, _, alternative = _analysis(assistant, ranker_side, question)
    assert len(reading.groups) == 2 and alternative is None


def test_the_training_examples_are_the_questions_where_the_two_answers_score_differently(tmp_path, assistant):
    from rag import evalrun
    from rag.evalsets import Passages, Question
    from rag.train_arbiter import examples

    passages = Passages()
    body = PIGS.split("---\n", 2)[2]
    gold = passages.add(body, "Feral pigs spread north", "Reuters")
    corpus = evalrun.open_corpus("pigs", passages, assistant.embedder, tmp_path, Settings(), progress=False)
    questions = [Question("as", "What do wildlife officials in Texas regard the animals as?", ("pests",), gold),
                 Question("states", "How many states have feral pigs spread to?", ("35",), gold)]
    shipped = corpus.assistant.reader
    reader = Reader(shipped.index, replace(shipped.settings, arbiter=False), shipped.calibration, shipped.ranker)
    rows, better, weight, totals = examples(corpus, questions, assistant.embedder.encode(
        [q.question for q in questions]), reader)
    # the figure question offers no alternative (the ranker never replaces a figure): one example
    assert (better, weight) == ([True], [1.0])
    assert rows[0]["same_sentence"] == 0.0 and rows[0]["wh=what"] == 1.0 and rows[0]["best_p"] > 0.3
    assert totals == {"questions": 2, "examples": 1, "heuristic_f1": 50.0, "ranker_f1": 100.0}
