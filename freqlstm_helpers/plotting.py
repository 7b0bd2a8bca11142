"""One look for every figure: a colour-blind-safe palette and PNG saving for key results."""
from __future__ import annotations

import matplotlib.pyplot as plt

from .paths import figures_dir

# Okabe & Ito's palette: distinguishable under the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
FREQ_COLORS = {1.0: OKABE_ITO[0], 3.0: OKABE_ITO[1], 5.0: OKABE_ITO[2], 7.0: OKABE_ITO[3]}
GREY = "#999999"


def use_course_style() -> None:
    plt.rcParams.update({
        "axes.prop_cycle": plt.cycler(color=OKABE_ITO),
        "figure.figsize": (9, 3.5),
        "figure.dpi": 90,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "legend.frameon": False,
    })


def freq_color(f: float) -> str:
    return FREQ_COLORS.get(float(f), OKABE_ITO[4])


def save(fig, name: str) -> str:
    """Save a key figure as figures/<name>.png and return its path."""
    path = figures_dir() / f"{name}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    return str(path)


def f2_graph(test, pred, name: str, seconds=(0.0, 2.0)):
    """The assignment's first graph: f2 (3 Hz) on the test set, target as a line, output as dots, S behind."""
    sl = (test.t >= seconds[0]) & (test.t < seconds[1])
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.plot(test.t[sl], test.S[sl], color=GREY, lw=0.6, alpha=0.6, label="S(t), the input")
    ax.plot(test.t[sl], test.targets[1, sl], color="k", lw=1.5, label="target sin(2π·3t)")
    ax.plot(test.t[sl], pred[1, sl], ".", ms=2, color=freq_color(3.0), label="LSTM output")
    ax.set(xlabel="time t (s)", ylabel="amplitude", title=f"f2 = 3 Hz, test set: {name}")
    ax.legend(loc="upper right", fontsize=8)
    return fig


def four_panels(test, pred, name: str, seconds=(0.0, 2.0)):
    """The assignment's second graph: one panel per frequency, with that frequency's test MSE (all 10 s)."""
    sl = (test.t >= seconds[0]) & (test.t < seconds[1])
    fig, axes = plt.subplots(2, 2, figsize=(12, 5.5), sharex=True, sharey=True)
    for k, ax in enumerate(axes.flat):
        f = test.config.frequencies[k]
        ax.plot(test.t[sl], test.targets[k, sl], color="k", lw=1.2, label="target")
        ax.plot(test.t[sl], pred[k, sl], ".", ms=1.5, color=freq_color(f), label="LSTM output")
        err = float(((pred[k] - test.targets[k]) ** 2).mean())
        ax.set(title=f"{f:g} Hz: test MSE {err:.4f}", ylim=(-1.6, 1.6))
    for ax in axes[1]:
        ax.set_xlabel(f"time t (s), first {seconds[1] - seconds[0]:g} s shown")
    for ax in axes[:, 0]:
        ax.set_ylabel("amplitude")
    axes[0, 0].legend(fontsize=8, loc="upper right")
    fig.suptitle(f"All four frequencies, test set: {name}")
    return fig
