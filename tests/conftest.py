"""Shared fixtures: the real model and the real index of the repo's seeds, built once per session."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from seedpaths import DEV_SET, SEEDS

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def seed_index_dir(tmp_path_factory) -> Path:
    """A folder holding the index of the repo's seeds, built with the default embedder."""
    from rag.pipeline import Assistant, Settings

    index = tmp_path_factory.mktemp("seed-index") / "index"
    Assistant.load(Settings(seeds_dir=SEEDS, index_dir=index), progress=False)
    return index


@pytest.fixture(scope="session")
def assistant(seed_index_dir):
    """The assistant over the repo's seeds (real model, real FAISS and BM25 indexes)."""
    from rag.pipeline import Assistant, Settings

    return Assistant.load(Settings(seeds_dir=SEEDS, index_dir=seed_index_dir), progress=False)


@pytest.fixture(scope="session")
def dev_set() -> list[dict]:
    """Both seed dev files, the 67 questions EVAL.md's seed section reports."""
    rows = []
    for path in (DEV_SET, DEV_SET.with_name("seed_dev_extra.jsonl")):
        with open(path, encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return rows
