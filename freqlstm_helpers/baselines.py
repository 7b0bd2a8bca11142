"""Honest baselines: what doing nothing scores, and what a fitted linear filter can reach.

A model's MSE means little on its own. Predict-zero (0.5) is the floor any
learner must beat. A **fitted FIR filter (N taps)** is a causal linear filter
over the last N samples of S, fitted by (ridge) least squares on the train
set: it shows how much of each target a linear read-out of S's recent past can
recover, and how much history that takes. It is a reference, not a bound: a
nonlinear model may do better, and a filter with too little regularisation
does worse than predicting zero (it fits the train set's noise).

Fitting many tap counts and ridge strengths is cheap here because the Gram
matrix of a lagged design can be built from running sums of S[m]·S[m+d]
(`lagged_gram`), and the filter for k taps uses the Gram's top-left block.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from threadpoolctl import threadpool_limits

from .data import Dataset

DEFAULT_TAPS = 1000  # one second of S at 1000 Hz
RIDGE_GRID = tuple(10.0 ** np.arange(-6, 3))  # relative ridge strengths the validation set chooses from
UNREGULARISED = 1e-6  # only guards against a singular Gram matrix


def one_blas_thread(fn):
    """Run fn with one BLAS thread. On a busy 2-core machine OpenBLAS threads spin against each
    other: measured, a 1001 x 1001 eigh took 15.6 s with the default threads and 0.6 s with one."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with threadpool_limits(limits=1, user_api="blas"):
            return fn(*args, **kwargs)
    return wrapper


def zero_predictions(ds: Dataset) -> np.ndarray:
    return np.zeros_like(ds.targets)


def causal_design(S: np.ndarray, taps: int) -> np.ndarray:
    """Row n holds S[n], S[n-1], ..., S[n-taps+1] (zeros before the start), plus a 1 for the bias."""
    S = np.asarray(S, dtype=np.float64)
    padded = np.concatenate([np.zeros(taps - 1), S])
    lagged = sliding_window_view(padded, taps)[:, ::-1]  # column j is S[n-j]
    return np.hstack([lagged, np.ones((S.shape[0], 1))])


def lagged_gram(S: np.ndarray, taps: int) -> np.ndarray:
    """causal_design(S, taps).T @ causal_design(S, taps), in O(N * taps) instead of O(N * taps^2).

    Entry (i, j), i <= j, sums S[n-i]*S[n-j] over n >= j; with d = j - i that is
    the running sum of S[m]*S[m+d] over its first N - j terms.
    """
    S = np.asarray(S, dtype=np.float64)
    N = S.shape[0]
    G = np.empty((taps + 1, taps + 1))
    for d in range(taps):
        running = np.concatenate([[0.0], np.cumsum(S[:N - d] * S[d:])])
        j = np.arange(d, taps)
        G[j - d, j] = G[j, j - d] = running[N - j]
    G[:taps, taps] = G[taps, :taps] = np.concatenate([[0.0], np.cumsum(S)])[N - np.arange(taps)]
    G[taps, taps] = N
    return G


@dataclass(frozen=True)
class DesignStats:
    """What a least-squares fit or score needs from one dataset, for up to `max_taps` taps."""

    max_taps: int
    gram: np.ndarray   # (max_taps + 1, max_taps + 1), bias last
    cross: np.ndarray  # (max_taps + 1, K): design.T @ targets.T
    yy: np.ndarray     # (K,): sum of squared targets
    n: int

    def block(self, taps: int):
        """The Gram matrix and cross products of the filter with `taps` taps (lags 0..taps-1 and the bias)."""
        if not (isinstance(taps, (int, np.integer)) and 1 <= taps <= self.max_taps):
            raise ValueError(f"taps={taps!r} is not allowed: use an integer in [1, {self.max_taps}]")
        idx = np.r_[np.arange(taps), self.max_taps]
        return self.gram[np.ix_(idx, idx)], self.cross[idx]


@one_blas_thread
def design_stats(ds: Dataset, max_taps: int) -> DesignStats:
    if not (isinstance(max_taps, (int, np.integer)) and 1 <= max_taps <= ds.n_samples):
        raise ValueError(f"taps={max_taps!r} is not allowed: use an integer in [1, {ds.n_samples}]")
    cross = causal_design(ds.S, max_taps).T @ ds.targets.T
    return DesignStats(int(max_taps), lagged_gram(ds.S, max_taps), cross, (ds.targets ** 2).sum(axis=1), ds.n_samples)


@one_blas_thread
def ridge_weights(stats: DesignStats, taps: int, ridges) -> np.ndarray:
    """(len(ridges), taps + 1, K) filters; a ridge r adds r * trace(G)/dim to G's diagonal."""
    G, B = stats.block(taps)
    lam, Q = np.linalg.eigh(G)
    scale = np.trace(G) / G.shape[0]
    QB = Q.T @ B
    return np.stack([Q @ (QB / (lam + r * scale)[:, None]) for r in np.atleast_1d(ridges)])


@one_blas_thread
def mse_from_stats(stats: DesignStats, W: np.ndarray) -> np.ndarray:
    """Per-frequency MSE of filters W (..., taps + 1, K) on the dataset `stats` came from."""
    taps = W.shape[-2] - 1
    G, B = stats.block(taps)
    quad = np.einsum("...ik,ij,...jk->...k", W, G, W)
    return (quad - 2 * np.einsum("...ik,ik->...k", W, B) + stats.yy) / stats.n


@dataclass(frozen=True)
class FIRFilter:
    """A fitted FIR filter (N taps): one causal filter per frequency, with its ridge strengths."""

    taps: int
    weights: np.ndarray  # (taps + 1, K): filter taps and bias per frequency
    ridge: tuple = (UNREGULARISED,)  # per frequency (or one for all)

    @one_blas_thread
    def predict(self, ds: Dataset) -> np.ndarray:
        """(K, N) predictions for every frequency from S alone."""
        return (causal_design(ds.S, self.taps) @ self.weights).T


def fit_fir(train: Dataset, taps: int = DEFAULT_TAPS, ridge: float = UNREGULARISED) -> FIRFilter:
    """Ridge least squares on the train set. The default ridge is tiny: in effect plain least squares."""
    W = ridge_weights(design_stats(train, taps), taps, [ridge])[0]
    return FIRFilter(int(taps), W, (float(ridge),))


def fit_fir_validated(train: Dataset, val: Dataset, taps: int, ridges=RIDGE_GRID,
                      stats: tuple | None = None) -> tuple[FIRFilter, np.ndarray]:
    """The filter whose ridge strength, per frequency, scores best on the validation set.

    Returns the filter and its validation MSE per frequency. `stats` may pass
    precomputed (train, val) DesignStats with max_taps >= taps.
    """
    st, sv = stats or (design_stats(train, taps), design_stats(val, taps))
    W = ridge_weights(st, taps, ridges)  # (R, taps + 1, K)
    val_mse = mse_from_stats(sv, W)      # (R, K)
    best = val_mse.argmin(axis=0)
    K = W.shape[-1]
    chosen = np.stack([W[best[k], :, k] for k in range(K)], axis=1)
    ridge = tuple(float(np.atleast_1d(ridges)[b]) for b in best)
    return FIRFilter(int(taps), chosen, ridge), val_mse[best, np.arange(K)]
