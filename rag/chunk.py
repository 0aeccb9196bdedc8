"""Chunking: Articles -> sentence-aligned Chunks of at most `max_tokens` cl100k tokens.

Each chunk keeps character offsets so that `article.text[chunk.start:chunk.end] == chunk.text`.
A paragraph that several articles repeat becomes a chunk of its own, indexed once, listing the
other places it stands in `Chunk.also`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from .dedup import find_copies
from .records import Article, Block, Chunk, Occurrence
from .text import sentence_spans

TokenCounter = Callable[[str], int]

# Paragraph kinds that are read as one flow of text; captions and summaries stay apart.
_FLOW = {"headline", "standfirst", "heading", "body"}


@dataclass(frozen=True)
class ChunkSettings:
    """How articles are cut; stored in the index manifest so a change triggers a rebuild."""

    max_tokens: int = 200
    overlap_tokens: int = 40
    encoding: str = "cl100k_base"
    dedup_threshold: float = 0.8

    def __post_init__(self) -> None:
        if self.max_tokens <= 0:
            raise ValueError(f"max_tokens must be > 0, got {self.max_tokens}")
        if not 0 <= self.overlap_tokens < self.max_tokens:
            raise ValueError(f"overlap_tokens must be in [0, max_tokens), got {self.overlap_tokens}")


@dataclass(frozen=True)
class _Unit:
    """Consecutive blocks of one article that are chunked together."""

    article: Article
    start: int
    end: int
    kind: str
    outlet: str
    also: tuple[Occurrence, ...] = ()


def chunk_articles(articles: list[Article], settings: ChunkSettings, count: TokenCounter) -> list[Chunk]:
    """All chunks of a corpus, repeated paragraphs indexed once."""
    chunks: list[Chunk] = []
    for unit in _units(articles, settings.dedup_threshold):
        for start, end in _windows(unit.article.text, unit.start, unit.end, settings, count):
            chunks.append(Chunk(
                id=len(chunks), article_id=unit.article.id, text=unit.article.text[start:end],
                start=start, end=end, kind=unit.kind, outlet=unit.outlet, also=unit.also,
            ))
    return chunks


def _units(articles: list[Article], threshold: float) -> Iterable[_Unit]:
    """Group blocks into units; a repeated paragraph is a unit of its own, copies dropped."""
    located = [(article, block) for article in articles for block in article.blocks]
    originals = _originators(located, find_copies([a.text[b.start:b.end] for a, b in located], threshold))
    copies: dict[int, list[Occurrence]] = {}
    for index, original in enumerate(originals):
        if original is not None:
            article, block = located[index]
            copies.setdefault(original, []).append(Occurrence(article.id, block.start, block.end))

    current: _Unit | None = None
    for index, (article, block) in enumerate(located):
        if originals[index] is not None:
            continue  # a copy: its text is indexed with the original
        kind, outlet = _kind(block), block.outlet or article.outlet
        shared = index in copies
        if current and not shared and current.article is article and not current.also \
                and current.kind == kind and current.outlet == outlet:
            current = _Unit(article, current.start, block.end, kind, outlet)
            continue
        if current:
            yield current
        current = _Unit(article, block.start, block.end, kind, outlet, tuple(copies.get(index, ())))
        if shared:
            yield current
            current = None
    if current:
        yield current


def _originators(located: list[tuple[Article, Block]], originals: list[int | None]) -> list[int | None]:
    """Copies re-pointed at their originator: the agency-credited printing if there is one
    (wire copy inside a newspaper piece), else the earliest dated, else the first in the corpus."""
    groups: dict[int, list[int]] = {}
    for index, original in enumerate(originals):
        groups.setdefault(index if original is None else original, []).append(index)
    out: list[int | None] = list(originals)
    for members in groups.values():
        if len(members) < 2:
            continue
        def rank(i: int) -> tuple:
            article, block = located[i]
            return (block.outlet is None, article.date or "9999", i)
        leader = min(members, key=rank)
        for member in members:
            out[member] = None if member == leader else leader
    return out


def _kind(block: Block) -> str:
    return "body" if block.kind in _FLOW else block.kind


def _windows(text: str, start: int, end: int, settings: ChunkSettings,
             count: TokenCounter) -> list[tuple[int, int]]:
    """Sentence-aligned (start, end) windows of `text[start:end]` with sentence overlap."""
    sentences = [piece for s in sentence_spans(text, start, end)
                 for piece in _split_long(text, s, settings.max_tokens, count)]
    sizes = [count(text[s:e]) for s, e in sentences]
    windows: list[tuple[int, int]] = []
    first = 0
    while first < len(sentences):
        last, total = first, sizes[first]
        # +1 token per sentence boundary approximates the joining whitespace
        while last + 1 < len(sentences) and total + sizes[last + 1] + 1 <= settings.max_tokens:
            last += 1
            total += sizes[last] + 1
        windows.append((sentences[first][0], sentences[last][1]))
        if last + 1 >= len(sentences):
            break
        # step back over trailing sentences that fit in the overlap, but always move forward
        back, kept = last, 0
        while back > first and kept + sizes[back] <= settings.overlap_tokens:
            kept += sizes[back]
            back -= 1
        first = back + 1 if back < last else last + 1
    return windows


def _split_long(text: str, span: tuple[int, int], max_tokens: int, count: TokenCounter) -> list[tuple[int, int]]:
    """A sentence longer than `max_tokens`, cut at spaces into pieces that fit."""
    start, end = span
    if count(text[start:end]) <= max_tokens:
        return [span]
    pieces, piece_start, last_fit = [], start, None
    cursor = start
    while cursor < end:
        space = text.find(" ", cursor + 1, end)
        stop = end if space < 0 else space
        if count(text[piece_start:stop]) <= max_tokens:
            last_fit, cursor = stop, stop
            if stop == end:
                break
            continue
        cut = last_fit if last_fit and last_fit > piece_start else stop
        pieces.append((piece_start, cut))
        piece_start = cut + 1 if cut < end and text[cut] == " " else cut
        last_fit, cursor = None, piece_start
    if piece_start < end:
        pieces.append((piece_start, end))
    return pieces
