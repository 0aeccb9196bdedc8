"""Who a quoted sentence credits for its claim: second-hand sourcing, in the source's own words.

News copy often passes on what someone else reported: "Eight police officers ... were killed,
according to Kazakhstan's local outlet Tengrinews.kz", "..., Reuters reported", "Russian media
said Thursday 12 security officers had been killed". A journalist needs that chain: CNN did not
count the dead, it cited Tengrinews.kz. `attributed_source` finds the phrase the sentence itself
gives, so the assistant can say "8 (CNN, citing Kazakhstan's local outlet Tengrinews.kz)".

Rules, on one sentence, no model:
- a marker followed by the source: "according to X", "citing X", "quoted as saying by X",
  "reported by X", "broadcast by X";
- a source that closes the sentence: "..., X reported." / "..., X said on Thursday.";
- a source that opens a clause: "X said (on Thursday) (that) ...", "X told CNN ...";
- a source after a quotation: "'...,' said X."

The source is a short run of words (at most `MAX_WORDS`) cut at the first comma, bracket, dash
or relative clause; a run that starts with a pronoun ("It also said", "He told") names nobody
and is skipped, as is an outlet citing itself. When several markers stand in one sentence, the
one nearest the answer wins. "Reportedly" names no source, so it gives none.
"""
from __future__ import annotations

import re
from functools import lru_cache

MAX_WORDS = 10
_VERBS = r"(?:said|says|reported|reports|announced|confirmed|claimed|added|wrote|tweeted|told\s+[\w’'.-]+)"
_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
# "according to X", "citing X", "quoted as saying by X", "reported by X"
_LEADS_SOURCE = re.compile(
    r"\b(?:according\s+to|citing|(?:quoted|cited)\s+(?:as\s+saying\s+)?by|(?:reported|broadcast|announced)\s+by)\s+",
    re.IGNORECASE)
# "..., Reuters reported." and "..., the ministry said in a statement on Thursday."
_TRAILER = (r"(?:\s+(?:on|in|at|to|late|early|earlier|a|an|the|its|his|her|their|this|that|statement|"
            r"briefing|interview|reporters|journalists|conference|news|Twitter|Telegram|Facebook|"
            r"Instagram|today|yesterday|week|morning|evening|night|" + _DAY + r"))*")
_CLOSING = re.compile(r",\s+(?P<src>[^,;:]{1,80}?)\s+(?:also\s+|have\s+|has\s+|had\s+|later\s+|earlier\s+)?"
                      + _VERBS + _TRAILER + r"\s*[.!?]*[\"'’”)]*\s*$")
# "Media reports on Thursday said 13 ..." and "..., police said dozens ..."
_OPENING = re.compile(r"(?:^|[,;:][’'”\"]?\s+|[•\-–—]\s+)(?P<src>[^,;:•“”\"]{1,160}?)(?:\s+on\s+" + _DAY + r"|\s+" + _DAY + r")?"
                      r"\s+(?:also\s+|have\s+|has\s+|had\s+|later\s+|earlier\s+)?"
                      # "with reports of ..." is a noun, "organizers added a provision" no quote
                      + _VERBS.replace("reports|", "").replace("added|", "")
                      + r"(?:\s+on)?(?:\s+" + _DAY + r")?(?:\s+that|:)?\s+")
# "...,' said a report from the scene by TASS news agency."
_INVERTED = re.compile(r"[,'’”]\s+said\s+(?P<src>[^,;:]{1,80}?)\s*[.!?]*\s*$")
_STOP = re.compile(r"\s*(?:[,;:()\[\]\"“”‘]|[—–]|\s-\s|\.(?:\s|$)|\s(?:who|which|that|where|when|while|after|"
                   r"before|because|as|on\s+" + _DAY + r"|on\s+(?:the\s+)?(?:morning|evening|night)|this\s+week|"
                   r"last\s+week|earlier|late|early|saying|" + _DAY + r")\b)")
# A run that starts with one of these names nobody ("It also said", "With reports of ...")
_NOT_FIRST = {"it", "he", "she", "they", "we", "i", "you", "this", "that", "these", "those", "which",
              "who", "there", "what", "and", "but", "or", "so", "with", "in", "within", "on", "at",
              "for", "from", "by", "of", "to", "as", "after", "before", "during", "while", "amid",
              "according", "citing"}
# ... and one holding or ending in one of these is a clause, not a name
_NOT_INSIDE = {"is", "are", "was", "were", "be", "been", "will", "would", "could", "should", "can",
               "may", "might", "must", "not", "also", "did", "do", "does"}
_NOT_LAST = {"and", "or", "but", "which", "who", "that", "as", "the", "a", "an", "of"}
_TIME_TAIL = re.compile(r"\s+(?:(?:this|last|next)\s+(?:week|month|year)|on\s+" + _DAY + r"|" + _DAY + r")$")
_ADVERBS = {"late", "early", "earlier", "later", "also", "previously", "recently", "today", "yesterday"}
# The subject of "X said" is the part after the last of these ("... on Thursday as police said")
_CLAUSE_START = re.compile(r".*\b(?:as|but|while|when|because|after|since|though|although|if|where|so|that|"
                           r"which|who)\s+",
                           re.IGNORECASE)
# Sentence-initial words written lower-case when the source is quoted mid-sentence
_COMMON = {"the", "a", "an", "media", "local", "state", "state-run", "police", "officials",
           "authorities", "reports", "witnesses", "sources", "government", "security"}
_WORD = re.compile(r"[\w’'.&-]+")
# "citing" also gives reasons ("citing challenging operating conditions"): after it, a source
# must be named (a capitalised word) or be a kind of source
_SOURCE_NOUNS = re.compile(r"\b(?:media|reports?|officials?|authorities|sources?|agency|agencies|data|"
                           r"study|statement|survey|service|ministry|spokes\w*|police|witnesses|"
                           r"government|department|office|analysts?|experts?|researchers?)\b",
                           re.IGNORECASE)


def _clean(phrase: str) -> str | None:
    """`phrase` trimmed to a source name, or None when it names nobody or runs too long."""
    phrase = phrase.strip(" \t\n•-–—\"“”'‘’")
    phrase = _TIME_TAIL.sub("", phrase)  # "Chipotle this week announced"
    words = _WORD.findall(phrase)
    while words and words[-1].lower() in _ADVERBS:  # "the government late (on Wednesday) said"
        phrase = phrase[:phrase.rfind(words.pop())].rstrip()
    if not words or len(words) > MAX_WORDS:
        return None
    lowered = [w.lower() for w in words]
    if (lowered[0] in _NOT_FIRST or lowered[-1] in _NOT_LAST
            or any(w in _NOT_INSIDE for w in lowered)):
        return None
    if not any(ch.isalpha() for ch in phrase) or re.search(r"\d\.[A-Z]", phrase):  # "2020.The"
        return None
    return phrase


def _after_marker(text: str, start: int) -> str:
    """The source named after a marker: up to the first stop, keeping a list of names
    ("Interfax-Kazakhstan, TASS and Ria Novosti news agencies") whole."""
    rest = text[start:]
    end = 0
    while True:
        stop = _STOP.search(rest, end)
        if stop is None:
            return rest.rstrip(" .!?\"”’)")
        follow = rest[stop.end():].lstrip()
        if (stop.group().strip() == "," and re.match(r"[A-Z]", follow)
                and re.match(r"[^,;:.]*?\band\b", follow)):
            end = stop.end()  # ", TASS and ..." continues a list of names
            continue
        return rest[:stop.start()]


def _candidates(text: str) -> list[tuple[int, int, str]]:
    """(marker start, marker end, source) for every attribution found in `text`."""
    found: list[tuple[int, int, str]] = []
    for match in _LEADS_SOURCE.finditer(text):
        source = _clean(_after_marker(text, match.end()))
        if source and match.group().lower().startswith("citing") and not (
                re.search(r"\b[A-Z]", source) or _SOURCE_NOUNS.search(source)):
            continue
        if source:
            found.append((match.start(), match.end() + len(source), source))
    closing = _CLOSING.search(text)
    if closing and (source := _clean(closing.group("src"))):
        found.append((closing.start("src"), closing.end(), source))
    inverted = _INVERTED.search(text)
    if inverted and (source := _clean(inverted.group("src"))):
        found.append((inverted.start(), inverted.end(), source))
    for match in _OPENING.finditer(text):
        subject = match.group("src")
        start = match.start("src")
        if (clause := _CLAUSE_START.match(subject)) is not None:
            subject, start = subject[clause.end():], start + clause.end()
        if subject and (source := _clean(subject)):
            found.append((start, match.end(), source))
    return found


def _display(text: str, start: int, source: str) -> str:
    """The source as it reads after "citing": a common word that only opened the sentence
    ("Media reports said ...") is lower-cased."""
    first = source.split(maxsplit=1)[0]
    opens_sentence = not text[:start].strip(" •-–—\"“'‘")
    if opens_sentence and first.lower() in _COMMON and not first.isupper():
        return source[0].lower() + source[1:]
    return source


@lru_cache(maxsize=4096)  # a cited answer's sentence is read for agreement, then for its citation
def attributed_source(sentence: str, answer_start: int | None = None, answer_end: int | None = None, *,
                      outlets: tuple[str, ...] = ()) -> str:
    """The source `sentence` credits for its claim, in its own words, or "" when it names none.

    `answer_start:answer_end` (the answer's offsets in the sentence) picks the attribution
    nearest the answer when there are several; a source that is the answer itself ("Uber
    reported ..." answering "which company ...") is no attribution. `outlets` (the publishing
    outlet, and the one that carried its copy) are never their own source.
    """
    if not sentence or len(sentence) > 2000:
        return ""
    own = {o.casefold() for o in outlets if o}
    found = [c for c in _candidates(sentence) if c[2].casefold() not in own]
    if answer_start is not None and answer_end is not None:
        found = [c for c in found if not _names_answer(sentence, c, answer_start, answer_end)]
    if not found:
        return ""
    found.sort(key=lambda c: c[0])  # in reading order
    if answer_start is not None:
        found.sort(key=lambda c: 0 if c[0] <= answer_start < c[1] else min(abs(c[0] - answer_start),
                                                                               abs(c[1] - answer_start)))
    start, _, source = found[0]
    at = sentence.find(source, start)
    return _display(sentence, at if at >= 0 else start, source)


def claims(sentence: str) -> list[tuple[str, int, int]]:
    """(source, start, end) of what each source in `sentence` is credited with saying: the
    other side of its attribution ("[Foreign intelligence services are behind the riots],
    Serbian President Aleksandar Vucic told reporters", "Vucic said: [...]", "police said
    [dozens were killed]"), without a dateline or the quotation marks around it. Sources as
    `attributed_source` finds them, in reading order."""
    if not sentence or len(sentence) > 2000:
        return []
    dateline = _DATELINE.match(sentence)
    first = dateline.end() if dateline else 0
    out: dict[tuple[int, int], str] = {}
    for start, end, source in sorted(_candidates(sentence)):
        left, right = (first, max(first, start)), (end, len(sentence))
        quoted = _QUOTE_BEFORE.search(sentence, first, max(first, start))
        if quoted:
            side = left  # "'[...],' the CSTO said in a statement, without ..."
        elif _SPEECH_END.search(sentence, start, end) or _empty(sentence, *left):
            side = right  # "X said (that) [...]"
        elif _empty(sentence, *right):
            side = left  # "[...], X said."
        else:  # "[...], according to X, [...]": the longer side
            side = max(left, right, key=lambda part: len(sentence[part[0]:part[1]].strip()))
        lo, hi = _strip(sentence, *side)
        lead = _CLAIM_LEAD.match(sentence, lo, hi)  # "(in a statement) (that) the US ..."
        if lead:
            lo = lead.end()
        if side == right and (aside := _ASIDE.search(sentence, lo, hi)):
            hi = aside.start()  # "X said that [...] — a move that ...": the rest is the writer's
        if len(_WORD.findall(sentence[lo:hi])) >= 3 and not _PASSIVE_END.search(sentence, lo, hi):
            out.setdefault((lo, hi), source)  # not "It said", nor "News ... was [broadcast by X]"
    return [(source, lo, hi) for (lo, hi), source in out.items()]


def _strip(text: str, lo: int, hi: int) -> tuple[int, int]:
    """`lo:hi` without the spaces, quotation marks and punctuation at its edges."""
    while lo < hi and (text[lo] in _CLAIM_EDGE or text[lo].isspace()):
        lo += 1
    while hi > lo and (text[hi - 1] in _CLAIM_EDGE or text[hi - 1].isspace()):
        hi -= 1
    return lo, hi


def _empty(text: str, lo: int, hi: int) -> bool:
    lo, hi = _strip(text, lo, hi)
    return hi <= lo


_CLAIM_LEAD = re.compile(r"(?:(?:in|on)\s+(?:a|an|the|its|his|her|their)\s+(?:\w+\s+){0,2}?(?:statement|interview|"
                         r"briefing|post|tweet|address|speech|message)\s*,?\s+)?(?:(?:on\s+)?" + _DAY + r"\s*,?\s+)?"
                         r"(?:that\s+)?", re.IGNORECASE)
_ASIDE = re.compile(r"\s[—–-]\s")
_QUOTE_BEFORE = re.compile(r"[,.!?…][’'”\"]\s*$")
_PASSIVE_END = re.compile(r"\b(?:was|were|is|are|been|be|being)$", re.IGNORECASE)
_CLAIM_EDGE = set(",;:.\"“”'‘’-–—•")
# "BELGRADE, January 6. /TASS/. ", "ALMATY (Reuters) - ", "LONDON — "
_DATELINE = re.compile(r"[A-Z][A-Z .’'-]{2,}(?:,\s*[A-Z][a-z]+\.?\s+\d{1,2}\.\s*(?:/[^/]{1,20}/\.)?|"
                       r"\s*\([^)]{1,30}\)\s*[-–—]|\s+[-–—])\s*")
# an attribution that ends in its verb: the claim follows it
_SPEECH_END = re.compile(_VERBS + r"(?:\s+on)?(?:\s+" + _DAY + r")?(?:\s+that|:)?\s*$")


def _names_answer(sentence: str, candidate: tuple[int, int, str], answer_start: int, answer_end: int) -> bool:
    at = sentence.find(candidate[2], candidate[0])
    return at >= 0 and at < answer_end and answer_start < at + len(candidate[2])
