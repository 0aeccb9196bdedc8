"""The ingestion benchmark on a tiny corpus: it writes its own section and leaves the others alone."""
from __future__ import annotations

import re

from rag.bench_ingest import generate, main
from rag.report import write_section


def test_generated_articles_are_distinct_and_parse():
    from rag.ingest import SeedMetadata, parse_file

    texts = generate(20)
    assert len(set(texts)) == 20
    article = parse_file(texts[3], "a.md", SeedMetadata())[0]
    assert article.headline.endswith("report 3") and article.outlet in {"AFP", "Reuters", "TASS", "CNN", "Daily Mail", "RT"}


def test_write_section_replaces_only_its_own_markers(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# Benchmarks\n\n<!-- load:begin -->\nload numbers\n<!-- load:end -->\n")
    write_section(path, "ingest", "first")
    write_section(path, "ingest", "second")
    assert path.read_text() == ("# Benchmarks\n\n<!-- load:begin -->\nload numbers\n<!-- load:end -->\n\n"
                                "<!-- ingest:begin -->\nsecond\n<!-- ingest:end -->\n")


def test_the_benchmark_runs_end_to_end_on_five_articles(tmp_path):
    out = tmp_path / "BENCHMARKS.md"
    assert main(["--articles", "5", "--out", str(out)]) == 0
    text = out.read_text()
    assert "- Command: `python -m rag.bench_ingest --articles 5`" in text
    assert "| add 5 files to the library" in text
    assert re.search(r"5 articles of about 200 words, 5 chunks \(mean \d+ MiniLM word pieces\),", text)
    assert " chunk word pieces/s |" in text
