"""Notebook 05: the student's functions (exercises 05.1-05.3) carry its tables and its fitted filter.

Each exercise's function is wrapped once in a `Source`: from then on the notebook
calls the Source, which runs the student's function; if the stub still raises
NotImplementedError on the first call, it says so in one line (teaching.fallback)
and uses the course's route for the rest of the notebook. `Source.mine` records
whose code made the results, and `Source.calls` how often it ran, so a test can
tell (tests/test_nb05_notebook.py).

The fitted FIR filter is fitted from the student's lagged matrix itself: its Gram
matrix X.T @ X and cross products X.T @ y are computed from the matrix the
student's `lagged_matrix` returns (one BLAS thread; measured under load, 0.33 s for
10,000 x 1,000, against 0.18 s for the course's running-sum route,
baselines.lagged_gram), and its test predictions are X_test @ w.

The course routes below compute what exercises 05.1a, 05.2 and 05.3 ask for, so the
grader's registry denies them to those exercises (grading/specs/nb05.py).
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Callable

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from .. import baselines, evaluate, metrics
from ..data import Dataset
from .fallback import mine_or_course


class Source:
    """One exercise's function for the rest of the notebook: the student's, or (stub) the course's."""

    def __init__(self, exercise: str, mine: Callable, course: Callable, what: str):
        self.exercise, self._mine, self._course, self.what = exercise, mine, course, what
        self.mine: bool | None = None  # decided at the first call
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.mine is None:
            got = mine_or_course(self.exercise, lambda: self._mine(*args, **kwargs),
                                 lambda: self._course(*args, **kwargs), self.what)
            self.mine = got.mine
            return got.value
        return (self._mine if self.mine else self._course)(*args, **kwargs)

    def __repr__(self) -> str:
        who = {None: "not called yet", True: "your function", False: "the course's route (stub)"}[self.mine]
        return f"Source({self.exercise}: {who}, {self.calls} calls)"


def sources_line(sources) -> str:
    """'05.1 your code · 05.2 the course's code ...': who made this notebook's results."""
    return " · ".join(f"{s.exercise} {'your code' if s.mine else 'the course' + chr(39) + 's code'}" for s in sources)


# --- course routes (the fallback for a stub) -------------------------------------------------
def course_per_frequency_mse(pred, target, freqs) -> dict:
    """05.1 by metrics.per_frequency_mse."""
    ds = SimpleNamespace(targets=np.asarray(target, dtype=np.float64), config=SimpleNamespace(frequencies=tuple(freqs)))
    return metrics.per_frequency_mse(pred, ds)["per_frequency"]


def course_lagged_matrix(S, taps: int) -> np.ndarray:
    """05.2 by baselines.causal_design (without its bias column)."""
    return baselines.causal_design(S, taps)[:, :-1]


def course_shifted_test(model, cfg, t0: float, warmup: float) -> dict:
    """05.3 by the course's test set on a moved clock and its warm-up mask."""
    ds = metrics.shifted_test_set(cfg.data, t0)
    m = metrics.per_frequency_mse(evaluate.predict(model, cfg, ds), ds, metrics.warmup_mask(ds, warmup))
    return {"mse": m["mse"], "per_frequency": m["per_frequency"]}


def course_verdict(usual: float, shifted: float) -> str:
    """05.3 with the course's thresholds (0.4 near the baseline, 0.05 good, 0.3 failed)."""
    if usual > 0.4:
        return "learned nothing"
    if usual < 0.05:
        return "extracts" if shifted < 0.05 else "counts time" if shifted > 0.3 else "unclear"
    return "unclear"


# --- the FIR filter from a lagged matrix --------------------------------------------------------
def _design(lagged: Callable, S, taps: int) -> np.ndarray:
    X = np.asarray(lagged(S, taps), dtype=np.float64)
    if X.shape != (len(S), taps) or not np.all(np.isfinite(X)):
        raise ValueError(f"lagged_matrix(S, {taps}) returned shape {X.shape}; the filter needs ({len(S)}, {taps}), "
                         "finite numbers")
    return X


def design_stats(lagged: Callable, ds: Dataset, taps: int) -> baselines.DesignStats:
    """baselines.DesignStats whose Gram matrix and cross products come from `lagged(ds.S, taps)` (bias last)."""
    X = _design(lagged, ds.S, taps)
    Y = ds.targets.T                                    # (N, K)
    G = np.empty((taps + 1, taps + 1))
    with threadpool_limits(limits=1, user_api="blas"):  # see baselines.one_blas_thread
        G[:taps, :taps] = X.T @ X
        cross = np.vstack([X.T @ Y, Y.sum(axis=0)])
    G[:taps, taps] = G[taps, :taps] = X.sum(axis=0)
    G[taps, taps] = ds.n_samples
    return baselines.DesignStats(int(taps), G, cross, (ds.targets ** 2).sum(axis=1), ds.n_samples)


def fir_predict(lagged: Callable, fir: baselines.FIRFilter, ds: Dataset) -> np.ndarray:
    """(K, N) predictions of a fitted filter, from the lagged matrix of the test set's S."""
    X = _design(lagged, ds.S, fir.taps)
    with threadpool_limits(limits=1, user_api="blas"):
        return (X @ fir.weights[:-1] + fir.weights[-1]).T


def fit_fir(lagged: Callable, train: Dataset, val: Dataset, taps: int):
    """The validated filter (ridge per frequency on validation) and its stats, all from `lagged`."""
    stats = (design_stats(lagged, train, taps), design_stats(lagged, val, taps))
    fir, val_mse = baselines.fit_fir_validated(train, val, taps, stats=stats)
    return fir, val_mse, stats


# --- tables ----------------------------------------------------------------------------------------
def mse_table(rows: dict, freqs, index_name: str = "test MSE", digits: int = 4) -> pd.DataFrame:
    """{row: {'1': mse, ...}} as a table with one column per frequency and their mean ('all': equal samples)."""
    out = {name: {**{f"{k} Hz": f"{per[k]:.{digits}f}" for k in freqs},
                  "all": f"{np.mean([per[k] for k in freqs]):.{digits}f}"} for name, per in rows.items()}
    df = pd.DataFrame.from_dict(out, orient="index")
    df.index.name = index_name
    return df
