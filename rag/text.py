"""Small text utilities shared by the stages: sentence spans, normalisation, hashing."""
from __future__ import annotations

import hashlib
import re
import unicodedata

# A sentence ends at . ! ? (optionally followed by closing quotes or brackets) before
# whitespace and a capital, digit or opening quote; a line break always ends one. Pages often
# lose the space after a period ("the alliance.The move"): a lower-case word, a period and a
# capitalised word also end one.
_END = re.compile(r"""[.!?]+["'’”)\]]*(?=\s+["'‘“(\[]?[A-Z0-9])|(?<=[a-z]{3})\.(?=[A-Z][a-z])|\n+""")
# Tokens that end in a period without ending a sentence.
_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "gen", "col", "lt", "sgt", "capt", "gov",
    "sen", "rep", "rev", "jan", "feb", "mar", "apr", "aug", "sep", "sept", "oct", "nov", "dec",
    "no", "vs", "etc", "inc", "ltd", "co", "corp", "approx", "u.s", "u.k", "u.n", "e.g", "i.e",
}
_WORD = re.compile(r"\w+(?:[-'’]\w+)*", re.UNICODE)


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Character spans of the sentences in `text[start:end]`, stripped of outer whitespace."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    cursor = start
    for match in _END.finditer(text, start, end):
        if match.group().startswith((".",)) and _is_abbreviation(text, match.start()):
            continue
        _append_stripped(text, cursor, match.end(), spans)
        cursor = match.end()
    _append_stripped(text, cursor, end, spans)
    return spans


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at `dot` closes an abbreviation or an initial, not a sentence."""
    word_start = dot
    while word_start > 0 and (text[word_start - 1].isalnum() or text[word_start - 1] == "."):
        word_start -= 1
    word = text[word_start:dot].lower()
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def _append_stripped(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


_POSSESSIVE = re.compile(r"['’]s$")


def without_possessive(word: str) -> str:
    """`word` without a trailing possessive ("Kazakhstan's" -> "Kazakhstan")."""
    return _POSSESSIVE.sub("", word)


def is_possessive(word: str) -> bool:
    return _POSSESSIVE.search(word) is not None


def words(text: str) -> list[str]:
    """Lower-cased word tokens, apostrophes and inner hyphens kept."""
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def normalize(text: str) -> str:
    """Text folded for comparison: NFKC, curly quotes straightened, case and spaces folded."""
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"}))
    return " ".join(text.lower().split())


_UNDECOMPOSED = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ß": "ss", "æ": "ae",
                               "Æ": "AE", "œ": "oe", "Œ": "OE", "ı": "i", "þ": "th", "ð": "d"})


def ascii_fold(text: str) -> str:
    """`text` lower-cased without diacritics, as a question typed on a plain keyboard spells it:
    "Galápagos" -> "galapagos", "Bjørnholt" -> "bjornholt", "Vučić" -> "vucic"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def content_hash(*parts: str, length: int = 16) -> str:
    """A short, stable hex id for a piece of content."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()[:length]
