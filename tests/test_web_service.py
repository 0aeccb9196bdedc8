"""The service gate: one question at a time, and a clear Busy after the longest wait."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from rag.web.service import AskService, Busy


class SlowAnswer:
    def __init__(self, question: str) -> None:
        self.question = question

    def to_dict(self) -> dict:
        return {"question": self.question}


class SlowAssistant:
    """Stands in for the pipeline only to hold the lock for a known time."""

    outlets = ["CNN"]

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.running = 0
        self.most_at_once = 0

    def health(self) -> dict:
        return {"articles": 1}

    def ask(self, question: str, k: int = 5, outlet: str | None = None) -> SlowAnswer:
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        time.sleep(self.seconds)
        self.running -= 1
        return SlowAnswer(question)


def test_questions_run_one_at_a_time():
    assistant = SlowAssistant(0.05)
    service = AskService(assistant, wait_s=5)
    threads = [threading.Thread(target=service.ask, args=(f"q{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert assistant.most_at_once == 1


def test_a_request_that_waits_too_long_gets_busy():
    service = AskService(SlowAssistant(1.0), wait_s=0.1)
    holder = threading.Thread(target=service.ask, args=("first",))
    holder.start()
    time.sleep(0.05)
    with pytest.raises(Busy, match=r"the assistant is busy; waited 0 s, try again"):
        service.ask("second")
    holder.join()
    assert service.ask("third") == {"question": "third"}


def test_wait_must_be_positive():
    with pytest.raises(ValueError, match="wait_s must be > 0, got 0"):
        AskService(SlowAssistant(0), wait_s=0)


class BrokenAssistant(SlowAssistant):
    """An assistant with a bug: every question raises."""

    def ask(self, question: str, k: int = 5, outlet: str | None = None):
        raise KeyError("chunk 7")


def test_a_pipeline_bug_becomes_a_message_in_the_chat():
    from rag.web.ui import _ask

    turn = _ask(AskService(BrokenAssistant(0)), "Who?", None, 5)
    assert turn == {"question": "Who?",
                    "error": "Something went wrong while answering. The error is in the server log."}


def test_a_pipeline_bug_becomes_a_json_500_in_the_api():
    import asyncio

    import httpx
    from fastapi import FastAPI

    from rag.web.api import install_api

    app = FastAPI()
    install_api(app, AskService(BrokenAssistant(0)))

    async def call():
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.post("/api/ask", json={"question": "Who?"})

    # Its own thread: when the browser tests ran first, Playwright keeps a loop on this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        response = pool.submit(asyncio.run, call()).result()
    assert response.status_code == 500
    assert response.json() == {"error": "internal error; the details are in the server log"}
