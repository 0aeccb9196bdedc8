"""Sixteen concurrent API clients against the live server: every one answered, none refused."""
from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from rag.loadtest import run_load


def test_sixteen_concurrent_clients_all_get_answers(server):
    # Its own thread: Playwright's sync API may already run an event loop on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(asyncio.run, run_load(server.url, clients=16, requests=2, max_seconds=120,
                                                   token=None)).result()
    assert result.errors == {}
    assert len(result.latencies) == 32
    assert result.health_latencies  # the health probe got answers while the clients waited
    assert max(result.health_latencies) < 5.0
