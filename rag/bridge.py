"""Bridge questions: a question that names what it asks about by a description, not a name.

"Who currently leads the Russia-dominated military bloc?" holds no word of the passage that
answers it ("The CSTO's current chairman, Armenian Prime Minister Nikol Pashinyan, ..."): the
articles say which bloc that is in one place and who leads it in another. When the first
reading is weak, the assistant resolves the description first, by asking its own index "Who is
the Russia-dominated military bloc?" ("Collective Security Treaty Organisation"), and reads the
question again with the name in its place, by the initials the article gives it in brackets
where it gives some (`short_form`: "Who currently leads the CSTO?"). The second reading is kept
only if it is the more confident one and its first quote names the name (`named_in`): the
bridge was used, not merely a new wording read.

A description here is "the" or a name's possessive ("Kazakhstan's") followed by lower-case
words ending in a noun that a name can stand for (`ROLES`: "former leader", "Russia-dominated
military bloc"), found with plain rules so that answering needs no parser. After "did" or
"has" the subject's words run into the verb ("did Kazakhstan's former leader give himself"), so
the run without its last word, and without its last two, are tried; where the words run into
a pronoun or a name, the run with and without its last word. A description that is what a
copular question asks for ("Who is the current president?"), that continues with "of" ("the
chairman of ..."), or that singles out by rank ("the first woman", "the biggest party") is no
bridge.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .question import PHRASE_END
from .spans import acronym

_WORD = re.compile(r"[\w'’.-]+|[^\w\s]")
# Words that end a description: those that end a wh-word's phrase (auxiliaries, prepositions,
# conjunctions), wh-words and a few more prepositions.
_ENDS = PHRASE_END | frozenset(
    "when where which who whom whose what why how not over under into against since until while".split())
_PRONOUNS = frozenset("he she it they we you i him her them us me himself herself itself themselves "
                      "his its their our your my".split())
_COPULAS = frozenset("is are was were".split())
_WH = frozenset("who whom whose what which where when how".split())
# What a name can stand for: a person by the role held, an organisation, a country or a place.
# A description ending otherwise ("the funeral costs", "the third year") is no bridge; nor one
# ending in "service", which names a person as readily as a company ("the streaming service"
# was resolved to Disney's chief executive on the news tuning half).
PEOPLE = frozenset("""
    leader president chairman chairwoman chair head chief minister premier chancellor ruler king queen
    prince princess monarch emperor dictator strongman governor mayor senator lawmaker speaker
    spokesman spokeswoman spokesperson founder owner boss ceo executive director commander general
    successor predecessor rival ally opponent challenger candidate nominee envoy ambassador
    secretary wife husband son daughter father mother brother sister star singer rapper actor
    actress player striker coach manager captain author writer
    """.split())
ROLES = PEOPLE | frozenset("""
    bloc alliance coalition group organisation organization party movement militia union federation
    company firm corporation conglomerate giant maker carmaker manufacturer retailer chain airline
    bank lender insurer network broadcaster channel outlet newspaper agency ministry government
    regime administration body committee council court app platform team club band
    country nation state republic kingdom city capital region province island port
    """.split())
# Superlatives and ordinals single out by rank, which the articles seldom state as a name's label.
_RANKING = frozenset("first second third fourth fifth last latest next most least best worst only "
                     "same other".split())
_NOT_SUPERLATIVE = frozenset("interest forest protest request contest harvest conquest guest chest west "
                             "rest test arrest inquest manifest honest modest digest invest".split())
# An auxiliary before the subject: "what did X's new prime minister replace?", "why has X stopped
# deliveries?": the subject's words run into the verb.
_AUXILIARIES = frozenset("do does did has have had can could will would should may might must".split())
MAX_WORDS = 5  # after "the" or the possessive


@dataclass(frozen=True)
class Description:
    """A described thing in a question: `text` is question[start:end] ("the Russia-dominated
    military bloc", "Kazakhstan's former leader")."""

    text: str
    start: int
    end: int

    def sub_question(self) -> str:
        """The question that names it: "Who is Kazakhstan's former leader?"."""
        return f"Who is {self.text}?"

    def rewrite(self, question: str, name: str) -> str:
        """The question with `name` in the description's place ("the" kept before initials:
        "the CSTO")."""
        if name.isupper() and self.text.lower().startswith("the "):
            name = "the " + name
        return question[:self.start] + name + question[self.end:]


def _lower_word(token: str) -> bool:
    """A word that may modify or head a described noun: lower-case ("former") or a hyphenated
    compound with a lower-case part ("Russia-dominated")."""
    if not token[:1].isalpha():
        return False
    if token[:1].islower():
        return True
    return "-" in token and any(part[:1].islower() for part in token.split("-")[1:])


def _ranks(word: str) -> bool:
    """A superlative or ordinal: "latest", "biggest", "third"."""
    return word in _RANKING or (len(word) > 4 and word.endswith("est") and word not in _NOT_SUPERLATIVE)


def descriptions(question: str) -> list[Description]:
    """The descriptions in a question that could be resolved to a name, longest first per start."""
    tokens = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(question)]
    out: list[Description] = []
    for i, (token, start, _) in enumerate(tokens):
        lowered = token.lower().replace("’", "'")
        if lowered == "the":
            first, least = i + 1, 2  # "the military bloc": a modifier and a noun
        elif lowered.endswith("'s") and token[:1].isupper() and lowered[:-2] not in _WH:
            first, least = i + 1, 1  # "Kazakhstan's leader"
            while i > 1 and tokens[i - 1][0][:1].isupper() and tokens[i - 1][0].lower() not in _WH:
                i -= 1  # the whole name: "Kassym-Jomart Tokayev's ..." (not the question's first word)
            start = tokens[i][1]
        else:
            continue
        if i >= 2 and tokens[i - 1][0].lower() in _COPULAS and tokens[i - 2][0].lower() in _WH:
            continue  # "who is the current president?": the description is what is asked
        last = first
        while last < len(tokens) and last - first < MAX_WORDS and _lower_word(tokens[last][0]) \
                and tokens[last][0].lower() not in _ENDS and tokens[last][0].lower() not in _PRONOUNS:
            last += 1
        run = last - first
        following = tokens[last][0].lower() if last < len(tokens) else "?"
        if run < least or following in ("of", "'s", "’s"):
            continue
        if any(t[0].lower() in _AUXILIARIES for t in tokens[:i]):
            ends = [last - 1, last - 2]  # "did ... former leader give himself": the verb ends the run
        elif following not in _ENDS and following not in "?.!,;:":
            ends = [last, last - 1]  # "... leader gave himself": may end with the verb
        else:
            ends = [last]
        for end in ends:
            words = [t[0].lower() for t in tokens[first:end]]
            if end - first >= least and words[-1] in ROLES and not any(map(_ranks, words)):
                out.append(Description(question[start:tokens[end - 1][2]], start, tokens[end - 1][2]))
    return out


def short_form(name: str, sentence: str) -> str:
    """The initials an article gives the name in brackets ("Collective Security Treaty
    Organisation (CSTO)"), by which it calls it from then on; else the name itself."""
    initials = acronym(name).upper()
    if len(initials) >= 2 and re.search(rf"{re.escape(name)}\s*\({initials}\)", sentence or ""):
        return initials
    return name


def named_in(name: str, text: str) -> bool:
    """Whether `text` names `name`: one of its capitalised words of three letters or more
    ("Nazarbayev" for "Nursultan Nazarbayev"), or its initials ("CSTO")."""
    words = re.findall(r"[A-Z][\w-]{2,}", name)
    initials = acronym(name).upper()
    return any(re.search(rf"\b{re.escape(w)}\b", text) for w in words) or (
        len(initials) >= 3 and re.search(rf"\b{initials}\b", text) is not None)
