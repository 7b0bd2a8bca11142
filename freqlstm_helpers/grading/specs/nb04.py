"""Notebook 04: the corrected run. Stopping and windows by hand; the window step against the stream trainer."""
from __future__ import annotations

import numpy as np

from ..verdicts import close, exact, fields
from . import probes
from .base import Exercise, Notebook


# --- 04.1 early_stop_epoch -----------------------------------------------------------------
def _stop_cases(rng):
    """Histories on a 1/1000 grid (no ties within float rounding of best - min_delta)."""
    out = []
    for _ in range(8):
        n = int(rng.integers(2, 14))
        walk = np.cumsum(rng.choice([-40, -12, -3, 0, 2, 9, 25], n))
        hist = [round(0.8 + v / 1000.0, 3) for v in walk]
        out.append({"args": [hist, int(rng.integers(1, 5)), float(rng.choice([0.0, 0.0025, 0.0105, 0.0305]))]})
    return out


def _stop_reference(case):
    history, patience, min_delta = case["args"]
    best, waited = float("inf"), 0
    for epoch, value in enumerate(history, start=1):
        if value < best - min_delta:
            best, waited = value, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch
    return None


# --- 04.2a tbptt_windows ------------------------------------------------------------------
def _window_cases(rng):
    pairs = [(int(rng.integers(1, 60)), int(rng.integers(1, 70))) for _ in range(4)]
    k = int(rng.integers(2, 50))
    return [{"args": [n, k]} for n, k in pairs + [(k * int(rng.integers(2, 40)), k)]]


def _window_reference(case):
    n, k = case["args"]
    out, start = [], 0
    while start < n:
        out.append([start, min(start + k, n)])
        start += k
    return out


# --- 04.2b window_step ---------------------------------------------------------------------
def _step_cases(rng):
    stride = int(rng.choice([40, 50, 100]))
    return [{"overrides": {"streams.stride": stride, "streams.window": stride * int(rng.integers(1, 4)),
                           "seed": int(rng.integers(0, 10_000))}, "n_windows": int(rng.integers(3, 6))}]


def _step_reference(case):
    from freqlstm_helpers import stream_trainer
    r = stream_trainer.first_windows(probes._corrected(case), case["n_windows"])
    return {"losses": r["losses"], "weights": {k: v.numpy().astype(np.float64) for k, v in r["state_dict"].items()}}


def _windows_compare(got, want):
    if not isinstance(got, dict) or "losses" not in got:
        return False, "the stream trainer did not get window losses back"
    ok, msg = close(atol=1e-6)(got["losses"], want["losses"])
    if not ok:
        return False, f"window losses: {msg} (if window 0 already differs, check which outputs you score)"
    ok, msg = close(atol=1e-6)(got["weights"], want["weights"])
    return ok, "" if ok else f"the losses agree but the weights after the windows differ: {msg} (check clip and step)"


NOTEBOOK = Notebook("04_corrected_30_epoch_run", (
    Exercise("04.1", "early_stop_epoch", 1, _stop_cases, probes.call, _stop_reference, exact(),
             denied=("stopping.epochs_without_improvement", "stopping.early_stopping_fires", "stopping.stop_reason",
                     "stopping.replay", "nb04.course_early_stop_epoch"),
             describe=lambda c: f"history {c['args'][0]}, patience {c['args'][1]}, min_delta {c['args'][2]:g}"),
    Exercise("04.2a", "tbptt_windows", 1, _window_cases, probes.call, _window_reference, exact(),
             describe=lambda c: f"n={c['args'][0]}, k={c['args'][1]}"),
    Exercise("04.2b", "window_step", 3, _step_cases, probes.stream_windows, _step_reference, _windows_compare,
             denied=("stream_trainer.window_step", "stream_trainer.train", "stream_trainer.TorchStreamEngine",
                     "streams_fused.StreamsFusedEngine", "runs.cached_train", "runs.cached_train_many"),
             cpu_seconds=40,
             describe=lambda c: f"window {c['overrides']['streams.window']}, stride {c['overrides']['streams.stride']}, "
                                f"seed {c['overrides']['seed']}, {c['n_windows']} windows"),
), preimport=("numpy", "torch", "matplotlib.pyplot", "torch._dynamo"))  # Adam imports _dynamo: once, before forking
