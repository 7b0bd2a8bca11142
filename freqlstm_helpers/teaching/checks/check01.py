"""Notebook 01 (signals and FFT): the self-checks of exercises 01.1-01.2 (two functions each).

A notebook imports it as `check`: `from freqlstm_helpers.teaching.checks import check01 as check`.
"""
from __future__ import annotations

import numpy as np

from .core import *  # noqa: F401,F403  (verdicts, cmp, staged hints: the shared core)


CONCEPTS = {  # the idea behind each exercise: what a first failure says
    "01.1": ('Think of S as the average of K sine waves, each with its own amplitude and phase at every '
             'instant; and score the do-nothing model like any other: the mean of its squared errors.'),
    "01.2": ('An amplitude spectrum should read 1 for a unit sine: think about how the FFT scales with N, and '
             'which bin has no mirror image. A peak is a bin far above a typical bin: which statistic of the '
             'bins is not moved by a few tall ones?'),
}
register_concepts(CONCEPTS)


@exercise
def noisy_mixture(fn) -> CheckResult:
    """01.1a: S(t) = (1/K) sum_i A_i(t) sin(2 pi f_i t + phi_i(t)), vectorised over t."""
    def comparisons(fn):
        rng = np.random.default_rng(123)
        freqs = np.array([1.0, 3.0, 5.0, 7.0])
        t = np.arange(50) / 1000.0
        A = rng.uniform(0.8, 1.2, size=(4, 50))
        phi = rng.uniform(0, 2 * np.pi, size=(4, 50))
        ref = np.zeros(50)
        for i in range(4):  # the slow, obvious loop as reference
            for n in range(50):
                ref[n] += A[i, n] * np.sin(2 * np.pi * freqs[i] * t[n] + phi[i, n]) / 4
        return [cmp("S", fn(t, A, phi, freqs), ref)]
    return run_check("01.1a noisy_mixture", fn, comparisons,
                     "Hint: average (not sum) A*sin(2*pi*f*t + phi) over the frequency axis (axis 0).")


@exercise
def amplitude_spectrum(fn) -> CheckResult:
    """01.2a: a unit sine at f must show height 1 at f; a constant c shows c at 0 Hz."""
    def comparisons(fn):
        fs, n = 1000.0, 2000
        t = np.arange(n) / fs
        x = 0.5 + 1.0 * np.sin(2 * np.pi * 5 * t) + 0.25 * np.cos(2 * np.pi * 40 * t)
        from ... import spectrum
        with forbid_helper(spectrum, "amplitude_spectrum"):  # the exercise is to write it, not to call it
            freqs, amp = fn(x, fs)
        ref_freqs = np.arange(n // 2 + 1) * fs / n
        ref_amp = np.zeros(n // 2 + 1)
        ref_amp[0], ref_amp[10], ref_amp[80] = 0.5, 1.0, 0.25
        return [cmp("freqs", freqs, ref_freqs), cmp("amplitude", amp, ref_amp, atol=1e-9)]
    return run_check("01.2a amplitude_spectrum", fn, comparisons,
                     "Hint: use np.fft.rfft and np.fft.rfftfreq; scale |X| by 2/N, but the 0 Hz bin only by 1/N.")


@exercise
def predict_zero_mse(fn) -> CheckResult:
    """01.1b: the MSE of always answering 0 is the mean of the squared targets."""
    def comparisons(fn):
        t = np.arange(10_000) / 1000.0
        y = np.concatenate([np.sin(2 * np.pi * f * t) for f in (1, 3, 5, 7)])
        rng = np.random.default_rng(7)
        z = rng.normal(size=300)
        return [cmp("mse(sines)", fn(y), 0.5, atol=1e-6),
                cmp("mse(random)", fn(z), float(np.dot(z, z) / z.size))]
    return run_check("01.1b predict_zero", fn, comparisons,
                     "Hint: start from the definition, MSE = mean over rows of (prediction - target)^2, "
                     "with this model's prediction put in; return one number.")


def spectrum_signal(heights, n: int, seed: int, floor=(0.5, 1.5)):
    """A signal of n samples (n even) whose one-sided amplitude spectrum is known bin by bin.

    Every bin gets a height drawn from U(floor); `heights` {bin: height} overrides some.
    Returns (signal, the heights it was built from), so a reference needs no FFT.
    """
    rng = np.random.default_rng(seed)
    amp = rng.uniform(*floor, size=n // 2 + 1)
    for k, h in heights.items():
        amp[k] = h
    X = amp * (n / 2) * np.exp(1j * rng.uniform(0, 2 * np.pi, size=amp.size))
    X[0], X[-1] = amp[0] * n, amp[-1] * (n / 2)  # 0 Hz and Nyquist bins are real
    return np.fft.irfft(X, n), amp


def _peak_cases():
    """(description, signal, fs, f, factor, expected) with the median bin (0 Hz left out) known by construction."""
    fs, n = 100.0, 1000  # bins 0.1 Hz apart: 3 Hz is bin 30, 7 Hz bin 70
    cases = []

    def add(what, heights, f, factor, seed, fs=fs, n=n):
        base = np.random.default_rng(seed).uniform(0.5, 1.5, size=n // 2 + 1)
        med = float(np.median(base[1:]))  # what the rule measures against (the overrides move it slightly)
        x, amp = spectrum_signal({k: r * med for k, r in heights.items()}, n, seed)
        k = int(round(f * n / fs))
        truth = bool(amp[k] >= factor * np.median(amp[1:]))
        cases.append((what, x, fs, f, factor, truth))

    add("a 3 Hz bin 20x the median bin", {30: 20}, 3.0, 10, 1)
    add("no peak at 3 Hz (a typical noise bin)", {}, 3.0, 10, 2)
    add("a near miss: the 3 Hz bin 9.5x the median bin", {30: 9.5}, 3.0, 10, 3)
    add("just over: the 3 Hz bin 10.5x the median bin", {30: 10.5}, 3.0, 10, 4)
    add("the 3 Hz bin 7x the median bin, factor 5", {30: 7}, 3.0, 5, 5)
    add("the 3 Hz bin 7x the median bin, factor 10", {30: 7}, 3.0, 10, 5)
    add("a 50x peak at 3.1 Hz, nothing at 3 Hz", {31: 50}, 3.0, 10, 6)
    add("a 12x peak at 3 Hz next to a taller 100x peak at 7 Hz", {30: 12, 70: 100}, 3.0, 10, 7)
    add("a 15x peak at 3 Hz, and 10 bins at 1000x elsewhere (they lift the mean, not the median)",
        {30: 15, **{100 + 20 * j: 1000 for j in range(10)}}, 3.0, 10, 8)
    add("a 20x peak at 7 Hz asked for at f = 6.98 Hz (the nearest bin is 7.0 Hz)", {70: 20}, 6.98, 10, 9)
    add("fs 250 Hz, 500 samples: a 20x peak at 12.5 Hz", {25: 20}, 12.5, 10, 10, fs=250.0, n=500)
    return cases


@exercise
def peak_present(fn) -> CheckResult:
    """01.2b: the course's rule: the bin nearest f stands at least `factor` x the median bin (0 Hz left out)."""
    def comparisons(fn):
        out = []
        for what, x, fs, f, factor, want in _peak_cases():
            got = fn(x.copy(), fs, f, factor=factor)
            ok = isinstance(got, (bool, np.bool_)) and bool(got) == want
            said = f"you returned {got!r}" if not isinstance(got, (bool, np.bool_)) else f"you said {bool(got)}"
            out.append(_case(what, ok, f"{what} (f = {f:g} Hz, factor {factor:g}): {said}, expected {want}"))
        return out
    hint = ("Hint: compute the spectrum, pick the bin nearest f, and compare its height with factor times "
            "the median over all bins except 0 Hz; return True or False.")
    return _with_detail(run_check("01.2b peak_present", fn, comparisons, ""), fn, comparisons, hint)


def s_and_baseline(noisy_mixture_fn, predict_zero_fn) -> None:
    """01.1, both parts: your S, and what predicting zero scores."""
    together((noisy_mixture, noisy_mixture_fn), (predict_zero_mse, predict_zero_fn))


def spectrum_and_peak(amplitude_spectrum_fn, peak_present_fn) -> None:
    """01.2, both parts: the amplitude spectrum, and the rule that reads a peak off it."""
    together((amplitude_spectrum, amplitude_spectrum_fn), (peak_present, peak_present_fn))
