"""Which places are countries and which are US states: a finer answer type than the tagger's GPE.

spaCy tags "Kyiv", "Ukraine", "Maricopa County" and "Arizona" alike as GPE, so "In which country
did the United States reopen its embassy?" could be answered "Kyiv" and "What state is it?"
"Maricopa County". The reader prefers, for a question asking for a country (or nation) or a
state, a candidate these lists know as one (`AnswerSettings.place_kind`).
"""
from __future__ import annotations

import re

from .text import ascii_fold

# Sovereign states by their usual English names, a few other names news copy uses for them,
# the places news calls countries (the UK's four, Taiwan, Kosovo, Palestine), and countries of
# the past that history articles name ("the Soviet Union", "Persia").
_COUNTRIES = """
afghanistan albania algeria andorra angola antigua and barbuda argentina armenia australia austria
azerbaijan bahamas bahrain bangladesh barbados belarus belgium belize benin bhutan bolivia
bosnia and herzegovina bosnia botswana brazil brunei bulgaria burkina faso burundi cambodia cameroon
canada cape verde cabo verde central african republic chad chile china colombia comoros congo
democratic republic of the congo republic of the congo drc costa rica ivory coast cote d'ivoire croatia
cuba cyprus czech republic czechia denmark djibouti dominica dominican republic east timor timor-leste
ecuador egypt el salvador equatorial guinea eritrea estonia eswatini swaziland ethiopia fiji finland
france gabon gambia the gambia georgia germany ghana greece grenada guatemala guinea guinea-bissau guyana
haiti honduras hungary iceland india indonesia iran iraq ireland israel italy jamaica japan jordan
kazakhstan kenya kiribati kuwait kyrgyzstan laos latvia lebanon lesotho liberia libya liechtenstein
lithuania luxembourg madagascar malawi malaysia maldives mali malta marshall islands mauritania
mauritius mexico micronesia moldova monaco mongolia montenegro morocco mozambique myanmar burma namibia
nauru nepal netherlands the netherlands holland new zealand nicaragua niger nigeria north korea
north macedonia macedonia norway oman pakistan palau panama papua new guinea paraguay peru philippines
the philippines poland portugal qatar romania russia rwanda saint kitts and nevis saint lucia
saint vincent and the grenadines samoa san marino sao tome and principe saudi arabia senegal serbia
seychelles sierra leone singapore slovakia slovenia solomon islands somalia south africa south korea
korea south sudan spain sri lanka sudan suriname sweden switzerland syria tajikistan tanzania thailand
togo tonga trinidad and tobago tunisia turkey turkiye turkmenistan tuvalu uganda ukraine
united arab emirates uae united kingdom uk britain great britain england scotland wales
northern ireland united states united states of america us usa america uruguay uzbekistan
vanuatu vatican vatican city venezuela vietnam yemen zambia zimbabwe taiwan kosovo palestine
soviet union ussr yugoslavia czechoslovakia east germany west germany prussia ottoman empire
austria-hungary persia siam ceylon rhodesia zaire
"""
_US_STATES = """
alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho
illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota
mississippi missouri montana nebraska nevada new hampshire new jersey new mexico new york
north carolina north dakota ohio oklahoma oregon pennsylvania rhode island south carolina south dakota
tennessee texas utah vermont virginia washington west virginia wisconsin wyoming
"""


def _names(block: str) -> frozenset[str]:
    """The names of a block above: runs of words are matched greedily against the known
    multi-word names, so each line may hold several."""
    words = block.split()
    multi = {"antigua and barbuda", "bosnia and herzegovina", "burkina faso", "cape verde", "cabo verde",
             "central african republic", "democratic republic of the congo", "republic of the congo",
             "costa rica", "ivory coast", "cote d'ivoire", "czech republic", "dominican republic", "east timor",
             "el salvador", "equatorial guinea", "the gambia", "marshall islands", "the netherlands",
             "new zealand", "north korea", "north macedonia", "papua new guinea", "the philippines",
             "saint kitts and nevis", "saint lucia", "saint vincent and the grenadines", "san marino",
             "sao tome and principe", "saudi arabia", "sierra leone", "solomon islands", "south africa",
             "south korea", "south sudan", "sri lanka", "trinidad and tobago", "united arab emirates",
             "united kingdom", "great britain", "northern ireland", "united states",
             "united states of america", "vatican city", "new hampshire", "new jersey", "new mexico",
             "new york", "north carolina", "north dakota", "rhode island", "south carolina", "south dakota",
             "west virginia", "soviet union", "east germany", "west germany", "ottoman empire"}
    out, i = set(), 0
    while i < len(words):
        for size in range(6, 0, -1):
            name = " ".join(words[i:i + size])
            if size == 1 or name in multi:
                out.add(name)
                i += size
                break
    return frozenset(out)


COUNTRIES = _names(_COUNTRIES)
US_STATES = _names(_US_STATES)
# The noun a question asks with, and the places that answer it.
KINDS = {"country": COUNTRIES, "countries": COUNTRIES, "nation": COUNTRIES, "nations": COUNTRIES,
         "state": US_STATES | COUNTRIES, "states": US_STATES | COUNTRIES}


# Nouns a place noun may modify, when the question asks for them and not for a place: "What
# state media reported ...?", "Which country music star ...?", "Which state governor ...?", "What
# state of matter ...?"
_COMPOUNDS = frozenset("""
media television tv news agency agencies department departments broadcaster broadcasters official
officials legislature legislatures lawmaker lawmakers senator senators governor governors police
trooper troopers university universities park parks fair fairs music singer singers star stars club
clubs capitol law laws prison prisons school schools court courts attorney attorneys secretary
secretaries representative representatives leader leaders president presidents minister ministers
bank banks company companies firm firms team teams funeral funerals visit visits dinner
election elections lottery budget budgets employee employees worker workers of
""".split())
_ASKED = re.compile(r"\b(?:which|what)\s+(?:(?!(?:is|are|was|were|the|a|an|do|does|did|has|have|had)\s)[\w.-]+\s+){0,2}?"
                    r"(countries|country|nations|nation|states|state)\b"
                    r"(['’]s\b)?[ \t]*([\w-]*)", re.IGNORECASE)


def asked_kind(question: str) -> str:
    """The place noun a which/what question asks with ("Which US state ...?" -> "state",
    "Which country's troops ...?" -> "country"), or "" when it asks for something else ("What
    state media ...?") or for no place."""
    match = _ASKED.search(question)
    if not match:
        return ""
    noun, possessive, following = match.group(1).lower(), match.group(2), match.group(3).lower()
    if not possessive and following in _COMPOUNDS:
        return ""
    return noun


# "the Republic of China", "the Empire of Japan", "the Kingdom of Saudi Arabia"
_STYLED = re.compile(r"^(?:the )?(?:(?:people's |islamic |federal |democratic |socialist )*republic|empire|kingdom|"
                     r"state|commonwealth|federation|sultanate|emirate|principality|grand duchy) of (?:the )?")
_LIST = re.compile(r"\s*(?:,\s*(?:and\s+)?|\band\b|&)\s*")


def is_kind(name: str, kind: str) -> bool:
    """Whether `name` ("Ukraine", "the Philippines", "New Jersey", "U.S.", "the Republic of
    China") is a place of `kind`, or a list of such places ("Britain and France"); "Kyiv",
    "Maricopa County" and "Emmanuel Macron" are no country or state."""
    known = KINDS.get(kind)
    if not known:
        return False
    folded = re.sub(r"\s+", " ", ascii_fold(name).replace("’", "'").replace(".", "")).strip(" ,;:'\"")
    if _known(folded, known):
        return True  # "Trinidad and Tobago" before "Britain and France"
    items = [item for item in _LIST.split(folded) if item]
    return len(items) > 1 and all(_known(item, known) for item in items)


def _known(name: str, known: frozenset[str]) -> bool:
    if name in known or (name.startswith("the ") and name[4:] in known):
        return True
    styled = _STYLED.sub("", name)
    return styled != name and styled in known


# Names of one place: a question naming one of them does not ask for another of them.
_ALIASES = ({"united states", "united states of america", "us", "usa", "america"},
            {"united kingdom", "uk", "britain", "great britain"}, {"netherlands", "holland"}, {"myanmar", "burma"},
            {"czech republic", "czechia"}, {"ivory coast", "cote d'ivoire"}, {"turkey", "turkiye"},
            {"eswatini", "swaziland"}, {"east timor", "timor-leste"}, {"cape verde", "cabo verde"},
            {"north macedonia", "macedonia"}, {"gambia", "the gambia"}, {"korea", "south korea"})
_CANONICAL = {name: min(group) for group in _ALIASES for name in group}


def _canonical(name: str) -> str:
    folded = re.sub(r"\s+", " ", ascii_fold(name).replace("’", "'").replace(".", "")).strip(" ,;:'\"")
    folded = _STYLED.sub("", folded)
    folded = folded[4:] if folded.startswith("the ") and folded[4:] in COUNTRIES else folded
    return _CANONICAL.get(folded, folded)


def named_in(question: str) -> set[str]:
    """The countries and US states a question names, each by one of its names ("the U.S." and
    "the United States" alike)."""
    tokens = [re.sub(r"'s?$", "", token)  # "Ukraine's border" names Ukraine
              for token in re.findall(r"[a-z'-]+", ascii_fold(question).replace("’", "'").replace(".", ""))]
    out = set()
    for size in range(1, 6):
        for i in range(len(tokens) - size + 1):
            name = " ".join(tokens[i:i + size])
            if name == "us" and not re.search(r"\b(?:US|U\.S\.?)(?!\w)", question):
                continue  # "tell us": the pronoun, not the country
            if name in COUNTRIES or name in US_STATES:
                out.add(_CANONICAL.get(name, name))
    return out


def same_place(name: str, names: set[str]) -> bool:
    """Whether `name` is one of `names` (from `named_in`) by any of its names."""
    return _canonical(name) in names
