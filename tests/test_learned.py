"""The semantic layer's regression (pipelines/learned.py) and how its thresholds are
chosen (bench/tagging_cv.py): small synthetic data, no model to load."""

from __future__ import annotations

import numpy as np

from bench.tagging_cv import choose, tags_for
from pipelines import learned


def test_regression_separates_what_a_direction_separates() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 5))
    y = (x[:, 2] - 0.5 * x[:, 4] > 0).astype(float)
    scaler = learned.Scaler.fit(x)
    weights = learned.fit(scaler(x), y, penalty=1.0)
    p = learned.predict(scaler(x), weights[:, None])[:, 0]
    assert ((p >= 0.5) == (y > 0)).mean() > 0.95
    # The weights point along the direction that decides, not along the noise.
    assert weights[2] > 0 > weights[4] and abs(weights[2]) > 3 * abs(weights[0])


def test_a_stronger_penalty_shrinks_the_weights() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 3))
    y = (x[:, 0] > 0).astype(float)
    weak, strong = learned.fit(x, y, penalty=0.1), learned.fit(x, y, penalty=100.0)
    assert np.abs(strong[:-1]).sum() < np.abs(weak[:-1]).sum()


def _case(n: int = 200, seed: int = 2):
    """One topic and AI: a probability that ranks expected items above forbidden ones,
    with overlap, so a low threshold buys recall with forbidden tags."""
    rng = np.random.default_rng(seed)
    expected = np.zeros((n, 2), dtype=bool)
    expected[: n // 2, 0] = True
    expected[:, 1] = True  # every item is about AI
    forbidden = ~expected[:, :1]
    p = np.zeros((n, 2))
    p[:, 0] = np.where(expected[:, 0], rng.uniform(0.3, 1.0, n), rng.uniform(0.0, 0.6, n))
    p[:, 1] = 0.9
    rules = np.zeros((n, 2), dtype=bool)
    gate = np.ones(n, dtype=bool)
    return p, rules, gate, expected, forbidden


def test_thresholds_keep_forbidden_tags_under_the_target() -> None:
    p, rules, gate, expected, forbidden = _case()
    idx = np.arange(len(p))
    for target in (0.0, 0.02, 0.2):
        thresholds = choose(p, idx, rules, gate, expected, forbidden, target)
        tags = tags_for(p, thresholds, rules, gate)
        assert (tags[:, 0] & forbidden[:, 0]).sum() <= target * forbidden.sum()
    loose = tags_for(p, choose(p, idx, rules, gate, expected, forbidden, 0.2), rules, gate)
    strict = tags_for(p, choose(p, idx, rules, gate, expected, forbidden, 0.0), rules, gate)
    assert (loose[:, 0] & expected[:, 0]).sum() > (strict[:, 0] & expected[:, 0]).sum()


def test_a_text_with_no_ai_term_needs_the_higher_bar_for_ai() -> None:
    """As tag_text: where the rules found no AI term, the layer's AI needs
    NO_TERM_AI_THRESHOLD, not only the AI threshold."""
    p, rules, gate, _, _ = _case()
    rules[:] = False
    p[:, 1] = 0.6
    thresholds = np.array([0.5, 0.5])
    assert tags_for(p, thresholds, rules, gate, 0.0)[:, 1][gate].all()
    assert not tags_for(p, thresholds, rules, gate, np.full(len(p), 0.7))[:, 1].any()


def test_no_topic_without_ai_and_no_semantic_ai_without_an_ai_term() -> None:
    p, rules, _, expected, _ = _case()
    gate = np.zeros(len(p), dtype=bool)  # no text names an AI term
    tags = tags_for(p, np.array([0.1, 0.1]), rules, gate)
    assert not tags.any()
    rules[:, 1] = True  # the rules say AI: the topic's probability may now tag
    assert tags_for(p, np.array([0.1, 0.1]), rules, gate)[:, 0].any()
