"""Second-hand sourcing: who a quoted sentence credits for its claim (rag/attribution.py)."""
from __future__ import annotations

import pytest

from rag.attribution import attributed_source, claims


@pytest.mark.parametrize("sentence, source", [
    # sentences of the seed articles
    ("Eight police officers and national guard personnel were killed in riots in different regions "
     "of the country, according to Kazakhstan’s local outlet Tengrinews.kz.", "Kazakhstan’s local outlet Tengrinews.kz"),
    ("Media reports on Thursday said 13 security officers have been killed and 353 wounded.", "media reports"),
    ("• Russian media said Thursday 12 security officers had been killed, with three reportedly being beheaded",
     "Russian media"),
    ("The protests were ignited when the government lifted price controls on liquefied petroleum gas (LPG) "
     "at the start of the year, Reuters reported.", "Reuters"),
    ("A state of emergency has been introduced throughout the country, state-run media reported.", "state-run media"),
    ("It also said 317 officers and personnel were injured, citing the press service of the Ministry of "
     "Internal Affairs.", "the press service of the Ministry of Internal Affairs"),
    ("Dozens of assailants were eliminated,' police spokesman Saltanat Azirbek was quoted as saying by the "
     "Interfax-Kazakhstan, TASS and Ria Novosti news agencies.", "the Interfax-Kazakhstan, TASS and Ria Novosti news agencies"),
    ("Oil accounted for 21 percent of the country's Gross Domestic Product in 2020, according to the World "
     "Bank, which predicts the economy will grow by 3.7 percent this year.", "the World Bank"),
    ("With protests escalating, the government late on Wednesday said a state of emergency declared in "
     "protest-hit areas would be extended nationwide.", "the government"),
    ("Meanwhile, a Moscow-led military alliance dispatched troops to help quell mounting unrest in "
     "Kazakhstan on Thursday as police said dozens were killed.", "police"),
    ("A journalist in Almaty told CNN they were experiencing internet outage.", "A journalist in Almaty"),
    ("The intensive firing is underway,' said a report from the scene by TASS news agency.",
     "a report from the scene by TASS news agency"),
    # and of other news
    ("Sprite will no longer be sold in green bottles, the company said this week.", "the company"),
    ("Chipotle this week announced a costume collection with Spirit Halloween.", "Chipotle"),
])
def test_the_credited_source_is_found_in_the_sentences_words(sentence, source):
    assert attributed_source(sentence) == source
    assert source.casefold() in sentence.casefold()


@pytest.mark.parametrize("sentence", [
    "The death toll among police and security service members has reportedly reached 13.",  # unnamed
    "They also said about 2,000 people have been detained.",  # a pronoun names nobody
    "He told how in the seized office protesters broke open a safe.",
    "Special units were deployed to Almaty on Wednesday night, with reports of gunfights.",  # a noun
    "The president branded the rioters terrorists and claimed they had been trained abroad.",  # a clause
    "Within hours the alliance said the first troops had been sent.",  # starts with a preposition
    "Nordstrom closed its store in San Francisco, citing challenging operating conditions.",  # a reason
    "The US leads the global count with more than 530,000 deaths and 29 million cases reported.",
    "Oil-rich Kazakhstan has attracted foreign investment since its independence.",
    "",
])
def test_a_sentence_that_credits_nobody_gives_no_source(sentence):
    assert attributed_source(sentence) == ""


def test_the_source_nearest_the_answer_wins():
    sentence = "Police said five people had died, while hospital officials said seven were injured."
    assert attributed_source(sentence) == "police"  # the first when no answer is marked; a common word lower-cased
    seven = sentence.index("seven")
    assert attributed_source(sentence, seven, seven + 5) == "hospital officials"
    five = sentence.index("five")
    assert attributed_source(sentence, five, five + 4) == "police"


def test_a_source_that_is_the_answer_is_no_attribution():
    sentence = "Uber on Wednesday reported substantial revenue growth in the final three months of last year."
    assert attributed_source(sentence) == "Uber"
    assert attributed_source(sentence, 0, 4) == ""  # "Which company reported ...?" -> Uber, not "citing Uber"


def test_an_outlet_does_not_cite_itself():
    sentence = "The ceasefire held overnight, Reuters reported."
    assert attributed_source(sentence, outlets=("Reuters",)) == ""
    assert attributed_source(sentence, outlets=("CNN", "AFP")) == "Reuters"


@pytest.mark.parametrize("sentence", ["- " * 999, "according to " * 150, "x, " + "a " * 900 + "reported.",
                                      "Reuters reported. " * 200])
def test_degenerate_sentences_credit_nobody(sentence):
    # page furniture and run-on text: no source, and no runaway pattern matching
    assert attributed_source(sentence) == ""


@pytest.mark.parametrize("sentence, source, claim", [
    # the claim before the source, after a dateline
    ("BELGRADE, January 6. /TASS/. Foreign intelligence services are behind the ongoing mass riots in "
     "Kazakhstan, Serbian President Aleksandar Vucic told reporters on Thursday.",
     "Serbian President Aleksandar Vucic", "Foreign intelligence services are behind the ongoing mass riots in Kazakhstan"),
    # the claim after the source, a quotation after a colon
    ("In a comment on the claims, Vucic said: \"I don’t think that they hope to defeat a candidate.\"",
     "Vucic", "I don’t think that they hope to defeat a candidate"),
    ("Troops arrived on Thursday as police said dozens were killed.", "police", "dozens were killed"),
    # where it was said is not what was said
    ("On Wednesday, State Department Spokesman Ned Price said in a statement the US is closely following "
     "the situation.", "State Department Spokesman Ned Price", "the US is closely following the situation"),
    ("Tokayev said in a national television address Wednesday that he will take control of the council — a "
     "move that seemingly sidelines his predecessor.", "Tokayev", "he will take control of the council"),
    # a quotation before its source, a clause after it
    ("'Peacekeeping forces were sent for a limited time,' the CSTO said in a statement, without "
     "specifying the number of troops.", "the CSTO", "Peacekeeping forces were sent for a limited time"),
    ("According to the CSTO, the troops will stay for a limited time.", "the CSTO",
     "the troops will stay for a limited time"),
])
def test_the_claim_is_the_other_side_of_its_attribution(sentence, source, claim):
    assert [(s, sentence[a:b]) for s, a, b in claims(sentence)] == [(source, claim)]


@pytest.mark.parametrize("sentence", [
    "It said the troops would stay.",  # a pronoun names nobody
    "News of the incidents was broadcast by the TV channel Khabar 24.",  # a passive says nothing
    "Then, Tokayev said.",  # nothing left to quote
])
def test_an_attribution_without_a_claim_gives_none(sentence):
    assert claims(sentence) == []
