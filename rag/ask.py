"""Command line: `python -m rag.ask "Who chairs the CSTO?"` prints a cited, extractive answer.

`--json` prints the JSON contract; a lone `-` reads one question per line from stdin and
prints one JSON object per line, loading the model once.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_USAGE = 2


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m rag.ask", description=__doc__.splitlines()[0])
    parser.add_argument("question", help="the question, or - to read one question per line from stdin")
    parser.add_argument("--json", action="store_true", help="print the JSON contract")
    parser.add_argument("--k", type=int, default=5, help="passages to retrieve (default 5)")
    parser.add_argument("--outlet", help="only passages from this outlet (e.g. CNN, TASS)")
    parser.add_argument("--seeds", type=Path, default=Path(os.environ.get("RAG_SEEDS", "seeds")))
    parser.add_argument("--index", type=Path, default=Path(os.environ.get("RAG_INDEX", "index")))
    parser.add_argument("--rebuild", action="store_true", help="rebuild the index first")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from .ingest import IngestError
    from .pipeline import Assistant, QuestionError, Settings, validate_question
    from .render import render_text
    from .retrieve import UnknownOutlet

    batch = args.question == "-"
    try:
        if not batch:
            validate_question(args.question)
        if args.k <= 0:
            raise QuestionError(f"--k must be > 0, got {args.k}")
        assistant = Assistant.load(Settings(seeds_dir=args.seeds, index_dir=args.index), rebuild=args.rebuild)
        assistant.retriever.resolve_outlet(args.outlet)
        if batch:
            return _batch(assistant, args)
        answer = assistant.ask(args.question, k=args.k, outlet=args.outlet)
    except (QuestionError, UnknownOutlet, IngestError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2) if args.json else render_text(answer))
    return 0


def _batch(assistant, args: argparse.Namespace) -> int:
    """One JSON line per stdin line; a bad line gets an {"error": ...} line, not an exit."""
    from .pipeline import QuestionError

    status = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            row = assistant.ask(line, k=args.k, outlet=args.outlet).to_dict()
        except QuestionError as exc:
            row, status = {"question": line.strip()[:200], "error": str(exc)}, EXIT_USAGE
        print(json.dumps(row, ensure_ascii=False), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
