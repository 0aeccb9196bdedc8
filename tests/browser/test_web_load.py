"""Sixteen concurrent API clients against the live server: every one answered, none refused."""
from __future__ import annotations

import asyncio

from rag.loadtest import run_load


def test_sixteen_concurrent_clients_all_get_answers(server):
    result = asyncio.run(run_load(server.url, clients=16, requests=2, max_seconds=120, token=None))
    assert result.errors == {}
    assert len(result.latencies) == 32
