"""Notebook 05: per-frequency evaluation. Loops for the metrics; the shifted test against evaluate.shifted_metrics."""
from __future__ import annotations

import numpy as np

from ..verdicts import close, exact
from . import probes
from .base import Exercise, Notebook

_SCORES = ("evaluate.scores", "evaluate.frozen_metrics", "metrics.per_frequency_mse", "trainer.frozen_mse",
           "trainer.frozen_metrics", "stream_trainer.stream_mse", "stream_trainer.frozen_metrics")


# --- 05.1a per_frequency_mse ----------------------------------------------------------------
def _mse_cases(rng):
    out = []
    for _ in range(3):
        K, N = int(rng.integers(1, 6)), int(rng.integers(1, 200))
        freqs = tuple(float(f) for f in rng.choice([0.5, 1.0, 2.5, 3.0, 5.0, 7.0, 11.0, 12.25], K, replace=False))
        target = rng.normal(size=(K, N))
        out.append({"args": [target + rng.normal(0, 0.3, (K, N)), target, freqs]})
    return out


def _mse_reference(case):
    pred, target, freqs = case["args"]
    N = pred.shape[1]
    return {f"{f:g}": sum((pred[k, n] - target[k, n]) ** 2 for n in range(N)) / N for k, f in enumerate(freqs)}


# --- 05.1b lagged_matrix ----------------------------------------------------------------------
def _lag_cases(rng):
    return [{"args": [rng.normal(size=int(n)), int(t)]} for n, t in zip(rng.integers(1, 50, 4), rng.integers(1, 20, 4))]


def _lag_reference(case):
    S, taps = case["args"]
    return np.array([[S[n - j] if n - j >= 0 else 0.0 for j in range(taps)] for n in range(len(S))]).reshape(len(S), taps)


# --- 05.2 shifted_test -----------------------------------------------------------------------
def _shift_cases(rng):
    return [{"overrides": {"seed": int(rng.integers(0, 10_000))}, "t0": float(np.round(rng.uniform(0.5, 9.0), 3)),
             "warmup": float(np.round(rng.uniform(0.05, 1.5), 3))}]


def _shift_reference(case):
    from freqlstm_helpers import evaluate
    from freqlstm_helpers.trainer import new_model
    cfg = probes._corrected(case)
    ref = evaluate.shifted_metrics(new_model(cfg), cfg, case["t0"], case["warmup"])
    return {"mse": ref["test_mse"], "per_frequency": ref["test_mse_per_frequency"]}


# --- 05.3 classify_model -----------------------------------------------------------------------
def _classify_cases(rng):
    # The thresholds are the student's choice (read off the notebook's tables), so every case sits far from any
    # sensible one (a good model may be judged by the course's target, 0.01): good <= 0.008, near the baseline
    # >= 0.45, middling 0.1-0.3 (usual) or 0.12-0.2 (shifted).
    ranges = [((0.0, 0.008), (0.0, 0.008)), ((0.0, 0.008), (0.45, 1.2)), ((0.45, 1.0), (0.0, 1.0)),
              ((0.1, 0.3), (0.0, 1.0)), ((0.0, 0.008), (0.12, 0.2))]
    return [{"args": [float(np.round(rng.uniform(*u), 4)), float(np.round(rng.uniform(*s), 4))]}
            for u, s in (ranges[int(i)] for i in rng.permutation(len(ranges)))]


def _classify_reference(case):
    """The course's thresholds (0.4, 0.05, 0.3); on these cases every sensible choice agrees with them."""
    usual, shifted = case["args"]
    if usual > 0.4:
        return "learned nothing"
    if usual < 0.05 and shifted < 0.05:
        return "extracts"
    if usual < 0.05 and shifted > 0.3:
        return "counts time"
    return "unclear"


NOTEBOOK = Notebook("05_per_frequency_evaluation", (
    Exercise("05.1a", "per_frequency_mse", 1, _mse_cases, probes.call, _mse_reference, close(atol=1e-9, rtol=1e-9),
             denied=_SCORES + ("nb05.course_per_frequency_mse",),
             describe=lambda c: f"{len(c['args'][2])} frequencies {list(c['args'][2])}, {c['args'][0].shape[1]} samples"),
    Exercise("05.1b", "lagged_matrix", 1, _lag_cases, probes.call, _lag_reference, close(atol=0),
             denied=("baselines.causal_design", "baselines.lagged_gram", "baselines.design_stats", "baselines.fit_fir",
                     "baselines.fit_fir_validated", "baselines.FIRFilter", "nb05.course_lagged_matrix",
                     "nb05.design_stats", "nb05.fit_fir"),
             describe=lambda c: f"{len(c['args'][0])} samples, {c['args'][1]} taps"),
    Exercise("05.2", "shifted_test", 3, _shift_cases, probes.shifted, _shift_reference, close(atol=1e-9, rtol=1e-7),
             denied=("evaluate.shifted_metrics", "nb05.course_shifted_test") + _SCORES, cpu_seconds=40,
             describe=lambda c: f"t0 {c['t0']:g} s, warm-up {c['warmup']:g} s, seed {c['overrides']['seed']}"),
    Exercise("05.3", "classify_model", 1, _classify_cases, probes.call, _classify_reference, exact(),
             describe=lambda c: f"usual {c['args'][0]:g}, shifted {c['args'][1]:g}",
             denied=("nb05.course_verdict",)),
), preimport=("numpy", "torch", "matplotlib.pyplot"))
