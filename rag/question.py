"""Question analysis: what kind of answer a question asks for, from its wording alone."""
from __future__ import annotations

import re
from dataclasses import dataclass

from .text import words

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
               "cosmonaut author chief ally").split()): frozenset({"PERSON"}),
    frozenset("year month day date decade century".split()): DATE_LIKE,
    frozenset("nationality nationalities ethnicity language".split()): frozenset({"NORP", "LANGUAGE"}),
    frozenset("price cost fine sum".split()): frozenset({"MONEY", "CARDINAL", "QUANTITY"}),
    frozenset("number figure toll population".split()): COUNT_LIKE,
    frozenset("percentage percent share proportion".split()): frozenset({"PERCENT"}),
}
_WH = re.compile(r"\b(how many|how much|how old|how long|how far|who|whom|whose|when|where|which|what|why|how)\b")


_TIME_UNITS = frozenset("seconds minutes hours days weeks months years decades centuries".split())


@dataclass(frozen=True)
class QuestionType:
    """The wh-word of a question and the entity labels that can answer it (empty: any phrase)."""

    wh: str
    labels: frozenset[str]
    plural: bool = False  # "which countries": the answer may be a list
    wants_year: bool = False  # "when", "what year": a figure beats "for years"

    @property
    def numeric(self) -> bool:
        return bool(self.labels) and self.labels <= AMOUNT_LIKE | {"PERCENT"}

    @property
    def typed(self) -> bool:
        return bool(self.labels)


def classify(question: str) -> QuestionType:
    """The expected answer type of `question` by rules on its wh-word and head noun."""
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
        for word in following:
            word = re.sub(r"'s$", "", word)
            singular = re.sub(r"(?<=[^s])s$", "", re.sub(r"ies$", "y", word))
            for nouns, labels in _HEAD_NOUNS.items():
                if word in nouns or singular in nouns:
                    return QuestionType(wh, labels, plural=singular != word,
                                        wants_year=labels == DATE_LIKE)
    return QuestionType(wh, frozenset(), plural=bool(following) and following[0].endswith("s")
                        and not following[0].endswith("ss"))
