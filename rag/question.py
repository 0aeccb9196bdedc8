"""Question analysis: what kind of answer a question asks for, from its wording alone."""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

from . import places as gazetteer
from .text import without_possessive, words

PERSON_LIKE = frozenset({"PERSON", "ORG", "NORP"})
DATE_LIKE = frozenset({"DATE", "TIME"})
PLACE_LIKE = frozenset({"GPE", "LOC", "FAC"})
COUNT_LIKE = frozenset({"CARDINAL", "QUANTITY"})
AMOUNT_LIKE = frozenset({"MONEY", "QUANTITY", "PERCENT", "CARDINAL"})
ORG_LIKE = frozenset({"ORG", "NORP"})

# Head nouns after "which"/"what" and the entity labels that answer them.
_HEAD_NOUNS: dict[frozenset[str], frozenset[str]] = {
    frozenset("city country region province nation town capital place republic state".split()): PLACE_LIKE,
    frozenset(("organization organisation agency alliance bloc group company firm channel outlet "
               "newspaper network party body service chain bank store ministry council union "
               "broadcaster station watchdog team club university").split()): ORG_LIKE,
    frozenset(("president minister leader spokesman spokeswoman person man woman official chairman "
               "head comedian student editor journalist politician ruler successor predecessor "
               "cosmonaut author chief ally mayor governor ambassador").split()): frozenset({"PERSON"}),
    frozenset("year month day date decade century".split()): DATE_LIKE,
    frozenset("nationality nationalities ethnicity language".split()): frozenset({"NORP", "LANGUAGE"}),
    frozenset("price cost fine sum".split()): frozenset({"MONEY", "CARDINAL", "QUANTITY"}),
    frozenset("number figure toll population".split()): COUNT_LIKE,
    frozenset("percentage percent share proportion".split()): frozenset({"PERCENT"}),
}
_WH = re.compile(r"\b(how many|how much|how old|how long|how far|who|whom|whose|when|where|which|what|why|how)\b")


# "How did they get in?", "How is asphalt used?": asks for a means or manner, not an amount
MEANS_QUESTION = re.compile(r"\bhow\s+(?:did|does|do|was|were|is|are|can|could|has|have|had)\b", re.IGNORECASE)
# "What did Vucic say about the riots?": asks for what a source said, in its words
_SPEECH_OPENING = re.compile(r"^\s*what\s+(?:did|does|do|has|have|had)\s+", re.IGNORECASE)
_SPEECH_VERB = re.compile(r"\b(?:say|said|tell|told|claim|claimed|announce|announced|report|reported|write|"
                          r"wrote|tweet|tweeted|warn|warned|add|added|state|stated)\b")
ARTICLES = frozenset("the a an".split())
_PRONOUNS = frozenset("he she it they you we i this that".split())
# what may follow the verb when "what" is the whole utterance: "What did X say (about Y)?", "What
# did X tell the nation?"; not "What did X claim to transmit?" or "What did X say was mistaken?"
_SPEECH_REST = re.compile(r"\s*(?:[?.!]|$)|\s+(?:about|on|regarding|concerning|of|in|at|after|before|during|"
                          r"when|while|following|amid|to\s+(?:reporters|journalists|the\s+press|the\s+media))\b")
_ADDRESSEE = re.compile(r"\s+(?:[\w'’.-]+\s+){0,2}[\w'’.-]+\s*(?:[?.!]|$)")


def speaker(question: str) -> str:
    """Who a "what did X say?" question asks about ("Vucic", "the State Department"), or ""
    for any other question. The verb is the first lower-case one after a name that is more
    than a pronoun or an article ("What did the report say?" asks about the report)."""
    opening = _SPEECH_OPENING.match(question)
    if not opening:
        return ""
    for verb in _SPEECH_VERB.finditer(question, opening.end()):
        who = re.sub(r"\s+(?:have|has|had)\s+to$", "", question[opening.end():verb.start()].strip())
        named = [w.lower() for w in re.findall(r"[\w'’.-]+", who)]
        if len(who) > 80 or (len(named) == 1 and named[0] in _PRONOUNS):
            break  # "What did they claim about ...?" names nobody
        if any(w not in ARTICLES for w in named):  # "What did the report say?": not "the" + verb
            told = verb.group() in ("tell", "told") and _ADDRESSEE.match(question, verb.end())
            return who if told or _SPEECH_REST.match(question, verb.end()) else ""
    return ""


WHY_QUESTION = re.compile(r"\bwhy\b", re.IGNORECASE)
# Questions answered by a clause of their source, by kind: EVAL.md and `python -m rag.tune_clauses`
# report each kind with and without it.
CLAUSE_QUESTIONS = (("why", WHY_QUESTION.search), ("how did/is ...", MEANS_QUESTION.search),
                    ("what did X say ...", speaker))

_TIME_UNITS = frozenset("seconds minutes hours days weeks months years decades centuries".split())
# Words that end the noun phrase a wh-word governs ("which town did ...", "who is the ...").
PHRASE_END = frozenset(
    "is are was were be been do does did has have had can could will would should may might must "
    "to in on at of for from by with about as and or that this than after before during".split())
_SKIPPED = frozenset("the a an kind type sort name".split())
NOT_CURRENT = frozenset("former founding ex late then previous first".split())
# A title these qualify is no longer held: "the old capital Almaty", "his predecessor, longtime
# President X".
SUPERSEDED = NOT_CURRENT | frozenset("old outgoing ousted deposed erstwhile predecessor".split())
# A question with one of these asks about the past, when a former holder may be the answer.
_PAST = frozenset("was were did had former formerly previously once then originally first".split())
_PRESENT = frozenset("is are does do currently now today still incumbent".split())
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")


@dataclass(frozen=True)
class QuestionType:
    """The wh-word of a question and the entity labels that can answer it (empty: any phrase)."""

    wh: str
    labels: frozenset[str]
    plural: bool = False  # "which countries": the answer may be a list
    wants_year: bool = False  # "when", "what year": a figure beats "for years"
    heads: frozenset[str] = frozenset()  # words naming what is asked for: "town", "student", "president"
    agent_verb: str = ""  # "who poisoned Navalny?" -> "poisoned": the answer is whoever did it
    current: bool = False  # asks who or what holds a title now (asks_current)
    patient_verb: str = ""  # "what was set on fire?" -> "set" (patient_verb)
    places: tuple[str, ...] = ()  # capitalised words qualifying a head word (title_places)
    place_kind: str = ""  # "country" or "state" when a head word asks for one (rag.places)
    named_places: frozenset[str] = frozenset()  # countries and US states the question names

    @property
    def numeric(self) -> bool:
        return bool(self.labels) and self.labels <= AMOUNT_LIKE | {"PERCENT"}

    @property
    def typed(self) -> bool:
        return bool(self.labels)


_MONTHS = {m[:3]: m for m in "January February March April May June July August September October "
           "November December".split()}
_MONTH_ABBREVIATION = re.compile(r"\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?(?=\s+\d)")


def spell_out_dates(question: str) -> str:
    """Month abbreviations before a day spelt out ("Jan. 6" -> "January 6"), as articles write
    dates in full and news style abbreviates them in questions."""
    return _MONTH_ABBREVIATION.sub(lambda m: _MONTHS[m.group(1)[:3]], question)


def classify(question: str) -> QuestionType:
    """The expected answer type of `question` by rules on its wh-word and head noun."""
    qtype = _classify(question)
    heads = head_words(question)
    kind = gazetteer.asked_kind(question)
    return replace(qtype, heads=heads, agent_verb=agent_verb(question), current=asks_current(question),
                   places=title_places(question, heads), patient_verb=patient_verb(question), place_kind=kind,
                   named_places=frozenset(gazetteer.named_in(question)) if kind else frozenset())


def asks_current(question: str) -> bool:
    """Whether the question asks who or what holds a title now ("Who is the president of ...?",
    "Who currently leads ...?"): a present-tense word, and no past-tense word or year."""
    lowered = re.sub(r"\b(who|what|where|which|how)['’]s\b", r"\1 is", question.lower())  # not "Russia's"
    tokens = re.findall(r"[a-z]+", lowered)
    return bool(_PRESENT & set(tokens)) and not _PAST & set(tokens) and not _YEAR.search(question)


def title_places(question: str, heads: frozenset[str]) -> tuple[str, ...]:
    """Capitalised words that qualify a head word of the question, lower-cased and without a
    possessive: "the president of Kazakhstan", "Kazakhstan's president" -> kazakhstan. Whether
    one is a place is for the passages to say (the reader keeps those tagged as places)."""
    out = []
    for head in heads:
        name = re.escape(head)
        out += re.findall(rf"\b{name}\s+of\s+(?:the\s+)?([A-Z][\w’'-]*)", question, re.IGNORECASE)
        out += re.findall(rf"(?<=.)\b([A-Z][\w’'-]*?)(?:['’]s)?\s+{name}\b", question, re.IGNORECASE)
    return tuple(dict.fromkeys(without_possessive(w).lower() for w in out if w[:1].isupper()))


# An adverb between an auxiliary and its participle: "what was later discovered"
ADVERB = r"(?:\w+ly|later|also|then|still|never|once|first|soon|again)"
_NOT_PARTICIPLE = frozenset(
    "the a an his her its their this that these those it one first last most more main name only "
    "so such also still not now there".split())


def patient_verb(question: str) -> str:
    """The participle of a "what was done?" question ("What was set on fire in Almaty?" ->
    "set"): the answer is what the passive sentence has as its subject ("the mayor's office,
    which was set on fire"); empty for any other question."""
    match = re.match(r"\s*what\s+(?:(?:was|were|is|are)(?:\s+being)?|has\s+been|have\s+been|had\s+been)\s+"
                     rf"(?:{ADVERB}\s+)?([a-z]+)\b(?!['’])",
                     question, re.IGNORECASE)
    if not match or not match.group(1).islower() or match.group(1) in _NOT_PARTICIPLE:
        return ""  # "What was Tesla's ...", "What was the ..."
    return match.group(1)


def agent_verb(question: str) -> str:
    """The verb of a "who did it" question ("Who poisoned Alexei Navalny?" -> "poisoned"): a
    word in -ed right after "who"; empty for any other question."""
    match = re.match(r"\s*who\s+([a-z]+ed)\b", question.lower())
    return match.group(1) if match else ""


def head_words(question: str) -> frozenset[str]:
    """The words of the phrase a wh-word asks about: "which TV channel reported" -> tv, channel,
    reported; "who is the president of" -> president; "which chain's spokesman" -> chain; "who
    is Kazakhstan's president" -> president.

    Up to three words after the wh-word (after "who is the" for who-questions), stopping at an
    auxiliary, a preposition or after a possessive; an answer whose head word depends on one
    of them (an apposition, "the town of X") is likely what is asked for.
    """
    lowered = question.lower().replace("’", "'")
    match = _WH.search(lowered)
    if not match or match.group(1) in ("when", "why", "how"):
        return frozenset()
    tokens = re.findall(r"[\w'-]+", lowered[match.end():])
    copular = bool(tokens) and tokens[0] in ("is", "was", "are", "were")
    if copular:
        tokens = tokens[1:]  # "who is the president of ...", "what is the capital of ..."
    elif match.group(1) in ("who", "whom", "whose"):
        return frozenset()  # "who speaks for ...": no noun names the answer
    out: list[str] = []
    for position, token in enumerate(tokens):
        if token in _SKIPPED and not out:
            if token == "name" and tokens[position + 1:position + 2] == ["of"]:
                return head_words("which " + " ".join(tokens[position + 2:]))  # "the name of the mayor"
            continue
        if token in PHRASE_END or len(out) == 3:
            break
        possessive = token.endswith("'s")
        if possessive and copular:
            out = []  # "who is Kazakhstan's president": the president is asked for
            continue
        out.append(token[:-2] if possessive else token)
        if possessive:
            break
    return frozenset(out)


def _classify(question: str) -> QuestionType:
    lowered = question.lower()
    match = _WH.search(lowered)
    wh = match.group(1) if match else ""
    following = words(lowered[match.end():])[:3] if match else []
    if wh == "how many":
        if following and following[0] in _TIME_UNITS:
            return QuestionType(wh, COUNT_LIKE | DATE_LIKE)  # "how many days": "180 days" is a DATE
        return QuestionType(wh, COUNT_LIKE)
    if wh == "how much":
        return QuestionType(wh, AMOUNT_LIKE)
    if wh in ("how old", "how long", "how far"):
        return QuestionType(wh, DATE_LIKE | COUNT_LIKE)
    if wh in ("who", "whom", "whose"):
        return QuestionType(wh, PERSON_LIKE)
    if wh == "when":
        return QuestionType(wh, DATE_LIKE, wants_year=True)
    if wh == "where":
        return QuestionType(wh, PLACE_LIKE)
    if wh in ("which", "what") and match:
        for word in following + sorted(head_words(question)):
            word = re.sub(r"'s$", "", word)
            singular = re.sub(r"(?<=[^s])s$", "", re.sub(r"ies$", "y", word))
            for nouns, labels in _HEAD_NOUNS.items():
                if word in nouns or singular in nouns:
                    return QuestionType(wh, labels, plural=singular != word,
                                        wants_year=labels == DATE_LIKE)
    return QuestionType(wh, frozenset(), plural=bool(following) and following[0].endswith("s")
                        and not following[0].endswith("ss"))
