"""Paths the tests share (a module of its own: two conftest.py files cannot both be imported as `conftest`)."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
DEV_SET = REPO / "tests" / "data" / "seed_dev.jsonl"
