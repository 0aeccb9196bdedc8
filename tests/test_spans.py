"""Question typing and span shaping, on hand-written cases."""
from __future__ import annotations

import pytest

from rag import spans
from rag.question import MEANS_QUESTION, classify, speaker, spell_out_dates


@pytest.mark.parametrize("question, labels, plural", [
    ("Who chairs the CSTO?", {"PERSON", "ORG", "NORP"}, False),
    ("How many security officers were killed?", {"CARDINAL", "QUANTITY"}, False),
    ("For how many days will prices be regulated?", {"CARDINAL", "QUANTITY", "DATE", "TIME"}, False),
    ("When did protests flare up?", {"DATE", "TIME"}, False),
    ("Where did the rallies begin?", {"GPE", "LOC", "FAC"}, False),
    ("Which countries make up the CSTO?", {"GPE", "LOC", "FAC"}, True),
    ("Which supermarket chain's spokesman spoke?", {"ORG", "NORP"}, False),
    ("What is the population of Kazakhstan?", {"CARDINAL", "QUANTITY"}, False),
    ("What is Kazakhstan's capital?", {"GPE", "LOC", "FAC"}, False),
    ("Why did the protests start?", set(), False),
])
def test_questions_are_typed_by_wh_word_and_head_noun(question, labels, plural):
    qtype = classify(question)
    assert set(qtype.labels) == labels
    assert qtype.plural is plural


def test_spans_are_trimmed_of_articles_possessives_and_quotes():
    text = "said the CSTO's chairman and 'Father of the Nation' too"
    start = text.index("the CSTO's")
    assert text.__getitem__(slice(*spans.trim(text, start, start + len("the CSTO's")))) == "CSTO"
    quoted = text.index("'Father")
    assert text.__getitem__(slice(*spans.trim(text, quoted, quoted + len("'Father of the Nation'")))) == "Father of the Nation"


def test_names_are_completed_and_descriptors_dropped():
    text = "British comedian Sacha Baron Cohen's 2006 hit"
    start = text.index("Sacha")
    assert text.__getitem__(slice(*spans.extend_name(text, start, start + 5, len(text)))) == "Sacha Baron Cohen"
    phrase = "weapons store Korgan"
    assert phrase.__getitem__(slice(*spans.name_tail(phrase, 0, len(phrase)))) == "Korgan"
    assert spans.name_tail("the alliance", 0, 12) == (0, 12)


def test_a_list_is_taken_whole_around_one_item():
    text = "which includes Russia, Belarus, Armenia, Kazakhstan, Kyrgyzstan, and Tajikistan — decided"
    start = text.index("Belarus")
    got = spans.coordinated(text, start, start + 7, 0, len(text))
    assert text[got[0]:got[1]] == "Russia, Belarus, Armenia, Kazakhstan, Kyrgyzstan, and Tajikistan"


@pytest.mark.parametrize("text, value", [
    ("13", 13.0), ("twelve", 12.0), ("Eight", 8.0), ("More than 10,000", 10_000.0),
    ("19 million", 19_000_000.0), ("3.7 percent", 3.7), ("dozens", None),
])
def test_numeric_values(text, value):
    assert spans.numeric_value(text) == value


@pytest.mark.parametrize("a, b, rivals", [
    ("13", "Eight", True), ("353", "317", True), ("1989", "81", False),
    ("19 million", "five", False), ("Tokayev", "Putin", True), ("2019", "2015", True),
])
def test_only_values_of_one_kind_can_rival_each_other(a, b, rivals):
    assert spans.same_kind(a, b) is rivals


def test_value_keys_fold_number_words_and_articles():
    assert spans.value_key("twelve") == spans.value_key("12") == "12"
    assert spans.value_key("the Kremlin") == spans.value_key("Kremlin")
    assert spans.acronym("Collective Security Treaty Organization") == "csto"
    # hedges are not part of the value; "over" a figure is "more than" it
    assert spans.value_key("around 2,000") == spans.value_key("almost 2,000") == spans.value_key("2,000")
    assert spans.value_key("over 1,000") == spans.value_key("more than 1,000") != spans.value_key("1,000")
    assert spans.value_key("game over") == "game over"


@pytest.mark.parametrize("a, b, same", [
    ("Tokayev", "Kassym-Jomart Tokayev", True),
    ("the Republic of Kazakhstan", "Kazakhstan", True),
    ("over 1,000", "more than 1,000", True),
    ("Eight", "8", True),
    ("Tokayev", "Nursultan Nazarbayev", False),
    ("Kassym-Jomart Tokayev", "Kassym-Jomart", False),  # a first name is not the person's surname
    ("president", "vice president", False),  # not names
    ("1,000", "more than 1,000", False),
    ("12", "2012", False),
])
def test_a_name_and_its_surname_state_one_value(a, b, same):
    assert spans.same_value(a, b) is same
    assert spans.same_value(b, a) is same


@pytest.mark.parametrize("question, heads", [
    ("Which student vanished after posting footage?", {"student", "vanished"}),
    ("In which town did the rallies begin?", {"town"}),
    ("Which supermarket chain's spokesman said stores were looted?", {"supermarket", "chain"}),
    ("Who is the president of Kazakhstan?", {"president"}),
    ("Who is Kazakhstan's president?", {"president"}),  # after "is", what the possessor has
    ("What was the alliance's biggest member?", {"biggest", "member"}),
    ("What is the name of the mayor of Almaty?", {"mayor"}),
    ("Who speaks for the police in Almaty?", set()),
    ("When did protests flare up?", set()),
])
def test_head_words_name_what_the_question_asks_about(question, heads):
    assert set(classify(question).heads) == heads


@pytest.mark.parametrize("question, current, places", [
    ("Who is the president of Kazakhstan?", True, ("kazakhstan",)),
    ("Who is Kazakhstan's president?", True, ("kazakhstan",)),
    ("Who currently leads the military bloc?", True, ()),
    ("What's the capital of Kazakhstan?", True, ("kazakhstan",)),
    ("Who was the president of Kazakhstan?", False, ("kazakhstan",)),  # the past: formers count
    ("Who is the president of Kazakhstan in 2015?", False, ("kazakhstan",)),
    ("Who founded the party?", False, ()),  # no present-tense word: nothing ruled out
    ("A volcano erupted on which European island?", False, ("european",)),  # the reader checks places
])
def test_a_question_about_a_title_held_now_and_where(question, current, places):
    qtype = classify(question)
    assert (qtype.current, qtype.places) == (current, places)


@pytest.mark.parametrize("question, verb", [
    ("What was set on fire in Almaty?", "set"),
    ("What were destroyed by the fire?", "destroyed"),
    ("What has been built since 2019?", "built"),
    ("What is being built in Almaty?", "built"),
    ("What was later discovered written by Luther?", "discovered"),  # not the adverb
    ("What was the name of the mayor?", ""),  # no participle
    ("What was Tesla's first car?", ""),
    ("Who was set free?", ""),  # who-questions have their own verb rule
])
def test_a_what_was_done_question_names_its_participle(question, verb):
    assert classify(question).patient_verb == verb


@pytest.mark.parametrize("question, spelt", [
    ("What happened on Jan. 6?", "What happened on January 6?"),
    ("Who spoke on Sept. 11, 2001 and Aug 3?", "Who spoke on September 11, 2001 and August 3?"),
    ("What did Mar say in March?", "What did Mar say in March?"),  # no day after it: a name
    ("Is the Dec. deadline met?", "Is the Dec. deadline met?"),
])
def test_month_abbreviations_before_a_day_are_spelt_out(question, spelt):
    assert spell_out_dates(question) == spelt


def test_the_name_of_a_person_noun_asks_for_a_person():
    assert set(classify("What is the name of the mayor of Almaty?").labels) == {"PERSON"}


def _shaped(text: str, phrase: str, shape) -> str:
    start = text.index(phrase)
    return text.__getitem__(slice(*shape(text, start, start + len(phrase))))


def test_amounts_take_their_currency_and_brackets_mark_conversions():
    text = "a new price of 50 tenge ($0.11) per litre, and 2,000 tenge (£3.40) each"
    assert _shaped(text, "50", spans.with_unit) == "50 tenge"
    assert _shaped(text, "per", spans.with_unit) == "per"  # no figure, no unit
    start = text.index("0.11")
    assert spans.in_brackets(text, start, start + 4)
    start = text.index("3.40")
    assert spans.in_brackets(text, start, start + 4)
    start = text.index("2,000")
    assert not spans.in_brackets(text, start, start + 5)


def test_a_time_of_day_is_cut_from_a_count_and_lists_end_before_the_full_stop():
    text = "by 4 am some seven outlets were looted"
    assert _shaped(text, "4 am some seven", spans.trim) == "seven"
    listing = "The offices were looted in Almaty - MIR, Kazakhstan, Khabar, Eurasia, and KTK."
    start = listing.index("Khabar")
    found = spans.coordinated(listing, start, start + 6, 0, len(listing))
    assert listing[found[0]:found[1]] == "MIR, Kazakhstan, Khabar, Eurasia, and KTK"
    assert spans.is_list(listing[found[0]:found[1]])
    assert not spans.is_list("Khabar 24")


@pytest.mark.parametrize("span, trimmed", [
    ("price controls on liquefied petroleum gas (LPG)", "price controls on liquefied petroleum gas (LPG)"),
    ("the self-styled 'Father of the Nation'", "self-styled 'Father of the Nation'"),
    ("'Father of the Nation'", "Father of the Nation"),
    ("“terrorists”", "terrorists"),
    ("(LPG)", "LPG"),
    ("(the CSTO", "the CSTO"),
    ("Nazarbayev',", "Nazarbayev"),
    ("the mayor's office.", "mayor's office"),
    ("Tokayev's", "Tokayev"),
])
def test_trimming_keeps_a_bracket_or_quotation_mark_the_span_opened(span, trimmed):
    assert _shaped(span, span, spans.trim) == trimmed


@pytest.mark.parametrize("text, phrase, trimmed", [
    # the tagger's phrase stopped before the mark that closes what it opened: the mark is taken in
    ("Nazarbayev - the self-styled 'Father of the Nation' - was", "self-styled 'Father of the Nation",
     "self-styled 'Father of the Nation'"),
    ("controls on liquefied petroleum gas (LPG) at the start", "liquefied petroleum gas (LPG", "liquefied petroleum gas (LPG)"),
    ("called 'Father of the Nation' by", "'Father of the Nation", "Father of the Nation"),
    ("he said (quietly and", "said (quietly", "said (quietly"),  # nothing closes it next
])
def test_a_mark_the_span_opened_and_the_text_closes_next_is_taken_in(text, phrase, trimmed):
    assert _shaped(text, phrase, spans.trim) == trimmed


def test_a_span_across_the_edge_of_a_list_is_recognised():
    text = "The offices of five TV channels were looted in Almaty - MIR, Kazakhstan, Khabar, Eurasia, and KTK."
    start = text.index("Almaty")
    assert spans.straddles_list(text, start, text.index(", Kazakhstan"), 0, len(text))  # "Almaty - MIR"
    item = text.index("Khabar")
    assert not spans.straddles_list(text, item, item + len("Khabar"), 0, len(text))


@pytest.mark.parametrize("question, verb", [
    ("Who poisoned Alexei Navalny?", "poisoned"),
    ("Who chairs the CSTO?", ""),
    ("Who was appointed acting prime minister?", ""),
    ("Which student vanished?", ""),
])
def test_who_did_it_questions_name_their_verb(question, verb):
    assert classify(question).agent_verb == verb


@pytest.mark.parametrize("extract, sentence, clause", [
    # the reason a "why" question asks for: the clause after a causal marker
    (spans.reason, "The protests were ignited when the government lifted price controls on liquefied petroleum "
     "gas (LPG) at the start of the year, Reuters reported.",
     "the government lifted price controls on liquefied petroleum gas (LPG) at the start of the year"),
    (spans.reason, "Warsaw became the capital of the Commonwealth due to its central location.", "its central location"),
    (spans.reason, "Nintendo was accused of antitrust behavior because of the strict licensing requirements.",
     "the strict licensing requirements"),
    (spans.reason, "To minimize overall weight and size, miniature PM motors may use high energy magnets.",
     "minimize overall weight and size"),
    (spans.reason, "In an effort to discourage Japanese militarism, Western powers cut off supplies.",
     "discourage Japanese militarism"),
    # "Because of this" names no reason; the next marker does
    (spans.reason, "Because of this, the plant closed in 2019 as a result of falling demand.", "falling demand"),
    # the means a "how did ...?" question asks for: after by + gerund (kept), through, via, using
    (spans.means, "President Kassym-Jomart Tokayev tried to head off further unrest by announcing the resignation "
     "of the government, but protests continued.", "by announcing the resignation of the government"),
    (spans.means, "The Dominican Order earned money by begging.", "by begging"),
    (spans.means, "The English order hoped to gain knowledge of Christ through an imitation of His life.",
     "an imitation of His life"),
    (spans.means, "Targets are acquired using air-search radar.", "air-search radar"),
])
def test_a_reason_or_means_is_the_clause_after_its_marker(extract, sentence, clause):
    found = extract(sentence)
    assert found is not None and sentence[found[0]:found[1]] == clause


@pytest.mark.parametrize("extract, sentence", [
    (spans.reason, "Because of this, the plant closed."),
    (spans.reason, "Russia sent troops to Kazakhstan on Thursday."),
    (spans.reason, "Tokayev said the country was under attack."),
    (spans.means, "The statue was pulled down by protesters."),  # "by" and an agent, not a means
    (spans.means, "Russia sent troops to Kazakhstan on Thursday."),
])
def test_a_sentence_without_a_reason_or_means_gives_none(extract, sentence):
    assert extract(sentence) is None


def test_a_long_reason_is_cut_at_a_word_boundary():
    sentence = "It failed because " + " ".join(f"w{i}" for i in range(40)) + "."
    start, end = spans.reason(sentence)
    assert sentence[start:end] == " ".join(f"w{i}" for i in range(spans.REASON_WORDS))


@pytest.mark.parametrize("question, asks", [
    ("How did Tokayev try to head off further unrest?", True),
    ("How is asphalt used in construction?", True),
    ("How many people were detained?", False),
    ("How old is Nazarbayev?", False),
])
def test_how_questions_that_ask_for_a_means(question, asks):
    assert bool(MEANS_QUESTION.search(question)) is asks


@pytest.mark.parametrize("figure, counts", [("13", "dead"), ("353", "hurt"), ("2,000", "held"), ("19 million", "")])
def test_a_figure_counts_what_the_casualty_word_nearest_it_says(figure, counts):
    sentences = ["Media reports said 13 security officers have been killed and 353 wounded.",
                 "About 2,000 people were detained.", "Kazakhstan has 19 million people."]
    text = " ".join(sentences)
    sentence = next(s for s in sentences if figure in s)
    first = text.index(sentence)
    at = text.index(figure, first)
    assert spans.casualty_of(text, at, at + len(figure), first, first + len(sentence)) == counts


def test_a_question_asks_for_the_dead_the_hurt_or_the_held():
    assert spans.casualty("How many people died?") == "dead"
    assert spans.casualty("What was the death toll?") == "dead"
    assert spans.casualty("How many officers were injured?") == "hurt"
    assert spans.casualty("How many protesters were arrested?") == "held"
    assert spans.casualty("How many people live in Almaty?") == ""


@pytest.mark.parametrize("question, who", [
    ("What did Vucic say about the riots?", "Vucic"),
    ("What did the State Department say?", "the State Department"),  # "State" is no verb here
    ("What has the Kremlin said?", "the Kremlin"),
    ("What did Tokayev tell the nation?", "Tokayev"),
    ("What did Reuters report on Thursday?", "Reuters"),
    ("What did he say?", ""),  # a pronoun names nobody
    ("What did they claim about the BBC report?", ""),
    ("What did Sun Jiadong have to say about the system?", "Sun Jiadong"),
    ("What did Tesla claim to be able to transmit?", ""),  # asks for a thing, not an utterance
    ("What did the IPCC say was mistaken?", ""),
    ("Who said the riots were planned?", ""),
])
def test_a_what_did_x_say_question_names_its_speaker(question, who):
    assert speaker(question) == who


def test_the_initials_of_a_name_drop_a_sentences_article_and_keep_a_roman_numeral():
    text = ("The Department of Homeland Security was created after the attacks. Gross Domestic Product fell "
            "as World War II ended.")
    assert spans.name_initials(text) == {"tdhs", "dhs", "gdp", "wwi", "wwii", "tdohs", "dohs"}
    # two words after "The" are no name of their own ("The Kremlin" is not "k")
    assert spans.name_initials("The Kremlin said so.") == {"tk"}


def test_the_initials_of_a_name_count_its_tails_of_three_capitalised_words():
    # SQuAD train: "What did the DHS focus on?" of a paragraph that only ever says "the United
    # States Department of Homeland Security"
    text = "an agency called the United States Department of Homeland Security was created"
    assert spans.name_initials(text) == {"usdhs", "sdhs", "dhs", "usdohs", "sdohs", "dohs"}
    # a tail of two capitalised words is no name of its own: "Domestic Product" is not "dp"
    assert spans.name_initials("Gross Domestic Product fell") == {"gdp"}


def test_the_initials_of_a_name_with_a_connector_are_kept_with_its_letter_too():
    # "DoD" is how the Department of Defense writes itself
    assert spans.name_initials("a plan of the Department of Defense") == {"dd", "dod"}
