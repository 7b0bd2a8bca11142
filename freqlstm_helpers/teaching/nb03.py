"""Notebook 03's pieces: the short run the student's L=1 loop trains, the chase experiment, the verdict table.

Why a module: the notebook shows the ideas; the bookkeeping around the student's
`train_l1_rows` (fresh weights from the run's seed, the report's Adam, the rows of
the first frequency blocks, a one-line refusal of a malformed result) and the
table of the report's hypotheses would otherwise be code walls in cells.
The student's loop is never cached: it runs every time, so what the notebook
shows is what the student's code did now.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import torch

from ..config import TrainConfig
from ..data import Dataset
from ..model import FrequencyLSTM, one_thread
from ..run_result import new_model

TrainRows = Callable  # train_rows(model, optimizer, X, y, max_norm) -> one online loss per row


@dataclass(frozen=True)
class ShortRun:
    """The first `blocks` frequency blocks of epoch 1, trained row by row by one loop."""
    losses: np.ndarray   # (rows,) online loss of every row, before that row's update
    model: FrequencyLSTM  # the weights after the last row
    blocks: int
    seconds: float       # wall-clock seconds of the training call

    @property
    def rows(self) -> int:
        return len(self.losses)


def report_adam(model: FrequencyLSTM, cfg: TrainConfig) -> torch.optim.Optimizer:
    """The report's optimiser for `model`: Adam with cfg's hyperparameters (as trainer.TorchEngine builds it)."""
    o = cfg.optimizer
    return torch.optim.Adam(model.parameters(), lr=o.learning_rate, betas=o.betas, eps=o.eps,
                            weight_decay=o.weight_decay, fused=True)


def _losses_of(out, n: int, who: str) -> np.ndarray:
    if isinstance(out, torch.Tensor):
        out = out.detach().cpu().numpy()
    losses = np.asarray(out, dtype=np.float64).reshape(-1)
    if losses.shape != (n,) or not np.all(np.isfinite(losses)):
        raise ValueError(f"{who} returned {losses.shape[0]} values (finite: {bool(np.all(np.isfinite(losses)))}); "
                         f"allowed: {n} finite online losses, one per row")
    return losses


def train_blocks(train_rows: TrainRows, cfg: TrainConfig, ds: Dataset, blocks: int = 2,
                 who: str = "train_l1_rows") -> ShortRun:
    """Epoch 1's first `blocks` frequency blocks, from the seed's initial weights, trained by `train_rows`."""
    if not 1 <= blocks <= cfg.data.n_frequencies:
        raise ValueError(f"blocks={blocks!r} is not allowed: give 1 to {cfg.data.n_frequencies}")
    n = blocks * ds.n_samples
    model = new_model(cfg)
    optimizer = report_adam(model, cfg)
    start = time.perf_counter()
    with one_thread():  # batch-1 steps: extra threads only add synchronisation
        out = train_rows(model, optimizer, ds.X[:n], ds.y[:n], float(cfg.training.clip_grad_norm))
    return ShortRun(_losses_of(out, n, who), model, blocks, time.perf_counter() - start)


def course_rows(cfg: TrainConfig) -> TrainRows:
    """The course's stand-in for train_l1_rows: the compiled engine (its own Adam, same hyperparameters)."""
    from ..trainer import make_engine

    def train_rows(model, optimizer, X, y, max_norm):
        lr = float(optimizer.param_groups[0]["lr"])  # the optimiser handed in says which learning rate
        engine = make_engine("fused", model, cfg.replace(**{"optimizer.learning_rate": lr,
                                                            "training.clip_grad_norm": max_norm}))
        engine.reset_state()
        losses, _ = engine.train_rows(X, y)
        engine.sync_to_model()
        return losses
    return train_rows


def first_apart(a, b, atol: float = 1e-6) -> int:
    """How many leading rows two per-row loss sequences share to atol (their length if all)."""
    gap = np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))
    return int(np.argmax(gap > atol)) if np.any(gap > atol) else len(gap)


# --- the optional experiment --------------------------------------------------------------
@dataclass(frozen=True)
class Chase:
    hz: float
    lr: float
    seed: int
    online: np.ndarray   # (rows,) online loss per row
    frozen: float        # frozen MSE of the trained weights on the same rows, state from zeros


def chase(train_rows: TrainRows, cfg: TrainConfig, ds: Dataset, hz: float = 7.0, lr: float = 1e-3,
          rows: int = 2000, seed: int = 0) -> Chase:
    """Fresh weights (seed), one frequency block's first `rows` rows at learning rate `lr`: online, then frozen."""
    from ..trainer import frozen_predict
    freqs = [float(f) for f in cfg.data.frequencies]
    if float(hz) not in freqs:
        raise ValueError(f"hz={hz!r} is not allowed: give one of {', '.join(f'{f:g}' for f in freqs)}")
    if not (isinstance(rows, int) and 10 <= rows <= ds.n_samples):
        raise ValueError(f"rows={rows!r} is not allowed: give a whole number from 10 to {ds.n_samples}")
    if not (isinstance(lr, (int, float)) and 0 < lr <= 0.1):
        raise ValueError(f"lr={lr!r} is not allowed: give a number in (0, 0.1]")
    run_cfg = cfg.replace(seed=int(seed)).with_overrides({"optimizer.learning_rate": float(lr)})
    k = freqs.index(float(hz))
    X, y = ds.X[ds.block(k)][:rows], ds.y[ds.block(k)][:rows]
    model = new_model(run_cfg)
    with one_thread():
        out = train_rows(model, report_adam(model, run_cfg), X, y, float(cfg.training.clip_grad_norm))
    pred, _ = frozen_predict(model, X)
    frozen = float(np.mean((pred.astype(np.float64) - y) ** 2))
    return Chase(float(hz), float(lr), int(seed), _losses_of(out, rows, "train_l1_rows"), frozen)


# --- section 9: the report's hypotheses --------------------------------------------------
@dataclass(frozen=True)
class Evidence:
    """The numbers section 9 needs, each computed earlier in the notebook."""
    baseline: float
    n_lrs: int
    n_seeds: int
    best_frozen_any_lr: float
    any_lr_learns: bool
    restores: dict            # {"weights": bool, "optimizer": bool}: which restart brings epoch 1 back
    epoch2_weights_reloaded: str
    epoch2_adam_restarted: str
    e1_lowest: int            # seeds whose epoch 1 is their lowest
    e1_band: str
    frozen_band: str
    learned_nothing: bool
    blind_gap: float          # |blind - real| epoch-1 online loss
    data_has_signal: bool
    max_corr: float
    consistent_scales: str
    state_checks_passed: int
    state_checks: int


def hypotheses(ev: Evidence) -> pd.DataFrame:
    """The report's claims, the evidence the notebook computed and the verdict that evidence gives."""
    rise_in_weights = ev.restores == {"weights": True, "optimizer": False}
    rows = [
        ("Learning rate too high", "root cause",
         f"best frozen test MSE over {ev.n_lrs} LRs × {ev.n_seeds} seeds: {ev.best_frozen_any_lr:.3f} "
         f"(baseline {ev.baseline:.3f})",
         "supported: a lower LR learns" if ev.any_lr_learns else "not supported: no learning rate learns"),
        ("Overshooting after epoch 1", "large steps jumped out of a good region",
         f"epoch 2 with the initial weights reloaded: {ev.epoch2_weights_reloaded}; with Adam restarted: "
         f"{ev.epoch2_adam_restarted}",
         "the rise lives in the weights, not Adam's steps; the region lost was a start that chases easily"
         if rise_in_weights else "open: see section 6"),
        ("Lucky initialisation", "epoch 1 was luck",
         f"epoch 1 lowest in {ev.e1_lowest}/{ev.n_seeds} seeds; epoch-1 loss {ev.e1_band}",
         "rejected: every seed does it" if ev.e1_lowest == ev.n_seeds else "possible: not every seed does it"),
        ("Not overfitting", "rejected (train loss rises)", f"frozen train and test MSE {ev.frozen_band}",
         "agreed, but because nothing is fitted at all" if ev.learned_nothing else "open: frozen train differs from test"),
        ("Capacity adequate", "epoch 1 proves the model can learn",
         f"input-blind model's epoch-1 online loss differs by {ev.blind_gap:.3f}",
         "evidence void: a blind model scores the same epoch 1" if ev.blind_gap < 0.05 else "evidence stands"),
        ("Data correct", "all checks passed",
         f"FFT peaks present: {ev.data_has_signal}; max abs corr(S, target) {ev.max_corr:.3f}; "
         f"its epoch losses fit phase_scale {ev.consistent_scales} only",
         "agreed" if ev.data_has_signal else "rejected: the spec's noise leaves no signal"),
        ("Implementation correct", "all 9 state checks passed",
         f"{ev.state_checks_passed}/{ev.state_checks} executable state checks pass",
         "agreed: the state is handled as specified" if ev.state_checks_passed == ev.state_checks
         else "rejected: a state check fails"),
        ("A tuned LR converges by epoch 5", "expected",
         f"frozen test MSE < {ev.baseline - 0.01:.2f} by epoch 5 under any LR: {ev.any_lr_learns}",
         "agreed" if ev.any_lr_learns else "rejected: no LR converges to anything"),
    ]
    df = pd.DataFrame(rows, columns=["claim", "the report says", "evidence computed here", "course verdict"])
    return df.set_index("claim")


# --- section 1: block means and the within-epoch figure ----------------------------------
def block_means_of(losses, n_blocks: int) -> np.ndarray:
    """The course's block means (the stand-in while exercise 3.2 is a stub)."""
    v = np.asarray(losses, dtype=np.float64)
    return v.reshape(n_blocks, -1).mean(axis=1)


def block_table(yours, blocks, freqs, source: str) -> pd.DataFrame:
    """Mean online loss per frequency block: the short run (its blocks only) above the course's epochs."""
    cols = [f"{f:g} Hz" for f in freqs]
    rows = {f"short run, epoch 1 ({source})": {c: (f"{v:.3f}" if i < len(yours) else "not trained")
                                              for i, (c, v) in enumerate(zip(cols, list(yours) + [np.nan] * len(cols)))}}
    rows.update({f"course run, epoch {e}": {c: f"{v:.3f}" for c, v in zip(cols, b)} for e, b in enumerate(blocks, 1)})
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = "mean online loss per block (seed 0)"
    return df


def repeat_last_mse(y) -> float:
    """The course's "repeat the last target" online MSE (the stand-in while exercise 3.5 is a stub)."""
    y = np.asarray(y, dtype=np.float64)
    return float(np.mean(np.diff(y, prepend=0.0) ** 2))


def second_means(losses, rows_per_second: int = 1000) -> np.ndarray:
    """Means over whole seconds: 1,000 rows hold a whole number of periods of every target (1, 3, 5, 7 Hz)."""
    v = np.asarray(losses, dtype=np.float64)
    return v[: len(v) // rows_per_second * rows_per_second].reshape(-1, rows_per_second).mean(1)


def loss_peak_hz(losses, fs: float = 1000.0) -> float:
    """Where the spectrum of a block's per-row loss peaks (mean removed): the rhythm of its spikes."""
    v = np.asarray(losses, dtype=np.float64)
    amp = np.abs(np.fft.rfft(v - v.mean()))
    return float(np.fft.rfftfreq(len(v), 1 / fs)[np.argmax(amp)])


def within_epoch_figure(online_losses, epochs, n_samples: int, freqs, yours=None, yours_label: str = "",
                        zoom=(6000, 8000)):
    """Left: every row's online loss (faint) and its whole-second means, one panel per epoch, nothing
    drawn over another epoch. Right: rows `zoom` of the f1 block on a log axis, where the spikes show."""
    import matplotlib.pyplot as plt
    from .. import plotting
    fig, axes = plt.subplots(len(epochs), 2, figsize=(12.5, 2.1 * len(epochs) + 0.6), sharey="col",
                             gridspec_kw={"width_ratios": [3, 1.2]})
    t = np.arange(online_losses.shape[1]) / 1000.0
    for (ax, az), e in zip(axes, epochs):
        v = online_losses[e - 1].astype(np.float64)
        ax.plot(t, v, lw=0.25, color=plotting.OKABE_ITO[0], alpha=0.35, label="every row")
        sec = second_means(v)
        ax.step(np.arange(len(sec) + 1), np.r_[sec, sec[-1]], where="post", lw=2, color=plotting.OKABE_ITO[0],
                label="mean over each second (a whole number of periods)")
        if e == 1 and yours is not None:
            ys = second_means(yours)
            ax.step(np.arange(len(ys) + 1), np.r_[ys, ys[-1]], where="post", lw=1.6, ls="--",
                    color=plotting.OKABE_ITO[3], label=yours_label)
        for b in range(1, len(freqs)):
            ax.axvline(b * n_samples / 1000.0, color="k", lw=0.8, ls=":")
        ax.set(ylim=(0, 1.05), ylabel=f"epoch {e}\nonline loss")
        zs = slice(*zoom)
        for z in np.arange(np.ceil(zoom[0] / 1000 * 2 * freqs[0]), zoom[1] / 1000 * 2 * freqs[0] + 1e-9) / (2 * freqs[0]):
            az.axvline(z, color=plotting.GREY, lw=0.8, ls="--")  # the f1 target crosses zero here
        az.semilogy(t[zs], np.maximum(v[zs], 1e-7), lw=0.6, color=plotting.OKABE_ITO[0])
        az.set(ylim=(1e-7, 2))
    for k, f in enumerate(freqs):
        axes[0, 0].text((k + 0.5) * n_samples / 1000.0, 1.08, f"f{k + 1} = {f:g} Hz block", ha="center", fontsize=9)
    axes[0, 0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, 0.97))
    axes[-1, 1].text(0.02, 0.03, "dashed: the 1 Hz target crosses zero;\ntwo spikes per period", fontsize=7,
                     transform=axes[-1, 1].transAxes)
    axes[-1, 0].set_xlabel("seconds into the epoch (1,000 rows per second)")
    axes[-1, 1].set_xlabel(f"seconds into the epoch (f1 block, {zoom[0] / 1000:g}–{zoom[1] / 1000:g} s)")
    axes[0, 1].set_title("zoom, log scale", fontsize=9)
    fig.suptitle("Online loss within an epoch (seed 0)", y=1.0)
    fig.tight_layout()
    return fig
