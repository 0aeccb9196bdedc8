"""Core records that flow through the pipeline: Article -> Chunk -> Hit -> Answer.

All are frozen dataclasses; JSON comes from `dataclasses.asdict`. Scores live on hits and
citations, never on chunks, so one chunk can be shared by many queries safely.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Block:
    """A run of an article's text with one role: body, standfirst, summary or caption.

    `outlet` is set when the block is credited to someone other than the article's outlet
    (agency copy such as an AFP factbox inside a Daily Mail piece).
    """

    start: int
    end: int
    kind: str = "body"
    outlet: str | None = None


@dataclass(frozen=True)
class Article:
    """One news article, its text cleaned of page furniture and its blocks marked."""

    id: str
    outlet: str
    headline: str
    text: str
    byline: str = ""
    date: str = ""
    url: str = ""
    source: str = ""  # file the article came from, relative to the seeds folder
    blocks: tuple[Block, ...] = ()

    def block_at(self, offset: int) -> Block | None:
        """The block holding character `offset`, if any."""
        for block in self.blocks:
            if block.start <= offset < block.end:
                return block
        return None


@dataclass(frozen=True)
class Occurrence:
    """Where a chunk's text also stands, verbatim, in another article (repeated copy)."""

    article_id: str
    start: int
    end: int


@dataclass(frozen=True)
class Entity:
    """A candidate answer span inside a chunk, offsets relative to the chunk text.

    `label` is a named-entity label, "NP" for a noun phrase or "ST" for another parse subtree;
    `pos` and `dep` describe the span's head word and `gov_start:gov_end` the content word it
    depends on (-1 when none), as the span ranker (rag.reader) reads them.
    """

    start: int
    end: int
    label: str
    pos: str = ""
    dep: str = ""
    gov_start: int = -1
    gov_end: int = -1


@dataclass(frozen=True)
class Chunk:
    """A token-bounded window of an article: `article.text[start:end] == text`."""

    id: int
    article_id: str
    text: str
    start: int
    end: int
    kind: str = "body"
    outlet: str = ""
    also: tuple[Occurrence, ...] = ()
    entities: tuple[Entity, ...] = ()


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and 1-based rank."""

    chunk: Chunk
    score: float
    rank: int


@dataclass(frozen=True)
class Citation:
    """A verbatim quote from one article that supports an answer."""

    outlet: str
    headline: str
    byline: str
    date: str
    article_id: str
    quote: str
    start: int
    end: int
    score: float
    via: str = ""  # the carrying outlet when `outlet` is an agency whose copy it republished
    url: str = ""
    answer_start: int | None = None  # the answer's offsets inside `quote`, when it has one
    answer_end: int | None = None
    # who the quote itself credits for its claim, in its words ("Kazakhstan’s local outlet
    # Tengrinews.kz" for "..., according to Kazakhstan’s local outlet Tengrinews.kz."); "" if none
    attributed_to: str = ""


@dataclass(frozen=True)
class Conflict:
    """A value that other outlets report for what the question asks."""

    answer: str
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class Answer:
    """The assistant's reply: a short span (or None when it abstains) with its sources.

    On abstention `citations` holds the nearest passages, so the reader still sees them.
    """

    question: str
    answer: str | None
    sentence: str | None
    confidence: float
    citations: tuple[Citation, ...]
    conflicts: tuple[Conflict, ...] = ()
    note: str = ""  # why the assistant abstained, in words fit to show
    # the question as it was answered, when a description in it was first resolved to a name
    # (rag.bridge): "Who currently leads the CSTO?" for "... the Russia-dominated military bloc?"
    read_as: str = ""

    def to_dict(self) -> dict:
        """The JSON contract shared by the CLI, the HTTP API, the tests and the evaluation."""
        return asdict(self)
