"""`python -m rag.train_fusion`: fit the hybrid retrieval rerankers of rag/rerank.py.

Training data never overlaps what EVAL.md reports: 1,000 questions over 40 whole articles of
SQuAD v1.1 *train*, and the tuning half of the news questions (`evalsets.news_split`), both
indexed by the real pipeline (cached like the evaluation corpora). Each question's candidates
(top 50 dense and top 50 BM25 chunks) become rows of the features of rag/features.py, taken
from `Retriever.candidates` itself, so training sees exactly what a query computes. Positives
are the chunks of the question's own passage and any other chunk holding a reference answer.

Cross-fitting (`--fold-towers`): the query tower (rag/train_query.py) was fine-tuned on the
same news tuning questions, so their dense scores are better than on questions it never saw
(held-out half, dense alone: R@1/5 71.8/90.4 against 75.8/93.6 on the tuning half), and a
reranker fitted on them trusts dense too much. With two towers each trained without one fold
of the tuning half (`evalsets.tuning_fold`, `python -m rag.train_query --leave-out-fold k`),
each news tuning question is embedded by the tower that never saw it. SQuAD's rows keep the
shipped tower (their 40 articles are outside its 100). `--cv` measures either way by 2-fold
cross-validation by quiz, writing nothing. The shipped fusion.npz is cross-fitted, written by
`--fold-towers` (rag/models/README.md has the commands and figures).

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


def candidate_rows(corpus, questions, vectors, codes) -> list[tuple | None]:
    """Per question: its candidates' chunk ids, feature rows (columns `features.FEATURES`),
    positives (gold passage or a reference answer) and has-answer flags; None without candidates."""
    from .metrics import has_answer
    from .question import spell_out_dates
    from .retrieve import RetrievalSettings, Retriever

    retriever = Retriever(corpus.index, RetrievalSettings(depth=DEPTH))
    rows = []
    for q, vector, code in zip(questions, vectors, codes):
        found = retriever.candidates(spell_out_dates(q.question), vector, DEPTH, query_codes=code)  # as ask does
        if found is None:
            rows.append(None)
            continue
        ids, x = found
        chunks = [corpus.index.chunks[i] for i in ids.tolist()]
        # Positives: the question's own passage, and any chunk that holds a reference answer
        # (DrQA's distant supervision: what EVAL.md's has-answer recall counts).
        answer = np.array([has_answer(c.text, q.answers) for c in chunks])
        gold = np.array([q.gold in corpus.hit_passages(_Hit(c)) for c in chunks]) | answer
        rows.append((ids, x.astype(np.float64), gold, answer))
    return rows


def feature_groups(rows: list[tuple | None]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The (feature rows, positives) of each question with a positive among its candidates
    (a question whose answer no retriever finds teaches the reranker nothing)."""
    return [(r[1], r[2]) for r in rows if r is not None and r[2].any()]


def question_vectors(embedder, questions) -> tuple[np.ndarray, list]:
    """Query-tower vectors and codes of the questions, dates spelt out as `Assistant.ask` does."""
    from .embed import embed_queries
    from .question import spell_out_dates

    return embed_queries(embedder, [spell_out_dates(q.question) for q in questions])


class _Hit:
    """The part of a Hit that `EvalCorpus.hit_passages` reads."""

    def __init__(self, chunk) -> None:
        self.chunk = chunk


def train_ranker(groups: list[tuple[np.ndarray, np.ndarray]], features: tuple[str, ...], hidden: int = HIDDEN,
                 weight_decay: float = 1e-3, epochs: int = 40, seed: int = 0):
    """A `rerank.LearnedRanker` minimising the mean negative log of the softmax probability
    mass on each question's gold rows (Adam, batches of 32 questions, padded to one tensor)."""
    import torch

    from .features import FEATURES
    from .rerank import LearnedRanker

    torch.manual_seed(seed)
    columns = [FEATURES.index(f) for f in features]
    stacked = np.vstack([x[:, columns] for x, _ in groups])
    mean, scale = stacked.mean(0), stacked.std(0) + 1e-6
    width = max(len(x) for x, _ in groups)
    rows = np.zeros((len(groups), width, len(columns)), dtype=np.float32)
    real = np.zeros((len(groups), width), dtype=bool)
    gold = np.zeros((len(groups), width), dtype=bool)
    for i, (x, y) in enumerate(groups):
        rows[i, :len(x)], real[i, :len(x)], gold[i, :len(x)] = (x[:, columns] - mean) / scale, True, y
    rows, real, gold = torch.tensor(rows), torch.tensor(real), torch.tensor(gold)
    net = torch.nn.Sequential(torch.nn.Linear(len(columns), hidden), torch.nn.Tanh(),
                              torch.nn.Linear(hidden, 1, bias=False))
    optimiser = torch.optim.Adam(net.parameters(), lr=3e-3, weight_decay=weight_decay)
    for epoch in range(epochs):
        order = np.random.RandomState(seed + epoch).permutation(len(groups))
        for start in range(0, len(order), 32):
            batch = torch.tensor(order[start:start + 32])
            s = net(rows[batch]).squeeze(-1)
            loss = (torch.logsumexp(s.masked_fill(~real[batch], -1e9), 1)
                    - torch.logsumexp(s.masked_fill(~gold[batch], -1e9), 1))  # padding: never a candidate
            optimiser.zero_grad()
            (loss.sum() / 32).backward()
            optimiser.step()
    first, second = net[0], net[2]
    return LearnedRanker(tuple(features), mean.astype(np.float32), scale.astype(np.float32),
                         first.weight.detach().numpy().astype(np.float32),
                         first.bias.detach().numpy().astype(np.float32),
                         second.weight.detach().numpy()[0].astype(np.float32))


def cross_validate(squad: list[tuple[np.ndarray, np.ndarray]], train_rows: list, test_rows: list,
                   folds: list[int], members: int) -> tuple[int, int]:
    """Questions of `test_rows` with an answer in the top 1 and top 5 (`Retriever` order: ties to
    the lower chunk id), each fold ranked by a reranker fitted on `squad` and the other folds'
    `train_rows` (the same questions, perhaps embedded by another tower)."""
    from .features import FEATURES

    top1 = top5 = 0
    for fold in sorted(set(folds)):
        groups = squad + feature_groups([r for r, f in zip(train_rows, folds) if f != fold])
        ranker = average_rankers([train_ranker(groups, FEATURES, seed=seed) for seed in range(members)])
        for row, f in zip(test_rows, folds):
            if f == fold and row is not None:
                ids, x, _, answer = row
                order = np.lexsort((ids, -ranker.score(x.astype(np.float32))))
                top1 += bool(answer[order[:1]].any())
                top5 += bool(answer[order[:5]].any())
    return top1, top5


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
    parser.add_argument("--fold-towers", type=Path, nargs=2, metavar=("TOWER0", "TOWER1"), default=None,
                        help="cross-fit: towers trained without tuning fold 0 and 1 (rag.train_query "
                             "--leave-out-fold) embed the news tuning questions of that fold")
    parser.add_argument("--cv", action="store_true",
                        help="write nothing; print has-answer R@1/R@5 of 2-fold cross-validation by quiz inside "
                             "the news tuning half (with --fold-towers: each fold scored as the held-out half "
                             "is, by a tower that never saw it; rerankers fitted on the shipped tower's rows and "
                             "on the cross-fitted rows side by side)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    from .embed import MiniLMEmbedder
    from .embedcache import CachingEmbedder
    from .evalrun import open_corpus
    from .evalsets import news_corpus, news_split, squad_train_sample, tuning_fold
    from .features import FEATURES
    from .pipeline import Settings
    from .rerank import RANKER_FILE

    embedder = CachingEmbedder(MiniLMEmbedder(), args.cache / "embeddings")
    settings = Settings()
    squad_passages, squad_questions = squad_train_sample(args.external / "squad_v1.1_train_paragraphs.jsonl.gz")
    news_passages, news_questions = news_corpus(args.external / "realtimeqa_news_evidence.jsonl")
    tune, _ = news_split(news_questions)
    folds = [tuning_fold(q) for q in tune]

    def open_(name, passages):
        return open_corpus(name, passages, embedder, args.cache, settings, progress=not args.no_progress)

    squad = feature_groups(candidate_rows(open_("squad-train-sample", squad_passages), squad_questions,
                                          *question_vectors(embedder, squad_questions)))
    news = open_("news", news_passages)
    shipped = cross_fitted = None
    if args.cv or not args.fold_towers:
        shipped = candidate_rows(news, tune, *question_vectors(embedder, tune))
    if args.fold_towers:
        print(f"cross-fitted: tuning folds 0 and 1 embedded by {args.fold_towers[0]} and {args.fold_towers[1]}")
        found: dict[int, tuple] = {}
        for fold, tower in enumerate(args.fold_towers):
            part = [i for i, f in enumerate(folds) if f == fold]
            questions = [tune[i] for i in part]
            rows = candidate_rows(news, questions, *question_vectors(MiniLMEmbedder(query_weights=tower), questions))
            found.update(zip(part, rows))
        cross_fitted = [found[i] for i in range(len(tune))]
    if args.cv:
        tests = cross_fitted or shipped
        kinds = [("shipped tower", shipped)] + ([("cross-fitted", cross_fitted)] if cross_fitted else [])
        print(f"2-fold cross-validation by quiz, {len(tune)} news tuning questions ({args.members} members), "
              f"each fold embedded by {'a tower that never saw it' if cross_fitted else 'the shipped tower'}:")
        for kind, rows in kinds:
            top1, top5 = cross_validate(squad, rows, tests, folds, args.members)
            print(f"  trained on {kind} rows: R@1 {100 * top1 / len(tune):.2f}  R@5 {100 * top5 / len(tune):.2f}"
                  f"  ({top1} / {top5} of {len(tune)})")
        return 0
    groups = squad + feature_groups(cross_fitted or shipped)
    print(f"{len(squad_questions)} SQuAD train + {len(tune)} news tuning questions; "
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
