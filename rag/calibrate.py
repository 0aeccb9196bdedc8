"""Fit the confidence model on dev questions and the abstention threshold on the seed dev set.

    python -m rag.calibrate [--dev tests/data/seed_dev.jsonl tests/data/seed_dev_extra.jsonl]
                            [--news-questions 600]

A reading is "right" when its answer scores F1 >= 0.5 against a gold answer; unanswerable
questions are never right. A logistic regression over the reader's features gives
P(right). It is fitted on the seed dev questions plus questions of the news evidence set's
*tuning* half (`rag.evalsets.news_split`; the held-out half, which EVAL.md reports, is never
read), so that a confidence means the same on news it has not seen as on the 67 seed
questions. The threshold is chosen on the seed dev set alone, the only set with unanswerable
questions: the one that declines the most of them while declining at most
`--max-false-abstention` of the answerable ones. The result is written to
rag/calibration.json, which the reader loads.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .answer import CALIBRATION_FILE, Calibration
from .embed import embed_queries

REPO = Path(__file__).resolve().parent.parent
EXTERNAL = REPO.parent / "shared" / "eval" / "external"

FEATURES = ("cosine", "lexical", "best_cosine", "typed_found", "attached", "agreement", "no_span", "unknown",
            "named", "margin", "unattached", "support", "retrieval_top", "vague")


def load_dev(path: Path) -> list[dict]:
    """Rows of a dev-set JSONL file (question, answers, outlets, answerable, ...)."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# Evidence that can only make an answer more likely to be right: the fit may not give these a
# negative weight (with 67 questions a chance pattern could otherwise say that agreement
# between outlets lowers confidence).
NON_NEGATIVE = ("cosine", "lexical", "best_cosine", "typed_found", "attached", "agreement", "named", "margin",
                "support", "retrieval_top")
# Floors above zero: independent sources that report the same value make it more likely
# right, by at least this much per log(sources); outlets citing the same source count once.
# The dev sets hold few questions that several outlets answer, too few to learn it from; a
# fitted weight above the floor is kept.
MINIMUM = {"agreement": 0.4}


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.005, steps: int = 20000,
                 rate: float = 0.5, non_negative: np.ndarray | None = None,
                 sample_weight: np.ndarray | None = None, floor: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Bias and weights of an L2-regularised logistic regression, by projected gradient descent
    (weights flagged in `non_negative` are kept >= `floor`, default 0; `sample_weight` weighs
    the examples)."""
    w = np.zeros(x.shape[1])
    b = 0.0
    s = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    s = s / s.mean()
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        w -= rate * (x.T @ (s * (p - y)) / len(y) + l2 * w)
        b -= rate * float(np.mean(s * (p - y)))
        if non_negative is not None:
            lowest = np.zeros(len(w)) if floor is None else floor
            w[non_negative] = np.maximum(w[non_negative], lowest[non_negative])
    return b, w


def choose_threshold(probabilities: np.ndarray, answerable: np.ndarray, max_false_abstention: float) -> float:
    """The threshold that declines the most unanswerable questions while declining at most
    `max_false_abstention` of the answerable ones; the lowest such, placed halfway between two
    dev questions' probabilities so that a small shift in scores does not flip either."""
    values = np.unique(np.round(probabilities, 6))
    candidates = [0.0] + [float(a + b) / 2 for a, b in zip(values, values[1:])] + [float(values[-1]) + 1e-3]

    def rate(t: float, mask: np.ndarray) -> float:
        return float(np.mean(probabilities[mask] < t)) if mask.any() else 0.0

    allowed = [t for t in candidates if rate(t, answerable) <= max_false_abstention]
    best = max(rate(t, ~answerable) for t in allowed)
    return round(min(t for t in allowed if rate(t, ~answerable) == best), 6)


def collect(assistant, rows: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, rightness and answerability of each dev question."""
    from .metrics import best_score, f1_score

    feats, right, answerable = [], [], []
    for row in rows:
        vectors, codes = embed_queries(assistant.embedder, [row["question"]])
        vector = vectors[0]
        hits = assistant.retriever.retrieve(row["question"], vector, assistant.settings.answering.read_top,
                                            query_codes=codes[0])
        reading = assistant.reader.analyze(row["question"], vector, hits)
        features = reading.features if reading else {}
        feats.append([features.get(name, 0.0) for name in FEATURES])
        predicted = ""
        if reading is not None:
            anchor = reading.anchor
            text = assistant.index.articles[anchor.hit.chunk.article_id].text
            predicted = reading.groups[0][0].text if reading.groups else text[anchor.start:anchor.end]
        ok = bool(row["answerable"]) and best_score(f1_score, predicted, row["answers"]) >= 0.5
        right.append(ok)
        answerable.append(bool(row["answerable"]))
    return np.array(feats), np.array(right, dtype=float), np.array(answerable)


def news_readings(path: Path, cache: Path, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Features and rightness of the first `count` news questions of the tuning half, read from
    the news corpus as `python -m rag.eval` indexes it (cached under `cache`)."""
    from .embed import MiniLMEmbedder
    from .embedcache import CachingEmbedder
    from .evalrun import open_corpus
    from .evalsets import news_corpus, news_split
    from .pipeline import Settings

    passages, questions = news_corpus(path)
    tune = news_split(questions)[0][:count]
    embedder = CachingEmbedder(MiniLMEmbedder(), cache / "embeddings")
    corpus = open_corpus("news", passages, embedder, cache, Settings(), progress=False)
    rows = [{"question": q.question, "answers": list(q.answers), "answerable": True} for q in tune]
    x, y, _ = collect(corpus.assistant, rows)
    return x, y


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, nargs="+",
                        default=[Path("tests/data/seed_dev.jsonl"), Path("tests/data/seed_dev_extra.jsonl")])
    parser.add_argument("--max-false-abstention", type=float, default=0.05)
    parser.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    parser.add_argument("--news-questions", type=int, default=600,
                        help="questions of the news set's tuning half added to the fit (0: seed only)")
    parser.add_argument("--news", type=Path, default=EXTERNAL / "realtimeqa_news_evidence.jsonl")
    parser.add_argument("--cache", type=Path, default=REPO / ".cache", help="rag.eval's index cache")
    args = parser.parse_args(argv)
    from .pipeline import Assistant

    assistant = Assistant.load(progress=False)
    x, y, answerable = collect(assistant, [row for path in args.dev for row in load_dev(path)])
    fitted_on = f"{' + '.join(p.name for p in args.dev)} ({len(y)} questions)"
    fx, fy, fw = x, y, np.ones(len(y))
    if args.news_questions:
        nx, ny = news_readings(args.news, args.cache, args.news_questions)
        # The seed questions (the product's own kind of article, and the only unanswerable
        # ones) weigh as much together as the news questions.
        fx, fy = np.concatenate([x, nx]), np.concatenate([y, ny])
        fw = np.concatenate([np.full(len(y), len(ny) / len(y)), np.ones(len(ny))])
        fitted_on += f" + {len(ny)} news questions of the tuning half (each set weighing half)"
    bias, weights = fit_logistic(fx, fy, non_negative=np.array([n in NON_NEGATIVE for n in FEATURES]),
                                 floor=np.array([MINIMUM.get(n, 0.0) for n in FEATURES]),
                                 sample_weight=fw)
    probabilities = 1.0 / (1.0 + np.exp(-(x @ weights + bias)))
    threshold = choose_threshold(probabilities, answerable, args.max_false_abstention)
    calibration = Calibration(round(bias, 6), {n: round(float(w), 6) for n, w in zip(FEATURES, weights)},
                              threshold, fitted_on=fitted_on)
    args.out.write_text(json.dumps(calibration.__dict__, indent=2) + "\n")
    declined = probabilities < threshold
    print(f"threshold {threshold:.3f}: declines {declined[~answerable].mean():.0%} of unanswerable, "
          f"{declined[answerable].mean():.0%} of answerable; wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
