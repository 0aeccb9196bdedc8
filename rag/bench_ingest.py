"""`python -m rag.bench_ingest`: time to ingest generated articles and to update the index.

Writes the `ingest` section of BENCHMARKS.md: adding N generated articles to an empty library
(validation, parsing, duplicate checks, atomic writes), the first index build over them, and
an incremental update after 10 more articles, where only the new text is embedded.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

_PLACES = ["Almaty", "Aktau", "Astana", "Shymkent", "Taraz", "Odesa", "Tbilisi", "Minsk", "Baku", "Bishkek"]
_PEOPLE = ["Aigerim Sadykova", "Daniyar Omarov", "Olga Petrenko", "Giorgi Beridze", "Anna Volkova",
           "Rustam Aliyev", "Marat Nurlanov", "Elena Sokolova", "Timur Bekov", "Nino Kapanadze"]
_OUTLETS = ["AFP", "Reuters", "TASS", "CNN", "Daily Mail", "RT"]
_TOPICS = ["port strike", "fuel price protest", "grain shipment", "power outage", "rail accident",
           "election count", "bank run", "pipeline repair", "border closure", "teachers' strike"]


def generate(count: int, seed: int = 7) -> list[str]:
    """`count` distinct articles of about 200 words, as Markdown with front matter."""
    rng = random.Random(seed)
    articles = []
    for i in range(count):
        place, person, topic = rng.choice(_PLACES), rng.choice(_PEOPLE), rng.choice(_TOPICS)
        n, m, day = rng.randint(2, 900), rng.randint(10, 99), rng.randint(1, 28)
        paragraphs = [
            f"The {topic} in {place} entered its {rng.randint(2, 9)}th day on Tuesday, officials said, "
            f"as {n} people gathered outside the regional administration (report {i}).",
            f"{person}, a spokesperson for the city, said {m} percent of services were running and that "
            f"talks would resume on January {day}.",
            f"Police said {rng.randint(1, 60)} people had been detained and {rng.randint(1, 40)} injured. "
            f"Local media put the number of protesters at {n + rng.randint(10, 500)}.",
            f"The ministry of economy estimated losses at {rng.randint(2, 90)} million tenge a day. "
            f"Traders in {rng.choice(_PLACES)} reported shortages of {rng.choice(['fuel', 'flour', 'sugar', 'cement'])}.",
            f"{rng.choice(_PEOPLE)} told reporters that the situation in {place} remained tense but calm.",
        ]
        articles.append(f"---\ntitle: {topic.capitalize()} in {place}, report {i}\noutlet: {rng.choice(_OUTLETS)}\n"
                        f"date: 2022-01-{day:02d}\n---\n" + "\n\n".join(paragraphs) + "\n")
    return articles


def run(count: int, workdir: Path) -> dict:
    """Timings of adding `count` articles, the first build and an incremental update."""
    from . import library
    from .pipeline import Assistant, Settings

    inbox, seeds, index = workdir / "inbox", workdir / "seeds", workdir / "index"
    for folder in (inbox, seeds):
        folder.mkdir(parents=True)
    texts = generate(count + 10)
    for i, text in enumerate(texts[:count]):
        (inbox / f"article-{i:05d}.md").write_text(text, encoding="utf-8")
    started = time.perf_counter()
    reports = library.add([inbox], seeds)
    add_seconds = time.perf_counter() - started
    settings = Settings(seeds_dir=seeds, index_dir=index)
    started = time.perf_counter()
    assistant = Assistant.load(settings, progress=False, log=lambda _: None)
    build_seconds = time.perf_counter() - started
    counts = assistant.index.manifest["counts"]

    extra = workdir / "extra"
    extra.mkdir()
    for i, text in enumerate(texts[count:]):
        (extra / f"extra-{i:02d}.md").write_text(text, encoding="utf-8")
    started = time.perf_counter()
    library.add([extra], seeds)
    Assistant.load(settings, embedder=assistant.embedder, progress=False, log=lambda _: None)
    update_seconds = time.perf_counter() - started
    return {"articles": count, "added": sum(r.ok for r in reports), "chunks": counts["chunks"],
            "sentences": counts["sentences"], "add_seconds": add_seconds, "build_seconds": build_seconds,
            "update_seconds": update_seconds, "model": assistant.index.manifest["settings"]["model"],
            "load": os.getloadavg()[0]}


def section(result: dict, command: str) -> str:
    from .report import machine

    r = result
    return "\n".join([
        "## Ingestion: generated articles into an empty library",
        "",
        f"- Command: `{command}`",
        f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}; load average {r['load']:.1f} at the end (other jobs share the cores)",
        f"- Embedder: {r['model']}; {r['articles']:,} articles of about 200 words, "
        f"{r['chunks']:,} chunks, {r['sentences']:,} sentences",
        "",
        "| step | seconds | rate |",
        "|---|---|---|",
        f"| add {r['articles']:,} files to the library (validate, parse, duplicate check, atomic write) "
        f"| {r['add_seconds']:.1f} | {r['articles'] / r['add_seconds']:.0f} articles/s |",
        f"| first index build (annotate, embed chunks and sentences, FAISS, BM25, checksums) "
        f"| {r['build_seconds']:.1f} | {r['chunks'] / r['build_seconds']:.1f} chunks/s |",
        f"| add 10 more articles and update the index (only new text embedded) "
        f"| {r['update_seconds']:.1f} | |",
        "",
        f"Total to ingest {r['articles']:,} articles: {r['add_seconds'] + r['build_seconds']:.0f} s. "
        "The update re-chunks and re-indexes everything but embeds only the new text, so its cost is "
        "the BM25/FAISS rebuild plus the new articles.",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.bench_ingest", description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("BENCHMARKS.md"))
    args = parser.parse_args(argv)
    if args.articles <= 0:
        parser.error(f"--articles must be > 0, got {args.articles}")
    from .report import write_section

    workdir = Path(tempfile.mkdtemp(prefix="rag-ingest-bench-"))
    try:
        result = run(args.articles, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    command = "python -m rag.bench_ingest" + ("" if args.articles == 1000 else f" --articles {args.articles}")
    write_section(args.out, "ingest", section(result, command))
    print(section(result, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
