"""The evaluation sections: each indexes its corpus with the real pipeline and scores it.

A public corpus becomes one `Article` per passage, indexed by `store.build_corpus` exactly as
the seeds are, and saved under the cache folder keyed by a hash of its texts and settings, so
a rerun loads it in seconds. Questions go through the same `Retriever` and answer `Reader`
that `Assistant.ask` uses.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from . import store
from .chunk import ChunkSettings
from .embed import Embedder
from .evalscore import CORRECT_F1, by_kind, score_answers
from .evalsets import Passages, Question
from .metrics import (
    best_score, calibration_table, expected_calibration_error, f1_score, has_answer, retrieval_summary,
    squad_v1_score, squad_v2_score,
)
from .pipeline import Assistant, Settings
from .records import Article, Block, Hit
from .question import spell_out_dates
from .retrieve import RetrievalSettings, Retriever
from .text import content_hash

KS = (1, 5, 20)
# Retrieval variants compared side by side; "hybrid" is the shipped default.
MODES = ("bm25", "dense", "hybrid-rrf", "hybrid-linear", "hybrid")


def variant(base: RetrievalSettings, mode: str) -> RetrievalSettings:
    """Settings of one retrieval variant: a single retriever, plain RRF, the linear score fusion,
    or the default fusion."""
    if mode == "hybrid-rrf":
        return replace(base, mode="hybrid", fusion="rrf", dense_weight=1.0, bm25_weight=1.0)
    if mode == "hybrid-linear":
        return replace(base, mode="hybrid", fusion="score")
    if mode not in ("bm25", "dense", "hybrid"):
        raise ValueError(f"unknown retrieval variant {mode!r}; choose from {', '.join(MODES)}")
    return replace(base, mode=mode)
ANSWER_K = 5  # passages read per question, as `Assistant.ask` does by default

Log = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class EvalCorpus:
    """A public corpus indexed by the pipeline, with the passage behind each article."""

    name: str
    passages: Passages
    assistant: Assistant
    passage_of: dict[str, int]  # article id -> passage index

    @property
    def index(self) -> store.CorpusIndex:
        return self.assistant.index

    def hit_passages(self, hit: Hit) -> set[int]:
        """Passages a hit stands for: its article's, and those of articles repeating its text."""
        found = {self.passage_of[hit.chunk.article_id]}
        found.update(self.passage_of[o.article_id] for o in hit.chunk.also if o.article_id in self.passage_of)
        return found


def articles_of(passages: Passages) -> list[Article]:
    """One Article per passage (a single body block), id = content hash of title and text."""
    out = []
    for text, title, outlet, date in zip(passages.texts, passages.titles, passages.outlets, passages.dates):
        out.append(Article(id=content_hash(title, text), outlet=outlet or "unknown", headline=title,
                           text=text, date=date, blocks=(Block(0, len(text), "body"),)))
    return out


def corpus_key(name: str, articles: Sequence[Article], embedder: Embedder, chunking: ChunkSettings) -> str:
    """Cache key of an indexed corpus: its articles, the model, chunking and pipeline version."""
    digest = hashlib.sha256(json.dumps([name, embedder.name, store.PIPELINE_VERSION, repr(chunking)]).encode())
    for a in articles:
        digest.update(f"{a.id}\x00{a.outlet}\x00{a.date}\x00".encode())
    return digest.hexdigest()[:16]


def open_corpus(name: str, passages: Passages, embedder: Embedder, cache: Path,
                settings: Settings, log: Log = _stderr, progress: bool = True) -> EvalCorpus:
    """Index `passages` (or load the cached index) and wrap it in an Assistant."""
    articles = articles_of(passages)
    folder = Path(cache) / "eval-index" / f"{name}-{corpus_key(name, articles, embedder, settings.chunking)}"
    try:
        index = store.load(folder)
    except store.IndexUnavailable:
        started = time.perf_counter()
        log(f"[{name}] indexing {len(articles):,} passages")
        index = store.build_corpus(articles, embedder, settings.chunking, progress=progress)
        store.save(index, folder)
        index = store.load(folder)
        log(f"[{name}] indexed in {time.perf_counter() - started:.0f} s")
    # index_dir points at this corpus, so the assistant's reload check never swaps in another one
    assistant = Assistant(index, embedder, replace(settings, index_dir=folder))
    return EvalCorpus(name, passages, assistant, {a.id: i for i, a in enumerate(articles)})


# -- retrieval ---------------------------------------------------------------------------

def retrieval_runs(corpus: EvalCorpus, questions: Sequence[Question], vectors: np.ndarray, codes: Sequence,
                   base: RetrievalSettings, modes: Sequence[str] = MODES) -> dict:
    """recall@1/5/20 and MRR per retrieval mode, by gold passage and by has_answer (`codes`:
    the questions' word-piece codes, rag/late.py)."""
    out = {}
    for mode in modes:
        retriever = Retriever(corpus.index, variant(base, mode))
        gold_rows, answer_rows = [], []
        started = time.perf_counter()
        for q, vector, code in zip(questions, vectors, codes):
            hits = retriever.retrieve(spell_out_dates(q.question), vector, max(KS), query_codes=code)
            gold_rows.append([q.gold in corpus.hit_passages(h) for h in hits])
            answer_rows.append([has_answer(h.chunk.text, q.answers) for h in hits])
        out[mode] = {"gold_passage": retrieval_summary(gold_rows, KS),
                     "has_answer": retrieval_summary(answer_rows, KS),
                     "ms_per_query": round(1000 * (time.perf_counter() - started) / max(len(questions), 1), 2)}
    return out


# -- answers -----------------------------------------------------------------------------

# The extractor variant reported beside the default: the heuristic reader without the span ranker.
HEURISTIC_ONLY = {"span_ranker": 0.0, "span_ranker_untyped": 0.0, "span_ranker_local": 0.0}
NO_ARBITER = {"arbiter": False}  # the answer stage as it was before rag.arbiter
NO_PLACE_TYPES = {"place_kind": 0.0}  # no preference for countries and US states (rag.places)
NO_BRIDGE = {"bridge_below": 0.0}  # descriptions never resolved to names (rag.bridge)
# The answer stage without one of its parts, each a row beside the default in EVAL.md.
ABLATIONS = (("without the arbiter", NO_ARBITER), ("without country/state types", NO_PLACE_TYPES),
             ("without bridge questions", NO_BRIDGE), ("heuristic extractor only", HEURISTIC_ONLY))


def ask_all(corpus_or_assistant, questions: Sequence[Question], mode: str | None = None,
            k: int = ANSWER_K, answering: dict | None = None) -> list[dict]:
    """Answers (JSON contract) of the assistant, its retrieval switched to `mode` when given and
    its answer settings changed by `answering` (e.g. HEURISTIC_ONLY)."""
    assistant = getattr(corpus_or_assistant, "assistant", corpus_or_assistant)
    if (mode is not None and mode != "hybrid") or answering:
        settings = replace(assistant.settings, retrieval=variant(assistant.settings.retrieval, mode or "hybrid"),
                           answering=replace(assistant.settings.answering, **(answering or {})))
        assistant = Assistant(assistant.index, assistant.embedder, settings)
    return [assistant.ask(q.question, k=k).to_dict() for q in questions]


def gold_hits(corpus: EvalCorpus, passage: int) -> list[Hit]:
    """The chunks of one passage, in text order, as hits (reader mode: the paragraph is given)."""
    chunks = [c for c in corpus.index.chunks if corpus.passage_of.get(c.article_id) == passage]
    return [Hit(c, 1.0, rank) for rank, c in enumerate(sorted(chunks, key=lambda c: c.start), start=1)]


def read_given(corpus: EvalCorpus, questions: Sequence[Question], vectors: np.ndarray,
               abstain: bool = True, answering: dict | None = None) -> list[dict]:
    """Reader mode with the pipeline's extractor: each question read against its gold passage only.

    With `abstain=False` the confidence threshold is set to 0, so the extractor always answers
    (SQuAD v1.1 has no unanswerable question, so this shows what abstention costs there).
    """
    reader = corpus.assistant.reader
    if not abstain or answering:
        from .answer import Reader

        reader = Reader(reader.index, replace(reader.settings, **(answering or {})),
                        replace(reader.calibration, threshold=0.0) if not abstain else reader.calibration,
                        reader.ranker)
    return [reader.read(spell_out_dates(q.question), v, gold_hits(corpus, q.gold)).to_dict()
            for q, v in zip(questions, vectors)]


def span_scorer_given(corpus: EvalCorpus, questions: Sequence[Question]) -> list[dict] | None:
    """Reader mode with the trained span scorer (rag.reader), or None when it is not available."""
    try:
        from . import reader as span_reader
        model = span_reader.default_reader()
        from .annotate import pipeline as spacy_pipeline
    except Exception:  # the model file or module may not have landed yet
        return None
    nlp = spacy_pipeline()
    parsed: dict[int, tuple] = {}
    out = []
    for q in questions:
        text = corpus.passages.texts[q.gold]
        if q.gold not in parsed:
            parsed[q.gold] = span_reader.candidates_of(nlp(text))
        spans = model.extract(q.question, text, parsed[q.gold], top=1)
        answer = text[spans[0][0]:spans[0][1]] if spans else None
        out.append({"answer": answer, "confidence": spans[0][2] if spans else 0.0, "citations": []})
    return out


def squad_predictions(questions: Sequence[Question], answers: Sequence[dict]) -> dict[str, str]:
    """Question id -> predicted text ("" on abstention), the official scripts' input."""
    return {q.id: (a.get("answer") or "") for q, a in zip(questions, answers)}


def squad_v1_summary(questions: Sequence[Question], answers: Sequence[dict]) -> dict:
    """EM/F1 (official v1.1 rules) plus how often the assistant abstained."""
    golds = {q.id: list(q.answers) for q in questions}
    score = squad_v1_score(golds, squad_predictions(questions, answers))
    abstained = sum(a.get("answer") is None for a in answers)
    answered = [(q, a) for q, a in zip(questions, answers) if a.get("answer") is not None]
    confidences = [float(a.get("confidence", 0.0)) for _, a in answered]
    correct = [best_score(f1_score, a["answer"], q.answers) >= CORRECT_F1 for q, a in answered]
    # four decimals: a target is judged on these, and 59.996 must not read as 60
    return {"exact_match": round(score.exact_match, 4), "f1": round(score.f1, 4), "questions": score.total,
            "abstained": round(100.0 * abstained / len(answers), 2),
            "calibration": calibration_table(confidences, correct),
            "ece": round(expected_calibration_error(confidences, correct), 4) if confidences else None}


def squad_v2_summary(questions: Sequence[Question], answers: Sequence[dict]) -> dict:
    """HasAns F1, NoAns accuracy (abstained on unanswerable) and overall EM/F1 (v2.0 rules)."""
    golds = {q.id: list(q.answers) for q in questions}
    scores = squad_v2_score(golds, squad_predictions(questions, answers))
    answerable = [a for q, a in zip(questions, answers) if q.answers]
    unanswerable = [a for q, a in zip(questions, answers) if not q.answers]
    out = {k: {m: round(v, 2) if isinstance(v, float) else v for m, v in s.items()} for k, s in scores.items()}
    if unanswerable:
        out["no_answer_accuracy"] = round(100.0 * sum(a.get("answer") is None for a in unanswerable) / len(unanswerable), 2)
    if answerable:
        out["false_abstention"] = round(100.0 * sum(a.get("answer") is None for a in answerable) / len(answerable), 2)
    return out


def seed_summary(questions: Sequence[Question], answers: Sequence[dict]) -> dict:
    """All answer metrics of the seed set, overall and per question kind."""
    return {"overall": score_answers(questions, answers), "by_kind": by_kind(questions, answers)}
