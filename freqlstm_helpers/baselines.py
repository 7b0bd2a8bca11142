"""Honest baselines: what doing nothing scores, and what the best linear filter can reach.

A model's MSE means little on its own. Predict-zero (0.5) is the floor any
learner must beat; the causal FIR least-squares oracle shows how much of each
target a linear filter over the last `taps` samples of S can recover. If the
oracle cannot beat 0.5, nothing that sees only S's past can.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .data import Dataset

DEFAULT_TAPS = 1000  # about 1 s of memory: what separating 1 Hz from 3 Hz needs at 1000 Hz


def zero_predictions(ds: Dataset) -> np.ndarray:
    return np.zeros_like(ds.targets)


def causal_design(S: np.ndarray, taps: int) -> np.ndarray:
    """Row n holds S[n], S[n-1], ..., S[n-taps+1] (zeros before the start), plus a 1 for the bias."""
    S = np.asarray(S, dtype=np.float64)
    padded = np.concatenate([np.zeros(taps - 1), S])
    lagged = sliding_window_view(padded, taps)[:, ::-1]  # column j is S[n-j]
    return np.hstack([lagged, np.ones((S.shape[0], 1))])


@dataclass(frozen=True)
class FIROracle:
    """One causal FIR filter per frequency, fitted by least squares on the train set."""

    taps: int
    weights: np.ndarray  # (taps + 1, K): filter taps and bias per frequency

    def predict(self, ds: Dataset) -> np.ndarray:
        """(K, N) predictions for every frequency from S alone."""
        return (causal_design(ds.S, self.taps) @ self.weights).T


def fit_fir_oracle(train: Dataset, taps: int = DEFAULT_TAPS, ridge: float = 1e-6) -> FIROracle:
    """Least squares on the normal equations; the tiny ridge only guards against a singular Gram matrix."""
    if not (isinstance(taps, (int, np.integer)) and 1 <= taps <= train.n_samples):
        raise ValueError(f"taps={taps!r} is not allowed: use an integer in [1, {train.n_samples}]")
    A = causal_design(train.S, taps)
    gram = A.T @ A
    gram[np.diag_indices_from(gram)] += ridge * np.trace(gram) / gram.shape[0]
    weights = np.linalg.solve(gram, A.T @ train.targets.T)
    return FIROracle(int(taps), weights)
