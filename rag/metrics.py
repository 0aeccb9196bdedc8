"""Answer and retrieval metrics: official SQuAD v1.1/v2.0 EM and F1, recall@k, MRR, calibration.

The SQuAD functions follow the official evaluation scripts' rules (see
../shared/eval/external/SOURCES.md): normalise by lowercasing, dropping punctuation, dropping
the articles a/an/the and collapsing whitespace; score each question by its best reference
answer; average over every question, a missing prediction scoring 0.
"""
from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

_PUNCTUATION = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    """SQuAD normalisation: lowercase, drop punctuation, drop a/an/the, collapse whitespace."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, gold: str) -> float:
    """1.0 when the normalised strings are equal, else 0.0."""
    return float(normalize_answer(prediction) == normalize_answer(gold))


def f1_score(prediction: str, gold: str) -> float:
    """SQuAD v1.1 token F1 (0 when nothing overlaps, including when either side is empty)."""
    pred_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    overlap = sum((Counter(pred_tokens) & Counter(gold_tokens)).values())
    if overlap == 0:
        return 0.0
    precision = overlap / len(pred_tokens)
    recall = overlap / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def f1_score_v2(prediction: str, gold: str) -> float:
    """SQuAD v2.0 token F1: two empty answers agree (1.0); one empty side scores 0."""
    pred_tokens = normalize_answer(prediction).split()
    gold_tokens = normalize_answer(gold).split()
    if not pred_tokens or not gold_tokens:
        return float(pred_tokens == gold_tokens)
    return f1_score(prediction, gold)


def best_score(metric, prediction: str, golds: Sequence[str]) -> float:
    """The metric against the best-matching reference answer (SQuAD's max over golds)."""
    if not golds:
        raise ValueError("golds must hold at least one reference answer, got none")
    return max(metric(prediction, gold) for gold in golds)


def v2_golds(answers: Sequence[str]) -> list[str]:
    """SQuAD v2.0 references: answers that normalise to empty are dropped; none left means ""."""
    kept = [a for a in answers if normalize_answer(a)]
    return kept or [""]


@dataclass(frozen=True)
class SquadScore:
    """Exact match and F1 in percent over `total` questions."""

    exact_match: float
    f1: float
    total: int

    def as_dict(self) -> dict:
        return {"exact_match": self.exact_match, "f1": self.f1, "total": self.total}


def squad_v1_score(golds: Mapping[str, Sequence[str]], predictions: Mapping[str, str]) -> SquadScore:
    """Official v1.1 scoring: every question in `golds` counts; a missing prediction scores 0."""
    if not golds:
        raise ValueError("golds is empty: nothing to score")
    em = f1 = 0.0
    for qid, answers in golds.items():
        if qid not in predictions:
            continue
        em += best_score(exact_match, predictions[qid], answers)
        f1 += best_score(f1_score, predictions[qid], answers)
    n = len(golds)
    return SquadScore(100.0 * em / n, 100.0 * f1 / n, n)


def squad_v2_score(golds: Mapping[str, Sequence[str]], predictions: Mapping[str, str]) -> dict:
    """Official v2.0 scoring: overall, HasAns and NoAns EM/F1 (an empty prediction abstains)."""
    if not golds:
        raise ValueError("golds is empty: nothing to score")
    rows = {"all": [], "has_ans": [], "no_ans": []}
    for qid, answers in golds.items():
        refs = v2_golds(answers)
        prediction = predictions.get(qid, "")
        row = (best_score(exact_match, prediction, refs), best_score(f1_score_v2, prediction, refs))
        rows["all"].append(row)
        rows["has_ans" if refs != [""] else "no_ans"].append(row)
    out = {}
    for name, scored in rows.items():
        if scored:
            out[name] = SquadScore(100.0 * sum(r[0] for r in scored) / len(scored),
                                   100.0 * sum(r[1] for r in scored) / len(scored), len(scored)).as_dict()
    return out


def squad_v1_golds(dataset: dict) -> dict[str, list[str]]:
    """Question id -> reference answer texts, from the official nested SQuAD layout."""
    return {qa["id"]: [a["text"] for a in qa["answers"]]
            for article in dataset["data"] for paragraph in article["paragraphs"] for qa in paragraph["qas"]}


# --- retrieval ----------------------------------------------------------------------------

_WORD = re.compile(r"\w+")


def match_tokens(text: str) -> list[str]:
    """Word tokens for answer matching: NFKC, lowercased, split at every non-word character,
    a/an/the dropped. Unlike SQuAD normalisation this splits "Trump’s" (curly apostrophe,
    not in string.punctuation) into "trump" and "s", so the answer "Trump" is found."""
    return [w for w in _WORD.findall(unicodedata.normalize("NFKC", text).lower()) if w not in ("a", "an", "the")]


def has_answer(passage: str, answers: Iterable[str]) -> bool:
    """Whether some answer's tokens occur as a contiguous run of the passage's (DrQA's rule)."""
    tokens = match_tokens(passage)
    for answer in answers:
        wanted = match_tokens(answer)
        if not wanted:
            continue
        width = len(wanted)
        for i in range(len(tokens) - width + 1):
            if tokens[i:i + width] == wanted:
                return True
    return False


def first_relevant_rank(relevant: Sequence[bool]) -> int | None:
    """1-based rank of the first relevant item in a ranking, or None when none is."""
    for rank, flag in enumerate(relevant, start=1):
        if flag:
            return rank
    return None


def recall_at_k(rankings: Sequence[Sequence[bool]], k: int) -> float:
    """Share of queries (in percent) with a relevant item among their top `k`."""
    if k <= 0:
        raise ValueError(f"k must be > 0, got {k}")
    if not rankings:
        raise ValueError("rankings is empty: nothing to score")
    return 100.0 * sum(any(r[:k]) for r in rankings) / len(rankings)


def mean_reciprocal_rank(rankings: Sequence[Sequence[bool]], depth: int | None = None) -> float:
    """Mean over queries of 1/rank of the first relevant item (0 when none within `depth`)."""
    if not rankings:
        raise ValueError("rankings is empty: nothing to score")
    total = 0.0
    for ranking in rankings:
        rank = first_relevant_rank(ranking[:depth] if depth else ranking)
        total += 1.0 / rank if rank else 0.0
    return total / len(rankings)


def retrieval_summary(rankings: Sequence[Sequence[bool]], ks: Sequence[int] = (1, 5, 20)) -> dict:
    """recall@k for each k (percent) and MRR, rounded for reports."""
    out = {f"recall@{k}": round(recall_at_k(rankings, k), 2) for k in ks}
    out["mrr"] = round(mean_reciprocal_rank(rankings, max(ks)), 4)
    out["queries"] = len(rankings)
    return out


# --- calibration ----------------------------------------------------------------------------

DEFAULT_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def _buckets(confidences: Sequence[float], correct: Sequence[bool],
             edges: Sequence[float]) -> list[tuple[str, list[float], list[bool]]]:
    """(label, confidences, outcomes) per bucket [lo, hi); the last bucket includes its top."""
    if len(confidences) != len(correct):
        raise ValueError(f"{len(confidences)} confidences but {len(correct)} outcomes")
    out = []
    for i, (lo, hi) in enumerate(zip(edges, edges[1:])):
        last = i == len(edges) - 2
        rows = [(c, ok) for c, ok in zip(confidences, correct) if lo <= c < hi or (last and c == hi)]
        out.append((f"{lo:.1f}-{hi:.1f}", [c for c, _ in rows], [ok for _, ok in rows]))
    return out


def calibration_table(confidences: Sequence[float], correct: Sequence[bool],
                      edges: Sequence[float] = DEFAULT_EDGES) -> list[dict]:
    """Count, mean confidence and accuracy (percent) per confidence bucket."""
    return [{"bucket": label, "count": len(oks),
             "mean_confidence": round(sum(confs) / len(confs), 3) if confs else None,
             "accuracy": round(100.0 * sum(oks) / len(oks), 1) if oks else None}
            for label, confs, oks in _buckets(confidences, correct, edges)]


def expected_calibration_error(confidences: Sequence[float], correct: Sequence[bool],
                               edges: Sequence[float] = DEFAULT_EDGES) -> float:
    """Count-weighted mean gap between confidence and accuracy over the buckets (0..1)."""
    n = len(confidences)
    if n == 0:
        raise ValueError("no confidences to calibrate")
    return sum(len(confs) / n * abs(sum(confs) / len(confs) - sum(oks) / len(oks))
               for _, confs, oks in _buckets(confidences, correct, edges) if confs)
