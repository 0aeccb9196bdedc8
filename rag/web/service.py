"""One gate in front of the shared `Assistant`, used by both the chat UI and the JSON API.

Questions are answered one at a time. The embedding runtime (onnxruntime or torch) already
spreads a single query's encoding over every core, so running two at once buys no throughput
on a small CPU, and the reader and BM25 make no promise of thread safety. A waiting request gives up after `wait_s` with
`Busy`, so a crowd of users sees a clear "try again" instead of a hung page.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

from ..pipeline import DEFAULT_K


class Busy(RuntimeError):
    """The assistant stayed busy for longer than a request may wait."""


class AssistantLike(Protocol):
    """What the web layer needs from `rag.pipeline.Assistant`."""

    outlets: list[str]

    def ask(self, question: str, k: int = DEFAULT_K, outlet: str | None = None): ...

    def health(self) -> dict: ...


@dataclass
class AskService:
    """Serialised access to an assistant, returning the JSON contract as a dict."""

    assistant: AssistantLike
    wait_s: float = 30.0

    def __post_init__(self) -> None:
        if self.wait_s <= 0:
            raise ValueError(f"wait_s must be > 0, got {self.wait_s}")
        self._lock = threading.Lock()

    def health(self) -> dict:
        """The index now in use; read afresh because the assistant reloads a newly built index."""
        return self.assistant.health()

    @property
    def outlets(self) -> list[str]:
        return list(self.assistant.outlets)

    def ask(self, question: str, k: int = DEFAULT_K, outlet: str | None = None) -> dict:
        """The answer's contract dict; raises the pipeline's ValueErrors, or Busy."""
        started = time.monotonic()
        if not self._lock.acquire(timeout=self.wait_s):
            raise Busy(f"the assistant is busy; waited {time.monotonic() - started:.0f} s, try again")
        try:
            return self.assistant.ask(question, k=k, outlet=outlet or None).to_dict()
        finally:
            self._lock.release()
