"""rag.bridge: the descriptions in a question that a name could stand for."""
from __future__ import annotations

import pytest

from rag.bridge import descriptions


@pytest.mark.parametrize("question, found", [
    ("Who currently leads the Russia-dominated military bloc?", ["the Russia-dominated military bloc"]),
    # after "did" the words run into the verb: the run without one word and without two are
    # tried, each kept when it ends in a noun a name can stand for
    ("What title did Kazakhstan's former leader give himself?", ["Kazakhstan's former leader"]),
    ("Who did Kassym-Jomart Tokayev's new prime minister replace?", ["Kassym-Jomart Tokayev's new prime minister"]),
    ("When did the popular video app ban users?", ["the popular video app"]),
    # ... and where they run into a pronoun or a name, with and without the last word
    ("Which title has Kazakhstan's former leader given himself?", ["Kazakhstan's former leader"]),
    ("Why has Russia's state energy giant stopped deliveries?", ["Russia's state energy giant"]),
    # a rank singles out; a noun no name stands for is no description
    ("Which island nation became the youngest republic in the world?", []),
    ("Who became the first woman to hold the post?", []),
    ("Which celebrity pledged to pay the funeral costs?", []),
    ("What Netflix series did the streaming service deem its biggest-ever?", []),
    # a copular question asks for what the description describes
    ("Who is the current president?", []),
    ("Who was Kazakhstan's first president?", []),
    # the description goes on with "of": only the whole phrase names something
    ("Where did the chief executive of the company resign?", []),
    # a name is no description; neither is a noun with nothing to tell it apart
    ("What did the United States announce?", []),
    ("A rise in the price of which fuel set off the unrest?", []),
    ("What did his security council decide?", []),
])
def test_descriptions_a_name_could_stand_for(question, found):
    assert [d.text for d in descriptions(question)] == found


def test_a_name_takes_the_description_s_place():
    question = "Who currently leads the Russia-dominated military bloc?"
    (described,) = descriptions(question)
    assert question[described.start:described.end] == described.text
    assert described.sub_question() == "Who is the Russia-dominated military bloc?"
    assert described.rewrite(question, "the CSTO") == "Who currently leads the CSTO?"
