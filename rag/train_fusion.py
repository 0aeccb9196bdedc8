"""`python -m rag.train_fusion`: fit the hybrid retrieval rerankers of rag/rerank.py.

Training data never overlaps what EVAL.md reports: 1,000 questions over 40 whole articles of
SQuAD v1.1 *train*, and the tuning half of the news questions (`evalsets.news_split`), both
indexed by the real pipeline (cached like the evaluation corpora). Each question's candidates
(top 50 dense and top 50 BM25 chunks) become rows of the features of rag/features.py, taken
from `Retriever.candidates` itself, so training sees exactly what a query computes. Positives
are the chunks of the question's own passage and any other chunk holding a reference answer.

- The learned reranker (the default): one-hidden-layer MLPs, trained listwise (softmax over
  each question's candidates, the positives above) with Adam in torch (training only; scoring
  is numpy) from `--members` seeds and averaged, written to rag/models/fusion.npz.
- The linear score fusion (`fusion="score"`): a conditional logistic model over four of the
  features, its weights scaled to sum to 1, printed for `rerank.FusionWeights`.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEPTH = 50
HIDDEN = 16  # units of the reranker's hidden layer
MEMBERS = 3  # rankers trained from different seeds and averaged (less run-to-run variance)
LINEAR = ("bm25", "dense", "sentence", "coverage")  # the score fusion's signals


def feature_groups(corpus, questions, vectors, codes) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per question with a positive among its candidates: the candidates' feature rows
    (columns `features.FEATURES`) and which of them are positives (gold passage or answer)."""
    from .metrics import has_answer
    from .retrieve import RetrievalSettings, Retriever

    retriever = Retriever(corpus.index, RetrievalSettings(depth=DEPTH))
    groups = []
    for q, vector, code in zip(questions, vectors, codes):
        found = retriever.candidates(q.question, vector, DEPTH, query_codes=code)
        if found is None:
            continue
        ids, x = found
        chunks = [corpus.index.chunks[i] for i in ids.tolist()]
        # Positives: the question's own passage, and any chunk that holds a reference answer
        # (DrQA's distant supervision: what EVAL.md's has-answer recall counts).
        gold = np.array([q.gold in corpus.hit_passages(_Hit(c)) or has_answer(c.text, q.answers) for c in chunks])
        if gold.any():  # a question whose answer no retriever finds teaches fusion nothing
            groups.append((x.astype(np.float64), gold))
    return groups


class _Hit:
    """The part of a Hit that `EvalCorpus.hit_passages` reads."""

    def __init__(self, chunk) -> None:
        self.chunk = chunk


def train_ranker(groups: list[tuple[np.ndarray, np.ndarray]], features: tuple[str, ...], hidden: int = HIDDEN,
                 weight_decay: float = 1e-3, epochs: int = 40, seed: int = 0):
    """A `rerank.LearnedRanker` minimising the mean negative log of the softmax probability
    mass on each question's gold rows (Adam, batches of 32 questions)."""
    import torch

    from .features import FEATURES
    from .rerank import LearnedRanker

    torch.manual_seed(seed)
    columns = [FEATURES.index(f) for f in features]
    stacked = np.vstack([x[:, columns] for x, _ in groups])
    mean, scale = stacked.mean(0), stacked.std(0) + 1e-6
    data = [(torch.tensor((x[:, columns] - mean) / scale, dtype=torch.float32), torch.tensor(y))
            for x, y in groups]
    net = torch.nn.Sequential(torch.nn.Linear(len(columns), hidden), torch.nn.Tanh(),
                              torch.nn.Linear(hidden, 1, bias=False))
    optimiser = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=weight_decay)
    for epoch in range(epochs):
        order = np.random.RandomState(seed + epoch).permutation(len(data))
        for start in range(0, len(order), 32):
            loss = 0.0
            for i in order[start:start + 32]:
                z, gold = data[i]
                s = net(z).squeeze(1)
                loss = loss + torch.logsumexp(s, 0) - torch.logsumexp(s.masked_fill(~gold, -1e9), 0)
            optimiser.zero_grad()
            (loss / 32).backward()
            optimiser.step()
    first, second = net[0], net[2]
    return LearnedRanker(tuple(features), mean.astype(np.float32), scale.astype(np.float32),
                         first.weight.detach().numpy().astype(np.float32),
                         first.bias.detach().numpy().astype(np.float32),
                         second.weight.detach().numpy()[0].astype(np.float32))


def average_rankers(rankers: list) -> "object":
    """One `rerank.LearnedRanker` scoring the mean of `rankers` (same features and scaling):
    their hidden units side by side, each output weight divided by their number."""
    from .rerank import LearnedRanker

    first = rankers[0]
    for other in rankers[1:]:
        if other.features != first.features or not (np.array_equal(other.mean, first.mean)
                                                     and np.array_equal(other.scale, first.scale)):
            raise ValueError("only rankers of the same features and scaling can be averaged")
    return LearnedRanker(first.features, first.mean, first.scale,
                         np.concatenate([r.hidden for r in rankers]), np.concatenate([r.bias for r in rankers]),
                         np.concatenate([r.out for r in rankers]) / len(rankers))


def _objective(groups: list[tuple[np.ndarray, int]], w: np.ndarray, l2: float):
    """Mean negative log-softmax probability of the gold rows (+ L2), its gradient and Hessian
    (`groups`: feature rows and the index of the gold row)."""
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
    parser.add_argument("--out", type=Path, default=None, help="reranker file (default rag/models/fusion.npz)")
    parser.add_argument("--members", type=int, default=MEMBERS, help="rankers averaged (seeds 0..N-1)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    from .embed import MiniLMEmbedder, embed_queries
    from .embedcache import CachingEmbedder
    from .evalrun import open_corpus
    from .evalsets import news_corpus, news_split, squad_train_sample
    from .features import FEATURES
    from .pipeline import Settings
    from .rerank import RANKER_FILE

    embedder = CachingEmbedder(MiniLMEmbedder(), args.cache / "embeddings")
    settings = Settings()
    train_passages, train_questions = squad_train_sample(args.external / "squad_v1.1_train_paragraphs.jsonl.gz")
    news_passages, news_questions = news_corpus(args.external / "realtimeqa_news_evidence.jsonl")
    tune, _ = news_split(news_questions)
    groups = []
    for name, passages, questions in (("squad-train-sample", train_passages, train_questions),
                                      ("news", news_passages, tune)):
        corpus = open_corpus(name, passages, embedder, args.cache, settings, progress=not args.no_progress)
        groups += feature_groups(corpus, questions, *embed_queries(embedder, [q.question for q in questions]))
    print(f"{len(train_questions)} SQuAD train + {len(tune)} news tuning questions; "
          f"{len(groups)} with a positive among the candidates")
    ranker = average_rankers([train_ranker(groups, FEATURES, seed=seed) for seed in range(args.members)])
    out = args.out or RANKER_FILE
    ranker.save(out)
    print(f"reranker ({len(FEATURES)} features, {args.members} x {HIDDEN} hidden units) written to {out}")
    columns = [FEATURES.index(f) for f in LINEAR]
    w = listwise_weights([(x[:, columns], int(np.flatnonzero(y)[0])) for x, y in groups])
    w = w / w.sum()
    print(f"FusionWeights(bm25={w[0]:.3f}, dense={w[1]:.3f}, sentence={w[2]:.3f}, coverage={w[3]:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
