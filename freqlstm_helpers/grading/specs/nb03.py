"""Notebook 03: divergence at LR 1e-3. The L=1 loop against the reference engine; the rest by plain loops."""
from __future__ import annotations

import numpy as np

from ..verdicts import close, fields, flag, floats_of
from . import probes
from .base import Exercise, Notebook

_ENGINES = ("trainer.TorchEngine", "trainer.make_engine", "trainer.train", "l1_fused.FusedEngine", "runs.cached_train",
            "runs.cached_train_many", "state_checks.run_state_checks", "bench.plain_loop", "bench.engine_loop",
            "stream_trainer.train", "stream_trainer.window_step", "nb03.course_rows", "nb03.train_blocks", "nb03.chase")
_FROZEN = ("trainer.frozen_predict", "trainer.frozen_mse", "trainer.frozen_metrics", "evaluate.predict",
           "evaluate.scores", "evaluate.frozen_metrics", "stream_trainer.predict_streams", "stream_trainer.stream_mse",
           "stream_trainer.frozen_metrics", "l1_fused.predict_rows", "l1_fused.predict_params", "l1_fused.FusedEngine",
           "state_checks.outputs_over_rows")


# --- 03.1a train_l1_rows -----------------------------------------------------------------
def _l1_cases(rng):
    from freqlstm_helpers.data import SignalConfig, build_dataset
    out = []
    for phase_scale, lr, max_norm in ((float(rng.choice([0.1, 1.0])), 1e-3, 1.0), (0.1, float(rng.choice([3e-3, 1e-4])),
                                                                                 float(rng.choice([0.5, 2.0])))):
        ds = build_dataset(SignalConfig(phase_scale=phase_scale), split="train")
        start = int(rng.integers(0, len(ds.y) - 300))
        out.append({"seed": int(rng.integers(0, 10_000)), "X": ds.X[start:start + 300].copy(),
                    "y": ds.y[start:start + 300].copy(), "lr": lr, "max_norm": max_norm})
    return out


def _l1_reference(case):
    """The reference engine (FrequencyLSTM.step, fused Adam, global-norm clip) from the same weights."""
    from freqlstm_helpers.config import TrainConfig
    from freqlstm_helpers.model import FrequencyLSTM
    from freqlstm_helpers.trainer import TorchEngine
    cfg = TrainConfig().replace(**{"optimizer.learning_rate": case["lr"], "training.clip_grad_norm": case["max_norm"]})
    return TorchEngine(FrequencyLSTM.seeded(case["seed"]), cfg).train_rows(case["X"], case["y"])[0].astype(np.float64)


def _losses(cmp):
    def compare(got, want):
        got = floats_of(got)
        ok, msg = cmp(got, want)
        if ok or not isinstance(got, np.ndarray) or got.shape != want.shape:
            return ok, msg
        first = int(np.argmax(np.abs(got - want) > 1e-6))
        where = ("the very first row already differs, before any update: check the step and the loss" if first == 0
                 else f"rows 0-{first - 1} agree, row {first} differs: check the update order (zero_grad, backward, "
                      "clip, step) and that the state is carried, then detached")
        return False, f"{msg}; {where}"
    return compare


# --- 03.1b block_means -------------------------------------------------------------------
def _block_cases(rng):
    return [{"args": [rng.random(int(b) * int(n)), int(b)]} for b, n in zip(rng.integers(2, 7, 3), rng.integers(1, 60, 3))]


def _block_reference(case):
    losses, b = case["args"]
    n = len(losses) // b
    return np.array([sum(losses[i * n:(i + 1) * n]) / n for i in range(b)])


# --- 03.2a blind_rows --------------------------------------------------------------------
def _blind_cases(rng):
    return [{"args": [rng.normal(size=(int(n), int(w))).astype(np.float32)]}
            for n, w in zip(rng.integers(1, 40, 3), rng.integers(2, 8, 3))]


def _blind_reference(case):
    X = case["args"][0].astype(np.float64)
    out = X.copy()
    out[:, 0] = 0.0
    return {"out": out, "inputs_untouched": True}


# --- 03.2b frozen_mse --------------------------------------------------------------------
def _frozen_cases(rng):
    return [{"seed": int(rng.integers(0, 10_000)), "hidden": int(h), "X": rng.normal(size=(int(n), 5)).astype(np.float32),
             "y": rng.normal(size=int(n))} for h, n in zip(rng.choice([16, 64], 2), rng.integers(50, 300, 2))]


def _frozen_reference(case):
    """One LSTMCell step per row from zeros, state carried, in float64 on the float32 weights."""
    import torch
    from freqlstm_helpers.model import FrequencyLSTM
    model = FrequencyLSTM.seeded(case["seed"], hidden_size=case["hidden"]).double()
    h = c = torch.zeros(1, case["hidden"], dtype=torch.float64)
    preds = []
    with torch.no_grad():
        for row in torch.from_numpy(case["X"].astype(np.float64)):
            h, c = model.cell(row[None], (h, c))
            preds.append(float(model.head(h)))
    return {"out": float(np.mean((np.array(preds) - case["y"]) ** 2)), "weights_unchanged": True}


# --- 03.3 last_target_mse ------------------------------------------------------------------
def _last_cases(rng):
    out = []
    for n in rng.integers(2, 600, 3):
        f = float(rng.uniform(0.5, 9))
        out.append({"args": [np.sin(2 * np.pi * f * np.arange(int(n)) / 1000.0 + rng.uniform(0, 6))
                             + rng.normal(0, 0.05, int(n))]})
    return out


def _last_reference(case):
    y, prev, total = case["args"][0], 0.0, 0.0
    for v in y:
        total += (float(v) - prev) ** 2
        prev = float(v)
    return total / len(y)


NOTEBOOK = Notebook("03_divergence_at_lr_1e-3", (
    Exercise("03.1a", "train_l1_rows", 3, _l1_cases, probes.l1_rows, _l1_reference, _losses(close(atol=1e-6)),
             denied=_ENGINES, cpu_seconds=40,
             describe=lambda c: f"seed {c['seed']}, {len(c['y'])} rows, lr {c['lr']:g}, max_norm {c['max_norm']:g}"),
    Exercise("03.1b", "block_means", 1, _block_cases, probes.call, _block_reference, close(atol=1e-12, rtol=1e-12),
             denied=("trainer.TrainResult.block_means", "metrics.as_blocks", "nb03.block_means_of", "nb03.second_means"),
             describe=lambda c: f"{c['args'][1]} blocks of {len(c['args'][0]) // c['args'][1]} rows"),
    Exercise("03.2a", "blind_rows", 1, _blind_cases, probes.call_copy_args, _blind_reference,
             fields(out=close(atol=0), inputs_untouched=flag("your function changed the rows it was given: work on a copy")),
             denied=("trainer.rows_for", "stream_trainer.stream_inputs", "stream_trainer.single_stream_inputs"),
             describe=lambda c: f"{c['args'][0].shape[0]} rows x {c['args'][0].shape[1]} columns"),
    Exercise("03.2b", "frozen_mse", 2, _frozen_cases, probes.model_rows, _frozen_reference,
             fields(out=close(atol=1e-5, rtol=1e-5),
                    weights_unchanged=flag("your function changed the model's weights: frozen means no update")),
             denied=_FROZEN,
             describe=lambda c: f"seed {c['seed']}, hidden size {c['hidden']}, {len(c['y'])} rows"),
    Exercise("03.3", "last_target_mse", 1, _last_cases, probes.call, _last_reference, close(atol=1e-12, rtol=1e-9),
             denied=("nb03.repeat_last_mse",),
             describe=lambda c: f"{len(c['args'][0])} rows"),
), preimport=("numpy", "torch", "matplotlib.pyplot", "torch._dynamo"))  # Adam imports _dynamo: once, before forking
