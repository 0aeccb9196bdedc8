"""`python -m rag.train_fusion`: fit the hybrid retrieval weights of rag/rerank.py.

Training data never overlaps what EVAL.md reports: 1,000 questions over 40 whole articles of
SQuAD v1.1 *train*, and the tuning half of the news questions (`evalsets.news_split`). Each
question's candidates (top 50 dense and top 50 BM25 passages) become rows of the three
signals; a conditional (listwise) logistic model, softmax over each question's candidates,
is fitted to put the gold passage first, and its weights, scaled to sum to 1, are the fusion
weights.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEPTH = 50


def signals(passages, questions, embedder) -> list[tuple[np.ndarray, int]]:
    """Per question with its gold passage among the candidates: rows (relative BM25, cosine,
    best sentence cosine, coverage) of the candidates, and the gold row."""
    from .index import BM25Index, top_k
    from .rerank import coverage, relative
    from .text import sentence_spans

    bm25 = BM25Index.build(passages.texts)
    vectors = embedder.encode(passages.texts)
    owner, sentences = [], []
    for i, text in enumerate(passages.texts):
        for start, end in sentence_spans(text):
            owner.append(i)
            sentences.append(text[start:end])
    sentence_vectors = embedder.encode(sentences)
    owner = np.asarray(owner)
    query_vectors = embedder.encode([q.question for q in questions])
    passage_terms = [frozenset(bm25.analyze(text)) for text in passages.texts]
    groups = []
    for q, qv in zip(questions, query_vectors):
        b = bm25.scores(q.question)
        d = vectors @ qv
        best = np.full(len(passages), -1.0, dtype=np.float32)
        np.maximum.at(best, owner, sentence_vectors @ qv)
        dense_top = np.argsort(-d, kind="stable")[:DEPTH]
        candidates = np.union1d(dense_top, top_k(b, DEPTH, positive_only=True)[0])
        terms = {t: bm25.idf(t) for t in bm25.analyze(q.question)}
        covered = coverage(terms, [passage_terms[i] for i in candidates.tolist()])
        x = np.stack([relative(b)[candidates], d[candidates], best[candidates], covered], axis=1)
        gold = np.flatnonzero(candidates == q.gold)
        if len(gold):  # a question whose passage no retriever finds teaches fusion nothing
            groups.append((x.astype(np.float64), int(gold[0])))
    return groups


def _objective(groups: list[tuple[np.ndarray, int]], w: np.ndarray, l2: float):
    """Mean negative log-softmax probability of the gold rows (+ L2), its gradient and Hessian."""
    loss, gradient, hessian = 0.5 * l2 * w @ w, l2 * w, l2 * np.eye(len(w))
    for x, gold in groups:
        z = x @ w
        p = np.exp(z - z.max())
        total = p.sum()
        p /= total
        mean = p @ x
        loss += (z.max() + np.log(total) - z[gold]) / len(groups)
        gradient = gradient + (mean - x[gold]) / len(groups)
        hessian = hessian + ((x * p[:, None]).T @ x - np.outer(mean, mean)) / len(groups)
    return loss, gradient, hessian


def listwise_weights(groups: list[tuple[np.ndarray, int]], steps: int = 40, l2: float = 1e-3) -> np.ndarray:
    """Weights minimising the mean negative log-softmax probability of each gold row.

    Damped Newton: a full step can overshoot badly (the loss is far from quadratic), so the
    step is halved until the loss goes down.
    """
    w = np.zeros(groups[0][0].shape[1])
    loss, gradient, hessian = _objective(groups, w, l2)
    for _ in range(steps):
        step = np.linalg.solve(hessian, gradient)
        size = 1.0
        while size > 1e-4:
            trial = _objective(groups, w - size * step, l2)
            if trial[0] < loss:
                break
            size /= 2
        else:
            return w  # no step lowers the loss: converged
        w = w - size * step
        if loss - trial[0] < 1e-7:
            return w
        loss, gradient, hessian = trial
    return w


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.train_fusion", description=__doc__.splitlines()[0])
    parser.add_argument("--external", type=Path, default=REPO.parent / "shared" / "eval" / "external")
    parser.add_argument("--cache", type=Path, default=REPO / ".cache")
    args = parser.parse_args(argv)
    from .embed import MiniLMEmbedder
    from .embedcache import CachingEmbedder
    from .evalsets import news_corpus, news_split, squad_train_sample

    embedder = CachingEmbedder(MiniLMEmbedder(), args.cache / "embeddings")
    train_passages, train_questions = squad_train_sample(args.external / "squad_v1.1_train_paragraphs.jsonl.gz")
    news_passages, news_questions = news_corpus(args.external / "realtimeqa_news_evidence.jsonl")
    tune, _ = news_split(news_questions)
    groups = signals(train_passages, train_questions, embedder) + signals(news_passages, tune, embedder)
    w = listwise_weights(groups)
    w = w / w.sum()
    print(f"{len(train_questions)} SQuAD train + {len(tune)} news tuning questions; "
          f"{len(groups)} with the gold passage among the candidates")
    print(f"FusionWeights(bm25={w[0]:.3f}, dense={w[1]:.3f}, sentence={w[2]:.3f}, coverage={w[3]:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
