"""Shaping answer spans: trimming, names the tagger cut short, lists, comparable values."""
from __future__ import annotations

import re
from functools import lru_cache

from .text import normalize, words

_NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty".split())}


YEAR = re.compile(r"\b(?:1[5-9]|20)\d\d\b")
_SPECIFIC = re.compile(
    r"\d|\b(?:" + "|".join(_NUMBER_WORDS) + r"|dozens?|hundreds?|thousands?|millions?|billions?|half|"
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|yesterday|tomorrow)\b", re.IGNORECASE)


def specific(text: str) -> bool:
    """Whether a figure or date names a value: a digit, a number word, a month or a day
    ("13", "seven", "January 19"), not a vague "hours", "third" or "years"."""
    return bool(_SPECIFIC.search(text))


_NAME_WORD = re.compile(r" (?:[A-Z][a-z]+|[A-Z]\.)(?=[\s,.;:'’)]|$)")
_NOT_NAME = frozenset("Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April "
                      "May June July August September October November December The A An And But".split())


def extend_name(text: str, start: int, end: int, limit: int) -> tuple[int, int]:
    """A name the tagger cut short ("Sacha" of "Sacha Baron Cohen"), extended over the
    capitalised words that follow it."""
    while (match := _NAME_WORD.match(text, end, limit)) and match.group().strip() not in _NOT_NAME:
        end = match.end()
    return start, end


_TAIL = re.compile(r"(?:^|\s)((?:[A-Z][\w.&'’-]*)(?:\s[A-Z][\w.&'’-]*)*)$")


def name_tail(text: str, start: int, end: int) -> tuple[int, int]:
    """The proper name closing a phrase whose other words are lower-case descriptors."""
    phrase = text[start:end]
    match = _TAIL.search(phrase)
    if match and match.start(1) > 0 and phrase[: match.start(1)].strip().islower():
        return start + match.start(1), end
    return start, end


_ITEM = r"[A-Z][\w.&'’-]*(?: [A-Z][\w.&'’-]*)*"
_LIST = re.compile(rf"{_ITEM}(?:, {_ITEM})*,? and {_ITEM}|{_ITEM}(?:, {_ITEM}){{2,}}")


def coordinated(text: str, start: int, end: int, limit_start: int, limit_end: int) -> tuple[int, int]:
    """The whole list ("Russia, Belarus, ... and Tajikistan") around one of its items."""
    for match in _LIST.finditer(text, limit_start, limit_end):
        if match.start() <= start and end <= match.end():
            last = match.end()
            while last > match.start() and text[last - 1] in ".,;:":
                last -= 1  # "... and KTK." ends the sentence, not the name
            return match.start(), last
    return start, end


def straddles_list(text: str, start: int, end: int, limit_start: int, limit_end: int) -> bool:
    """Whether a span runs across the edge of a list ("Almaty - MIR" of "... in Almaty - MIR,
    Kazakhstan, ... and KTK"): a tagging slip, neither the list nor one of its items."""
    return any(m.start() < end and start < m.end() and not (m.start() <= start and end <= m.end())
               for m in _LIST.finditer(text, limit_start, limit_end))


def is_list(text: str) -> bool:
    """Whether a span is a list of several items ("MIR, Kazakhstan, ... and KTK")."""
    return bool(_LIST.fullmatch(text))


_CURRENCY = frozenset(
    "tenge dollars dollar euros euro pounds pound roubles rubles rouble ruble yuan yen rupees "
    "rupee hryvnia lira francs franc cents pence won dinars".split())


def with_unit(text: str, start: int, end: int) -> tuple[int, int]:
    """An amount with the currency word that follows it ("50" -> "50 tenge")."""
    match = re.match(r" ([A-Za-z]+)\b", text[end:end + 16])
    if match and match.group(1).lower() in _CURRENCY and any(ch.isdigit() for ch in text[start:end]):
        return start, end + match.end()
    return start, end


def in_brackets(text: str, start: int, end: int) -> bool:
    """Whether a span sits inside brackets right after the figure it converts: "50 tenge ($0.11)"."""
    opening = text.rfind("(", max(0, start - 6), start)
    return opening >= 0 and text[end:end + 2].lstrip(" ").startswith(")") and \
        bool(re.search(r"\w\s*$", text[max(0, opening - 20):opening]))


def acronym(text: str) -> str:
    """Initials of the capitalised words of a name, lower-cased: "csto" for the CSTO's name."""
    return "".join(w[0] for w in text.split() if w[:1].isupper()).lower()


# A name of two to six capitalised words, "of", "and", "for" or "the" allowed inside:
# "Gross Domestic Product", "Collective Security Treaty Organization"
_NAME_RUN = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:(?:of|and|for|the)\s+)?[A-Z][\w'’-]*){1,5}")


_ROMAN = re.compile(r"^(?:I{1,3}|IV|V|VI{1,3}|IX|X)$")


def name_initials(text: str) -> set[str]:
    """The initials of every multi-word name in `text`, lower-cased ("gdp" where it says
    "Gross Domestic Product"): the acronyms it spells out. A name opening a sentence counts
    without its article too ("The Department of Homeland Security": "dhs"), and a closing
    Roman numeral is kept whole ("World War II": "wwii"). A name's tail of three capitalised
    words or more counts as well: what comes before it qualifies it ("United States Department
    of Homeland Security" spells out "dhs"). A name with "of", "and", "for" or "the" inside has
    its initials with theirs too ("Department of Defense": "dd" and "dod")."""
    out = set()
    for match in _NAME_RUN.finditer(text):
        tokens = match.group().split()
        names = [tokens]
        if tokens[0] in ("The", "A", "An") and len(tokens) > 2:
            names.append(tokens[1:])
        names += [tokens[i:] for i in range(1, len(tokens))
                  if tokens[i][:1].isupper() and sum(w[:1].isupper() for w in tokens[i:]) >= 3]
        for each in names:
            out.add(acronym(" ".join(each)))
            if any(w[:1].islower() for w in each):
                out.add("".join(w[0] for w in each).lower())  # "dod": Department of Defense
            if _ROMAN.match(each[-1]):
                out.add(acronym(" ".join(each[:-1])) + each[-1].lower())
    return out


_HEDGES = frozenset("the a an some about around approximately roughly nearly almost".split())


@lru_cache(maxsize=8192)  # grouping compares each candidate with every group's first
def value_key(text: str) -> str:
    """A comparable form of an answer value: numbers as digits, words folded, hedges dropped
    ("about 2,000" states what "2,000" does), "over" a figure read as "more than" it."""
    tokens = [str(_NUMBER_WORDS.get(w, w)).replace(",", "") for w in words(normalize(text))]
    tokens = [t for t in tokens if t not in _HEDGES]
    out: list[str] = []
    for i, token in enumerate(tokens):
        if token == "over" and tokens[i + 1:i + 2] and tokens[i + 1][:1].isdigit():
            out += ["more", "than"]
        else:
            out.append(token)
    return " ".join(out)


def same_value(a: str, b: str) -> bool:
    """Whether two answers state one value: equal value keys, or one name the end of the other
    ("Tokayev" and "Kassym-Jomart Tokayev", "Kazakhstan" and "the Republic of Kazakhstan")."""
    key_a, key_b = value_key(a), value_key(b)
    if key_a == key_b:
        return True
    if not key_a or not key_b or any(ch.isdigit() for ch in key_a + key_b):
        return False
    if not (any(ch.isupper() for ch in a) and any(ch.isupper() for ch in b)):
        return False  # "president" and "vice president" are different things; names are capitalised
    short, long = sorted((key_a.split(), key_b.split()), key=len)
    return long[len(long) - len(short):] == short


def trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """A span without leading articles, possessive endings or surrounding punctuation."""
    span = text[start:end]
    clock = re.match(r"(?i)\d{1,2}(?::\d\d)?\s*[ap]\.?m\.?\s+(?=\S)", span)
    if clock and any(ch.isalnum() for ch in span[clock.end():]):
        start += clock.end()  # "4 am some seven": the time is not the count
        span = text[start:end]
    lead = re.match(r"(?i)(the|a|an|some|about|nearly|around)\s+", span)
    if lead and lead.end() < len(span):
        start += lead.end()
    while end > start and text[end - 1] in ".,;:!?'\"’”)" and not _closes_own(text[start:end]):
        end -= 1
    if text[start:end].endswith(("'s", "’s")):
        end -= 2
    if end < len(text) and _opened(text[start:end]) == 1 and _closes_own(text[start:end + 1]):
        end += 1  # "the self-styled 'Father of the Nation": the mark the span opened closes next
    while start < end and text[start] in "'\"‘“(":
        if _closes_own(text[start:end]) and _opened(text[start:end - 1]) == 1:
            start, end = start + 1, end - 1  # "'Father of the Nation'": the quotes go together
        elif _opened(text[start:end]) == 1 or text[start] not in text[start + 1:end]:
            start += 1
        else:
            break
    return (start, end) if end > start else None


_OPENERS = {")": "(", "”": "“", "’": "‘", "'": "'", '"': '"'}


def _opened(span: str) -> int:
    """Brackets and quotation marks `span` opens and does not close, in all."""
    opened = span.count("(") - span.count(")") + span.count("“") - span.count("”")
    singles = len(re.findall(r"(?:^|(?<=[\s(]))['‘]", span)) - len(re.findall(r"(?<=\S)['’](?!\w)", span))
    return opened + singles + span.count('"') % 2


def _closes_own(span: str) -> bool:
    """Whether the span's last character closes a bracket or quotation the span opened ("price
    controls on liquefied petroleum gas (LPG)", "the self-styled 'Father of the Nation'")."""
    opener = _OPENERS.get(span[-1:]) if span else None
    if opener is None:
        return False
    if opener == '"':
        return span.count('"') % 2 == 0
    return _opened(span[:-1]) > 0 and opener in span[:-1]


# Casualty figures: the dead, the hurt and the held are different counts ("13 killed and 353
# wounded", "2,000 detained").
_CASUALTY = {
    **dict.fromkeys("died dead death deaths killed killing killings fatalities fatality slain perished bodies "
                    "corpses toll".split(), "dead"),
    **dict.fromkeys("wounded injured injuries injury hurt hospitalised hospitalized".split(), "hurt"),
    **dict.fromkeys("detained arrested arrests detentions".split(), "held"),
}
CASUALTY_WINDOW = 20  # words either side of a figure where its casualty word is looked for


def casualty(text: str) -> str:
    """Which casualty count `text` (a question) asks about: "dead", "hurt", "held" or ""."""
    return next((_CASUALTY[w] for w in words(text) if w in _CASUALTY), "")


def casualty_of(text: str, start: int, end: int, limit_start: int, limit_end: int) -> str:
    """The casualty count the figure `text[start:end]` states, from the casualty word nearest it
    within its sentence (`limit_start:limit_end`): "13 security officers have been killed and
    353 wounded" makes 13 dead and 353 hurt; "" when no such word is near."""
    before = words(text[limit_start:start])[-CASUALTY_WINDOW:]
    after = words(text[end:limit_end])[:CASUALTY_WINDOW]
    near = [(len(before) - i, w) for i, w in enumerate(before)] + [(i + 1, w) for i, w in enumerate(after)]
    found = sorted((distance, _CASUALTY[w]) for distance, w in near if w in _CASUALTY)
    return found[0][1] if found else ""


_FIGURE = re.compile(r"\d[\d,]*(?:\.\d+)?")
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}


def numeric_value(text: str) -> float | None:
    """The number a span states ("19 million" -> 1.9e7, "twelve" -> 12, "10,000"), or None."""
    lowered = normalize(text)
    digits = _FIGURE.search(lowered)
    if digits:
        number, rest = float(digits.group().replace(",", "")), lowered[digits.end():]
    else:
        found = [(i, _NUMBER_WORDS[w]) for i, w in enumerate(words(lowered)) if w in _NUMBER_WORDS]
        if not found:
            return None
        number, rest = float(found[0][1]), " ".join(words(lowered)[found[0][0] + 1:])
    scale = next((_SCALE[w] for w in words(rest)[:1] if w in _SCALE), 1.0)
    return number * scale


def same_kind(a: str, b: str, max_ratio: float = 50.0) -> bool:
    """Whether two values could be rival figures for one quantity: both years, or both
    numbers within `max_ratio` of each other, or neither a number."""
    year_a, year_b = bool(YEAR.search(a)), bool(YEAR.search(b))
    if year_a != year_b:
        return False
    x, y = numeric_value(a), numeric_value(b)
    if (x is None) != (y is None):
        return False
    if x is None or year_a:
        return True
    low, high = sorted((abs(x), abs(y)))
    return low > 0 and high / low <= max_ratio


# What a "why" question asks for: the clause after a causal marker ("... at the start of the
# year, when the government lifted price controls on LPG", "due to its central location").
_CAUSE = re.compile(
    r"^to\s+(?=\w+\s[^,]{3,},)|"  # "To minimise weight, motors use ..." (a purpose opening the sentence)
    r"\b(?:because(?:\s+of)?|due\s+to|owing\s+to|thanks\s+to|as\s+a\s+result\s+of|in\s+order\s+to|so\s+as\s+to|"
    r"in\s+(?:an?\s+)?(?:effort|bid|attempt)\s+to|in\s+the\s+hope\s+of|(?:aimed|intended)\s+(?:at|to)|"
    r"so\s+that|in\s+(?:protest|outrage|anger)\s+(?:at|against|over)|in\s+response\s+to|for\s+fear\s+(?:of|that)|"
    r"on\s+the\s+grounds\s+that|(?:caused|sparked|triggered|ignited|prompted|driven|fu?elled|fueled|spurred)\s+by|"
    r"(?:(?:were|was|been)\s+(?:ignited|sparked|triggered|caused|prompted))\s+when)\s+", re.IGNORECASE | re.MULTILINE)
# What "how did they ...?" asks for: the means ("by begging", "through an imitation of his life").
# "by" stays in the answer when a gerund follows; the other markers do not.
_MEANS = re.compile(r"\b(?:(?P<keep>by)(?=\s+\w+ing\b)|by\s+means\s+of\s+|through\s+|via\s+|using\s+)",
                    re.IGNORECASE)
_CLAUSE_END = re.compile(r"\s*(?:[,;:!?—–]|\.(?:\s|$)|\s-\s|$)")
REASON_WORDS = 20  # a longer clause is cut at a word boundary


def reason(text: str) -> tuple[int, int] | None:
    """Offsets of the reason `text` gives (the clause after its first causal marker), or None."""
    return _clause_after(text, _CAUSE)


def means(text: str) -> tuple[int, int] | None:
    """Offsets of the means `text` names ("by examining historical records"), or None."""
    return _clause_after(text, _MEANS)


def _clause_after(text: str, marker: re.Pattern) -> tuple[int, int] | None:
    """The clause after the first match of `marker` that is more than a pronoun ("Because of
    this, ..." names no reason), up to the clause's end or `REASON_WORDS` words."""
    for match in marker.finditer(text):
        start = match.end()
        end = _CLAUSE_END.search(text, start).start()
        tokens = list(re.finditer(r"\S+", text[start:end]))
        if tokens and not (len(tokens) == 1 and tokens[0].group().lower() in ("this", "that", "it", "them")):
            break
    else:
        return None
    if len(tokens) > REASON_WORDS:
        end = start + tokens[REASON_WORDS - 1].end()
    if match.groupdict().get("keep"):
        start = match.start("keep")
    return start, end
