"""The one wiring object shared by the CLI, the Gradio UI and the HTTP API: `Assistant`.

    assistant = Assistant.load()            # builds the index first if missing or stale
    answer = assistant.ask("Who chairs the CSTO?", k=5, outlet=None)
    answer.to_dict()                        # the JSON contract of DESIGN.md
"""
from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from . import bridge
from .answer import AnswerSettings, Reader
from .chunk import ChunkSettings
from .embed import Embedder, default_embedder, embed_queries
from .ingest import IngestError
from .question import spell_out_dates
from .records import Answer
from .retrieve import RetrievalSettings, Retriever
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


def _no_lap(stage: str) -> None:
    """`Assistant.ask`'s stage hook when nobody times the stages."""


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


@dataclass(frozen=True)
class _Loaded:
    """One loaded index and the stages over it, swapped as a whole on reload."""

    index: store.CorpusIndex
    retriever: Retriever
    reader: Reader


class Assistant:
    """Retrieve passages for a question and answer with a cited, verbatim span.

    A new index built by another process (`python -m rag.ingest`, `python -m rag.build`) is
    picked up by the next question: `ask` checks the index's CURRENT pointer at most once
    per `RELOAD_CHECK_SECONDS` and swaps in the new index without a restart.
    """

    RELOAD_CHECK_SECONDS = 1.0

    def __init__(self, index: store.CorpusIndex, embedder: Embedder, settings: Settings) -> None:
        self.embedder = embedder
        self.settings = settings
        self._loaded = self._stages(index)
        self._lock = threading.Lock()
        self._checked = time.monotonic()

    def _stages(self, index: store.CorpusIndex) -> _Loaded:
        return _Loaded(index, Retriever(index, self.settings.retrieval), Reader(index, self.settings.answering))

    @property
    def index(self) -> store.CorpusIndex:
        return self._loaded.index

    @property
    def retriever(self) -> Retriever:
        return self._loaded.retriever

    @property
    def reader(self) -> Reader:
        return self._loaded.reader

    def reload(self, force: bool = False) -> bool:
        """Load the index that is now current, if it is not the one in use; True when swapped.

        A damaged new index is not swapped in: the one in use keeps answering.
        """
        now = time.monotonic()
        if self._loaded.index.folder is None:
            return False  # built in memory (evaluation): there is no index on disk to follow
        if not force and now - self._checked < self.RELOAD_CHECK_SECONDS:
            return False
        self._checked = now
        current = store.current_folder(self.settings.index_dir)
        if current is None or current == self._loaded.index.folder:
            return False
        with self._lock:
            if current == self._loaded.index.folder:
                return False
            try:
                self._loaded = self._stages(store.load(self.settings.index_dir))
            except store.IndexUnavailable:
                return False
        return True

    @classmethod
    def load(cls, settings: Settings | None = None, embedder: Embedder | None = None,
             rebuild: bool = False, progress: bool = True,
             log: Callable[[str], None] | None = None) -> "Assistant":
        """Open the index, building it first when missing, stale or damaged (or when asked)."""
        settings = settings or Settings()
        if not Path(settings.seeds_dir).is_dir():
            raise IngestError(f"seeds folder not found: {settings.seeds_dir}")
        # Questions through the ONNX MiniLM: torch and sentence-transformers stay off the query
        # path; builds embed with torch (bf16 where the CPU has it). See rag/embed.py.
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

    def ask(self, question: str, k: int = DEFAULT_K, outlet: str | None = None,
            lap: Callable[[str], None] = _no_lap) -> Answer:
        """Answer one question from the top-`k` passages (of one outlet, if given).

        `lap`, when given, is called with "embed", "search" and "answer" as each stage ends
        (`python -m rag.bench` times the stages with it; "answer" includes resolving a
        description when the first reading is weak: `_bridged`).
        """
        question = validate_question(question)
        if k <= 0:
            raise ValueError(f"k must be > 0, got {k}")
        self.reload()
        loaded = self._loaded  # one consistent index for the whole question, even if a reload lands
        asked = spell_out_dates(question)  # "Jan. 6" is "January 6" in the articles
        answer = self._read(loaded, [asked], k, outlet, lap)[0]
        if answer.confidence < self.settings.answering.bridge_below:
            answer = self._bridged(loaded, asked, answer, k, outlet)
        lap("answer")
        return answer if answer.question == question else replace(answer, question=question)

    def _read(self, loaded: _Loaded, questions: list[str], k: int, outlet: str | None,
              lap: Callable[[str], None] = _no_lap) -> list[Answer]:
        """One reading per question: embedded together, each retrieved and read on its own
        (`lap` is told when the embedding and the search end)."""
        vectors, codes = embed_queries(self.embedder, questions)
        lap("embed")
        # The reader looks deeper than the k passages shown, so that rival reports are found.
        hits = [loaded.retriever.retrieve(q, v, max(k, self.settings.answering.read_top), outlet, query_codes=c)
                for q, v, c in zip(questions, vectors, codes)]
        lap("search")
        return [loaded.reader.read(q, v, h, shown=k) for q, v, h in zip(questions, vectors, hits)]

    def _bridged(self, loaded: _Loaded, asked: str, first: Answer, k: int, outlet: str | None) -> Answer:
        """`first`, or the reading of `asked` with a description resolved to a name when that
        reading is the more confident (rag.bridge)."""
        described = bridge.descriptions(asked)
        if not described:
            return first
        named = []
        for description, found in zip(described, self._read(loaded, [d.sub_question() for d in described], k, outlet)):
            name = found.answer
            if name and found.confidence >= self.settings.answering.bridge_sure and name[:1].isupper() \
                    and name.lower() not in asked.lower():
                named.append((found.confidence, description, name, bridge.short_form(name, found.sentence)))
        if not named:
            return first
        _, description, name, called = max(named, key=lambda found: found[0])  # the first of equals: the longest
        rewritten = description.rewrite(asked, called)
        second = self._read(loaded, [rewritten], k, outlet)[0]
        if second.confidence <= first.confidence or not second.citations \
                or not bridge.named_in(name, second.citations[0].quote):
            return first
        return replace(second, question=asked, read_as=rewritten)
