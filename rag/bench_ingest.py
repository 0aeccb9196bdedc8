"""`python -m rag.bench_ingest`: time to ingest generated articles and to update the index.

Writes the `ingest` section of BENCHMARKS.md: adding N generated articles to an empty library
(validation, parsing, duplicate checks, atomic writes), the first index build over them, and
an incremental update after 10 more articles, where only the new text is embedded.

`--memory` writes the `build-memory` section instead: the peak memory (VmHWM) of index builds of
generated corpora of growing size, each in its own process, with the embedder replaced by a fast
deterministic fake (hash -> unit vector) so that the numbers show the build's own memory, not the
model's. `--compare-tree DIR` measures the same builds with the code of another checkout (for
example `git archive <commit>`) beside this one.
"""
from __future__ import annotations

import argparse
import json
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
    pieces = word_pieces([c.text for c in assistant.index.chunks])

    extra = workdir / "extra"
    extra.mkdir()
    for i, text in enumerate(texts[count:]):
        (extra / f"extra-{i:02d}.md").write_text(text, encoding="utf-8")
    started = time.perf_counter()
    library.add([extra], seeds)
    Assistant.load(settings, embedder=assistant.embedder, progress=False, log=lambda _: None)
    update_seconds = time.perf_counter() - started
    return {"articles": count, "added": sum(r.ok for r in reports), "chunks": counts["chunks"],
            "sentences": counts["sentences"], "word_pieces": pieces, "add_seconds": add_seconds, "build_seconds": build_seconds,
            "update_seconds": update_seconds, "model": assistant.index.manifest["settings"]["model"],
            "load": os.getloadavg()[0]}


def word_pieces(texts: list[str]) -> int:
    """MiniLM word pieces of `texts`, as the embedder sees them (at most 256 each)."""
    from tokenizers import Tokenizer

    from .embed import model_path

    tokenizer = Tokenizer.from_file(str(Path(model_path()) / "tokenizer.json"))
    tokenizer.enable_truncation(256)
    tokenizer.no_padding()
    return sum(len(e.ids) for e in tokenizer.encode_batch(texts))


MEMORY_SCRIPT = """
import hashlib, sys, time
import numpy as np
from pathlib import Path

class FakeEmbedder:
    name, dimension = "fake-hash", 384

    def encode(self, texts, batch_size=32):
        out = np.empty((len(texts), 384), np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            vector = np.random.default_rng(seed).standard_normal(384)
            out[row] = vector / np.linalg.norm(vector)
        return out

from rag import store
from rag.chunk import ChunkSettings
started = time.perf_counter()
store.build(Path(sys.argv[1]), Path(sys.argv[2]), FakeEmbedder(), ChunkSettings(), progress=False,
            log=lambda _: None)
print(time.perf_counter() - started)
"""


def run_memory(sizes: list[int], workdir: Path, trees: dict[str, Path]) -> list[dict]:
    """Peak RSS of a fake-embedder build of each corpus size, with each tree's code."""
    from .bench import run_process

    rows = []
    for size in sizes:
        seeds = workdir / f"seeds-{size}"
        seeds.mkdir(parents=True)
        for i, text in enumerate(generate(size)):
            (seeds / f"article-{i:05d}.md").write_text(text, encoding="utf-8")
        for label, tree in trees.items():
            index = workdir / f"index-{label}-{size}"
            env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(tree)}
            result = run_process([sys.executable, "-c", MEMORY_SCRIPT, str(seeds), str(index)], env)
            from . import store

            counts = json.loads((store.current_folder(index) / "manifest.json").read_text())["counts"]
            rows.append({"code": label, "articles": size, "chunks": counts["chunks"],
                         "sentences": counts["sentences"], "peak_mib": result["peak_mib"],
                         "build_s": float(result["stdout"].split()[-1]), "cpu_s": result["cpu_s"]})
            shutil.rmtree(index, ignore_errors=True)
    return rows


def memory_section(rows: list[dict], command: str, load: float) -> str:
    from .report import machine

    lines = [
        "## Index build memory: streamed build, generated corpora",
        "",
        f"- Command: `{command}`",
        f"- Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}; load average {load:.1f} at the end",
        "- Each build runs in its own process (peak = VmHWM of that process) with the real chunking, "
        "spaCy annotation, FAISS, BM25 and checksums, and a fake embedder (hash of the text -> unit "
        "vector), so that the model's own memory (about 0.5 GiB for torch) does not hide the build's.",
        "",
        "| code | articles | chunks | sentences | peak MiB | build s |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['code']} | {r['articles']:,} | {r['chunks']:,} | {r['sentences']:,} "
                     f"| {r['peak_mib']:.0f} | {r['build_s']:.1f} |")
    for code in dict.fromkeys(r["code"] for r in rows):
        mine = [r for r in rows if r["code"] == code]
        if len(mine) >= 2:
            slope = (mine[-1]["peak_mib"] - mine[0]["peak_mib"]) / (mine[-1]["chunks"] - mine[0]["chunks"]) * 1024
            lines.append(f"\n{code}: the peak grows by {slope:.1f} KiB per chunk between "
                         f"{mine[0]['articles']:,} and {mine[-1]['articles']:,} articles.")
    return "\n".join(lines)


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
        f"{r['chunks']:,} chunks (mean {r['word_pieces'] / max(r['chunks'], 1):.0f} MiniLM word pieces), "
        f"{r['sentences']:,} sentences",
        "",
        "| step | seconds | rate |",
        "|---|---|---|",
        f"| add {r['articles']:,} files to the library (validate, parse, duplicate check, atomic write) "
        f"| {r['add_seconds']:.1f} | {r['articles'] / r['add_seconds']:.0f} articles/s |",
        f"| first index build (annotate, embed chunks and sentences, FAISS, BM25, checksums) "
        f"| {r['build_seconds']:.1f} | {r['chunks'] / r['build_seconds']:.1f} chunks/s, "
        f"{r['word_pieces'] / r['build_seconds']:.0f} chunk word pieces/s |",
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
    parser.add_argument("--memory", action="store_true",
                        help="measure the peak memory of builds instead (the build-memory section)")
    parser.add_argument("--sizes", default="1000,3000", help="corpus sizes (articles) for --memory")
    parser.add_argument("--compare-tree", type=Path, default=None,
                        help="with --memory: also build with the code of this checkout")
    args = parser.parse_args(argv)
    if args.articles <= 0:
        parser.error(f"--articles must be > 0, got {args.articles}")
    from .report import write_section

    if args.memory:
        return main_memory(args)
    workdir = Path(tempfile.mkdtemp(prefix="rag-ingest-bench-"))
    try:
        result = run(args.articles, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    command = "python -m rag.bench_ingest" + ("" if args.articles == 1000 else f" --articles {args.articles}")
    write_section(args.out, "ingest", section(result, command))
    print(section(result, command))
    return 0


def main_memory(args: argparse.Namespace) -> int:
    from .report import write_section

    sizes = [int(x) for x in args.sizes.split(",")]
    if not sizes or min(sizes) <= 0:
        raise SystemExit(f"--sizes must be positive integers, got {args.sizes!r}")
    here = Path(__file__).resolve().parent.parent
    trees = {"this checkout": here}
    if args.compare_tree is not None:
        trees = {f"{args.compare_tree.name} (--compare-tree)": args.compare_tree.resolve(), **trees}
    workdir = Path(tempfile.mkdtemp(prefix="rag-memory-bench-"))
    try:
        rows = run_memory(sizes, workdir, trees)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    command = "python -m rag.bench_ingest --memory" + ("" if args.sizes == "1000,3000" else f" --sizes {args.sizes}")
    if args.compare_tree is not None:
        command += f" --compare-tree {args.compare_tree}"
    text = memory_section(rows, command, os.getloadavg()[0])
    write_section(args.out, "build-memory", text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
