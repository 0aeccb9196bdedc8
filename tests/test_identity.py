"""Who-is questions about a name (rag.identity), on hand-written sentences."""
from __future__ import annotations

import pytest

from rag import identity


@pytest.mark.parametrize("question, name", [
    ("Who is Tokayev?", "Tokayev"),
    ("who was Nursultan Nazarbayev", "Nursultan Nazarbayev"),
    ("Who's Kassym-Jomart Tokayev?", "Kassym-Jomart Tokayev"),
    ("Who is Mohammed bin Salman?", "Mohammed bin Salman"),
    ("Who is the president of Kazakhstan?", None),  # a title is asked for, not a description
    ("Who is Tokayev's successor?", None),
    ("Who was Guy's Rival?", None),  # someone described by another name
    ("Who is Kazakhstan's president?", None),
    ("Who chairs the CSTO?", None),
    ("Who is leading the protests?", None),
])
def test_only_a_bare_name_after_who_is_asks_who_someone_is(question, name):
    assert identity.asked_name(question) == name


def _described(sentence: str, name: str) -> list[str]:
    found = identity.describe(sentence, 0, len(sentence), name)
    for f in found:
        assert sentence[f.start:f.end] == f.text  # offsets into the text, quoted verbatim
    return [f.text for f in found]


@pytest.mark.parametrize("sentence, name, expected", [
    ("Kazakh President Kassym-Jomart Tokayev asked for help.", "Tokayev", ["Kazakh President"]),
    ("Kazakh President Kassym-Jomart Tokayev asked for help.", "Kassym-Jomart Tokayev", ["Kazakh President"]),
    ("It followed remarks by Russian leader Vladimir Putin, who said so.", "Putin", ["Russian leader"]),
    ("Tokayev is the chosen successor to Putin ally Nursultan Nazarbayev, a statue of whom was toppled.",
     "Nazarbayev", ["Putin ally"]),  # the apposition is a clause ("of whom was"), not a description
    ("Tokayev is the chosen successor to Putin ally Nursultan Nazarbayev, a statue of whom was toppled.",
     "Tokayev", ["chosen successor to Putin ally Nursultan Nazarbayev"]),
    ("It shows Founding President of Kazakhstan Nursultan Nazarbayev (left) at a summit.", "Nazarbayev",
     ["Founding President of Kazakhstan"]),
    ("Protesters pulled down a statue of Nursultan Nazarbayev - the self-styled 'Father of the Nation' "
     "and ally of Vladimir Putin.", "Nazarbayev", ["self-styled 'Father of the Nation'"]),
    ("He imprisoned leader of Russia's opposition Alexei Navalny, who was also poisoned.", "Navalny",
     ["leader of Russia's opposition"]),
    ("Alikhan Smailov has been appointed acting Prime Minister, and the cabinet stays.", "Smailov",
     ["acting Prime Minister"]),
    ("The anger was directed at Nazarbayev, who is 81.", "Nazarbayev", []),
    ("A statue of Nursultan Nazarbayev was toppled.", "Nazarbayev", []),  # "statue of" is no title
    ("Meanwhile Tokayev said he would stay.", "Tokayev", []),
    ("Nazarbayev, Tokayev and Mamin met.", "Nazarbayev", []),  # a list, not an apposition
    ("Nazarbayev, 81, stepped down.", "Nazarbayev", []),  # an age
    ("In a speech to the nation, Tokayev said so.", "Tokayev", []),  # a speech is no role
    ("Warsz was a 12th/13th-century nobleman who owned the village.", "Warsz", ["12th/13th-century nobleman"]),
    ("In 1888, the editor of a trade magazine, Thomas Commerford Martin (a friend and publicist), set up a "
     "demonstration.", "Thomas Commerford Martin", ["editor of a trade magazine", "friend and publicist"]),
    ("In 1529, Philip I, Landgrave of Hesse, called an assembly.", "Philip I", ["Landgrave of Hesse"]),
])
def test_a_description_is_a_title_an_apposition_or_a_copulas_complement(sentence, name, expected):
    assert _described(sentence, name) == expected


def test_one_description_in_other_words_is_one_value():
    assert identity.key("Kazakhstan's founding president") == identity.key("Founding President of Kazakhstan")
    assert identity.key("Beleaguered Kazakh president") == identity.key("Kazakh President")
    assert identity.key("self styled 'Father of the Nation'") == identity.key("self-styled 'Father of the Nation'")
    assert identity.key("Kazakh President") != identity.key("Kazakh Prime Minister")
    assert identity.key("former president") != identity.key("President")


def test_a_qualified_role_describes_best_then_a_relation_then_anything_else():
    ordered = ["Russian President", "President", "Putin ally", "self-styled 'Father of the Nation'",
               "chosen successor", "statue"]
    ranks = [identity.rank(d) for d in ordered]
    assert ranks == [(2, 1), (2, 0), (1, 1), (1, 1), (1, 0), (0, 0)]
    assert identity.head("leader of Russia's opposition") == "leader"
    assert identity.rank("Former Communist Party boss") == (2, 1)  # "Former" opens the sentence: no qualifier
    assert identity.rank("acting Prime Minister") == (2, 0)  # "Prime" belongs to the title
