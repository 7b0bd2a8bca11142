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

Engines: an epoch's windows run in an engine (`make_stream_engine`): "torch" is
`TorchStreamEngine` below, `window_step` window after window; "fused" is the
same arithmetic compiled (engines/streams_fused.py). `train` keeps the epoch
loop (validation, selection, early stopping, history) for both.
"""
from __future__ import annotations

import copy
import math
import time

import numpy as np
import torch

from . import checkpoints, stopping
from .config import ConfigError, EngineUnavailable, TrainConfig
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


class TorchStreamEngine:
    """Engine "torch": `step` (default window_step) over every window of an epoch, torch Adam.

    Any window function with window_step's signature can be passed: the
    notebooks train with the student's own.
    """

    name = "torch"

    def __init__(self, model: FrequencyLSTM, cfg: TrainConfig, step=None):
        self.model, self.cfg, self.step_fn = model, cfg, step or window_step
        o = cfg.optimizer
        self.optimizer = torch.optim.Adam(model.parameters(), lr=o.learning_rate, betas=o.betas, eps=o.eps,
                                          weight_decay=o.weight_decay)

    def train_epoch(self, x, y, lrs) -> np.ndarray:
        """One epoch from a zero state; lrs[i] is window i's learning rate. Per-window losses."""
        s, T = self.cfg.streams, x.shape[0]
        model, opt = self.model, self.optimizer
        saved = {0: model.initial_state(x.shape[1])}  # epoch start: the only reset
        losses = np.empty(len(lrs), np.float64)  # the trainer keeps them as float32
        model.train()
        with one_thread():  # batch 4, hidden 64: one thread is fastest and reproducible
            for i, start in enumerate(range(0, T, s.stride)):
                stop = min(start + s.stride, T)
                back = max(0, start - (s.window - s.stride))  # the window reaches back this far
                for g in opt.param_groups:
                    g["lr"] = float(lrs[i])
                losses[i], saved[stop] = self.step_fn(model, opt, x[back:stop], y[start:stop], saved[back],
                                                      self.cfg.training.clip_grad_norm)
                for key in [k for k in saved if k < back]:
                    del saved[key]
        return losses

    def sync_to_model(self) -> None:
        """Nothing to do: this engine trains the model's own parameters."""

    def optimizer_state(self) -> dict:
        return self.optimizer.state_dict()

    def load_optimizer_state(self, d: dict) -> None:
        self.optimizer.load_state_dict(d)


def make_stream_engine(name: str, model: FrequencyLSTM, cfg: TrainConfig, step=None):
    """"torch" -> TorchStreamEngine; "fused" -> engines.streams_fused (imported only when asked for).

    A `step` function always means the torch engine: it is torch code.
    """
    if name == "torch" or step is not None:
        return TorchStreamEngine(model, cfg, step)
    if name == "fused":
        try:
            from .engines.streams_fused import StreamsFusedEngine
        except ImportError as e:
            raise EngineUnavailable(f"engine 'fused' for trainer 'streams' could not be imported "
                                    f"({type(e).__name__}: {e}): use engine: torch") from None
        return StreamsFusedEngine(model, cfg)
    raise ConfigError(f"engine={name!r} is not allowed: allowed engines are 'torch', 'fused'")


def epoch_lrs(epoch: int, n_windows: int, cfg: TrainConfig) -> np.ndarray:
    """The learning rate of every window of `epoch` (1-based): the schedule runs over all epochs' steps."""
    total = cfg.training.num_epochs * n_windows
    first = (epoch - 1) * n_windows
    return np.array([_lr_at(first + i, total, cfg) for i in range(n_windows)])


def train(cfg: TrainConfig, *, run_dir=None, progress: bool = True, eval_every_epoch: bool = True,
          callbacks=None, resume: bool | str = False, step=None) -> TrainResult:
    """Train the corrected regime; frozen validation MSE is computed every epoch (it drives selection).

    cfg.engine picks the engine that runs each epoch's windows; `step` (a
    function with window_step's signature) runs instead of window_step, on the
    torch engine whatever cfg.engine says. With run_dir, as trainer.train
    (checkpoints.py): checked and locked before the first epoch, a resumable
    checkpoint after every epoch; a SIGINT/SIGTERM stops at the end of the current
    epoch. resume=True continues an interrupted run.
    """
    if cfg.trainer != "streams":
        raise ConfigError(f"trainer={cfg.trainer!r} is not allowed here: stream_trainer.train runs trainer 'streams'")
    with checkpoints.Session(cfg, run_dir, resume=resume, eval_every_epoch=eval_every_epoch,
                             boundary="the stream trainer stops at the end of an epoch") as session:
        result = _train(cfg, session, progress, session.eval_every_epoch, callbacks, step)
        session.finish(result)
    return result


def _train(cfg: TrainConfig, session, progress: bool, eval_every_epoch: bool, callbacks, step) -> TrainResult:
    s = cfg.streams
    train_ds = build_dataset(cfg.data, split="train")
    val_ds = build_dataset(cfg.data, split="validation")
    test_ds = build_dataset(cfg.data, split="test")
    make = stream_inputs if s.parallel else single_stream_inputs
    x, y = make(train_ds, s.input_gain, cfg.input_blind)
    n_windows = len(range(0, x.shape[0], s.stride))
    n_epochs = cfg.training.num_epochs

    model = new_model(cfg)
    if session.resumed is not None:  # [resume] the weights go in before the engine takes its copy
        model.load_state_dict(session.resumed["model"])
    engine = make_stream_engine(cfg.engine, model, cfg, step)
    bar = None
    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=n_epochs * n_windows, unit="window", desc=cfg.name, mininterval=0.5)
    history, all_losses, val_curve = [], [], []
    best = dict(epoch=0, val=math.inf, weights=None, opt=None)
    stopped_by, first_epoch = stopping.COMPLETED, 1
    if session.resumed is not None:  # [resume] continue an interrupted run after its last finished epoch
        first_epoch = _restore(session.resumed, engine, history, all_losses, val_curve, best)
        session.restore_rng()
        if bar is not None:
            bar.update((first_epoch - 1) * n_windows)
    cpu0 = time.process_time()
    try:
        for epoch in range(first_epoch, n_epochs + 1):
            t0 = time.perf_counter()
            lrs = epoch_lrs(epoch, n_windows, cfg)
            losses = np.asarray(engine.train_epoch(x, y, lrs), dtype=np.float32)
            engine.sync_to_model()
            if bar is not None:
                bar.update(n_windows)
            model.eval()
            val = stream_mse(model, val_ds, s.input_gain, cfg.input_blind)
            record = {"epoch": epoch, "online_loss": float(losses.mean()), "lr": float(lrs[-1]),
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
                            opt=copy.deepcopy(engine.optimizer_state()))
            es = cfg.early_stopping
            if es.enabled and stopping.early_stopping_fires(val_curve, es.patience, es.min_delta):
                stopped_by = stopping.EARLY_STOPPING
                break
            if any(cb(record, model) for cb in (callbacks or ())):
                stopped_by = stopping.CALLBACK
                break
            session.epoch_done({"epoch": epoch + 1, "row": 0, "step": epoch * n_windows,  # [resume]
                                "model": model.state_dict(), "optimizer": engine.optimizer_state(),
                                "history": history, "best": best,
                                "online_losses": np.stack(all_losses), "stopping": {"val_curve": val_curve}})
    finally:
        if bar is not None:
            bar.close()

    best_model = new_model(cfg)
    best_model.load_state_dict(best["weights"])
    result = TrainResult(config=cfg, model=model, best_model=best_model, history=history,
                         online_losses=np.stack(all_losses), stopped_by=stopped_by, best_epoch=best["epoch"],
                         metrics=frozen_metrics(best_model, cfg), optimizer_state=engine.optimizer_state(),
                         best_optimizer_state=best["opt"])
    return result


def _restore(saved: dict, engine, history: list, all_losses: list, val_curve: list, best: dict) -> int:
    """[resume] Put the state after an epoch back (the weights are already in the model); returns the next epoch."""
    engine.load_optimizer_state(saved["optimizer"])
    history.extend(saved["history"])
    all_losses.extend(list(saved["online_losses"].numpy()))
    val_curve.extend(saved["stopping"]["val_curve"])  # what early stopping has seen
    best.update(saved["best"])
    return saved["epoch"]
