"""Scoring of end-to-end answers (the JSON contract) against evaluation questions.

Pure functions over plain dicts, so the numbers in EVAL.md can be checked by hand-made cases.
"""
from __future__ import annotations

from typing import Sequence

from .evalsets import Question
from .metrics import (
    best_score, calibration_table, exact_match, expected_calibration_error, f1_score, has_answer,
)

# An answered question counts as correct for calibration when its F1 reaches this.
CORRECT_F1 = 0.5


def _fold(name: str) -> str:
    return "".join(name.split()).casefold()


def citation_correct(answer: dict, question: Question) -> bool:
    """The first citation's quote holds a reference answer and names an acceptable outlet.

    The outlet may be the citation's own or the outlet that carried the copy (`via`); with no
    acceptable outlets listed, any outlet is right.
    """
    citations = answer.get("citations") or []
    if not citations or not question.answers:
        return False
    first = citations[0]
    if not has_answer(first.get("quote", ""), question.answers):
        return False
    if not question.outlets:
        return True
    named = {_fold(first.get("outlet") or ""), _fold(first.get("via") or "")}
    return bool(named & {_fold(o) for o in question.outlets})


def answer_scores(answer: dict, question: Question) -> tuple[float, float]:
    """(EM, F1) of one answer; an abstention (answer None) scores 0 on an answerable question."""
    if not question.answers:
        raise ValueError(f"question {question.id!r} has no reference answer to score against")
    prediction = answer.get("answer") or ""
    return best_score(exact_match, prediction, question.answers), best_score(f1_score, prediction, question.answers)


def score_answers(questions: Sequence[Question], answers: Sequence[dict]) -> dict:
    """EM/F1, citation accuracy, abstention and calibration for answers in the JSON contract."""
    if len(questions) != len(answers):
        raise ValueError(f"{len(questions)} questions but {len(answers)} answers")
    answerable = [(q, a) for q, a in zip(questions, answers) if q.answers]
    unanswerable = [(q, a) for q, a in zip(questions, answers) if not q.answers]
    out: dict = {"questions": len(questions), "answerable": len(answerable), "unanswerable": len(unanswerable)}
    if answerable:
        scores = [answer_scores(a, q) for q, a in answerable]
        answered = [(q, a) for q, a in answerable if a.get("answer") is not None]
        out["exact_match"] = round(100.0 * sum(s[0] for s in scores) / len(scores), 2)
        out["f1"] = round(100.0 * sum(s[1] for s in scores) / len(scores), 2)
        out["citation_accuracy"] = round(100.0 * sum(citation_correct(a, q) for q, a in answerable) / len(answerable), 2)
        out["false_abstention"] = round(100.0 * (len(answerable) - len(answered)) / len(answerable), 2)
        # How often the supporting sentence holds the answer, even when the short span misses it.
        out["sentence_has_answer"] = round(100.0 * sum(
            has_answer(a.get("sentence") or "", q.answers) for q, a in answerable) / len(answerable), 2)
    if unanswerable:
        declined = sum(a.get("answer") is None for _, a in unanswerable)
        out["abstention_accuracy"] = round(100.0 * declined / len(unanswerable), 2)
    confidences, correct = [], []
    for q, a in zip(questions, answers):
        if a.get("answer") is None:
            continue
        confidences.append(float(a.get("confidence", 0.0)))
        correct.append(bool(q.answers) and answer_scores(a, q)[1] >= CORRECT_F1)
    out["calibration"] = calibration_table(confidences, correct)
    out["ece"] = round(expected_calibration_error(confidences, correct), 4) if confidences else None
    return out


def by_kind(questions: Sequence[Question], answers: Sequence[dict]) -> dict[str, dict]:
    """`score_answers` per question kind (seed set: factoid, paraphrase, number, ...)."""
    kinds: dict[str, list[int]] = {}
    for i, q in enumerate(questions):
        kinds.setdefault(q.kind or "-", []).append(i)
    out = {}
    for kind, rows in sorted(kinds.items()):
        s = score_answers([questions[i] for i in rows], [answers[i] for i in rows])
        out[kind] = {k: v for k, v in s.items() if k not in ("calibration", "ece")}
    return out
