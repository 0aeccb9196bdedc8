"""One function per EVAL.md section; `run_section(name, context)` dispatches."""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import evalrun
from .evalsets import Passages, Question, news_corpus, news_split, seed_dev, squad_dev_corpus, squad_questions
from .metrics import has_answer, retrieval_summary
from .pipeline import Assistant, Settings
from .question import CLAUSE_QUESTIONS, spell_out_dates
from .retrieve import Retriever


@dataclass
class EvalContext:
    """What the sections share: arguments, the caching embedder and corpora already indexed."""

    args: argparse.Namespace
    settings: Settings = field(default_factory=Settings)
    _embedder: object = None
    _corpora: dict = field(default_factory=dict)
    _queries: dict = field(default_factory=dict)  # question -> (vector, codes)
    questions_from: "EvalContext | None" = None  # embed questions as this context does

    @property
    def embedder(self):
        if self._embedder is None:
            from .embed import MiniLMEmbedder
            from .embedcache import CachingEmbedder

            self._embedder = CachingEmbedder(MiniLMEmbedder(), self.args.cache / "embeddings")
        return self._embedder

    def queries(self, questions: list[Question]) -> tuple[np.ndarray, list]:
        """Question vectors and word-piece codes from the query tower, each question embedded once."""
        from .embed import embed_queries

        if self.questions_from is not None:
            return self.questions_from.queries(questions)
        new = list(dict.fromkeys(q.question for q in questions if q.question not in self._queries))
        if new:
            vectors, codes = embed_queries(self.embedder, [spell_out_dates(q) for q in new])  # as Assistant.ask does
            self._queries.update(zip(new, zip(vectors, codes)))
        found = [self._queries[q.question] for q in questions]
        return (np.stack([v for v, _ in found]) if found else np.zeros((0, self.embedder.dimension), np.float32),
                [c for _, c in found])

    def vectors(self, questions: list[Question]) -> np.ndarray:
        return self.queries(questions)[0]

    def corpus(self, name: str, passages: Passages) -> evalrun.EvalCorpus:
        if name not in self._corpora:
            self._corpora[name] = evalrun.open_corpus(
                name, passages, self.embedder, self.args.cache, self.settings,
                progress=not self.args.no_progress)
        return self._corpora[name]

    def limit(self, questions: list[Question]) -> list[Question]:
        return questions[: self.args.limit] if self.args.limit else questions


def _seed_questions(ctx: EvalContext) -> list[Question]:
    return ctx.limit([q for path in ctx.args.seed_dev for q in seed_dev(path)])


def seed(ctx: EvalContext) -> dict:
    """Seed dev set end to end: answers per retrieval mode, retrieval of the answer string."""
    questions = _seed_questions(ctx)
    assistant = Assistant.load(Settings(seeds_dir=ctx.args.seeds, index_dir=ctx.args.index),
                               embedder=ctx.embedder, progress=not ctx.args.no_progress)
    answerable = [q for q in questions if q.answers]
    out = {"questions": len(questions), "retrieval": {}, "answers": {}}
    for mode in evalrun.MODES:
        answers = evalrun.ask_all(assistant, questions, mode)
        out["answers"][mode] = evalrun.seed_summary(questions, answers)
        retriever = Retriever(assistant.index, evalrun.variant(assistant.settings.retrieval, mode))
        vectors, codes = ctx.queries(answerable)
        rows = [[has_answer(h.chunk.text, q.answers)
                 for h in retriever.retrieve(spell_out_dates(q.question), v, 20, query_codes=c)]
                for q, v, c in zip(answerable, vectors, codes)]
        out["retrieval"][mode] = retrieval_summary(rows, evalrun.KS)
    for label, answering in evalrun.ABLATIONS:
        out["answers"][f"hybrid, {label}"] = evalrun.seed_summary(
            questions, evalrun.ask_all(assistant, questions, answering=answering))
    out["default_mode"] = "hybrid"
    out["examples"] = _examples(questions, evalrun.ask_all(assistant, questions))
    return out


def _examples(questions: list[Question], answers: list[dict], count: int = 60) -> list[dict]:
    """Per-question lines for the report: question, gold, answer, first outlet, confidence."""
    rows = []
    for q, a in list(zip(questions, answers))[:count]:
        first = (a.get("citations") or [{}])[0]
        rows.append({"id": q.id, "kind": q.kind, "question": q.question, "gold": list(q.answers),
                     "answer": a.get("answer"), "outlet": first.get("outlet"),
                     "confidence": a.get("confidence"), "conflicts": [c["answer"] for c in a.get("conflicts", [])]})
    return rows


def _squad_dev(ctx: EvalContext):
    passages, where = squad_dev_corpus(ctx.args.squad_dev)
    return ctx.corpus("squad-dev", passages), where


def squad_reader(ctx: EvalContext) -> dict:
    """SQuAD v1.1 dev with the gold paragraph given, one row per extractor."""
    corpus, where = _squad_dev(ctx)
    if ctx.args.reader_set == "full":
        questions = _all_dev_questions(ctx.args.squad_dev, where)
    else:
        questions = squad_questions(ctx.args.squad_sample, where)
    questions = ctx.limit(questions)
    out = {"questions": len(questions), "set": ctx.args.reader_set, "extractors": {}}
    vectors = ctx.vectors(questions)
    out["extractors"]["pipeline"] = evalrun.squad_v1_summary(questions, evalrun.read_given(corpus, questions, vectors))
    out["extractors"]["pipeline, never abstains"] = evalrun.squad_v1_summary(
        questions, evalrun.read_given(corpus, questions, vectors, abstain=False))
    out["extractors"]["pipeline without the arbiter, never abstains"] = evalrun.squad_v1_summary(
        questions, evalrun.read_given(corpus, questions, vectors, abstain=False, answering=evalrun.NO_ARBITER))
    out["extractors"]["pipeline without country/state types, never abstains"] = evalrun.squad_v1_summary(
        questions, evalrun.read_given(corpus, questions, vectors, abstain=False, answering=evalrun.NO_PLACE_TYPES))
    out["extractors"]["pipeline, heuristic extractor only, never abstains"] = evalrun.squad_v1_summary(
        questions, evalrun.read_given(corpus, questions, vectors, abstain=False, answering=evalrun.HEURISTIC_ONLY))
    # the reason, means or utterance that "why", "how did ...?" and "what did X say?" answers
    # quote, with and without it
    for kind, asks in CLAUSE_QUESTIONS:
        asked = [q for q in questions if asks(q.question)]
        for name, answering in (("", None), (" without clause answers", {"clauses": False})):
            if asked:
                out["extractors"][f"{kind} questions: pipeline{name}, never abstains"] = evalrun.squad_v1_summary(
                    asked, evalrun.read_given(corpus, asked, ctx.vectors(asked), abstain=False, answering=answering))
    spans = evalrun.span_scorer_given(corpus, questions)
    if spans is not None:
        out["extractors"]["span-scorer"] = evalrun.squad_v1_summary(questions, spans)
    return out


def _all_dev_questions(path: Path, where: dict) -> list[Question]:
    import json

    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    return [Question(qa["id"], qa["question"], tuple(a["text"] for a in qa["answers"]), where[(art["title"], n)],
                     paragraph["context"])
            for art in data for n, paragraph in enumerate(art["paragraphs"]) for qa in paragraph["qas"]]


def squad_open(ctx: EvalContext) -> dict:
    """All dev paragraphs indexed; the 500-question sample retrieved and answered from the index."""
    corpus, where = _squad_dev(ctx)
    questions = ctx.limit(squad_questions(ctx.args.squad_sample, where))
    out = {"questions": len(questions), "passages": len(corpus.passages),
           "chunks": len(corpus.index.chunks), "answers": {}}
    out["retrieval"] = evalrun.retrieval_runs(corpus, questions, *ctx.queries(questions), ctx.settings.retrieval)
    out["retrieval"].update(_stock_questions(ctx, corpus, questions))
    for mode in evalrun.MODES:
        out["answers"][mode] = evalrun.squad_v1_summary(questions, evalrun.ask_all(corpus, questions, mode))
    return out


def _stock_questions(ctx: EvalContext, corpus: evalrun.EvalCorpus, questions: list[Question]) -> dict:
    """Dense and default retrieval with questions embedded by the bundled MiniLM instead of the
    fine-tuned query tower (the ablation of rag/train_query.py)."""
    from .embed import embed_with_tokens

    vectors, codes = embed_with_tokens(ctx.embedder, [q.question for q in questions])
    runs = evalrun.retrieval_runs(corpus, questions, vectors, codes, ctx.settings.retrieval, modes=("dense", "hybrid"))
    return {f"{mode}, stock MiniLM questions": r for mode, r in runs.items()}


def squad_v2(ctx: EvalContext) -> dict:
    """SQuAD v2.0 sample, gold paragraph given: does the extractor abstain on the unanswerable?"""
    questions = ctx.limit(squad_questions(ctx.args.squad_v2))
    passages = Passages()
    linked = []
    for q in questions:
        gold = passages.add(q.context, "", "Wikipedia")
        linked.append(Question(q.id, q.question, q.answers, gold, q.context))
    corpus = ctx.corpus(f"squad-v2-{len(passages)}", passages)
    answers = evalrun.read_given(corpus, linked, ctx.vectors(linked))
    return {"questions": len(linked), "unanswerable": sum(not q.answers for q in linked),
            "extractors": {"pipeline": evalrun.squad_v2_summary(linked, answers)}}


def news(ctx: EvalContext) -> dict:
    """RealTime QA evidence in open mode: retrieval per mode, and answers."""
    passages, questions = news_corpus(ctx.args.news)
    questions = ctx.limit(questions)
    corpus = ctx.corpus("news", passages)
    out = {"questions": len(questions), "passages": len(passages), "chunks": len(corpus.index.chunks),
           "answers": {}}
    out["retrieval"] = evalrun.retrieval_runs(corpus, questions, *ctx.queries(questions), ctx.settings.retrieval)
    out["retrieval"].update(_stock_questions(ctx, corpus, questions))
    # The reranker and the query tower saw the other half (news_split): this half is the
    # untouched measure.
    held_out = news_split(questions)[1]
    out["held_out_questions"] = len(held_out)
    out["retrieval_held_out"] = evalrun.retrieval_runs(corpus, held_out, *ctx.queries(held_out), ctx.settings.retrieval)
    out["retrieval_held_out"].update(_stock_questions(ctx, corpus, held_out))
    for mode in evalrun.MODES:
        out["answers"][mode] = evalrun.squad_v1_summary(questions, evalrun.ask_all(corpus, questions, mode))
    for label, answering in evalrun.ABLATIONS:
        out["answers"][f"hybrid, {label}"] = evalrun.squad_v1_summary(
            questions, evalrun.ask_all(corpus, questions, answering=answering))
    return out


def int8_build(ctx: EvalContext) -> dict:
    """The fast build path (rag/ov_embed.py): every passage embedded by the int8 OpenVINO
    MiniLM, questions embedded as in the other sections. The default mode's headline figures of
    the seed set, open SQuAD and news, for the report to set beside the fp32 path's."""
    from .embedcache import CachingEmbedder
    from .ov_embed import OpenVinoEmbedder

    passages = CachingEmbedder(OpenVinoEmbedder(ctx.args.cache / "minilm-ov-int8"), ctx.args.cache / "embeddings")
    fast = EvalContext(ctx.args, ctx.settings, _embedder=passages, questions_from=ctx)
    out = {"embedder": passages.name}
    questions = _seed_questions(ctx)
    assistant = Assistant.load(Settings(seeds_dir=ctx.args.seeds, index_dir=ctx.args.cache / "int8-build-index"),
                               embedder=passages, progress=not ctx.args.no_progress)
    out["seed"] = {"default_mode": "hybrid",
                   "answers": {"hybrid": evalrun.seed_summary(questions, evalrun.ask_all(assistant, questions))}}
    corpus, where = _squad_dev(fast)
    out["squad-open"] = _default_run(fast, corpus, ctx.limit(squad_questions(ctx.args.squad_sample, where)))
    passages, questions = news_corpus(ctx.args.news)
    questions = ctx.limit(questions)
    corpus = fast.corpus("news", passages)
    out["news"] = _default_run(fast, corpus, questions)
    held_out = news_split(questions)[1]
    out["news"]["retrieval_held_out"] = evalrun.retrieval_runs(corpus, held_out, *fast.queries(held_out),
                                                               ctx.settings.retrieval, modes=("hybrid",))
    return out


def _default_run(ctx: EvalContext, corpus: evalrun.EvalCorpus, questions: list[Question]) -> dict:
    """Answers and retrieval of the default (hybrid) mode only."""
    return {"answers": {"hybrid": evalrun.squad_v1_summary(questions, evalrun.ask_all(corpus, questions))},
            "retrieval": evalrun.retrieval_runs(corpus, questions, *ctx.queries(questions), ctx.settings.retrieval,
                                                modes=("hybrid",))}

RUNNERS = {"seed": seed, "squad-reader": squad_reader, "squad-open": squad_open, "squad-v2": squad_v2, "news": news,
           "int8-build": int8_build}


def run_section(name: str, ctx: EvalContext) -> dict:
    """Run one section by name."""
    if name not in RUNNERS:
        raise ValueError(f"unknown section {name!r}; choose from {', '.join(RUNNERS)}")
    return RUNNERS[name](ctx)
