"""Repeated paragraphs: the same copy printed twice on a page, or agency copy in several outlets.

Paragraphs are compared by word shingles. A paragraph whose shingles overlap an earlier one's
by at least `threshold` (Jaccard), and that states the same numbers, is a copy of it: the
corpus indexes the earlier one once and credits every article that carried it. Numbers must
agree because "13 officers were killed" and "12 officers were killed" are different claims.
"""
from __future__ import annotations

import re
from collections import defaultdict

from .text import normalize, words

SHINGLE = 3
MIN_WORDS = 6
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def shingles(text: str, size: int = SHINGLE) -> frozenset[int]:
    """Hashed word n-grams of a text (case, quotes and spacing folded)."""
    tokens = words(normalize(text))
    if len(tokens) < size:
        return frozenset({hash(tuple(tokens))}) if tokens else frozenset()
    return frozenset(hash(tuple(tokens[i:i + size])) for i in range(len(tokens) - size + 1))


def numbers(text: str) -> frozenset[str]:
    """The figures a text states, written as digits."""
    return frozenset(n.replace(",", "") for n in _NUMBER.findall(text))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def find_copies(paragraphs: list[str], threshold: float = 0.8) -> list[int | None]:
    """For each paragraph, the index of the earliest paragraph it copies, or None.

    Candidates come from an inverted index of shingles, so the cost grows with the number of
    shared shingles rather than with the square of the number of paragraphs.
    """
    postings: dict[int, list[int]] = defaultdict(list)
    originals: list[int | None] = []
    signatures = [shingles(p) if len(p.split()) >= MIN_WORDS else frozenset() for p in paragraphs]
    for index, (text, sig) in enumerate(zip(paragraphs, signatures)):
        original = None
        if sig:
            overlap: dict[int, int] = defaultdict(int)
            for shingle in sig:
                for other in postings.get(shingle, ()):
                    overlap[other] += 1
            for other in sorted(overlap):  # earliest first: the first printing is the original
                shared = overlap[other]
                union = len(sig) + len(signatures[other]) - shared
                if shared / union >= threshold and numbers(text) == numbers(paragraphs[other]):
                    original = other
                    break
        originals.append(original)
        if original is None:
            for shingle in sig:
                postings[shingle].append(index)
    return originals
