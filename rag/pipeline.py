"""The one wiring object shared by the CLI, the Gradio UI and the HTTP API: `Assistant`.

    assistant = Assistant.load()            # builds the index first if missing or stale
    answer = assistant.ask("Who chairs the CSTO?", k=5, outlet=None)
    answer.to_dict()                        # the JSON contract of DESIGN.md
"""
from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .answer import AnswerSettings, Reader
from .chunk import ChunkSettings
from .embed import Embedder, default_embedder
from .ingest import IngestError
from .records import Answer
from .retrieve import RetrievalSettings, Retriever, UnknownOutlet  # noqa: F401  (re-exported)
from . import store

MAX_QUESTION_CHARS = 1000
DEFAULT_K = 5


class QuestionError(ValueError):
    """A question that cannot be asked: empty, too long, or not text."""


@dataclass(frozen=True)
class Settings:
    """Where the corpus lives and how it is indexed, retrieved and read."""

    seeds_dir: Path = Path("seeds")
    index_dir: Path = Path("index")
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    retrieval: RetrievalSettings = field(default_factory=RetrievalSettings)
    answering: AnswerSettings = field(default_factory=AnswerSettings)


def validate_question(question: object) -> str:
    """The question stripped, or QuestionError with a message fit to show a user."""
    if not isinstance(question, str):
        raise QuestionError(f"question must be text, got {type(question).__name__}")
    question = question.strip()
    if not question:
        raise QuestionError("question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(f"question is {len(question):,} characters; the limit is {MAX_QUESTION_CHARS:,}")
    if "\x00" in question:
        raise QuestionError("question contains a NUL byte")
    return question


class Assistant:
    """Retrieve passages for a question and answer with a cited, verbatim span."""

    def __init__(self, index: store.CorpusIndex, embedder: Embedder, settings: Settings) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.retriever = Retriever(index, settings.retrieval)
        self.reader = Reader(index, settings.answering)
        self._lock = threading.Lock()

    @classmethod
    def load(cls, settings: Settings | None = None, embedder: Embedder | None = None,
             rebuild: bool = False, progress: bool = True,
             log: Callable[[str], None] | None = None) -> "Assistant":
        """Open the index, building it first when missing, stale or damaged (or when asked)."""
        settings = settings or Settings()
        if not Path(settings.seeds_dir).is_dir():
            raise IngestError(f"seeds folder not found: {settings.seeds_dir}")
        # int8 ONNX: torch and sentence-transformers stay off the query path (see rag/onnx_embed.py).
        embedder = embedder or default_embedder(settings.index_dir)
        log = log or (lambda message: print(message, file=sys.stderr))
        reason = "rebuild requested" if rebuild else store.staleness(
            settings.index_dir, settings.seeds_dir, store.settings_of(embedder, settings.chunking))
        if reason is None:
            try:
                return cls(store.load(settings.index_dir), embedder, settings)
            except store.IndexUnavailable as exc:
                reason = str(exc)
        log(f"building the index ({reason})")
        store.build(settings.seeds_dir, settings.index_dir, embedder, settings.chunking, progress, log)
        return cls(store.load(settings.index_dir), embedder, settings)

    @property
    def outlets(self) -> list[str]:
        return self.retriever.outlets

    def health(self) -> dict:
        """What the index holds: counts, model and build time."""
        manifest = self.index.manifest
        return {"articles": manifest["counts"]["articles"], "chunks": manifest["counts"]["chunks"],
                "model": manifest["settings"]["model"], "dimension": manifest["settings"]["dimension"],
                "built_at": manifest["built_at"], "outlets": self.outlets}

    def ask(self, question: str, k: int = DEFAULT_K, outlet: str | None = None) -> Answer:
        """Answer one question from the top-`k` passages (of one outlet, if given)."""
        question = validate_question(question)
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        vector = self.embedder.encode([question])[0]
        # The reader looks deeper than the k passages shown, so that rival reports are found.
        hits = self.retriever.retrieve(question, vector, max(k, self.settings.answering.read_top), outlet)
        return self.reader.read(question, vector, hits, shown=k)
