"""Notebook 04's layout helpers and course fallbacks: the notebook computes, these lay it out.

Why a module: the tables of notebook 04 (the predicted timeline, the ladder's
bands, the settings and their evidence, the per-seed test scores, the CPU
profile) were twenty-line formatting walls between the ideas. Each function
here takes numbers the notebook already computed and returns a DataFrame; none
decides anything. The `course_*` functions are what the story falls back on
while an exercise is still a stub (teaching.fallback.mine_or_course); they take
another route than the exercise asks for, through the course's own modules.
"""
from __future__ import annotations

import pandas as pd

from .. import stopping, tables

FREQS = ("1", "3", "5", "7")


# --- course fallbacks (used only while the exercise's stub is in place) ---------------------
def course_early_stop_epoch(history, patience: int, min_delta: float):
    """Exercise 04.1's answer by replaying the trainer's own stopping rule, epoch by epoch."""
    history = list(history)
    return next((e for e in range(1, len(history) + 1)
                 if stopping.early_stopping_fires(history[:e], patience, min_delta)), None)


def course_targets(seeds) -> dict:
    """The targets' verdict: each target judged on the run that does worst on it."""
    seeds = list(seeds)
    return {"frequency": max(s["worst"] for s in seeds) <= 0.01, "ratio": max(s["ratio"] for s in seeds) <= 1.2}


# --- tables ------------------------------------------------------------------------------------
def _fmt(v) -> str:
    return "—" if v is None else f"{v:.4f}"


def timeline_table(full, presc, predicted: dict) -> pd.DataFrame:
    """The report's predicted ceilings against the all-epochs run, and whether the prescribed run got there.

    A prediction holds only when both the online loss and the frozen test MSE are below the ceiling.
    """
    rows = {}
    for epoch, ceiling in list(predicted.items()) + [(full.epochs_run, min(predicted.values()))]:
        at = (lambda s: float(s[epoch - 1]) if epoch <= full.epochs_run else None)  # noqa: E731
        online, ftr, fte = at(full.epoch_losses), at(full.frozen_train_mse), at(full.frozen_test_mse)
        holds = online is not None and online < ceiling and fte < ceiling
        reached = "yes" if presc.epochs_run >= epoch else f"no, stopped at epoch {presc.epochs_run} ({presc.stopped_by})"
        rows[epoch] = {"report predicts loss <": ceiling, "online loss": _fmt(online), "frozen train MSE": _fmt(ftr),
                       "frozen test MSE": _fmt(fte), "prediction holds?": "yes" if holds else "no",
                       "reached by the prescribed run?": reached}
    return tables.table(rows, "epoch")


def band_row(b: dict, verdict: str | None = None, verdict_column: str = "vs the row before") -> dict:
    """One row of a band table: min–max over seeds, overall, worst frequency and per frequency."""
    row = {"seeds": len(b["overall"]), "validation MSE": tables.band(b["overall"]),
           "worst frequency": tables.band(b["worst"])}
    row.update({f"{k} Hz": tables.band(b["per_frequency"][:, j]) for j, k in enumerate(b["frequencies"])})
    return row if verdict is None else {**row, verdict_column: verdict}


def ladder_table(bands: dict, verdicts: dict) -> pd.DataFrame:
    """The rungs in order; each rung's verdict against the rung before it."""
    return tables.table({n: band_row(b, verdicts.get(n, "—")) for n, b in bands.items()}, "rung (one change each)")


def leave_one_out_table(recipe: dict, loo: dict, verdicts: dict) -> pd.DataFrame:
    """The recipe's band, then each row that changes one thing, with its verdict against the recipe."""
    rows = {"the recipe (corrected.yaml)": band_row(recipe)}
    rows.update({n: band_row(b, verdicts[n], "without it") for n, b in loo.items()})
    return tables.table(rows, "the recipe, with one thing changed")


def settings_table(settings: dict, loo_verdicts: dict) -> pd.DataFrame:
    """{setting: (value, the leave-one-out row that tests it)} -> value, test, evidence."""
    def evidence(v: str) -> str:
        return "needed (bands apart)" if v.startswith("higher") else "kept: no difference measured"
    return tables.table({k: {"value": val, "tested by": row, "evidence": evidence(loo_verdicts[row])}
                         for k, (val, row) in settings.items()}, "corrected.yaml")


def test_scores_table(summaries: dict) -> pd.DataFrame:
    """{run label: summary} -> per-frequency test MSE, overall, worst, test/train, epochs, CPU seconds."""
    return tables.table({label: {**{f"{k} Hz": f"{x['per'][k]:.4f}" for k in FREQS},
                                 "test MSE": f"{x['test']:.4f}", "worst frequency": f"{x['worst']:.4f}",
                                 "test/train": f"{x['ratio']:.3f}", "epochs (best)": f"{x['epochs']} ({x['best']})",
                                 "CPU s": f"{x['cpu']:.0f}"} for label, x in summaries.items()}, "run")


def profile_table(rows: dict) -> pd.DataFrame:
    """{label: (capability, per-frequency test MSE, test/train)} for the same seed under two CPU profiles."""
    return tables.table({label: {"capability": cap, **{f"{k} Hz": f"{per[k]:.4f}" for k in FREQS},
                                 "test/train": f"{ratio:.3f}"} for label, (cap, per, ratio) in rows.items()},
                        "seed 0")
