"""The corrected regime: state over the whole sequence, parallel streams, truncated BPTT.

Why each piece (notebook 04 Part B measures them one at a time):
- Still one sample per step, with the state carried across all 10,000 samples,
  as the assignment's L=1 stepping asks.
- Four frequency streams side by side (batch 4). Stream k always gets
  [g*S(t), one-hot(k)] and target sin(2*pi*f_k*t), so training one block no
  longer overwrites what the others learned. `parallel: false` keeps the report's
  single frequency-major stream instead.
- Truncated BPTT: every `stride` samples one optimiser step, whose gradient
  flows back through the last `window` samples. Separating 1 Hz from 3 Hz
  needs about 1 s of memory, and one-step gradients (notebook 02) cannot teach it.
- Model selection and early stopping on the **frozen validation MSE**
  (validation seed), never on the online loss and never on the test set.

The run is a trainer.TrainResult, so run folders, the cache and the CLI are shared
with the L=1 trainer. `best_model` is the best epoch on validation.
"""
from __future__ import annotations

import copy
import math
import time

import numpy as np
import torch

from . import checkpoints, stopping
from .config import ConfigError, TrainConfig
from .data import Dataset, build_dataset
from .metrics import freq_key
from .model import FrequencyLSTM, one_thread
from .trainer import TrainResult, new_model


def stream_inputs(ds: Dataset, gain: float, input_blind: bool = False):
    """(N, K, 1+K) inputs and (N, K) targets: stream k asks for frequency k at every sample."""
    K, N = ds.targets.shape
    x = np.zeros((N, K, 1 + K), np.float32)
    if not input_blind:
        x[:, :, 0] = gain * ds.S[:, None]
    for k in range(K):
        x[:, k, 1 + k] = 1.0
    return torch.from_numpy(x), torch.from_numpy(np.ascontiguousarray(ds.targets.T, dtype=np.float32))


def single_stream_inputs(ds: Dataset, gain: float, input_blind: bool = False):
    """The report's frequency-major rows as one stream: (K*N, 1, 1+K) and (K*N, 1)."""
    X = ds.X.copy()
    X[:, 0] = 0.0 if input_blind else gain * X[:, 0]
    return torch.from_numpy(X[:, None, :]), torch.from_numpy(ds.y[:, None].copy())


@torch.no_grad()
def predict_streams(model: FrequencyLSTM, ds: Dataset, gain: float, input_blind: bool = False) -> np.ndarray:
    """Frozen (K, N) predictions: every stream from a zero state at its first sample, state carried."""
    x, _ = stream_inputs(ds, gain, input_blind)
    with one_thread():
        out, _ = model.sequence(x, model.initial_state(x.shape[1]))
    return out.numpy().T.astype(np.float64)


def stream_mse(model, ds: Dataset, gain: float, input_blind: bool = False) -> dict:
    err = (predict_streams(model, ds, gain, input_blind) - ds.targets) ** 2
    return {"mse": float(err.mean()),
            "per_frequency": {freq_key(f): float(err[k].mean()) for k, f in enumerate(ds.config.frequencies)}}


def frozen_metrics(model, cfg: TrainConfig) -> dict:
    """The metrics.json content for a stream model (same keys as the L=1 trainer's)."""
    g = cfg.streams.input_gain
    tr = stream_mse(model, build_dataset(cfg.data, split="train"), g, cfg.input_blind)
    te = stream_mse(model, build_dataset(cfg.data, split="test"), g, cfg.input_blind)
    return {"train_mse": tr["mse"], "test_mse": te["mse"],
            "train_mse_per_frequency": tr["per_frequency"], "test_mse_per_frequency": te["per_frequency"]}


def window_step(model, opt, x_win, y_scored, state, max_norm):
    """One truncated-BPTT window over all streams: the loop body notebook 04 asks students to write.

    x_win (W, K, 1+K) runs from the carried `state`; only the last len(y_scored)
    outputs are scored. The gradient flows back through all W steps and no
    further, because `state` was detached when it was saved. Returns the loss and
    the final state, detached for the next window.
    """
    out, new_state = model.sequence(x_win, state)
    loss = ((out[len(x_win) - len(y_scored):] - y_scored) ** 2).mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if max_norm:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    opt.step()
    return float(loss.detach()), model.detach(new_state)  # carried into the next window, graph cut


def first_windows(cfg: TrainConfig, n_windows: int, step=None) -> dict:
    """The first n windows of epoch 1, as train() runs them: per-window losses and the weights after.

    `step` defaults to window_step; a student's own window function can be passed
    instead, so the self-check drives both through exactly the same bookkeeping.
    """
    step = step or window_step
    s = cfg.streams
    x, y = (stream_inputs if s.parallel else single_stream_inputs)(build_dataset(cfg.data, split="train"),
                                                                  s.input_gain, cfg.input_blind)
    model = new_model(cfg)
    o = cfg.optimizer
    opt = torch.optim.Adam(model.parameters(), lr=o.learning_rate, betas=o.betas, eps=o.eps,
                           weight_decay=o.weight_decay)
    saved, losses = {0: model.initial_state(x.shape[1])}, []
    starts = list(range(0, x.shape[0], s.stride))
    with one_thread():
        for i, start in enumerate(starts[:n_windows]):
            for g in opt.param_groups:
                g["lr"] = _lr_at(i, cfg.training.num_epochs * len(starts), cfg)
            stop, back = min(start + s.stride, x.shape[0]), max(0, start - (s.window - s.stride))
            loss, saved[stop] = step(model, opt, x[back:stop], y[start:stop], saved[back], cfg.training.clip_grad_norm)
            losses.append(float(loss))
    return {"losses": np.array(losses), "state_dict": model.state_dict(), "state": saved[stop]}


def _lr_at(step: int, total: int, cfg: TrainConfig) -> float:
    lr, s = cfg.optimizer.learning_rate, cfg.streams
    if step < s.warmup_steps:
        return lr * (step + 1) / s.warmup_steps
    if s.schedule == "constant":
        return lr
    progress = (step - s.warmup_steps) / max(1, total - s.warmup_steps)
    return lr * 0.5 * (1 + math.cos(math.pi * progress))


def train(cfg: TrainConfig, *, run_dir=None, progress: bool = True, eval_every_epoch: bool = True,
          callbacks=None, resume: bool | str = False) -> TrainResult:
    """Train the corrected regime; frozen validation MSE is computed every epoch (it drives selection).

    With run_dir, as trainer.train (checkpoints.py): checked and locked before the
    first epoch, a resumable checkpoint after every epoch; a SIGINT/SIGTERM stops
    at the end of the current epoch. resume=True continues an interrupted run.
    """
    if cfg.trainer != "streams":
        raise ConfigError(f"trainer={cfg.trainer!r} is not allowed here: stream_trainer.train runs trainer 'streams'")
    with checkpoints.Session(cfg, run_dir, resume=resume, eval_every_epoch=eval_every_epoch,
                             boundary="the stream trainer stops at the end of an epoch") as session:
        result = _train(cfg, session, progress, session.eval_every_epoch, callbacks)
        session.finish(result)
    return result


def _train(cfg: TrainConfig, session, progress: bool, eval_every_epoch: bool, callbacks) -> TrainResult:
    s = cfg.streams
    train_ds = build_dataset(cfg.data, split="train")
    val_ds = build_dataset(cfg.data, split="validation")
    test_ds = build_dataset(cfg.data, split="test")
    make = stream_inputs if s.parallel else single_stream_inputs
    x, y = make(train_ds, s.input_gain, cfg.input_blind)
    T = x.shape[0]
    starts = list(range(0, T, s.stride))
    n_epochs = cfg.training.num_epochs
    total_steps = n_epochs * len(starts)

    model = new_model(cfg)
    o = cfg.optimizer
    opt = torch.optim.Adam(model.parameters(), lr=o.learning_rate, betas=o.betas, eps=o.eps,
                           weight_decay=o.weight_decay)
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=total_steps, unit="window", desc=cfg.name, mininterval=0.5)
    history, all_losses, val_curve = [], [], []
    best = dict(epoch=0, val=math.inf, weights=None, opt=None)
    stopped_by, step, first_epoch = stopping.COMPLETED, 0, 1
    if session.resumed is not None:  # [resume] continue an interrupted run after its last finished epoch
        first_epoch, step = _restore(session.resumed, model, opt, history, all_losses, val_curve, best)
        session.restore_rng()
        if bar is not None:
            bar.update(step)
    cpu0 = time.process_time()
    single = one_thread()
    single.__enter__()  # batch 4, hidden 64: one thread is fastest and reproducible
    try:
        for epoch in range(first_epoch, n_epochs + 1):
            t0 = time.perf_counter()
            saved = {0: model.initial_state(x.shape[1])}  # epoch start: the only reset
            losses = np.empty(len(starts), np.float32)
            model.train()
            for i, start in enumerate(starts):
                stop = min(start + s.stride, T)
                back = max(0, start - (s.window - s.stride))  # the window reaches back this far
                lr = _lr_at(step, total_steps, cfg)
                for g in opt.param_groups:
                    g["lr"] = lr
                losses[i], saved[stop] = window_step(model, opt, x[back:stop], y[start:stop], saved[back],
                                                     cfg.training.clip_grad_norm)
                for key in [k for k in saved if k < back]:
                    del saved[key]
                step += 1
            if bar is not None:
                bar.update(len(starts))
            model.eval()
            val = stream_mse(model, val_ds, s.input_gain, cfg.input_blind)
            record = {"epoch": epoch, "online_loss": float(losses.mean()), "lr": float(lr),
                      "seconds": time.perf_counter() - t0, "cpu_seconds": time.process_time() - cpu0,
                      "frozen_val_mse": val["mse"], "frozen_val_mse_per_frequency": val["per_frequency"]}
            if eval_every_epoch:
                record["frozen_train_mse"] = stream_mse(model, train_ds, s.input_gain, cfg.input_blind)["mse"]
                te = stream_mse(model, test_ds, s.input_gain, cfg.input_blind)
                record["frozen_test_mse"] = te["mse"]
                record["frozen_test_mse_per_frequency"] = te["per_frequency"]
            history.append(record)
            all_losses.append(losses)
            val_curve.append(val["mse"])
            if bar is not None:
                bar.set_postfix(epoch=epoch, val=f"{val['mse']:.4f}", refresh=False)
            if best["weights"] is None or val["mse"] < best["val"]:  # NaN everywhere still keeps epoch 1
                best.update(epoch=epoch, val=val["mse"], weights=copy.deepcopy(model.state_dict()),
                            opt=copy.deepcopy(opt.state_dict()))
            es = cfg.early_stopping
            if es.enabled and stopping.early_stopping_fires(val_curve, es.patience, es.min_delta):
                stopped_by = stopping.EARLY_STOPPING
                break
            if any(cb(record, model) for cb in (callbacks or ())):
                stopped_by = stopping.CALLBACK
                break
            session.epoch_done({"epoch": epoch + 1, "row": 0, "step": step, "model": model.state_dict(),  # [resume]
                                "optimizer": opt.state_dict(), "history": history, "best": best,
                                "online_losses": np.stack(all_losses), "stopping": {"val_curve": val_curve}})
    finally:
        single.__exit__(None, None, None)
        if bar is not None:
            bar.close()

    best_model = new_model(cfg)
    best_model.load_state_dict(best["weights"])
    result = TrainResult(config=cfg, model=model, best_model=best_model, history=history,
                         online_losses=np.stack(all_losses), stopped_by=stopped_by, best_epoch=best["epoch"],
                         metrics=frozen_metrics(best_model, cfg), optimizer_state=opt.state_dict(),
                         best_optimizer_state=best["opt"])
    return result


def _restore(saved: dict, model, opt, history: list, all_losses: list, val_curve: list, best: dict):
    """[resume] Put the state after an epoch back; returns (the next epoch, the optimiser step count)."""
    model.load_state_dict(saved["model"])
    opt.load_state_dict(saved["optimizer"])
    history.extend(saved["history"])
    all_losses.extend(list(saved["online_losses"].numpy()))
    val_curve.extend(saved["stopping"]["val_curve"])  # what early stopping has seen
    best.update(saved["best"])
    return saved["epoch"], saved["step"]
