"""Frozen evaluation for any trained model, under one of two named protocols.

The weights are fixed and nothing is trained; what differs is how the rows run:

- **per-stream frozen MSE** ("per-stream"): each frequency is its own stream of
  10,000 samples, started from a zero state at t = 0, the state carried through
  that stream only. This is how the stream trainer trains and selects, and the
  protocol of the course's target (every frequency <= 0.01 on test).
- **frequency-major frozen MSE (state carried)** ("frequency-major"): the
  assignment's 40,000 rows in order, f1's block, then f2's, ..., one stream from
  a zero state at the first row, the state carried across block boundaries. This
  is how the L=1 regime trains, and how the report's model is scored.

Each trainer writes its own protocol into metrics.json (`native_protocol`). A
notebook that compares models scores every model under both. Both give (K, N)
predictions, which metrics.per_frequency_mse turns into the numbers.
"""
from __future__ import annotations

import numpy as np

from . import metrics
from .config import TrainConfig
from .data import Dataset, build_dataset

PROTOCOLS = {
    "per-stream": "per-stream frozen MSE (each frequency its own stream from a zero state at t = 0)",
    "frequency-major": "frequency-major frozen MSE (state carried across the 40,000 rows)",
}


def native_protocol(cfg: TrainConfig) -> str:
    """The protocol a run's own metrics.json uses: the way its trainer ran the rows."""
    return "per-stream" if cfg.trainer == "streams" else "frequency-major"


def input_gain(cfg: TrainConfig) -> float:
    """The factor the model was trained to see on S (the stream trainer's input gain; 1 for L=1)."""
    return float(cfg.streams.input_gain) if cfg.streams is not None else 1.0


def _check_protocol(protocol: str | None, cfg: TrainConfig) -> str:
    protocol = protocol or native_protocol(cfg)
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol={protocol!r} is not allowed: use one of {', '.join(PROTOCOLS)}")
    return protocol


def predict(model, cfg: TrainConfig, ds: Dataset, protocol: str | None = None) -> np.ndarray:
    """Frozen (K, N) predictions of `model` on `ds` under `protocol` (default: the run's own)."""
    protocol = _check_protocol(protocol, cfg)
    gain = input_gain(cfg)
    if protocol == "per-stream":
        from .stream_trainer import predict_streams
        return predict_streams(model, ds, gain, cfg.input_blind)
    from .trainer import frozen_predict, rows_for
    rows = rows_for(ds, cfg.input_blind).copy()
    rows[:, 0] *= gain
    preds, _ = frozen_predict(model, rows)
    return metrics.as_blocks(preds, ds)


def scores(model, cfg: TrainConfig, train_ds: Dataset, test_ds: Dataset, mask=None,
           protocol: str | None = None) -> dict:
    """metrics.json's keys: frozen train/test MSE, overall and per frequency ('1', '3', ...)."""
    tr = metrics.per_frequency_mse(predict(model, cfg, train_ds, protocol), train_ds, mask)
    te = metrics.per_frequency_mse(predict(model, cfg, test_ds, protocol), test_ds, mask)
    return {"train_mse": tr["mse"], "test_mse": te["mse"],
            "train_mse_per_frequency": tr["per_frequency"], "test_mse_per_frequency": te["per_frequency"]}


def frozen_metrics(model, cfg: TrainConfig, protocol: str | None = None) -> dict:
    return scores(model, cfg, build_dataset(cfg.data, split="train"), build_dataset(cfg.data, split="test"),
                  protocol=protocol)


def shifted_metrics(model, cfg: TrainConfig, time_offset: float, warmup: float, protocol: str | None = None) -> dict:
    """The same keys on a time axis that starts at t0 (train seed 1, test seed 2), skipping `warmup` s.

    Train and test share the time grid, so a model that generates sin(2*pi*f*t)
    from its own step count and ignores S scores well on them. Here it cannot.
    With time_offset 0 this is the usual test, scored with the same warm-up mask.
    """
    train_ds = build_dataset(cfg.data, split="train", time_offset=time_offset)
    test_ds = metrics.shifted_test_set(cfg.data, time_offset)
    mask = metrics.warmup_mask(test_ds, warmup)
    return {**scores(model, cfg, train_ds, test_ds, mask, protocol), "time_offset": float(time_offset),
            "warmup": float(warmup), "scored_samples_per_frequency": int(mask.sum())}
