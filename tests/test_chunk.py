"""Chunking mechanics: offsets round-trip, token bounds, sentence overlap, long sentences."""
from __future__ import annotations

import pytest

from rag.chunk import ChunkSettings, chunk_articles
from rag.ingest import load_seeds
from rag.records import Article, Block
from rag.text import sentence_spans
from rag.tokens import count_tokens
from seedpaths import SEEDS


def words(text: str) -> int:
    return len(text.split())


def article(text: str) -> Article:
    return Article(id="a1", outlet="AFP", headline="", text=text, blocks=(Block(0, len(text)),))


def test_seed_chunks_round_trip_and_stay_under_the_token_limit():
    articles, _ = load_seeds(SEEDS)
    by_id = {a.id: a for a in articles}
    settings = ChunkSettings()
    chunks = chunk_articles(articles, settings, count_tokens)
    for chunk in chunks:
        assert by_id[chunk.article_id].text[chunk.start:chunk.end] == chunk.text
        assert count_tokens(chunk.text) <= settings.max_tokens
    assert [c.id for c in chunks] == list(range(len(chunks)))
    # every body sentence of every article is in some chunk
    for a in articles:
        covered = [(c.start, c.end) for c in chunks if c.article_id == a.id] + \
                  [(o.start, o.end) for c in chunks for o in c.also if o.article_id == a.id]
        for start, end in sentence_spans(a.text):
            assert any(s <= start and end <= e for s, e in covered), a.text[start:end]


def test_windows_overlap_by_whole_sentences():
    text = " ".join(f"Sentence number {i} has exactly seven words." for i in range(10))
    # 3 sentences of 7 words plus one token per boundary: 23
    chunks = chunk_articles([article(text)], ChunkSettings(max_tokens=23, overlap_tokens=8), words)
    assert [c.text.count("Sentence") for c in chunks] == [3, 3, 3, 3, 2]
    assert chunks[0].text.endswith("number 2 has exactly seven words.")
    assert chunks[1].text.startswith("Sentence number 2 ")  # the last sentence is repeated
    assert chunks[-1].text.endswith("number 9 has exactly seven words.")


def test_no_overlap_setting_gives_disjoint_windows():
    text = " ".join(f"Sentence number {i} has exactly seven words." for i in range(6))
    chunks = chunk_articles([article(text)], ChunkSettings(max_tokens=15, overlap_tokens=0), words)
    assert [c.text.count("Sentence") for c in chunks] == [2, 2, 2]
    assert all(a.end < b.start for a, b in zip(chunks, chunks[1:]))


def test_a_sentence_longer_than_the_limit_is_cut_at_spaces():
    text = " ".join(f"w{i}" for i in range(25)) + "."
    chunks = chunk_articles([article(text)], ChunkSettings(max_tokens=10, overlap_tokens=0), words)
    assert [words(c.text) for c in chunks] == [10, 10, 5]
    assert " ".join(c.text for c in chunks) == text


@pytest.mark.parametrize("kwargs, message", [
    ({"max_tokens": 0}, "max_tokens must be > 0, got 0"),
    ({"max_tokens": 10, "overlap_tokens": 10}, r"overlap_tokens must be in \[0, max_tokens\), got 10"),
])
def test_bad_settings_name_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ChunkSettings(**kwargs)


def test_sentence_spans_handle_abbreviations_and_missing_spaces():
    text = "Mr. Smith met U.S. officials. The alliance.The move followed! Next line\nNew line"
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "Mr. Smith met U.S. officials.", "The alliance.", "The move followed!", "Next line", "New line"]


WIRE = "Kazakhstan's government tolerates little real opposition and has been accused of silencing voices."


def paper(id_: str, outlet: str, date: str, paragraphs: list[tuple[str, str | None]]) -> Article:
    text, blocks = "", []
    for para, agency in paragraphs:
        start = len(text) + (2 if text else 0)
        text = f"{text}\n\n{para}" if text else para
        blocks.append(Block(start, len(text), "body", agency))
    return Article(id=id_, outlet=outlet, headline="", text=text, date=date, blocks=tuple(blocks))


def test_wire_copy_is_credited_to_its_originator_and_lists_the_carriers():
    carrier = paper("dm", "Daily Mail", "2022-01-06", [("Own reporting on the riots in Almaty today.", None), (WIRE, None)])
    agency = paper("afp", "AFP", "2022-01-05", [(WIRE, None)])
    later = paper("ex", "Express", "2022-01-07", [(WIRE.replace("voices.", "voices"), None)])
    chunks = chunk_articles([carrier, later, agency], ChunkSettings(), words)
    [wire] = [c for c in chunks if "tolerates" in c.text]
    assert (wire.article_id, wire.outlet) == ("afp", "AFP")  # the earliest printing
    assert [o.article_id for o in wire.also] == ["dm", "ex"]


def test_an_agency_credited_section_is_the_originator_over_an_earlier_date():
    first = paper("dm1", "Daily Mail", "2022-01-05", [(WIRE, None)])
    second = paper("dm2", "Daily Mail", "2022-01-06", [("Five things to know", "AFP"), (WIRE, "AFP")])
    [wire] = [c for c in chunk_articles([first, second], ChunkSettings(), words) if "tolerates" in c.text]
    assert (wire.article_id, wire.outlet) == ("dm2", "AFP")
    assert [o.article_id for o in wire.also] == ["dm1"]
