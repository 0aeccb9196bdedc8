"""Ingestion of the seed page and of single-article files: outlets, furniture, captions, bad files."""
from __future__ import annotations

import shutil

import pytest

from rag.chunk import ChunkSettings, chunk_articles
from rag.ingest import IngestError, load_seeds, parse_file, read_text_file, SeedMetadata
from seedpaths import SEEDS

FURNITURE = ["Scroll down for video", "Discuss on the forum", "Tags", "fml.lol", "Latest news & random rants",
             "© AP Photo", "By Russia Today", "By TASS", "By Will Stewart", "By Chris Jewers",
             "By Evelyn Blackwell", "Reporting by AFP", "contributed to this report", "At least two..."]


@pytest.fixture(scope="module")
def articles():
    found, problems = load_seeds(SEEDS)
    assert problems == []
    return found


def test_the_seed_page_yields_exactly_five_articles_with_their_outlets(articles):
    assert [a.outlet for a in articles] == ["RT", "Daily Mail", "Daily Mail", "TASS", "CNN"]
    assert [a.headline for a in articles] == [
        "Law enforcement officers beheaded in Kazakhstan",
        "Dozens of corpses are lined up in morgue after Kazakhstan forces slaughter protesters",
        "Why Kazakhstan uprising will strike fear in Putin",
        "Foreign spy agencies behind riots in Kazakhstan, Serbian president says",
        "Russia-led military alliance will send ‘peacekeepers’ to Kazakhstan",
    ]
    assert [a.byline for a in articles] == ["Russia Today", "Will Stewart & Chris Jewers", "Chris Jewers",
                                            "TASS", "Evelyn Blackwell"]
    assert {a.date for a in articles} == {"2022-01-06"}
    assert len({a.id for a in articles}) == 5


def test_page_furniture_and_photo_credits_are_not_article_text(articles):
    for article in articles:
        for furniture in FURNITURE:
            assert furniture not in article.text, (article.outlet, furniture)
    # the closing teaser repeats the first headline after the CNN sign-off
    assert articles[-1].text.endswith("including through the restoration of internet service.”")


def test_captions_and_summaries_are_kept_but_marked(articles):
    daily_mail = articles[1]
    kinds = {daily_mail.text[b.start:b.end]: b.kind for b in daily_mail.blocks}
    assert kinds["Pictured: Riot police guard the Ak Orda Presidential Palace against protesters on January 5"] == "caption"
    assert kinds["Flames are seen inside the mayor's building in Almaty"] == "caption"
    assert kinds["Overnight police spokesman Saltanat Azirbek admitted the slaughter of 'dozens' of protesters."] == "body"
    assert sum(b.kind == "summary" for b in daily_mail.blocks) == 6
    assert daily_mail.blocks[0].kind == "headline"
    assert daily_mail.text[daily_mail.blocks[1].start:daily_mail.blocks[1].end].startswith("More shootings break out")
    assert daily_mail.blocks[1].kind == "standfirst"


def test_the_afp_factbox_is_credited_to_afp_inside_the_daily_mail_piece(articles):
    piece = articles[2]
    afp = [piece.text[b.start:b.end] for b in piece.blocks if b.outlet == "AFP"]
    assert afp[0] == "Five things to know about Kazakhstan"
    assert afp[-1].startswith("He reared his head again in 2017")
    assert all(b.outlet is None for b in piece.blocks if piece.text[b.start:b.end].startswith("The CSTO's current"))


def test_repeated_paragraphs_are_indexed_once_and_credit_every_carrier(articles):
    chunks = chunk_articles(articles, ChunkSettings(), lambda t: len(t.split()))
    sentence = "The CSTO's current chairman, Armenian Prime Minister Nikol Pashinyan"
    holding = [c for c in chunks if sentence in c.text]
    assert len(holding) == 1
    by_id = {a.id: a for a in articles}
    carriers = [holding[0].article_id] + [o.article_id for o in holding[0].also]
    assert [by_id[i].headline for i in carriers] == [articles[1].headline, articles[2].headline]
    for occurrence in holding[0].also:
        assert by_id[occurrence.article_id].text[occurrence.start:occurrence.end].startswith(sentence)


def test_outlets_come_from_the_editable_metadata_file(tmp_path):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    toml = (seeds / "outlets.toml").read_text().replace('"Russia Today" = "RT"', '"Russia Today" = "Russia Today"')
    (seeds / "outlets.toml").write_text(toml)
    found, _ = load_seeds(seeds)
    assert found[0].outlet == "Russia Today"


def test_a_single_article_file_with_front_matter(tmp_path):
    text = "---\ntitle: Grain deal signed\noutlet: Reuters\nbyline: Jane Doe\ndate: 2022-03-01\nurl: https://example.org/a\n---\n" \
           "Ministers signed the grain deal on Tuesday.\n\nThe deal runs for 120 days.\n"
    [article] = parse_file(text, "grain.md", SeedMetadata())
    assert (article.headline, article.outlet, article.byline, article.date, article.url) == \
        ("Grain deal signed", "Reuters", "Jane Doe", "2022-03-01", "https://example.org/a")
    assert article.text == "Grain deal signed\n\nMinisters signed the grain deal on Tuesday.\n\nThe deal runs for 120 days."


def test_a_file_without_front_matter_takes_its_first_line_as_headline_and_byline_outlet(tmp_path):
    metadata = SeedMetadata(bylines={"Ann Lee": "AFP"})
    [article] = parse_file("Port reopens\n\nThe port reopened on Monday after a week.\n\nBy Ann Lee\n", "port.txt", metadata)
    assert (article.headline, article.outlet, article.byline) == ("Port reopens", "AFP", "Ann Lee")
    assert "By Ann Lee" not in article.text


@pytest.mark.parametrize("content, message", [
    (b"", "empty file"),
    (b"\x00\x01\x02binary", "binary file"),
    (b"caf\xe9 au lait", "not UTF-8"),
    (b"  \n\n ", "no text"),
])
def test_bad_files_get_a_clear_message_and_the_rest_still_loads(tmp_path, content, message):
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    (seeds / "zz_bad.txt").write_bytes(content)
    found, problems = load_seeds(seeds)
    assert len(found) == 5
    assert len(problems) == 1 and problems[0].startswith("zz_bad.txt:") and message in problems[0]
    with pytest.raises(IngestError, match=message):
        read_text_file(seeds / "zz_bad.txt")


def test_a_missing_seeds_folder_is_an_ingest_error(tmp_path):
    with pytest.raises(IngestError, match="seeds folder not found"):
        load_seeds(tmp_path / "nowhere")
