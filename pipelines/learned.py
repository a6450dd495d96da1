"""Per-label logistic regression in numpy: the learned part of the semantic layer.

Why a linear model and not only the vote of the nearest exemplars: the vote listens to
five items, so a paraphrase near two hard negatives loses its topic; a regression weighs
every exemplar's evidence, and also takes the vote itself and the rules' partial scores
as inputs (a topic term too weak for the rules still counts for something). Chosen over
the vote alone by k-fold cross-validation on the development part (bench/tagging_cv.py).

Small on purpose: a few hundred features, a thousand exemplars, Newton's method with an
L2 penalty; fitting all labels takes well under a second, so a worker fits at start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PENALTY = 100.0  # L2 on the standardized weights; chosen by cross-validation (10 to 3,000)
ITERATIONS = 30
# Each positive row weighs (negatives / positives) ** CLASS_WEIGHT: 0 is plain logistic
# regression; 1 balances a label's rare positives against its many negatives.
CLASS_WEIGHT = 0.0


@dataclass
class Scaler:
    """Each feature centred and scaled as in the training rows, so one penalty fits all."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray) -> Scaler:
        return cls(x.mean(axis=0), x.std(axis=0) + 1e-6)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return (x - self.mean) / self.scale


def fit(x: np.ndarray, y: np.ndarray, penalty: float | None = None) -> np.ndarray:
    """Weights (the last one the intercept, never penalized) of a logistic regression of
    y (0/1) on the rows of x, which the caller has standardized; `PENALTY` by default,
    read at the call, so that bench/tagging_cv.py can try others."""
    penalty = PENALTY if penalty is None else penalty
    positives = max(1.0, float(y.sum()))
    negatives = max(1.0, float(len(y) - y.sum()))
    weight = np.where(y > 0, (negatives / positives) ** CLASS_WEIGHT, 1.0)
    rows = np.hstack([x, np.ones((len(x), 1))])
    ridge = np.eye(rows.shape[1]) * penalty
    ridge[-1, -1] = 0.0
    beta = np.zeros(rows.shape[1])
    for _ in range(ITERATIONS):
        p = _sigmoid(rows @ beta)
        gradient = rows.T @ (weight * (p - y)) + ridge @ beta
        hessian = (rows * (weight * p * (1 - p))[:, None]).T @ rows + ridge
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-6:
            break
    return beta


def predict(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Probabilities, rows of x by labels; `weights` has one column per label."""
    return _sigmoid(x @ weights[:-1] + weights[-1])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
