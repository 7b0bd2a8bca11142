"""Notebook 04's ablation ladder: validation scores of finished runs, seed bands, verdicts.

Every number here is a frozen **validation** MSE (noise seed 3), per stream, of the
epoch that validation selects within a run's budget (the recipe's own rule, given
to every rung): the ladder never reads the test set, so no choice it supports can
have been made by a test-set number. A verdict says one
setting differs from another only when their seed bands do not overlap
(metrics.bands_differ); otherwise it says "no difference measured".
"""
from __future__ import annotations

import numpy as np

from . import metrics

NO_DIFFERENCE = "no difference measured"


def selected_epoch(result) -> int:
    """The epoch the run's frozen validation MSE selects (1-based): the lowest one, as the recipe selects."""
    val = result.frozen_val_mse
    if val is None:
        raise ValueError(f"run {result.config.name!r} has no per-epoch validation MSE: train it with "
                         "eval_every_epoch=True (the L=1 trainer records it only then)")
    return int(np.nanargmin(val)) + 1


def validation_per_frequency(result) -> dict:
    """{'1': mse, ...}: per-stream frozen validation MSE of the epoch validation selects.

    Both trainers record it per epoch (the L=1 trainer with eval_every_epoch), so
    every rung of the ladder is read the same way, and the test set never.
    """
    return dict(result.history[selected_epoch(result) - 1]["frozen_val_mse_per_frequency"])


def band(results) -> dict:
    """A seed band: per-seed overall and worst-frequency validation MSE, and the (seeds, K) table."""
    per = [validation_per_frequency(r) for r in results]
    keys = list(per[0])
    table = np.array([[p[k] for k in keys] for p in per])
    return {"frequencies": keys, "per_frequency": table, "overall": table.mean(axis=1), "worst": table.max(axis=1)}


def verdict(candidate: dict, reference: dict, lower: str = "lower", higher: str = "higher") -> str:
    """Candidate's overall validation band against the reference's: `lower`, `higher` or no difference."""
    a, b = candidate["overall"], reference["overall"]
    if not metrics.bands_differ(a, b):
        return NO_DIFFERENCE
    return lower if a.max() < b.min() else higher
