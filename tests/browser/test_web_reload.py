"""A server keeps serving while a newer index is built, then reports and answers from it."""
from __future__ import annotations

import time

import httpx
from playwright.sync_api import expect

from web_helpers import LiveServer

HARBOUR = "---\ntitle: Harbour news\noutlet: Port Gazette\n---\nThe harbour master of Port Probe is Marta Kowalski.\n"
FERRY = "---\ntitle: Ferry news\noutlet: Island Post\n---\nThe ferry to Gull Island leaves at six every morning.\n"


def test_a_newly_built_index_shows_in_health_and_the_page(web_assistant, tmp_path, page):
    from rag.pipeline import Assistant, Settings
    from rag.web import WebConfig, create_app

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "harbour.txt").write_text(HARBOUR, encoding="utf-8")
    settings = Settings(seeds_dir=seeds, index_dir=tmp_path / "index")
    assistant = Assistant.load(settings=settings, embedder=web_assistant.embedder, progress=False)
    with LiveServer(create_app(assistant, WebConfig())) as live:
        before = httpx.get(live.url + "/api/health", timeout=30).json()
        assert (before["articles"], before["outlets"]) == (1, ["Port Gazette"])

        (seeds / "ferry.txt").write_text(FERRY, encoding="utf-8")
        Assistant.load(settings=settings, embedder=web_assistant.embedder, rebuild=True, progress=False)
        time.sleep(assistant.RELOAD_CHECK_SECONDS + 0.1)
        answer = httpx.post(live.url + "/api/ask", json={"question": "When does the ferry to Gull Island leave?"},
                            timeout=60).json()
        assert answer["citations"][0]["outlet"] == "Island Post"

        after = httpx.get(live.url + "/api/health", timeout=30).json()
        assert (after["articles"], after["outlets"]) == (2, ["Island Post", "Port Gazette"])
        page.goto(live.url + "/", wait_until="domcontentloaded")
        # the page was built when the server started (one article); loading it shows the new index
        expect(page.locator(".rag-stats strong").first).to_have_text("2")
        page.locator("#rag-outlet input").click()
        assert page.get_by_role("option").all_inner_texts()[1:] == ["Island Post", "Port Gazette"]
