"""Serve the newsroom assistant: chat at /, widget at /widget, JSON API under /api.

    python app.py [--host 127.0.0.1] [--port 7860] [--seeds seeds] [--index index]

Environment: RAG_HOST, RAG_PORT, RAG_TOKEN (shared secret), RAG_ALLOWED_ORIGINS
(comma-separated origins allowed to call the API and to frame the widget).
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# First: the package switches off telemetry and model-hub lookups (rag/__init__.py) before
# anything imports gradio, onnxruntime or transformers.
import rag  # noqa: F401


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line flags; each defaults to its environment variable, then to a built-in value."""
    env = os.environ
    parser = argparse.ArgumentParser(description="Serve the newsroom QA chat, widget and JSON API.")
    parser.add_argument("--host", default=env.get("RAG_HOST", "127.0.0.1"),
                        help="interface to bind (env RAG_HOST; default 127.0.0.1, this machine only)")
    parser.add_argument("--port", type=int, default=int(env.get("RAG_PORT", "7860")), help="env RAG_PORT")
    parser.add_argument("--seeds", type=Path, default=Path(env.get("RAG_SEEDS", "seeds")), help="env RAG_SEEDS")
    parser.add_argument("--index", type=Path, default=Path(env.get("RAG_INDEX", "index")), help="env RAG_INDEX")
    parser.add_argument("--allowed-origins", default=env.get("RAG_ALLOWED_ORIGINS", ""),
                        help="origins that may call the API and embed the widget (env RAG_ALLOWED_ORIGINS)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import uvicorn

    from rag.pipeline import Assistant, Settings
    from rag.web import WebConfig, create_app, parse_origins

    try:
        config = WebConfig(host=args.host, port=args.port, token=os.environ.get("RAG_TOKEN") or None,
                           allowed_origins=parse_origins(args.allowed_origins),
                           blocked_paths=(args.seeds, args.index))
    except ValueError as exc:
        print(f"app.py: {exc}", file=sys.stderr)
        return 2
    if not args.seeds.is_dir():
        print(f"app.py: seeds folder {str(args.seeds)!r} not found", file=sys.stderr)
        return 2
    assistant = Assistant.load(settings=Settings(seeds_dir=args.seeds, index_dir=args.index), progress=True)
    app = create_app(assistant, config)
    print(f"Serving on http://{config.host}:{config.port}  (widget: /widget, API: /api/ask)"
          + ("  token required" if config.token else ""), file=sys.stderr)
    uvicorn.run(app, host=config.host, port=config.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
