"""Frozen-model scores the way the assignment asks: overall, per frequency, train vs test.

Predictions and targets are (K, N) arrays, K frequencies by N samples, which
is the same data as the 40,000 frequency-major rows reshaped.
"""
from __future__ import annotations

import numpy as np

from .data import Dataset, SignalConfig, build_dataset

GENERALISES_BAND = (0.8, 1.2)  # "MSE_test ≈ MSE_train": the ratio lies in this band


def freq_key(f: float) -> str:
    """Per-frequency results are keyed by the frequency in Hz, as a string: '1', '3', ..."""
    return f"{float(f):g}"


def as_blocks(pred, ds: Dataset) -> np.ndarray:
    """Accept (K*N,) frequency-major rows or (K, N); return (K, N)."""
    pred = np.asarray(pred, dtype=np.float64)
    K, N = ds.targets.shape
    if pred.shape == (K * N,):
        return pred.reshape(K, N)
    if pred.shape != (K, N):
        raise ValueError(f"predictions of shape {pred.shape} are not allowed: give ({K * N},) rows or ({K}, {N})")
    return pred


def per_frequency_mse(pred, ds: Dataset, mask=None) -> dict:
    """{'mse': overall, 'per_frequency': {'1': .., '3': ..}} over the samples `mask` keeps (default all)."""
    p = as_blocks(pred, ds)
    err = (p - ds.targets) ** 2
    if mask is not None:
        err = err[:, np.asarray(mask, dtype=bool)]
    per = {freq_key(f): float(err[k].mean()) for k, f in enumerate(ds.config.frequencies)}
    return {"mse": float(err.mean()), "per_frequency": per}


def generalisation(train_mse: float, test_mse: float, band=GENERALISES_BAND) -> dict:
    """The assignment's "MSE_test ≈ MSE_train", as a number and a computed verdict."""
    ratio = test_mse / train_mse if train_mse > 0 else float("inf")
    return {"ratio": ratio, "generalises": bool(band[0] <= ratio <= band[1])}


def bands_differ(a, b) -> bool:
    """True when the min–max bands of two sets of seed results do not overlap.

    The course states an effect only then; overlapping bands read "no difference measured".
    """
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    return bool(a.max() < b.min() or b.max() < a.min())


def shifted_test_set(config: SignalConfig, time_offset: float) -> Dataset:
    """Test noise (seed 2) on a time axis starting at t0: targets shift with it.

    A model that ignores S and generates sin(2*pi*f*t) from its own step count
    scores well on the usual test set (same time grid as train) but not here.
    """
    return build_dataset(config, split="test", time_offset=time_offset)


def warmup_mask(ds: Dataset, warmup: float) -> np.ndarray:
    """Keep samples at least `warmup` seconds after the start: a fair model needs history first."""
    if not (warmup >= 0 and warmup < ds.n_samples / ds.config.fs):
        raise ValueError(f"warmup={warmup!r} is not allowed: use seconds in [0, {ds.n_samples / ds.config.fs:g})")
    return (ds.t - ds.t[0]) >= warmup - 1e-12
