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
# the past that history articles name ("the Soviet Union", "Persia"). Comma-separated.
_COUNTRIES = """
afghanistan, albania, algeria, america, andorra, angola, antigua and barbuda, argentina, armenia,
australia, austria, austria-hungary, azerbaijan, bahamas, bahrain, bangladesh, barbados, belarus,
belgium, belize, benin, bhutan, bolivia, bosnia, bosnia and herzegovina, botswana, brazil, britain,
brunei, bulgaria, burkina faso, burma, burundi, cabo verde, cambodia, cameroon, canada, cape verde,
central african republic, ceylon, chad, chile, china, colombia, comoros, congo, costa rica, cote
d'ivoire, croatia, cuba, cyprus, czech republic, czechia, czechoslovakia, democratic republic of the
congo, denmark, djibouti, dominica, dominican republic, drc, east germany, east timor, ecuador,
egypt, el salvador, england, equatorial guinea, eritrea, estonia, eswatini, ethiopia, fiji, finland,
france, gabon, gambia, georgia, germany, ghana, great britain, greece, grenada, guatemala, guinea,
guinea-bissau, guyana, haiti, holland, honduras, hungary, iceland, india, indonesia, iran, iraq,
ireland, israel, italy, ivory coast, jamaica, japan, jordan, kazakhstan, kenya, kiribati, korea,
kosovo, kuwait, kyrgyzstan, laos, latvia, lebanon, lesotho, liberia, libya, liechtenstein,
lithuania, luxembourg, macedonia, madagascar, malawi, malaysia, maldives, mali, malta, marshall
islands, mauritania, mauritius, mexico, micronesia, moldova, monaco, mongolia, montenegro, morocco,
mozambique, myanmar, namibia, nauru, nepal, netherlands, new zealand, nicaragua, niger, nigeria,
north korea, north macedonia, northern ireland, norway, oman, ottoman empire, pakistan, palau,
palestine, panama, papua new guinea, paraguay, persia, peru, philippines, poland, portugal, prussia,
qatar, republic of the congo, rhodesia, romania, russia, rwanda, saint kitts and nevis, saint lucia,
saint vincent and the grenadines, samoa, san marino, sao tome and principe, saudi arabia, scotland,
senegal, serbia, seychelles, siam, sierra leone, singapore, slovakia, slovenia, solomon islands,
somalia, south africa, south korea, south sudan, soviet union, spain, sri lanka, sudan, suriname,
swaziland, sweden, switzerland, syria, taiwan, tajikistan, tanzania, thailand, the gambia, the
netherlands, the philippines, timor-leste, togo, tonga, trinidad and tobago, tunisia, turkey,
turkiye, turkmenistan, tuvalu, uae, uganda, uk, ukraine, united arab emirates, united kingdom,
united states, united states of america, uruguay, us, usa, ussr, uzbekistan, vanuatu, vatican,
vatican city, venezuela, vietnam, wales, west germany, yemen, yugoslavia, zaire, zambia, zimbabwe
"""
_US_STATES = """
alabama, alaska, arizona, arkansas, california, colorado, connecticut, delaware, florida, georgia,
hawaii, idaho, illinois, indiana, iowa, kansas, kentucky, louisiana, maine, maryland, massachusetts,
michigan, minnesota, mississippi, missouri, montana, nebraska, nevada, new hampshire, new jersey,
new mexico, new york, north carolina, north dakota, ohio, oklahoma, oregon, pennsylvania, rhode
island, south carolina, south dakota, tennessee, texas, utah, vermont, virginia, washington, west
virginia, wisconsin, wyoming
"""


def _names(block: str) -> frozenset[str]:
    return frozenset(name.strip() for name in block.replace("\n", " ").split(",") if name.strip())


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
    folded = _fold(name)
    if _known(folded, known):
        return True  # "Trinidad and Tobago" before "Britain and France"
    items = [item for item in _LIST.split(folded) if item]
    return len(items) > 1 and all(_known(item, known) for item in items)


def _fold(name: str) -> str:
    """A name as the lists write it: lower case, plain letters, no dots ("U.S." -> "us")."""
    return re.sub(r"\s+", " ", ascii_fold(name).replace("’", "'").replace(".", "")).strip(" ,;:'\"")


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
    folded = _fold(name)
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


def same_place(name: str, names: "set[str] | frozenset[str]") -> bool:
    """Whether `name` is one of `names` (from `named_in`) by any of its names."""
    return _canonical(name) in names
