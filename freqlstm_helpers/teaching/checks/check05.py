"""Notebook 05 (per-frequency evaluation): the self-checks of exercises 05.1-05.3.

A notebook imports it as `check`: `from freqlstm_helpers.teaching.checks import check05 as check`.
"""
from __future__ import annotations

import numpy as np

from .core import *  # noqa: F401,F403  (verdicts, cmp, staged hints: the shared core)


CONCEPTS = {  # the idea behind each exercise: what a first failure says
    "05.1": ('One number per frequency: each row of the arrays belongs to one frequency. A causal filter at '
             'sample n may only see S at n, n-1, n-2, ...; nothing before the start exists.'),
    "05.2": 'Only the clock changes: same frequencies, noise and model, a test set that starts at t0.',
    "05.3": ('Two numbers answer two questions: does the model beat the baseline at all, and does that survive '
             'when the clock moves?'),
}
register_concepts(CONCEPTS)


@exercise
def per_frequency_mse(fn) -> CheckResult:
    """05.1a: MSE per frequency from (K, N) predictions and targets, keyed '1', '3', ..."""
    def comparisons(fn):
        rng = np.random.default_rng(51)
        freqs = (1.0, 3.0, 5.0, 7.0)
        target = rng.normal(size=(4, 300))
        pred = target + rng.normal(size=(4, 300)) * np.array([0.1, 0.2, 0.3, 0.4])[:, None]
        got = fn(pred, target, freqs)
        if not isinstance(got, dict) or sorted(got) != ["1", "3", "5", "7"]:
            raise TypeError("return a dict keyed by the frequency in Hz as a string: '1', '3', '5', '7'")
        ref = {}
        for k, f in enumerate(freqs):
            ref[f"{f:g}"] = sum((pred[k, n] - target[k, n]) ** 2 for n in range(300)) / 300
        return [cmp(key, got[key], ref[key]) for key in ref]
    return run_check("05.1a per_frequency_mse", fn, comparisons,
                     "Hint: row k of pred and target belongs to freqs[k]; average (pred - target)**2 along axis 1.")


@exercise
def lagged_matrix(fn) -> CheckResult:
    """05.1b: the causal design matrix of a FIR filter: row n = S[n], S[n-1], ..., zeros before the start."""
    def comparisons(fn):
        rng = np.random.default_rng(52)
        out = []
        for n, taps in ((12, 4), (30, 30), (5, 1)):
            S = rng.normal(size=n)
            ref = np.zeros((n, taps))
            for i in range(n):
                for j in range(taps):
                    if i - j >= 0:
                        ref[i, j] = S[i - j]
            out.append(cmp(f"n={n}, taps={taps}", fn(S, taps), ref))
        return out
    return run_check("05.1b lagged_matrix", fn, comparisons,
                     "Hint: column j holds S shifted down by j samples, with zeros where n - j < 0 "
                     "(the filter may not look into the future or before the start).")




@exercise
def shifted_test(fn) -> CheckResult:
    """05.2: the shifted-time test, against evaluate.shifted_metrics (what `eval --time-offset` writes)."""
    def comparisons(fn):
        from ... import evaluate
        from ...config import load_config
        from ...paths import configs_dir
        from ...trainer import new_model
        cfg = load_config(configs_dir() / "corrected.yaml")
        model = new_model(cfg.replace(seed=7))
        out = []
        for t0, warmup in ((3.7, 1.0), (1.25, 0.5)):
            ref = evaluate.shifted_metrics(model, cfg, t0, warmup)
            got = fn(model, cfg, t0, warmup)
            out.append(cmp(f"t0={t0} mse", got["mse"], ref["test_mse"], atol=1e-9, rtol=1e-7))
            out.append(cmp(f"t0={t0} per frequency", [got["per_frequency"][k] for k in ("1", "3", "5", "7")],
                           [ref["test_mse_per_frequency"][k] for k in ("1", "3", "5", "7")], atol=1e-9, rtol=1e-7))
        return out
    return run_check("05.2 shifted_test", fn, comparisons,
                     "Hint: build the test split with its clock starting at t0, predict every stream from a "
                     "zero state, and leave out the samples less than `warmup` seconds after t0.")


# The thresholds are the student's choice, so every case sits far from any sensible one: good is <= 0.008,
# near the baseline >= 0.45, middling 0.1-0.3 (usual) or 0.12-0.2 (shifted, after a good usual score).
_CLASSIFY_CASES = [((0.0012, 0.0011), "extracts"), ((0.0000, 0.92), "counts time"), ((0.50, 0.50), "learned nothing"),
                   ((0.003, 0.006), "extracts"), ((0.008, 0.7), "counts time"), ((0.2, 0.1), "unclear"),
                   ((0.005, 0.15), "unclear"), ((0.48, 0.02), "learned nothing"), ((0.25, 0.6), "unclear")]


@exercise
def classify_model(fn) -> CheckResult:
    """05.3: a verdict from two numbers: extracts, counts time, learned nothing, or unclear."""
    def comparisons(fn):
        return [_case(f"{u}, {s}", fn(u, s) == want, f"usual {u}, shifted {s}: you said {fn(u, s)!r}, expected {want!r}")
                for (u, s), want in _CLASSIFY_CASES]
    hint = ("Hint: first ask whether the usual test beats the baseline at all (well below 0.5); then whether "
            "the shifted test stays as good; a score between good and failed is neither. Take your thresholds "
            "from the tables above: predict-zero 0.5, the course's target 0.01.")
    return _with_detail(run_check("05.3 classify_model", fn, comparisons, hint), fn, comparisons, hint)


def scores_and_design(per_frequency_mse_fn, lagged_matrix_fn) -> None:
    """05.1, both parts: the per-frequency MSE, and the FIR filter's causal design matrix."""
    together((per_frequency_mse, per_frequency_mse_fn), (lagged_matrix, lagged_matrix_fn))
