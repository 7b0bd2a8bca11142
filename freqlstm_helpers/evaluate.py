"""Frozen evaluation for any trained model, whichever trainer made it.

An L=1 model is scored the way it was trained: the 40,000 frequency-major rows
in order, the state carried across blocks. A stream model is scored per stream,
each from a zero state at t = 0. Both give (K, N) predictions, which
metrics.per_frequency_mse turns into the numbers of metrics.json.
"""
from __future__ import annotations

import numpy as np

from . import metrics
from .config import TrainConfig
from .data import Dataset, build_dataset


def predict(model, cfg: TrainConfig, ds: Dataset) -> np.ndarray:
    """Frozen (K, N) predictions of `model` on `ds`, in the regime cfg trained it in."""
    if cfg.trainer == "streams":
        from .stream_trainer import predict_streams
        return predict_streams(model, ds, cfg.streams.input_gain, cfg.input_blind)
    from .trainer import frozen_predict, rows_for
    preds, _ = frozen_predict(model, rows_for(ds, cfg.input_blind))
    return metrics.as_blocks(preds, ds)


def scores(model, cfg: TrainConfig, train_ds: Dataset, test_ds: Dataset, mask=None) -> dict:
    """metrics.json's keys: frozen train/test MSE, overall and per frequency ('1', '3', ...)."""
    tr = metrics.per_frequency_mse(predict(model, cfg, train_ds), train_ds, mask)
    te = metrics.per_frequency_mse(predict(model, cfg, test_ds), test_ds, mask)
    return {"train_mse": tr["mse"], "test_mse": te["mse"],
            "train_mse_per_frequency": tr["per_frequency"], "test_mse_per_frequency": te["per_frequency"]}


def frozen_metrics(model, cfg: TrainConfig) -> dict:
    return scores(model, cfg, build_dataset(cfg.data, split="train"), build_dataset(cfg.data, split="test"))


def shifted_metrics(model, cfg: TrainConfig, time_offset: float, warmup: float) -> dict:
    """The same keys on a time axis that starts at t0 (train seed 1, test seed 2), skipping `warmup` s.

    Train and test share the time grid, so a model that generates sin(2*pi*f*t)
    from its own step count and ignores S scores well on them. Here it cannot.
    """
    train_ds = build_dataset(cfg.data, split="train", time_offset=time_offset)
    test_ds = metrics.shifted_test_set(cfg.data, time_offset)
    mask = metrics.warmup_mask(test_ds, warmup)
    return {**scores(model, cfg, train_ds, test_ds, mask), "time_offset": float(time_offset),
            "warmup": float(warmup), "scored_samples_per_frequency": int(mask.sum())}
