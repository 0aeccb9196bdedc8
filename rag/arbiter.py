"""The arbiter: whether the span ranker's best span should replace the heuristic reader's answer.

The heuristic reader (rag.answer) chooses a sentence with retrieval, cosine and word overlap
and a span in it with type rules; the span ranker (rag.reader) scores every candidate span of
the chunks read. Each is right where the other is wrong often enough (on 1,500 held-out SQuAD
train questions, reader mode: heuristics 59.5 F1, ranker alone 60.9, the better of the two
64.5), so a logistic model trained on other held-out SQuAD train questions decides, from
what both saw, which to answer with. `python -m rag.train_arbiter` fits it; the weights live in
`rag/models/arbiter.json`.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ARBITER_FILE = Path(__file__).resolve().parent / "models" / "arbiter.json"
FLOOR = -30.0  # log-probability of a value the ranker never read
WH = ("who", "what", "when", "where", "which", "how many", "how much", "why", "how")
LABELS = ("NP", "ST", "PERSON", "ORG", "GPE", "DATE", "CARDINAL", "NORP", "LOC", "MONEY", "PERCENT", "QUANTITY",
          "FAC", "EVENT", "WORK_OF_ART", "TIME", "ORDINAL", "LAW", "PRODUCT", "LANGUAGE")


@dataclass(frozen=True)
class Evidence:
    """What the arbiter compares: the heuristic answer and the ranker's best span."""

    best_logp: float  # the ranker's log-probability of its best span (one softmax over the chunks read)
    second_logp: float  # ... of its second best span
    answer_logp: float  # ... of the best span stating the heuristic answer's value (FLOOR: none)
    same_sentence: bool  # the ranker's span lies in the answer's sentence
    same_chunk: bool
    same_article: bool
    sentence_gap: float  # the answer sentence's heuristic score minus the ranker span's sentence's
    sentence_rank: int  # rank of the ranker span's sentence among the scored sentences (0: the best)
    wh: str
    typed: bool
    numeric: bool
    heads: bool  # the question names what it asks about ("which town")
    named: bool  # the heuristic pick is governed by that noun ("the town of X")
    attached: bool  # ... is a figure followed by what the question counts
    patient: bool  # ... is the passive's subject for "what was set on fire?"
    clause: bool  # the heuristic answer is a reason or means clause, not a span
    ranker_label: str
    answer_label: str
    ranker_words: int
    answer_words: int
    ranker_overlap: float  # share of the ranker span's words that the question has
    margin: float  # the heuristics' margin between their two best sentences (reading feature)
    typed_found: float
    cosine: float
    lexical: float


def features(e: Evidence) -> dict[str, float]:
    """Named features of the arbiter's logistic model."""
    out = {
        "best_logp": e.best_logp, "answer_logp": e.answer_logp, "logp_gap": e.best_logp - e.answer_logp,
        "runner_up_gap": e.best_logp - e.second_logp, "best_p": math.exp(e.best_logp),
        "answer_p": math.exp(max(e.answer_logp, FLOOR)),
        "same_sentence": float(e.same_sentence), "same_chunk": float(e.same_chunk),
        "same_article": float(e.same_article), "sentence_gap": e.sentence_gap,
        "sentence_rank": min(e.sentence_rank, 10) / 10, "typed": float(e.typed), "numeric": float(e.numeric),
        "heads": float(e.heads), "named": float(e.named), "attached": float(e.attached),
        "patient": float(e.patient), "ranker_words": math.log1p(e.ranker_words),
        "answer_words": math.log1p(e.answer_words), "ranker_overlap": e.ranker_overlap, "clause": float(e.clause),
        "margin": e.margin, "typed_found": e.typed_found, "cosine": e.cosine, "lexical": e.lexical,
    }
    wh = e.wh if e.wh in WH else "other"
    out.update({f"wh={w}": float(wh == w) for w in (*WH, "other")})
    out.update({f"ranker={label}": float(e.ranker_label == label) for label in (*LABELS, "?")})
    out.update({f"answer={label}": float(e.answer_label == label) for label in (*LABELS, "?")})
    return out


@dataclass(frozen=True)
class Arbiter:
    """Logistic model: P(the ranker's span scores a higher F1 than the heuristic answer)."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float = 0.5
    fitted_on: str = ""

    @classmethod
    def load(cls, path: Path = ARBITER_FILE) -> "Arbiter":
        data = json.loads(Path(path).read_text())
        return cls(tuple(data["names"]), np.array(data["mean"]), np.array(data["scale"]),
                   np.array(data["weights"]), float(data["bias"]), float(data["threshold"]),
                   data.get("fitted_on", ""))

    def save(self, path: Path = ARBITER_FILE) -> None:
        Path(path).write_text(json.dumps({
            "names": list(self.names), "mean": [round(x, 6) for x in self.mean.tolist()],
            "scale": [round(x, 6) for x in self.scale.tolist()],
            "weights": [round(x, 6) for x in self.weights.tolist()], "bias": round(self.bias, 6),
            "threshold": self.threshold, "fitted_on": self.fitted_on}, indent=1) + "\n")

    def probability(self, evidence: Evidence) -> float:
        named = features(evidence)
        x = (np.array([named.get(n, 0.0) for n in self.names]) - self.mean) / self.scale
        z = float(self.bias + x @ self.weights)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def prefers_ranker(self, evidence: Evidence) -> bool:
        return self.probability(evidence) > self.threshold


def fit(rows: list[dict[str, float]], better: list[bool], weight: list[float], l2: float = 30.0,
        threshold: float = 0.5, fitted_on: str = "", iterations: int = 50) -> Arbiter:
    """Weighted, L2-penalised logistic regression by Newton's method on standardised features.

    `better[i]`: the ranker's span scored higher than the heuristic answer on example i;
    `weight[i]`: by how much (the F1 difference), so near ties count little. The intercept is
    not penalised."""
    names = tuple(rows[0])
    x = np.array([[r[n] for n in names] for r in rows], dtype=np.float64)
    y = np.asarray(better, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0  # a constant feature: no weight to learn
    z = np.hstack([np.ones((len(x), 1)), (x - mean) / scale])
    beta = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -30, 30)))
        gradient = z.T @ (w * (p - y)) + penalty * beta
        hessian = (z * (w * p * (1 - p))[:, None]).T @ z + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return Arbiter(names, mean, scale, beta[1:], float(beta[0]), threshold, fitted_on)
