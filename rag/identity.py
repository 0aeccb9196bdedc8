"""Who-is questions about a name: "Who is Tokayev?" asks what the articles call him.

The answer to "Who is <name>?" is a description the articles attach to that name, never another
name: "Tokayev is the chosen successor to Putin ally Nursultan Nazarbayev" does not make
"Tokayev" the answer to "Who is Nursultan Nazarbayev?". Three forms are read, in a sentence that
mentions the name (its last word):

- the title written before it: "Kazakh President Kassym-Jomart Tokayev", "Putin ally Nursultan
  Nazarbayev", "Founding President of Kazakhstan Nursultan Nazarbayev";
- an apposition after it: "Nursultan Nazarbayev - the self-styled 'Father of the Nation'",
  "Philip I, Landgrave of Hesse,", "Thomas Commerford Martin (a friend and publicist)", or before
  it: "the editor of Electrical World magazine, Thomas Commerford Martin";
- what a copula says it is: "Tokayev is the chosen successor to Putin ally Nursultan Nazarbayev",
  or the post it was given: "Alikhan Smailov has been appointed acting Prime Minister".

Descriptions are one value when they have the same words, less articles, "of", possessive
endings and passing adjectives ("current", "beleaguered"): "Kazakhstan's founding president" and
"Founding President of Kazakhstan" are one description. `rank` orders them: a description headed
by a role (president, leader, minister) before one headed by a relation (ally, successor, wife)
before any other, and one that says whose or where (a capitalised qualifier: "Kazakh President")
before a bare title ("President").
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import bridge
from .text import without_possessive

# "Who is Tokayev?", "Who was Nursultan Nazarbayev?", "Who's Ruslan Zheldibay?": a name and
# nothing else after the copula (particles of names allowed: "Mohammed bin Salman").
_PARTICLES = "al|bin|ibn|de|da|di|del|der|van|von|la|le|du|dos|el"
_ASKED = re.compile(rf"\s*(?i:who(?:['’]s|\s+(?:is|was)))\s+([A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*|{_PARTICLES}))*)"
                    r"\s*\??\s*$")
DESCRIPTION = "DESCRIPTION"  # the label of a description as an answer candidate
_TOKEN = re.compile(r"[\w'’-]+")
_POSSESSIVE = re.compile(r"['’]s$")

# Roles a description can be headed by; the relations among them rank below the roles proper.
RELATIONS = frozenset("""ally successor predecessor rival opponent challenger wife husband son daughter father
    mother brother sister friend associate protege""".split())
# Roles only a person holds (bridge.ROLES also has organisations and places: "civil rights group
# Memorial"), for descriptions set apart from the name by a comma.
PEOPLE = bridge.PEOPLE | RELATIONS | frozenset("""editor journalist reporter correspondent official
    politician diplomat analyst activist blogger critic adviser advisor aide deputy prosecutor judge lawyer
    professor economist expert businessman businesswoman tycoon oligarch billionaire banker dissident poet
    novelist comedian cosmonaut astronaut scientist researcher publicist nobleman noblewoman landgrave duke
    duchess count countess earl baron lord knight bishop archbishop cardinal pope priest saint tsar czar
    sultan emir khan pharaoh composer musician painter artist architect engineer inventor physicist chemist
    mathematician philosopher historian explorer soldier officer""".split())
PERSON_ROLES = bridge.ROLES | PEOPLE
# Lower-case words that qualify a title before a name: "former president", "deputy prime minister".
MODIFIERS = frozenset("""former founding longtime long-time current then acting interim deputy vice prime foreign
    defence defense interior finance chief top senior veteran late ex embattled beleaguered ousted outgoing
    incoming new elected exiled jailed detained retired presidential ruling powerful opposition military
    security state party government de facto""".split())
# Adjectives that pass: the same description with or without them.
_PASSING = frozenset("current then longtime long-time veteran beleaguered embattled powerful new".split())
_KEY_STOP = frozenset("the a an of".split())
# Capitalised words that open a sentence without being part of a name: "Meanwhile Tokayev said".
_NOT_NAMES = frozenset("""the a an and but or so then meanwhile when while after before as if because though
    although yet also now today yesterday however still on in at by for from with of to""".split())
# What an apposition or a copula's complement may not open with ("Nazarbayev, who is 81") nor
# hold ("Nazarbayev, a statue of whom was toppled"): a clause, not a description.
_NOT_DESCRIPTIONS = frozenset("who whom whose which that said says told and or but".split())
_CLAUSAL = frozenset("who whom whose which that is are was were has have had will would".split())
_APPOSITION = re.compile(r"\s*(?:,|\s[-–—])\s*(?:(?:the|a|an)\s+)?([^,;:()\[\]–—\n]{2,90}?)"
                         r"(?=\s*(?:,|;|:|\.(?:\s|$)|\s[-–—]\s|\)|$)|\s+and\s)")
_COPULA = re.compile(r"\s+(?:is|was|being|remains|became|has\s+been|had\s+been)\s+(?:the|a|an)\s+"
                     r"([^,;:()\[\]–—\n]{2,90}?)(?=\s*(?:,|;|:|\.(?:\s|$)|\s[-–—]\s|\)|$|\s+(?:and|who|which|that)\s))")
# "Alikhan Smailov has been appointed acting Prime Minister": the post is what he is.
_APPOINTED = re.compile(r"\s+(?:has\s+been|had\s+been|was|is|were)\s+(?:appointed|named|elected|sworn\s+in)"
                        r"(?:\s+as)?\s+(?:(?:the|a|an)\s+)?([^,;:()\[\]–—\n]{2,90}?)"
                        r"(?=\s*(?:,|;|:|\.(?:\s|$)|\s[-–—]\s|\)|$|\s+(?:and|who|which|that|after|by|on|in)\s))")
# "Thomas Commerford Martin (a friend and publicist)"
_BRACKETED = re.compile(r"\s*\(\s*(?:the|a|an)\s+([^()\n]{2,60}?)\s*\)")
# "the editor of Electrical World magazine, Thomas Commerford Martin": set before the name
_BEFORE = re.compile(r"\b(?:[Tt]he|[Aa]n?)\s+([^,;:()\[\]–—\n]{2,80}?),\s$")
_PREPOSITIONS = frozenset("of to for in at from with on by".split())


def asked_name(question: str) -> str | None:
    """The name a "Who is <name>?" question asks about; None for any other question ("Who is the
    president?", "Who is Tokayev's successor?")."""
    match = _ASKED.match(question)
    if match is None:
        return None
    name = match.group(1).rstrip(".")
    # "Who was Guy's Rival?" describes someone by another name: not a name itself
    return None if any(_POSSESSIVE.search(w) for w in name.split()) else name


@dataclass(frozen=True)
class Found:
    """A description of the asked name in a sentence: offsets in the article text."""

    start: int
    end: int
    text: str


_QUOTES = "'’\"“”‘"


def _bare(word: str) -> str:
    """A word lower-cased, without its possessive ending and quotes: "'Father" -> father."""
    return without_possessive(word).lower().strip(_QUOTES)


def _is_role(word: str) -> bool:
    return word.lower().strip(_QUOTES) in PERSON_ROLES


def describe(text: str, start: int, end: int, name: str) -> list[Found]:
    """The descriptions of `name` in text[start:end] (a sentence), in the order they appear."""
    surname = without_possessive(name.split()[-1])
    tokens = [(m.start() + start, m.end() + start, m.group()) for m in _TOKEN.finditer(text[start:end])]
    out: list[Found] = []
    for i, (_, t_end, token) in enumerate(tokens):
        if without_possessive(token) != surname:
            continue
        first = _name_start(text, tokens, i, name)
        out.extend(_title_before(text, tokens, first))
        out.extend(_set_before(text, start, tokens[first][0]))
        if not _POSSESSIVE.search(token):
            out.extend(_after(text, t_end, end))
    return out


def _adjacent(text: str, tokens: list, left: int, right: int) -> bool:
    """Whether only a space separates tokens[left] and tokens[right]."""
    return text[tokens[left][1]:tokens[right][0]] == " "


def _name_start(text: str, tokens: list, i: int, name: str) -> int:
    """Index of the first token of the name whose last word is tokens[i]: the capitalised words
    before it that are not a title ("Kazakh President Kassym-Jomart Tokayev" -> Kassym-Jomart)."""
    asked = {w.lower() for w in name.split()}
    first, extra = i, 0  # one given name the question leaves out: "Founding President of Kazakhstan Nursultan"
    while first > 0 and _adjacent(text, tokens, first - 1, first):
        word = tokens[first - 1][2]
        if word.lower() not in asked:
            if (not word[:1].isupper() or _is_role(word) or _POSSESSIVE.search(word)
                    or word.lower() in _NOT_NAMES or word.lower() in MODIFIERS or extra == 1):
                break
            extra += 1
        first -= 1
    return first


def _title_before(text: str, tokens: list, first: int) -> list[Found]:
    """The title written right before a name: its head is a role ("Putin ally"), or a role of
    something named or qualified ("Founding President of Kazakhstan", "leader of Russia's
    opposition"), extended left over qualifiers."""
    last = first - 1
    if last < 0 or not _adjacent(text, tokens, last, first):
        return []
    if _is_role(tokens[last][2]):
        head = last
    else:
        # "Founding President of Kazakhstan", "leader of Russia's opposition"
        of = last
        while of > 0 and _adjacent(text, tokens, of - 1, of) and _qualifies(tokens[of][2]) \
                and not _is_role(tokens[of][2]):
            of -= 1
        if not (0 < of < last and tokens[of][2] == "of" and _is_role(tokens[of - 1][2])
                and _adjacent(text, tokens, of - 1, of) and _adjacent(text, tokens, of, of + 1)):
            return []
        head = of - 1
    begin = head
    while begin > 0 and _adjacent(text, tokens, begin - 1, begin) and _qualifies(tokens[begin - 1][2]):
        begin -= 1
    start, end = tokens[begin][0], tokens[last][1]
    return [Found(start, end, text[start:end])]


def _set_before(text: str, sentence_start: int, name_start: int) -> list[Found]:
    """A description set before the name by a comma, headed by a person's role: "In 1888, the
    editor of Electrical World magazine, Thomas Commerford Martin"."""
    match = _BEFORE.search(text, sentence_start, name_start)
    if match is None or match.end() != name_start or head(match.group(1)) not in PEOPLE:
        return []
    return [Found(match.start(1), match.end(1), match.group(1))]


def _qualifies(word: str) -> bool:
    """Whether `word` can stand in a title before its head: "Kazakhstan's", "Communist",
    "former", "deputy", "hand-picked", another role ("party boss")."""
    lowered = word.lower()
    if lowered in _NOT_NAMES and lowered not in MODIFIERS:
        return False
    return (word[:1].isupper() or lowered in MODIFIERS or _is_role(word)
            or ("-" in word and word.replace("-", "").isalpha()))


def _after(text: str, end: int, sentence_end: int) -> list[Found]:
    """An apposition or a copula's complement right after a name."""
    after = text[end:sentence_end]
    out = []
    for pattern in (_APPOSITION, _BRACKETED, _COPULA, _APPOINTED):
        match = pattern.match(after)
        if match is None:
            continue
        phrase = match.group(1).strip()
        first = phrase.split()[0].lower() if phrase.split() else ""
        if (not phrase or first in _NOT_DESCRIPTIONS or first.isdigit()  # "Nazarbayev, 81,"
                or any(w.lower() in _CLAUSAL for w in phrase.split())):
            continue
        opened = match.group(0)[:match.start(1)].rstrip().split()
        article = bool(opened) and opened[-1].lower() in ("the", "a", "an")
        if pattern in (_APPOSITION, _APPOINTED) and not article and not any(_is_role(w) for w in phrase.split()):
            continue  # "Nazarbayev, Tokayev and ...": a list, not a description
        start = end + match.start(1)
        out.append(Found(start, start + len(phrase), phrase))
    return out


def key(description: str) -> frozenset[str]:
    """What makes two descriptions one: their words, less articles, "of", possessive endings and
    passing adjectives."""
    found = (_bare(w) for w in _TOKEN.findall(description.replace("-", " ")))
    return frozenset(w for w in found if w and w not in _KEY_STOP and w not in _PASSING)


def head(description: str) -> str:
    """The head word of a description: the last word before its first preposition."""
    lead = []
    for word in _TOKEN.findall(description):
        if word.lower() in _PREPOSITIONS:
            break
        lead.append(word)
    return _bare(lead[-1]) if lead else ""


def rank(description: str) -> tuple[int, int]:
    """(2 for a role, 1 for a relation, 0 otherwise; 1 when a capitalised word other than the
    head qualifies it): larger is the better answer to who someone is."""
    word = head(description)
    kind = 1 if word in RELATIONS else 2 if word in PERSON_ROLES else 0
    qualified = any(w[:1].isupper() and w.lower() not in MODIFIERS and _bare(w) != word
                    for w in _TOKEN.findall(description))
    return kind, int(qualified)
