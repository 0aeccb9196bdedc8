"""`python -m rag.ingest`: add articles to the library and update the index, remove or list them.

    python -m rag.ingest story.html wire.jsonl notes.md     # add, then update the index
    python -m rag.ingest --remove 3f2a9c1b0d4e5f60          # by article id (or a file of the library)
    python -m rag.ingest --list                             # id, outlet, date, chunks, headline

Only new or changed articles are embedded: the vectors of everything already indexed are
reused. Exit codes: 0 all done, 1 some input refused (the rest is added), 2 bad usage.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_REFUSED, EXIT_USAGE = 1, 2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m rag.ingest", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help=".txt, .md, .html, .jsonl files or folders")
    parser.add_argument("--remove", metavar="ID_OR_PATH", help="take one article out of the library")
    parser.add_argument("--list", action="store_true", help="list the articles of the library")
    parser.add_argument("--no-index", action="store_true", help="change the library only; index later")
    parser.add_argument("--seeds", type=Path, default=Path(os.environ.get("RAG_SEEDS", "seeds")))
    parser.add_argument("--index", type=Path, default=Path(os.environ.get("RAG_INDEX", "index")))
    args = parser.parse_args(argv)
    if sum([bool(args.paths), args.remove is not None, args.list]) != 1:
        parser.error("give files to add, or --remove ID_OR_PATH, or --list")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from . import IngestError
    from .. import library
    from ..pipeline import Assistant, Settings

    status = 0
    try:
        if args.paths:
            reports = library.add(args.paths, args.seeds, progress=True)
            for report in reports:
                print(report.message, file=sys.stdout if report.ok else sys.stderr)
            status = 0 if all(r.ok for r in reports) else EXIT_REFUSED
            if not any(r.ok for r in reports):
                return status
        elif args.remove is not None:
            print(library.remove(args.remove, args.seeds))
        if args.no_index and not args.list:
            return status
        assistant = Assistant.load(Settings(seeds_dir=args.seeds, index_dir=args.index))
    except IngestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE if args.list else EXIT_REFUSED
    if args.list:
        print(_listing(assistant))
    else:
        health = assistant.health()
        print(f"index: {health['articles']} articles, {health['chunks']} chunks", file=sys.stderr)
    return status


def _listing(assistant) -> str:
    """One line per article: id, outlet, date, chunk count, headline, file."""
    counts: dict[str, int] = {}
    for chunk in assistant.index.chunks:
        counts[chunk.article_id] = counts.get(chunk.article_id, 0) + 1
    rows = [f"{'id':16}  {'outlet':12} {'date':10} {'chunks':>6}  headline  [file]"]
    for article in assistant.index.articles.values():
        rows.append(f"{article.id:16}  {article.outlet[:12]:12} {article.date or '-':10} "
                    f"{counts.get(article.id, 0):>6}  {article.headline[:70]}  [{article.source}]")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
