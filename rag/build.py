"""`python -m rag.build`: (re)build the index of the seeds folder now, with a progress bar."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .embed import EMBEDDERS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.build", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=Path, default=Path(os.environ.get("RAG_SEEDS", "seeds")))
    parser.add_argument("--index", type=Path, default=Path(os.environ.get("RAG_INDEX", "index")))
    parser.add_argument("--if-stale", action="store_true", help="only build when the index is missing or stale")
    parser.add_argument("--embedder", choices=EMBEDDERS, default="auto",
                        help="passage embedder: auto (the one the index was built with, else fp32 vectors "
                             "from torch), openvino-int8 (the fast int8 build path; questions still go "
                             "through the fp32 query tower), onnx-fp32, onnx-int8 or torch")
    args = parser.parse_args(argv)
    from .report import int8_dot_products

    if args.embedder == "openvino-int8" and not int8_dot_products():
        print("note: this CPU has no int8 dot-product instructions (VNNI or AMX): the int8 path embeds no "
              "faster than the default here and its vectors stray further from fp32 (BENCHMARKS.md)",
              file=sys.stderr)
    from .embed import default_embedder
    from .ingest import IngestError
    from .pipeline import Assistant, Settings

    try:
        assistant = Assistant.load(Settings(seeds_dir=args.seeds, index_dir=args.index),
                                   embedder=default_embedder(args.index, args.embedder), rebuild=not args.if_stale)
    except IngestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    health = assistant.health()
    print(f"index {assistant.index.folder}: {health['articles']} articles, {health['chunks']} chunks, "
          f"model {health['model']}, outlets {', '.join(health['outlets'])}")
    for problem in assistant.index.manifest.get("skipped", []):
        print(f"skipped {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
