"""How the answer stage mixes in the span ranker, with a stand-in ranker on the real seed index.

The arbiter (tests/test_arbiter.py) is off wherever a stand-in ranker reads: it was fitted on the
real ranker's probabilities, and these tests are about the weights and picks it sits on top of."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

import rag.answer
from rag.answer import Reader
from rag.reader import default_reader


class FavouringRanker:
    """The shipped ranker's idf, but a score that strongly prefers spans ending in `favourite`."""

    def __init__(self, favourite: str) -> None:
        self.idf = default_reader().idf
        self.favourite = favourite
        self.read: list[int] = []

    def scores(self, question, passage) -> np.ndarray:
        self.read.append(len(passage.candidates))
        return np.array([50.0 if passage.text[c.start:c.end].endswith(self.favourite) else 0.0
                         for c in passage.candidates], dtype=np.float32)


def _no_arbiter(reader: Reader):
    return replace(reader.settings, arbiter=False)


def _ask(assistant, reader: Reader, question: str):
    vector = assistant.embedder.encode([question])[0]
    hits = assistant.retriever.retrieve(question, vector, reader.settings.read_top)
    return reader.read(question, vector, hits)


def test_the_ranker_weight_decides_between_candidates(assistant):
    # (in the "the president of Kazakhstan" form, a favoured "Putin ally Nursultan Nazarbayev"
    # is declined: no passage titles him president beside his name, and no former one counts)
    question = "Who is Kazakhstan's president?"
    base = assistant.reader
    ranker = FavouringRanker("Nursultan Nazarbayev")
    heuristic = Reader(base.index, replace(base.settings, arbiter=False, span_ranker=0.0, span_ranker_untyped=0.0),
                       base.calibration, ranker)
    assert _ask(assistant, heuristic, question).answer == "Tokayev"
    assert ranker.read == []  # weights 0: the ranker is never run
    mixed = Reader(base.index, replace(base.settings, arbiter=False, span_ranker=0.1, span_ranker_untyped=0.0),
                   base.calibration, ranker)
    assert _ask(assistant, mixed, question).answer == "Nursultan Nazarbayev"  # a typed question


def test_untyped_questions_take_their_own_ranker_weight(assistant):
    question = "What did protesters set on fire in Almaty?"  # no expected answer type
    base = assistant.reader
    ranker = FavouringRanker("rising fuel prices")
    typed_only = Reader(base.index, replace(base.settings, arbiter=False, span_ranker=0.1, span_ranker_untyped=0.0),
                        base.calibration, ranker)
    untyped = Reader(base.index, replace(base.settings, arbiter=False, span_ranker=0.0, span_ranker_untyped=0.1),
                     base.calibration, ranker)
    assert _ask(assistant, typed_only, question).answer == "unrest"
    assert _ask(assistant, untyped, question).answer == "rising fuel prices"


def test_a_span_the_type_rules_leave_out_answers_when_the_ranker_vouches_for_it(assistant):
    # "who" wants a name, but no name tore the statue down: the real ranker's noun phrase does
    question = "Who tore down the statue of Nazarbayev?"
    base = assistant.reader
    off = Reader(base.index, replace(base.settings, ranker_backed=0.0, arbiter=False), base.calibration, base.ranker)
    assert _ask(assistant, off, question).answer == "Vladimir Putin"
    answer = _ask(assistant, base, question)
    assert answer.answer == "angry mob"
    first = answer.citations[0]
    assert first.outlet == "Daily Mail" and "an angry mob tore down a statue of former president" in first.quote
    assert first.quote[first.answer_start:first.answer_end] == "angry mob"


def test_the_ranker_never_vouches_for_a_figure_or_a_span_around_the_name_asked_for(assistant):
    base = assistant.reader
    backed = Reader(base.index, _no_arbiter(base), base.calibration, FavouringRanker("in Mangystau"))
    # "Zhanaozen in Mangystau" holds the place a "which town" question asks for: the place answers
    assert _ask(assistant, backed, "In which town did the rallies begin?").answer == "Zhanaozen"
    figure = Reader(base.index, _no_arbiter(base), base.calibration, FavouringRanker("officers"))
    assert _ask(assistant, figure, "How many security officers were killed?").answer == "13"


def test_the_ranker_analysis_cache_is_bounded(assistant, monkeypatch):
    monkeypatch.setattr(rag.answer, "PASSAGE_CACHE", 2)
    base = assistant.reader
    reader = Reader(base.index, base.settings, base.calibration, base.ranker)
    for question in ("Who chairs the CSTO?", "How old is Nazarbayev?", "Which US firm controls half of the Tengiz oilfield?"):
        _ask(assistant, reader, question)
        assert len(reader._passages) <= 2


def test_a_span_the_ranker_is_sure_of_is_a_candidate_even_against_the_type_rules(assistant):
    # "When ...?" wants a date; a span the ranker gives ~1.0 probability competes all the same
    # (and wins here), while with `ranker_sure` off only dates and the like are read
    question = "When did Nazarbayev step down?"
    base = assistant.reader
    ranker = FavouringRanker("anointed successor")
    vector = assistant.embedder.encode([question])[0]
    hits = assistant.retriever.retrieve(question, vector, base.settings.read_top)
    off = Reader(base.index, replace(base.settings, arbiter=False, ranker_sure=0.0), base.calibration, ranker)
    assert off.analyze(question, vector, hits).candidates[0].text == "2019"
    assert not any(c.text.endswith("anointed successor") for c in off.analyze(question, vector, hits).candidates)
    sure = Reader(base.index, _no_arbiter(base), base.calibration, ranker)
    top = sure.analyze(question, vector, hits).candidates[0]
    assert top.text == "his anointed successor" and top.label == "NP"
    # a figure or date answers such a question best: the calibrated confidence says so
    assert _ask(assistant, sure, question).answer is None


def test_for_an_untyped_question_the_ranker_picks_the_words_within_the_chosen_sentence(assistant):
    # No expected answer type: the heuristics choose the sentence and a noun phrase ("unrest");
    # a ranker that prefers another span of that sentence by `ranker_picks_untyped` or more
    # answers with its span (trimmed), quoting the same sentence of the same outlet
    question = "What did protesters set on fire in Almaty?"
    base = assistant.reader
    sentence = ("Pictured: An outside view of the burning mayor's office which was set on fire during unrest "
                "in Almaty on January 6.")
    ranker = FavouringRanker("Almaty")  # a parse subtree ("unrest in Almaty"), no heuristic candidate
    off = _ask(assistant, Reader(base.index, replace(base.settings, arbiter=False, ranker_picks_untyped=0.0),
                                 base.calibration, ranker), question)
    on = _ask(assistant, Reader(base.index, _no_arbiter(base), base.calibration, ranker), question)
    assert (off.answer, off.sentence) == ("unrest", sentence)
    assert (on.answer, on.sentence) == ("unrest in Almaty", sentence)
    assert on.citations[0].outlet == off.citations[0].outlet == "Daily Mail"
    assert on.citations[0].quote[on.citations[0].answer_start:on.citations[0].answer_end] == "unrest in Almaty"
    # a ranker that prefers the heuristic pick's own value ("the unrest") changes nothing
    same = _ask(assistant, Reader(base.index, _no_arbiter(base), base.calibration, FavouringRanker("unrest")), question)
    assert (same.answer, same.sentence) == ("unrest", sentence)


def test_for_a_typed_question_only_a_far_surer_ranker_picks_and_never_for_a_figure(assistant):
    # (the sure-span bonus and the typed ranker weight off, so that only the pick can move it)
    base = replace(assistant.reader.settings, ranker_sure=0.0, span_ranker=0.0, arbiter=False)
    question = "Which watchdog reported the nationwide internet blackout?"
    sentence = ("A nationwide internet blackout was in effect in Kazakhstan early Thursday, according to internet "
                "freedom watchdog Netblocks.")
    ranker = FavouringRanker("Kazakhstan")  # about 1.0 against about 0 for "Netblocks"

    def ask(question, **changes):
        reader = Reader(assistant.reader.index, replace(base, **changes), assistant.reader.calibration, ranker)
        answer = _ask(assistant, reader, question)
        return answer.answer, answer.sentence

    assert ask(question, ranker_picks_typed=0.0) == ("Netblocks", sentence)
    assert ask(question) == ("Kazakhstan", sentence)
    figure = "How many people have been detained?"  # the sentence holds "Kazakhstan" as well
    assert ask(figure)[0] == ask(figure, ranker_picks_typed=0.0)[0] == "2,000"
