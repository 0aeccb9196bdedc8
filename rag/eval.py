"""`python -m rag.eval`: measure answer and retrieval quality, write EVAL.md and EVAL.json.

Sections (`--only` picks some; results of sections not run are kept from the previous
EVAL.json, each with the command and date that produced it):

  seed          the seed dev set end to end through the Assistant
  squad-reader  SQuAD v1.1 dev, the gold paragraph given to the extractor
  squad-open    all 2,067 SQuAD v1.1 dev paragraphs indexed, the 500-question sample asked
  squad-v2      the SQuAD v2.0 sample (gold paragraph given): HasAns F1, NoAns accuracy
  news          RealTime QA news evidence (2,942 passages) in open mode
  int8-build    seed, open SQuAD and news again with passages embedded by the fast int8 build
                path (rag/ov_embed.py), beside the fp32 path's figures

The public sets are read from ../shared/eval/external/ (never copied into the repository).
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXTERNAL = REPO.parent / "shared" / "eval" / "external"
SECTIONS = ("seed", "squad-reader", "squad-open", "squad-v2", "news", "int8-build")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m rag.eval", description=__doc__.splitlines()[0])
    p.add_argument("--only", default=",".join(SECTIONS),
                   help=f"comma-separated sections to run (default all: {','.join(SECTIONS)})")
    p.add_argument("--limit", type=int, default=None, help="at most N questions per section (quick runs)")
    p.add_argument("--external", type=Path, default=EXTERNAL, help="folder of the public sets")
    p.add_argument("--seed-dev", type=Path, nargs="+",
                   default=[REPO / "tests" / "data" / "seed_dev.jsonl", REPO / "tests" / "data" / "seed_dev_extra.jsonl"],
                   help="seed dev set files (JSON lines), read in order")
    p.add_argument("--seeds", type=Path, default=REPO / "seeds")
    p.add_argument("--index", type=Path, default=REPO / "index", help="index folder of the seeds")
    p.add_argument("--squad-dev", type=Path, help="SQuAD v1.1 dev (nested); default in --external")
    p.add_argument("--squad-sample", type=Path, help="500-question sample; default in --external")
    p.add_argument("--squad-v2", type=Path, help="SQuAD v2.0 sample; default in --external")
    p.add_argument("--news", type=Path, help="RealTime QA evidence; default in --external")
    p.add_argument("--reader-set", choices=("full", "sample"), default="full",
                   help="SQuAD v1.1 reader mode on all 10,570 dev questions or the 500 sample")
    p.add_argument("--cache", type=Path, default=REPO / ".cache", help="embedding and index cache")
    p.add_argument("--out", type=Path, default=REPO / "EVAL.md")
    p.add_argument("--json", type=Path, default=REPO / "EVAL.json")
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in args.sections if s not in SECTIONS]
    if unknown:
        p.error(f"unknown section {unknown[0]!r}; choose from {', '.join(SECTIONS)}")
    if args.limit is not None and args.limit <= 0:
        p.error(f"--limit must be > 0, got {args.limit}")
    ext = args.external
    args.squad_dev = args.squad_dev or ext / "squad_v1.1_dev.json"
    args.squad_sample = args.squad_sample or ext / "squad_v1.1_dev_sample500.jsonl"
    args.squad_v2 = args.squad_v2 or ext / "squad_v2.0_dev_sample1000.jsonl"
    args.news = args.news or ext / "realtimeqa_news_evidence.jsonl"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from .evalreport import render
    from .report import machine
    from .evalsections import EvalContext, run_section

    command = "python -m rag.eval" + "".join(" " + shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    results = _previous(args.json)
    meta = {"command": command, "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(), "limit": args.limit}
    context = EvalContext(args)
    for section in args.sections:
        started = time.perf_counter()
        try:
            body = run_section(section, context)
        except FileNotFoundError as exc:
            print(f"error: {section}: missing data file {exc.filename}", file=sys.stderr)
            return 2
        body["seconds"] = round(time.perf_counter() - started, 1)
        results["sections"][section] = {**meta, **body}
        # Written after every section so an interrupted run keeps what it measured.
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        args.out.write_text(render(results))
        print(f"[{section}] done in {body['seconds']} s", file=sys.stderr)
    print(f"wrote {args.out} and {args.json}", file=sys.stderr)
    return 0


def _previous(path: Path) -> dict:
    """Results of earlier runs (sections not rerun are kept), or an empty shell."""
    try:
        data = json.loads(path.read_text())
        if isinstance(data.get("sections"), dict):
            return data
    except (OSError, ValueError):
        pass
    return {"sections": {}}


if __name__ == "__main__":
    sys.exit(main())
