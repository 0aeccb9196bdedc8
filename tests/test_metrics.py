"""EM/F1 follow the official SQuAD rules; retrieval metrics on hand-made rankings."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.metrics import (
    calibration_table, exact_match, expected_calibration_error, f1_score, f1_score_v2,
    has_answer, mean_reciprocal_rank, normalize_answer, recall_at_k, retrieval_summary,
    squad_v1_golds, squad_v1_score, squad_v2_score,
)

EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "eval" / "external"
needs_external = pytest.mark.skipif(not (EXTERNAL / "squad_v1.1_dev.json").exists(),
                                    reason=f"public eval data not found in {EXTERNAL}")


def test_normalize_follows_the_official_order():
    assert normalize_answer("The  Denver Broncos!") == "denver broncos"
    assert normalize_answer("an apple, a pear") == "apple pear"
    # Articles go after punctuation, so "the-end" becomes "theend" and survives.
    assert normalize_answer("the-end") == "theend"
    assert normalize_answer("Theatre") == "theatre"
    assert normalize_answer("") == ""


def test_exact_match_and_f1_on_hand_cases():
    assert exact_match("the Denver Broncos", "Denver Broncos") == 1.0
    assert exact_match("Broncos", "Denver Broncos") == 0.0
    # pred 3 tokens, gold 2, overlap 2: P = 2/3, R = 1, F1 = 0.8
    assert f1_score("Denver Broncos team", "Denver Broncos") == pytest.approx(0.8)
    assert f1_score("Carolina", "Denver Broncos") == 0.0
    assert f1_score("", "Denver") == 0.0
    # Multiset overlap: "a a b" vs "a b b" share one "a" and one "b".
    assert f1_score("x x y", "x y y") == pytest.approx(2 / 3)


def test_v2_f1_treats_two_empty_answers_as_agreement():
    assert f1_score_v2("", "") == 1.0
    assert f1_score_v2("something", "") == 0.0
    assert f1_score_v2("", "something") == 0.0


def test_squad_v1_score_takes_the_best_reference_and_zero_for_missing():
    golds = {"q1": ["Denver Broncos", "Broncos"], "q2": ["1990"], "q3": ["Paris"]}
    predictions = {"q1": "Broncos", "q2": "in 1990 or so", "extra": "ignored"}
    score = squad_v1_score(golds, predictions)
    assert score.total == 3
    assert score.exact_match == pytest.approx(100 / 3)
    # q1 F1 1.0; q2 "in 1990 or so" vs "1990": P = 1/4, R = 1, F1 = 0.4; q3 missing 0.
    assert score.f1 == pytest.approx(100 * 1.4 / 3)


def test_squad_v2_splits_has_and_no_answer():
    golds = {"a": ["Paris"], "b": [], "c": []}
    predictions = {"a": "Paris", "b": "", "c": "London"}
    out = squad_v2_score(golds, predictions)
    assert out["has_ans"] == {"exact_match": 100.0, "f1": 100.0, "total": 1}
    assert out["no_ans"] == {"exact_match": 50.0, "f1": 50.0, "total": 2}
    assert out["all"]["exact_match"] == pytest.approx(200 / 3)


@needs_external
@pytest.mark.parametrize("name, em, f1", [
    ("logreg_baseline", 40.14, 50.98),
    ("bert_ensemble", 86.21, 92.20),
])
def test_reference_predictions_reproduce_published_scores(name, em, f1):
    golds = squad_v1_golds(json.loads((EXTERNAL / "squad_v1.1_dev.json").read_text()))
    predictions = json.loads((EXTERNAL / f"squad_v1.1_dev_predictions_{name}.json").read_text())
    score = squad_v1_score(golds, predictions)
    assert score.total == 10570
    assert round(score.exact_match, 2) == em
    assert round(score.f1, 2) == f1


def test_has_answer_matches_whole_normalised_tokens():
    assert has_answer("The game was played on February 7, 2016.", ["February 7, 2016"])
    assert has_answer("Won by the Denver Broncos.", ["broncos"])
    assert not has_answer("In 20160 there were none.", ["2016"])  # no partial tokens
    assert not has_answer("anything", ["", "the"])  # answers that normalise to nothing never match
    assert has_answer("Fans flocked to Mastodon’s servers", ["Mastodon"])  # curly apostrophe
    assert has_answer("an AI-powered robot", ["AI-powered robot"])


def test_recall_and_mrr_on_hand_rankings():
    rankings = [
        [True, False, False],   # first relevant at rank 1
        [False, False, True],   # rank 3
        [False, False, False],  # none
        [False, True, True],    # rank 2
    ]
    assert recall_at_k(rankings, 1) == 25.0
    assert recall_at_k(rankings, 2) == 50.0
    assert recall_at_k(rankings, 3) == 75.0
    assert recall_at_k(rankings, 20) == 75.0  # k beyond the ranking length
    assert mean_reciprocal_rank(rankings) == pytest.approx((1 + 1 / 3 + 0 + 1 / 2) / 4)
    assert mean_reciprocal_rank(rankings, depth=2) == pytest.approx((1 + 0 + 0 + 1 / 2) / 4)
    assert retrieval_summary(rankings, ks=(1, 3)) == {
        "recall@1": 25.0, "recall@3": 75.0, "mrr": round((1 + 1 / 3 + 1 / 2) / 4, 4), "queries": 4}


def test_metric_arguments_are_checked():
    with pytest.raises(ValueError, match="k must be > 0, got 0"):
        recall_at_k([[True]], 0)
    with pytest.raises(ValueError, match="rankings is empty"):
        mean_reciprocal_rank([])


def test_calibration_buckets_count_and_accuracy():
    confidences = [0.05, 0.1, 0.5, 0.55, 0.9, 1.0]
    correct = [False, True, True, False, True, True]
    table = calibration_table(confidences, correct, edges=(0.0, 0.5, 1.0))
    assert table == [
        {"bucket": "0.0-0.5", "count": 2, "mean_confidence": 0.075, "accuracy": 50.0},
        {"bucket": "0.5-1.0", "count": 4, "mean_confidence": 0.738, "accuracy": 75.0},
    ]
    ece = expected_calibration_error(confidences, correct, edges=(0.0, 0.5, 1.0))
    assert ece == pytest.approx(2 / 6 * abs(0.075 - 0.5) + 4 / 6 * abs(0.7375 - 0.75))
