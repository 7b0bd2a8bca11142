"""The report's three stopping rules, as pure functions of the epoch losses so far.

Each rule looks at `losses[:e]` (the epochs run so far, last one is the current
epoch) and answers "stop now?". Keeping them pure means a notebook can replay
any loss curve through them, including the report's own, without training.

The rules follow the diagnostic report's prescription:
- early stopping: the best loss only counts as improved when a new loss beats it
  by more than min_delta; stop after `patience` epochs in a row without that;
- target stop: stop once the loss is below a threshold (0.005);
- divergence: stop once the loss exceeds (1 + factor) x the best so far
  (factor 0.5: "loss increase > 50% from best"). A non-finite loss also counts.
The trainer applies them to the online epoch loss because that is the quantity
the report monitors; the course later shows why that is the wrong quantity.
"""
from __future__ import annotations

import math
from typing import Sequence

EARLY_STOPPING, TARGET, DIVERGENCE, COMPLETED = "early_stopping", "target", "divergence", "completed"
CALLBACK = "callback"  # a train() callback asked to stop; not one of the report's rules
STOPPED_BY = (EARLY_STOPPING, TARGET, DIVERGENCE, COMPLETED, CALLBACK)


def _floats(losses: Sequence[float]) -> list[float]:
    return [float(x) for x in losses]


def epochs_without_improvement(losses: Sequence[float], min_delta: float) -> int:
    """How many epochs in a row (ending now) failed to beat the best by more than min_delta."""
    best, count = math.inf, 0
    for loss in _floats(losses):
        if loss < best - min_delta:
            best, count = loss, 0
        else:
            count += 1
    return count


def early_stopping_fires(losses: Sequence[float], patience: int, min_delta: float) -> bool:
    return len(losses) > 0 and epochs_without_improvement(losses, min_delta) >= patience


def target_fires(losses: Sequence[float], threshold: float) -> bool:
    return len(losses) > 0 and float(losses[-1]) < threshold


def divergence_fires(losses: Sequence[float], factor: float) -> bool:
    """Current loss > (1 + factor) x the lowest earlier loss, or not finite."""
    losses = _floats(losses)
    if not losses:
        return False
    current = losses[-1]
    if not math.isfinite(current):
        return True
    earlier = [x for x in losses[:-1] if math.isfinite(x)]
    return bool(earlier) and current > (1.0 + factor) * min(earlier)


def stop_reason(losses: Sequence[float], cfg) -> str | None:
    """Which enabled rule fires after the last epoch of `losses`, or None.

    `cfg` is a TrainConfig (or anything with early_stopping, target_stop and
    divergence sections). When several fire in one epoch, divergence wins (it
    means "stop immediately"), then target, then early stopping.
    """
    if cfg.divergence.enabled and divergence_fires(losses, cfg.divergence.factor):
        return DIVERGENCE
    if cfg.target_stop.enabled and target_fires(losses, cfg.target_stop.threshold):
        return TARGET
    if cfg.early_stopping.enabled and early_stopping_fires(
            losses, cfg.early_stopping.patience, cfg.early_stopping.min_delta):
        return EARLY_STOPPING
    return None


def replay(losses: Sequence[float], cfg) -> tuple[str, int]:
    """Run the rules over a whole loss curve: (stopped_by, epochs actually run).

    A training run would have stopped after `epochs` epochs; "completed" means
    no rule fired within the curve.
    """
    for e in range(1, len(losses) + 1):
        reason = stop_reason(losses[:e], cfg)
        if reason is not None:
            return reason, e
    return COMPLETED, len(losses)


def best_epoch(losses: Sequence[float]) -> int:
    """1-based epoch of the lowest finite loss (first one on ties): the report's 'best checkpoint'."""
    losses = _floats(losses)
    finite = [(x, i) for i, x in enumerate(losses) if math.isfinite(x)]
    if not finite:
        return 1 if losses else 0
    return min(finite)[1] + 1
