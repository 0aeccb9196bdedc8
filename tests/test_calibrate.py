"""The confidence model's fit and threshold choice, on small hand-made data."""
from __future__ import annotations

import numpy as np

from rag.calibrate import choose_threshold, fit_logistic


def test_threshold_falls_halfway_between_two_questions():
    probabilities = np.array([0.9, 0.8, 0.6, 0.3, 0.2, 0.1])
    answerable = np.array([True, True, True, False, False, False])
    # every unanswerable one is declined and no answerable one: halfway between 0.3 and 0.6
    assert choose_threshold(probabilities, answerable, 0.0) == 0.45


def test_threshold_respects_the_false_abstention_budget():
    probabilities = np.array([0.9, 0.4, 0.35, 0.5, 0.2])
    answerable = np.array([True, True, True, False, False])
    # declining the unanswerable 0.5 costs two of the three answerable ones
    assert choose_threshold(probabilities, answerable, 0.34) == 0.275
    assert choose_threshold(probabilities, answerable, 0.67) == 0.7  # halfway between 0.5 and 0.9
    assert choose_threshold(probabilities, answerable, 0.0) == 0.275


def test_non_negative_weights_stay_non_negative():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] - x[:, 1] > 0).astype(float)  # the second feature lowers the odds
    _, free = fit_logistic(x, y, steps=3000)
    _, held = fit_logistic(x, y, steps=3000, non_negative=np.array([False, True]))
    assert free[0] > 0 > free[1]
    assert held[1] == 0.0 and held[0] > 0


def test_sample_weights_shift_the_fit_toward_the_heavier_examples():
    x = np.array([[1.0], [1.0], [1.0], [1.0]])
    y = np.array([1.0, 1.0, 0.0, 0.0])
    even_bias, even = fit_logistic(x, y, steps=4000)
    bias, heavy = fit_logistic(x, y, steps=4000, sample_weight=np.array([3.0, 3.0, 1.0, 1.0]))
    even_p = 1 / (1 + np.exp(-(even[0] + even_bias)))
    heavy_p = 1 / (1 + np.exp(-(heavy[0] + bias)))
    assert abs(even_p - 0.5) < 0.02
    assert abs(heavy_p - 0.75) < 0.02


def test_a_floor_keeps_a_weight_up_where_the_data_would_push_it_down():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] - x[:, 1] > 0).astype(float)
    _, held = fit_logistic(x, y, steps=3000, non_negative=np.array([False, True]), floor=np.array([0.0, 0.4]))
    assert held[1] == 0.4


def test_the_shipped_calibration_lets_agreement_raise_confidence():
    from rag.answer import Calibration

    calibration = Calibration.load()
    one = {"cosine": 0.6, "lexical": 0.8, "typed_found": 1.0, "agreement": 0.0}
    three = dict(one, agreement=float(np.log(3)))
    assert calibration.weights["agreement"] >= 0.4
    assert calibration.probability(three) > calibration.probability(one)
