"""rag.places: which candidate answers are countries or US states."""
from __future__ import annotations

import pytest

from rag import places
from rag.question import classify


@pytest.mark.parametrize("name, country, state", [
    ("Ukraine", True, True),  # a "state" may be a nation-state
    ("the Philippines", True, True),
    ("U.S.", True, True),
    ("Côte d’Ivoire", True, True),
    ("the Republic of China", True, True),
    ("the Empire of Japan", True, True),
    ("Trinidad and Tobago", True, True),
    ("Britain and France", True, True),
    ("Myanmar, Eritrea, Kyrgyzstan and Nigeria", True, True),
    ("New Jersey", False, True),
    ("Kyiv", False, False),
    ("Maricopa County", False, False),
    ("Kyiv and Ukraine", False, False),
    ("Emmanuel Macron", False, False),
    ("and", False, False),
])
def test_countries_and_states_are_told_from_other_places(name, country, state):
    assert places.is_kind(name, "country") is country
    assert places.is_kind(name, "state") is state
    assert places.is_kind(name, "") is False


def test_the_noun_a_question_asks_with_decides_the_kind():
    assert classify("In which country did the United States reopen its embassy?").place_kind == "country"
    assert classify("Which island nation became a republic?").place_kind == "nation"
    assert classify("Which US state reelected a Democratic governor?").place_kind == "state"
    assert classify("Which country's troops are amassed on Ukraine's border?").place_kind == "country"
    assert classify("Which city hosted the summit?").place_kind == ""
    # a place noun modifying what is asked for asks for no place
    assert classify("What state media reported the attack?").place_kind == ""
    assert classify("Which country music star won?").place_kind == ""
    assert classify("What state of matter is ice?").place_kind == ""
    assert classify("What is the state of emergency?").place_kind == ""
    assert classify("Who is the president of Kazakhstan?").place_kind == ""


def test_the_places_a_question_names_by_any_of_their_names():
    named = places.named_in("In which country did the United States reopen its embassy?")
    assert places.same_place("US", named) and places.same_place("the U.S.", named)
    assert not places.same_place("Ukraine", named)
    assert places.named_in("Which country's troops are amassed on Ukraine’s border?") == {"ukraine"}
    assert places.named_in("Can you tell us which country won?") == set()  # the pronoun
    assert places.same_place("Burma", places.named_in("Which country borders Myanmar?"))
