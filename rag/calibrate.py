"""Fit the confidence model and the abstention threshold on the seed dev questions.

    python -m rag.calibrate [--dev tests/data/seed_dev.jsonl tests/data/seed_dev_extra.jsonl]

A reading is "right" when its answer scores F1 >= 0.5 against a gold answer; unanswerable
questions are never right. A logistic regression over the reader's features gives
P(right); the threshold is the one that declines the most unanswerable questions while
declining at most `--max-false-abstention` of the answerable ones. The result is written to
rag/calibration.json, which the reader loads.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .answer import CALIBRATION_FILE, Calibration

FEATURES = ("cosine", "lexical", "best_cosine", "typed_found", "attached", "agreement", "no_span", "unknown",
            "named", "margin")


def load_dev(path: Path) -> list[dict]:
    """Rows of a dev-set JSONL file (question, answers, outlets, answerable, ...)."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# Evidence that can only make an answer more likely to be right: the fit may not give these a
# negative weight (with 67 questions a chance pattern could otherwise say that agreement
# between outlets lowers confidence).
NON_NEGATIVE = ("cosine", "lexical", "best_cosine", "typed_found", "attached", "agreement", "named", "margin")


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 0.005, steps: int = 20000,
                 rate: float = 0.5, non_negative: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """Bias and weights of an L2-regularised logistic regression, by projected gradient descent
    (weights flagged in `non_negative` are kept >= 0)."""
    w = np.zeros(x.shape[1])
    b = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        w -= rate * (x.T @ (p - y) / len(y) + l2 * w)
        b -= rate * float(np.mean(p - y))
        if non_negative is not None:
            w[non_negative] = np.maximum(w[non_negative], 0.0)
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
        vector = assistant.embedder.encode([row["question"]])[0]
        hits = assistant.retriever.retrieve(row["question"], vector, assistant.settings.answering.read_top)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, nargs="+",
                        default=[Path("tests/data/seed_dev.jsonl"), Path("tests/data/seed_dev_extra.jsonl")])
    parser.add_argument("--max-false-abstention", type=float, default=0.05)
    parser.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    args = parser.parse_args(argv)
    from .pipeline import Assistant

    assistant = Assistant.load(progress=False)
    x, y, answerable = collect(assistant, [row for path in args.dev for row in load_dev(path)])
    bias, weights = fit_logistic(x, y, non_negative=np.array([n in NON_NEGATIVE for n in FEATURES]))
    probabilities = 1.0 / (1.0 + np.exp(-(x @ weights + bias)))
    threshold = choose_threshold(probabilities, answerable, args.max_false_abstention)
    calibration = Calibration(round(bias, 6), {n: round(float(w), 6) for n, w in zip(FEATURES, weights)},
                              threshold, fitted_on=f"{' + '.join(p.name for p in args.dev)} ({len(y)} questions)")
    args.out.write_text(json.dumps(calibration.__dict__, indent=2) + "\n")
    declined = probabilities < threshold
    print(f"threshold {threshold:.3f}: declines {declined[~answerable].mean():.0%} of unanswerable, "
          f"{declined[answerable].mean():.0%} of answerable; wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
