"""The service gate: one question at a time, and a clear Busy after the longest wait."""
from __future__ import annotations

import threading
import time

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
