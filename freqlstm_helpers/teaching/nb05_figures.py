"""Notebook 05's figures, drawn so that every number on them can be read (issue 19).

Each function takes numbers the notebook computed and returns the figure; the
notebook saves and shows it.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..plotting import FREQ_COLORS, GREY, OKABE_ITO, freq_color

MARKERS = {"1": "o", "3": "s", "5": "^", "7": "D"}


def per_frequency_dots(rows: dict, groups: dict, freqs, log_groups=()):
    """One panel per group of rows; each row a line of four dots (one per frequency, offset so none hides another).

    rows: {name: {'1': mse, ...}}; groups: {panel title: [row names]}. A group in
    `log_groups` gets a log axis (its numbers span decades); the others a linear
    axis fitted to their numbers, so differences of a few hundredths show.
    """
    heights = [len(names) for names in groups.values()]
    fig, axes = plt.subplots(len(groups), 1, figsize=(10, 0.62 * sum(heights) + 1.6),
                             gridspec_kw={"height_ratios": heights})
    for ax, (title, names) in zip(np.atleast_1d(axes), groups.items()):
        y = np.arange(len(names))[::-1]
        for j, k in enumerate(freqs):
            x = [rows[n][k] for n in names]
            ax.plot(x, y + (j - 1.5) * 0.13, MARKERS.get(k, "o"), ms=6, color=FREQ_COLORS.get(float(k), OKABE_ITO[4]),
                    label=f"{k} Hz", ls="none")
        ax.set_yticks(y, names, fontsize=8)
        ax.set_ylim(-0.6, len(names) - 0.4)
        if title in log_groups:
            ax.set_xscale("log")
            ax.axvline(0.01, color=GREY, ls="--", lw=1.2)
        else:
            vals = np.array([rows[n][k] for n in names for k in freqs])
            pad = max(0.004, 0.15 * (vals.max() - vals.min()))
            ax.set_xlim(vals.min() - pad, vals.max() + pad)
        ax.axvline(0.5, color="k", ls=":", lw=1)
        ax.set_title(title, fontsize=10, loc="left")
        ax.grid(axis="y", alpha=0)
    axes = np.atleast_1d(axes)
    axes[0].legend(ncol=len(freqs), fontsize=8, loc="lower right", bbox_to_anchor=(1.0, 1.0))
    axes[-1].set_xlabel("test MSE (dotted: predict-zero, 0.5; dashed, on a log axis: the course's target, 0.01)")
    fig.tight_layout()
    return fig


START = {"per-stream": "each stream from a zero state at t = 0",
         "frequency-major": "rows in order, the state carried across the blocks (f1's from zero)"}


def _window(test, seconds):
    sl = (test.t >= seconds[0]) & (test.t < seconds[1])
    return sl, f"{seconds[0]:g}–{seconds[1]:g} s"


def f2_graph(test, pred, name: str, seconds=(0.0, 2.0), protocol: str = "per-stream"):
    """The assignment's first graph (f2 = 3 Hz): the title quotes the MSE of the window shown and of all 10 s."""
    sl, span = _window(test, seconds)
    shown, whole = (float(((pred[1, m] - test.targets[1, m]) ** 2).mean()) for m in (sl, slice(None)))
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.plot(test.t[sl], test.S[sl], color=GREY, lw=0.6, alpha=0.6, label="S(t), the input")
    ax.plot(test.t[sl], test.targets[1, sl], color="k", lw=1.5, label="target sin(2π·3t)")
    ax.plot(test.t[sl], pred[1, sl], ".", ms=2, color=freq_color(3.0), label="LSTM output")
    ax.set(xlabel=f"time t (s): {span} of the 10 s test stream; {START[protocol]}", ylabel="amplitude",
           title=f"f2 = 3 Hz, test set: {name}\nMSE over the {span} shown {shown:.4f} · over all 10 s {whole:.4f}")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def four_panels(test, pred, name: str, seconds=(0.0, 2.0), protocol: str = "per-stream"):
    """The assignment's second graph: per frequency, the MSE of the window shown next to that of all 10 s."""
    sl, span = _window(test, seconds)
    fig, axes = plt.subplots(2, 2, figsize=(12, 5.8), sharex=True, sharey=True)
    for k, ax in enumerate(axes.flat):
        f = test.config.frequencies[k]
        err = (pred[k] - test.targets[k]) ** 2
        ax.plot(test.t[sl], test.targets[k, sl], color="k", lw=1.2, label="target")
        ax.plot(test.t[sl], pred[k, sl], ".", ms=1.5, color=freq_color(f), label="LSTM output")
        ax.set(title=f"{f:g} Hz: MSE {err[sl].mean():.4f} over these {span} · {err.mean():.4f} over 10 s",
               ylim=(-1.6, 1.6))
        ax.title.set_fontsize(9)
    for ax in axes[1]:
        ax.set_xlabel(f"time t (s): {span}; {START[protocol]}", fontsize=9)
    for ax in axes[:, 0]:
        ax.set_ylabel("amplitude")
    axes[0, 0].legend(fontsize=8, loc="upper right")
    fig.suptitle(f"All four frequencies, test set: {name}")
    fig.tight_layout()
    return fig


def error_over_time(test, per_stream_err, fm_err, smooth: int = 100, settled_from: float = 1.0):
    """Left: one small panel per frequency (squared error per stream, smoothed), its settled level dashed.
    Right: the frequency-major rows, state carried across the block boundaries."""
    roll = lambda v: np.convolve(v, np.ones(smooth) / smooth, mode="same")
    K = per_stream_err.shape[0]
    fig = plt.figure(figsize=(13, 1.5 * K + 1.2))
    grid = fig.add_gridspec(K, 2, width_ratios=(1, 1), hspace=0.15, wspace=0.22)
    left = [fig.add_subplot(grid[k, 0]) for k in range(K)]
    late = test.t - test.t[0] >= settled_from
    for k, ax in enumerate(left):
        f = test.config.frequencies[k]
        ax.plot(test.t, roll(per_stream_err[k]), color=freq_color(f), lw=1)
        ax.axhline(per_stream_err[k, late].mean(), color="k", ls="--", lw=1)
        ax.set_yscale("log")
        ax.set_ylim(1e-5, 1)
        ax.text(0.99, 0.9, f"{f:g} Hz · after {settled_from:g} s: {per_stream_err[k, late].mean():.4f} (dashed)",
                transform=ax.transAxes, ha="right", va="top", fontsize=8)
        if k < K - 1:
            ax.tick_params(labelbottom=False)
    left[0].set_title(f"Per stream, each from a zero state (squared error, {smooth}-sample mean)", fontsize=10)
    left[-1].set_xlabel("time t (s)")
    fig.text(0.07, 0.5, "squared error (log)", rotation=90, va="center")
    right = fig.add_subplot(grid[:, 1])
    n = test.n_samples
    right.plot(np.arange(fm_err.size) / n, roll(fm_err), color=OKABE_ITO[4], lw=1)
    for b in range(1, K):
        right.axvline(b, color="k", ls=":", lw=1)
    right.set(xlabel=f"row / {n:,} (blocks f1 | f2 | f3 | f4)", ylabel=f"squared error ({smooth}-row mean, log)",
              yscale="log", ylim=(1e-5, 1), title="Frequency-major rows, state carried across blocks")
    right.title.set_fontsize(10)
    return fig
