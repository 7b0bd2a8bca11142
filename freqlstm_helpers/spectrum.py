"""Is there anything to learn? Spectrum and correlation checks on S(t)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import Dataset

PEAK_THRESHOLD = 10.0  # a peak must stand this many times above the median bin


def amplitude_spectrum(x: np.ndarray, fs: float):
    """One-sided amplitude spectrum: a unit sine shows as height 1 at its frequency."""
    x = np.asarray(x, dtype=np.float64)
    n = x.shape[-1]
    amp = 2.0 / n * np.abs(np.fft.rfft(x, axis=-1))
    amp[..., 0] /= 2.0  # DC is not doubled
    return np.fft.rfftfreq(n, d=1.0 / fs), amp


@dataclass(frozen=True)
class Peak:
    frequency: float       # Hz, the expected frequency
    bin_frequency: float   # Hz, the centre of the bin examined
    height: float          # amplitude in that bin
    over_median: float     # height / median bin height (the noise floor)
    present: bool


def detect_peaks(x: np.ndarray, fs: float, frequencies, threshold: float = PEAK_THRESHOLD):
    """Look at the bin of each expected frequency and compare it with the noise floor."""
    return peaks_in_spectrum(*amplitude_spectrum(x, fs), frequencies, threshold)


def peaks_in_spectrum(freqs: np.ndarray, amp: np.ndarray, frequencies, threshold: float = PEAK_THRESHOLD):
    """detect_peaks on a spectrum already computed (notebook 01 passes the student's own)."""
    freqs, amp = np.asarray(freqs, dtype=np.float64), np.asarray(amp, dtype=np.float64)
    floor = float(np.median(amp[1:]))
    peaks = []
    for f in frequencies:
        i = int(np.argmin(np.abs(freqs - f)))
        ratio = float(amp[i] / floor)
        peaks.append(Peak(float(f), float(freqs[i]), float(amp[i]), ratio, ratio >= threshold))
    return peaks


def largest_bins(x: np.ndarray, fs: float, k: int = 5):
    """The k tallest non-DC bins as (frequency, height over median) pairs."""
    freqs, amp = amplitude_spectrum(x, fs)
    floor = float(np.median(amp[1:]))
    order = np.argsort(amp[1:])[::-1][:k] + 1
    return [(float(freqs[i]), float(amp[i] / floor)) for i in order]


def ratio_text(r: float) -> str:
    """A bin's height over the median bin, for people: '0.4x', '5.2x', '197x', '> 10,000x' (with a times sign)."""
    if r > 1e4:
        return "> 10,000×"
    return f"{r:.1f}×" if r < 100 else f"{r:.0f}×"


def describe_peaks(peaks, threshold: float = PEAK_THRESHOLD) -> str:
    """Two lines: each expected bin over the median bin, then which pass the `threshold` rule."""
    heights = ", ".join(f"{p.frequency:g} Hz {ratio_text(p.over_median)}" for p in peaks)
    present = ", ".join(f"{p.frequency:g} Hz" for p in peaks if p.present) or "none"
    return f"{heights} the median bin\npresent (≥ {threshold:g}× the median): {present}"


def correlations(ds: Dataset) -> np.ndarray:
    """corr(S, target_k) for each frequency k: near 0 means S says nothing linear about it."""
    return np.array([np.corrcoef(ds.S, ds.targets[k])[0, 1] for k in range(ds.targets.shape[0])])


def fft_verdict(ds: Dataset, threshold: float = PEAK_THRESHOLD) -> dict:
    """Which of the expected peaks S shows, with their heights over the noise floor."""
    peaks = detect_peaks(ds.S, ds.config.fs, ds.config.frequencies, threshold)
    return {
        "phase_scale": ds.config.phase_scale,
        "peaks": peaks,
        "present": [p.frequency for p in peaks if p.present],
        "all_present": all(p.present for p in peaks),
        "none_present": not any(p.present for p in peaks),
    }
