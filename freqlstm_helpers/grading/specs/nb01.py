"""Notebook 01: signals and FFT. References by plain loops and by construction, never by an FFT helper."""
from __future__ import annotations

import math

import numpy as np

from ..verdicts import close, exact
from . import probes
from .base import Exercise, Notebook


# --- 01.1a noisy_mixture ---------------------------------------------------------------
def _mixture_cases(rng):
    out = []
    for _ in range(3):
        K, n = int(rng.integers(2, 6)), int(rng.integers(7, 60))
        fs = float(rng.uniform(50, 2000))
        t = float(rng.uniform(-1, 1)) + np.arange(n) / fs
        out.append({"args": [t, rng.uniform(0.5, 1.5, (K, n)), rng.uniform(0, 2 * math.pi, (K, n)),
                             np.round(rng.uniform(0.2, 20.0, K), 2)]})
    return out


def _mixture_reference(case):
    t, A, phi, f = case["args"]
    K, n = A.shape
    return np.array([sum(A[i, m] * math.sin(2 * math.pi * f[i] * t[m] + phi[i, m]) for i in range(K)) / K
                     for m in range(n)])


# --- 01.2a amplitude_spectrum -----------------------------------------------------------
def _spectrum_cases(rng):
    out = []
    for n in (int(rng.integers(40, 120)) * 2, int(rng.integers(40, 120)) * 2 + 1):
        fs = float(np.round(rng.uniform(20, 1000), 1))
        x = rng.normal(0, 0.3, n) + float(rng.uniform(-1, 1))  # noise and an offset: every bin has a height
        for k in rng.choice(np.arange(1, n // 2), 3, replace=False):
            x = x + float(rng.uniform(0.2, 2)) * np.sin(2 * np.pi * int(k) * np.arange(n) / n + rng.uniform(0, 6))
        out.append({"args": [x, fs]})
    return out


def _spectrum_reference(case):
    """A direct DFT sum, bin by bin (no FFT): heights 2|X_k|/N, the 0 Hz bin |X_0|/N."""
    x, fs = case["args"]
    n = len(x)
    m = np.arange(n)
    heights = []
    for k in range(n // 2 + 1):
        X = complex(np.sum(x * np.cos(2 * np.pi * k * m / n)), -np.sum(x * np.sin(2 * np.pi * k * m / n)))
        heights.append(abs(X) / n * (1 if k == 0 else 2))
    return [np.arange(n // 2 + 1) * fs / n, np.array(heights)]


# --- 01.1b predict_zero -------------------------------------------------------------------
def _zero_cases(rng):
    return [{"args": [rng.normal(float(rng.uniform(-1, 1)), float(rng.uniform(0.1, 2)), int(n))]}
            for n in rng.integers(1, 400, 3)]


def _zero_reference(case):
    y = case["args"][0]
    return sum(float(v) * float(v) for v in y) / len(y)


# --- 01.2b peak_present -------------------------------------------------------------------
def _peak_cases(rng):
    """Signals built bin by bin, so the truth needs no FFT; every bin at f stays >= 2% away from the threshold."""
    out = []
    n, fs = 2 * int(rng.integers(200, 400)), float(rng.choice([100.0, 250.0, 1000.0]))
    df = fs / n
    for ratio in (float(rng.uniform(1.5, 3)), float(rng.uniform(0.85, 0.96)), float(rng.uniform(1.04, 1.2)),
                  float(rng.uniform(0.1, 0.5)), None, "elsewhere"):
        while True:
            factor = float(rng.choice([5.0, 10.0, 20.0]))
            k = int(rng.integers(5, n // 2 - 5))
            amp = rng.uniform(0.5, 1.5, n // 2 + 1)
            if ratio == "elsewhere":  # a tall peak one bin away, nothing at f itself
                amp[k + 1] = 50 * factor * float(np.median(amp[1:]))
            elif ratio is not None:
                amp[k] = ratio * factor * float(np.median(amp[1:]))
            margin = amp[k] / (factor * float(np.median(amp[1:])))
            if abs(margin - 1) > 0.02:
                break
        X = amp * (n / 2) * np.exp(1j * rng.uniform(0, 2 * np.pi, amp.size))
        X[0], X[-1] = amp[0] * n, amp[-1] * (n / 2)
        f = (k + float(rng.uniform(-0.3, 0.3))) * df  # asked near, not exactly at, the bin
        out.append({"args": [np.fft.irfft(X, n), fs, f], "kwargs": {"factor": factor}, "_truth": bool(margin >= 1)})
    return out


def _peak_reference(case):
    return case["_truth"]


def _bool_answer(got, want):
    if not isinstance(got, bool):
        return False, f"return True or False, not {got!r}"
    return exact()(got, want)


NOTEBOOK = Notebook("01_signals_and_fft", (
    Exercise("01.1a", "noisy_mixture", 1, _mixture_cases, probes.call, _mixture_reference, close(atol=1e-9),
             describe=lambda c: f"{c['args'][1].shape[0]} frequencies x {c['args'][1].shape[1]} samples"),
    Exercise("01.1b", "predict_zero", 1, _zero_cases, probes.call, _zero_reference, close(atol=1e-12, rtol=1e-12),
             denied=("data.predict_zero_mse", "baselines.zero_predictions"),
             describe=lambda c: f"{len(c['args'][0])} targets"),
    Exercise("01.2a", "amplitude_spectrum", 2, _spectrum_cases, probes.call, _spectrum_reference,
             close(atol=1e-9, rtol=1e-9), denied=("spectrum.amplitude_spectrum", "spectrum.largest_bins"),
             describe=lambda c: f"{len(c['args'][0])} samples at {c['args'][1]:g} Hz"),
    Exercise("01.2b", "peak_present", 2, _peak_cases, probes.call, _peak_reference, _bool_answer,
             denied=("spectrum.detect_peaks", "spectrum.fft_verdict", "spectrum.describe_peaks",
                     "spectrum.peaks_in_spectrum"),
             describe=lambda c: f"{len(c['args'][0])} samples at {c['args'][1]:g} Hz, f = {c['args'][2]:.3f} Hz, "
                                f"factor {c['kwargs']['factor']:g}"),
), preimport=("numpy", "matplotlib.pyplot"))
