"""The reference L=1 trainer: the report's regime, done carefully and measured.

Regime (the assignment's L=1 default, as the report ran it): rows in their
frequency-major order, batch 1, sequence length 1. The LSTM state is carried
from each row to the next and detached after every step; it is reset to zeros
only at the start of an epoch. Per row: MSE, backward, global gradient-norm
clipping, one Adam step. The loss recorded for a row is computed *before* that
row's update, so the epoch mean is the "online" loss the report calls "loss".

Engines (see docs/ARCHITECTURE.md) own the working weights, optimiser state and
carried state during an epoch. `TorchEngine` here is the readable reference;
`engines.l1_fused.FusedEngine` is a compiled one with the same protocol.

Frozen evaluation is separate on purpose: weights fixed, all rows in order,
state carried. It answers "what did the model learn?", which the online loss
does not.
"""
from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from . import checkpoints, stopping
from .checkpoints import STOP
from .config import ConfigError, EngineUnavailable, TrainConfig
from .data import Dataset, build_dataset
from .model import FrequencyLSTM, one_thread
from .run_result import TrainResult, new_model  # noqa: F401  (their home is run_result; re-exported here)

CHUNK_ROWS = 1000  # rows per engine call: the progress bar and running loss update this often


# --- the per-row step -------------------------------------------------------------
def clip_grads_(grads: Sequence[torch.Tensor], max_norm: float) -> torch.Tensor:
    """Global-norm clipping in place; returns the pre-clip norm.

    The same arithmetic as torch.nn.utils.clip_grad_norm_ (per-tensor norms, the
    norm of those, scale by min(max_norm / (norm + 1e-6), 1)) without its
    per-call grouping and checks, which cost ~10% of an L=1 step.
    """
    total = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    torch._foreach_mul_(grads, torch.clamp(max_norm / (total + 1e-6), max=1.0))
    return total


def _rows_tensor(X, input_size: int) -> torch.Tensor:
    """(n, input_size) rows -> float32 tensor (n, 1, input_size): row i is a batch of one."""
    if isinstance(X, torch.Tensor):
        t = X.detach().to(torch.float32)
    else:
        t = torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    return t.reshape(-1, 1, input_size)


class TorchEngine:
    """Reference engine: FrequencyLSTM.step + fused Adam, one thread, state carried.

    Every per-row cost here is dispatch overhead, not arithmetic. Measured on a
    busy 2-core machine (CPU seconds per 40,000 rows, best of 5): Adam
    fused=True 28.7, foreach=True 37.4; and the whole engine is about 2x faster
    than the report's nn.LSTM loop (`python -m freqlstm_helpers.bench`).
    Calling torch's functional Adam directly would save another ~10%; the
    optimizer object is kept because it is what a reader expects to see.
    """

    name = "torch"

    def __init__(self, model: FrequencyLSTM, cfg: TrainConfig):
        self.model, self.cfg = model, cfg
        self.params = list(model.parameters())
        o = cfg.optimizer
        self.optimizer = torch.optim.Adam(self.params, lr=o.learning_rate, betas=o.betas, eps=o.eps,
                                          weight_decay=o.weight_decay, fused=True)
        self.max_norm = float(cfg.training.clip_grad_norm)
        self.last_predictions = None  # the last train_rows call's online predictions
        self.reset_state()

    def reset_state(self) -> None:
        """Zeros. Called at the start of each epoch and nowhere else."""
        self.state = self.model.initial_state(1)

    def train_rows(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """Train on rows in order; returns per-row online losses and pre-clip grad norms (float32).

        A SIGINT/SIGTERM during training (checkpoints.STOP) ends the call after the
        current row: the arrays then cover only the rows done, and `state` is the
        state after the last of them, so training can resume at the next row.
        """
        threads = torch.get_num_threads()
        if threads == 1:
            return self._train_rows(X, y)
        torch.set_num_threads(1)  # batch-1 ops: extra threads only add synchronisation (3x slower under load)
        try:
            return self._train_rows(X, y)
        finally:
            torch.set_num_threads(threads)

    def _train_rows(self, X, y):
        model, opt, params, max_norm = self.model, self.optimizer, self.params, self.max_norm
        X = _rows_tensor(X, model.input_size)
        y = torch.as_tensor(np.asarray(y, dtype=np.float32)).reshape(-1, 1)
        n = X.shape[0]
        if y.shape[0] != n:
            raise ValueError(f"X has {n} rows but y has {y.shape[0]}")
        losses, norms = torch.empty(n), torch.empty(n)  # filled in place: no .item() per row
        preds = torch.empty(n)
        state = self.state
        model.train()
        for i in range(n):
            if STOP.requested:  # stop between rows: everything up to row i-1 is done and consistent
                n = i
                break
            pred, state = model.step(X[i], state)
            preds[i] = pred.detach()
            loss = F.mse_loss(pred, y[i])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            norms[i] = clip_grads_([p.grad for p in params], max_norm)
            opt.step()
            losses[i] = loss.detach()
            state = model.detach(state)  # carry the values, cut the graph
        self.state = state
        self.last_predictions = preds[:n].numpy().astype(np.float64)
        return losses[:n].numpy(), norms[:n].numpy()

    def set_lr(self, lr: float) -> None:
        for g in self.optimizer.param_groups:
            g["lr"] = float(lr)

    def sync_to_model(self) -> None:
        """Nothing to do: this engine trains the model's own parameters."""

    def sync_from_model(self) -> None:
        """Nothing to do either: the model's parameters are the ones trained."""

    def optimizer_state(self) -> dict:
        return self.optimizer.state_dict()

    def load_optimizer_state(self, d: dict) -> None:
        self.optimizer.load_state_dict(d)


def make_engine(name: str, model: FrequencyLSTM, cfg: TrainConfig):
    """"torch" -> TorchEngine; "fused" -> engines.l1_fused.FusedEngine (imported only when asked for)."""
    if name == "torch":
        return TorchEngine(model, cfg)
    if name == "fused":
        try:
            from .engines.l1_fused import FusedEngine
        except ImportError as e:
            if getattr(e, "name", None) == "freqlstm_helpers.engines.l1_fused":
                raise EngineUnavailable("engine 'fused' needs freqlstm_helpers/engines/l1_fused.py, which this "
                                        "checkout does not have yet: use engine: torch") from None
            raise EngineUnavailable(f"engine 'fused' could not be imported ({type(e).__name__}: {e}): "
                                    "use engine: torch") from None
        return FusedEngine(model, cfg)
    raise ConfigError(f"engine={name!r} is not allowed: allowed engines are 'torch', 'fused'")


class PlateauSchedule:
    """torch's ReduceLROnPlateau, driven on a stand-in optimiser.

    The real optimiser may live inside a compiled engine, so the scheduler
    steers a one-parameter proxy and the trainer copies its LR over with
    engine.set_lr. Same rule, same numbers, any engine.
    """

    def __init__(self, lr: float, patience: int, factor: float):
        self._opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
        self._sched = torch.optim.lr_scheduler.ReduceLROnPlateau(self._opt, mode="min", patience=patience,
                                                                 factor=factor)

    def step(self, loss: float) -> float:
        self._sched.step(loss)
        return float(self._opt.param_groups[0]["lr"])

    def state_dict(self) -> dict:
        return {"scheduler": self._sched.state_dict(), "lr": float(self._opt.param_groups[0]["lr"])}

    def load_state_dict(self, d: dict) -> None:
        self._sched.load_state_dict(d["scheduler"])
        self._opt.param_groups[0]["lr"] = float(d["lr"])


# --- data and model from a config ---------------------------------------------------
def rows_for(ds: Dataset, input_blind: bool = False) -> np.ndarray:
    """The dataset's rows, with S zeroed for the input-blind control."""
    if not input_blind:
        return ds.X
    X = ds.X.copy()
    X[:, 0] = 0.0
    return X


def datasets(cfg: TrainConfig) -> tuple[Dataset, Dataset]:
    return build_dataset(cfg.data, split="train"), build_dataset(cfg.data, split="test")


# --- frozen evaluation ------------------------------------------------------------
def frozen_predict(model: FrequencyLSTM, X, state=None):
    """Predictions with the weights fixed: rows in order, state carried from `state` (zeros).

    One fused call over all rows (FrequencyLSTM.sequence): the same arithmetic
    as stepping row by row, without the Python loop.
    """
    X = _rows_tensor(X, model.input_size)
    with torch.no_grad(), one_thread():
        if state is None:
            state = model.initial_state(1)
        preds, state = model.sequence(X, state)
    return preds[:, 0].numpy().copy(), state


def frozen_mse(model: FrequencyLSTM, ds: Dataset, *, input_blind: bool = False) -> dict:
    """MSE over all rows, and per frequency block keyed "1", "3", ... (Hz)."""
    preds, _ = frozen_predict(model, rows_for(ds, input_blind))
    err = (preds.astype(np.float64) - ds.y.astype(np.float64)) ** 2
    per = {f"{f:g}": float(err[ds.block(k)].mean()) for k, f in enumerate(ds.config.frequencies)}
    return {"mse": float(err.mean()), "per_frequency": per}


def frozen_metrics(model: FrequencyLSTM, cfg: TrainConfig, train_ds: Dataset | None = None,
                   test_ds: Dataset | None = None) -> dict:
    """The metrics.json content: frozen train and test MSE, overall and per frequency."""
    if train_ds is None or test_ds is None:
        train_ds, test_ds = datasets(cfg)
    tr = frozen_mse(model, train_ds, input_blind=cfg.input_blind)
    te = frozen_mse(model, test_ds, input_blind=cfg.input_blind)
    return {"train_mse": tr["mse"], "test_mse": te["mse"],
            "train_mse_per_frequency": tr["per_frequency"], "test_mse_per_frequency": te["per_frequency"]}


def _epoch_record(epoch, losses, norms, lr, seconds, cfg, n_samples) -> dict:
    every = cfg.logging.log_every_n_batches
    blocks = losses.astype(np.float64).reshape(cfg.data.n_frequencies, n_samples).mean(axis=1)
    return {
        "epoch": epoch,
        "online_loss": float(losses.astype(np.float64).mean()),
        "lr": float(lr),
        "seconds": float(seconds),
        "block_means": {f"{f:g}": float(b) for f, b in zip(cfg.data.frequencies, blocks)},
        "grad_norm_mean": float(norms.astype(np.float64).mean()),
        "clipped_fraction": float(np.mean(norms > cfg.training.clip_grad_norm)),
        "grad_norms": [float(g) for g in norms[::every]],
    }


def train(cfg: TrainConfig, *, run_dir: str | Path | None = None, progress: bool = True,
          eval_every_epoch: bool = False, callbacks: Sequence[Callable] | None = None,
          resume: bool | str = False) -> TrainResult:
    """Train the L=1 regime described by cfg; save to run_dir if given.

    eval_every_epoch adds frozen train and test MSE (frequency-major, state
    carried, as metrics.json) and the validation MSE per stream (as the stream
    trainer records it, so notebook 04's ladder reads both trainers alike) to
    every epoch's record (about a second per epoch). Each callback is called as cb(record, model) after
    every epoch (model holds that epoch's weights); returning True stops the
    run with stopped_by="callback". The stopping rules of cfg see the online
    epoch loss, as the report prescribes.

    With run_dir (see checkpoints.py): the folder is checked before the first
    epoch and locked until saved, a resumable checkpoint is written after every
    epoch, and SIGINT/SIGTERM stop at the next row (engine torch) or engine call
    (fused), save, and raise checkpoints.TrainingInterrupted. resume=True
    continues such a run, bit-identical to an uninterrupted one ("auto": if any).
    """
    if cfg.trainer != "l1":
        raise ConfigError(f"trainer={cfg.trainer!r} is not allowed here: trainer.train runs trainer 'l1'")
    boundary = ("the torch engine stops at the next row" if cfg.engine == "torch" else
                f"the {cfg.engine} engine stops after its current call of up to {CHUNK_ROWS:,} rows")
    with checkpoints.Session(cfg, run_dir, resume=resume, eval_every_epoch=eval_every_epoch,
                             boundary=boundary) as session:
        result = _train(cfg, session, progress, session.eval_every_epoch, callbacks)
        session.finish(result)
    return result


def _train(cfg: TrainConfig, session, progress: bool, eval_every_epoch: bool, callbacks) -> TrainResult:
    train_ds, test_ds = datasets(cfg)
    val_ds = build_dataset(cfg.data, split="validation") if eval_every_epoch else None
    from .stream_trainer import stream_mse  # here: stream_trainer imports this module
    X, y = rows_for(train_ds, cfg.input_blind), train_ds.y
    n_rows, n_samples = X.shape[0], train_ds.n_samples
    model = new_model(cfg)
    saved = session.resumed  # [resume] the state of an interrupted run to continue from, or None
    if saved is not None:
        model.load_state_dict(saved["model"])
    engine = make_engine(cfg.engine, model, cfg)
    initial = (_clone_weights(new_model(cfg)), copy.deepcopy(engine.optimizer_state()))  # for training.epoch_reset
    sched = (PlateauSchedule(cfg.optimizer.learning_rate, cfg.lr_scheduler.patience, cfg.lr_scheduler.factor)
             if cfg.lr_scheduler.type == "ReduceLROnPlateau" else None)
    lr = cfg.optimizer.learning_rate
    n_epochs = cfg.training.num_epochs

    history, all_losses, epoch_losses = [], [], []
    best = dict(epoch=0, loss=np.inf, weights=None, opt=None)
    stopped_by = stopping.COMPLETED
    first_epoch, partial = 1, None
    if saved is not None:  # [resume]
        first_epoch, partial, lr = _restore(saved, engine, sched, history, all_losses, best, epoch_losses)
        session.restore_rng()

    def snapshot(epoch, row, losses=None, norms=None):  # [resume] what resume.ckpt holds: all the loop's state
        engine.sync_to_model()
        return {"epoch": epoch, "row": row, "rows_per_epoch": n_rows, "model": model.state_dict(),
                "optimizer": engine.optimizer_state(), "scheduler": sched.state_dict() if sched else None,
                "lr": lr, "history": history, "best": best, "stopping": {"epoch_losses": epoch_losses},
                "online_losses": np.stack(all_losses) if all_losses else np.empty((0, n_rows), np.float32),
                "partial": None if not row else {"losses": losses[:row], "norms": norms[:row],
                                                 "state": [np.array(s, np.float32).reshape(-1) for s in engine.state]}}

    bar = _progress_bar(progress, n_epochs * n_rows, cfg.name)
    if bar is not None and saved is not None:
        bar.update((first_epoch - 1) * n_rows + (len(partial["losses"]) if partial else 0))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # batch-1 ops are far below the size where threads pay off
    try:
        for epoch in range(first_epoch, n_epochs + 1):
            losses, norms = np.empty(n_rows, np.float32), np.empty(n_rows, np.float32)
            if partial is not None:  # [resume] inside this epoch: its rows so far and the carried state
                first_row, partial = _restore_partial(partial, engine, losses, norms), None
            else:
                first_row = 0
                engine.reset_state()
                if epoch > 1:
                    _epoch_reset(engine, model, cfg.training.epoch_reset, initial)
            order = row_order(cfg, train_ds, epoch)  # None: the rows as they are (frequency-major)
            Xo, yo = (X, y) if order is None else (X[order], y[order])
            t0 = time.perf_counter()
            for start, stop in _chunks(first_row, n_rows):
                part_losses, part_norms = engine.train_rows(Xo[start:stop], yo[start:stop])
                done = start + len(part_losses)
                losses[start:done], norms[start:done] = part_losses, part_norms
                if bar is not None:
                    bar.update(done - start)
                    bar.set_postfix(epoch=epoch, loss=f"{losses[:done].mean():.4f}", refresh=False)
                if done < n_rows and (done < stop or session.stop_requested):  # [resume] a signal: save, stop
                    session.interrupt(snapshot(epoch, done, losses, norms))
            seconds = time.perf_counter() - t0
            engine.sync_to_model()
            if order is not None:  # keep each loss at its frequency-major row, so blocks mean frequencies
                losses[order] = losses.copy()

            record = _epoch_record(epoch, losses, norms, lr, seconds, cfg, n_samples)
            if eval_every_epoch:
                torch.set_num_threads(threads)
                record["frozen_train_mse"] = frozen_mse(model, train_ds, input_blind=cfg.input_blind)["mse"]
                val = stream_mse(model, val_ds, 1.0, cfg.input_blind)  # per stream, as the stream trainer scores it
                record["frozen_val_mse"], record["frozen_val_mse_per_frequency"] = val["mse"], val["per_frequency"]
                record["frozen_test_mse"] = frozen_mse(model, test_ds, input_blind=cfg.input_blind)["mse"]
                torch.set_num_threads(1)
            history.append(record)
            all_losses.append(losses)
            epoch_losses.append(record["online_loss"])
            if best["weights"] is None or record["online_loss"] < best["loss"]:
                best.update(epoch=epoch, loss=record["online_loss"], weights=_clone_weights(model),
                            opt=copy.deepcopy(engine.optimizer_state()))

            reason = stopping.stop_reason(epoch_losses, cfg)
            if any(cb(record, model) for cb in (callbacks or ())):
                reason = reason or stopping.CALLBACK
            if reason is not None:
                stopped_by = reason
                break
            if sched is not None:
                new_lr = sched.step(record["online_loss"])
                if new_lr != lr:
                    engine.set_lr(new_lr)
                    lr = new_lr
            session.epoch_done(snapshot(epoch + 1, 0))  # [resume] the checkpoint to continue from; stops if asked
    finally:
        torch.set_num_threads(threads)
        if bar is not None:
            bar.close()

    best_model = new_model(cfg)
    best_model.load_state_dict(best["weights"])
    result = TrainResult(config=cfg, model=model, best_model=best_model, history=history,
                         online_losses=np.stack(all_losses), stopped_by=stopped_by, best_epoch=best["epoch"],
                         metrics={}, optimizer_state=copy.deepcopy(engine.optimizer_state()),
                         best_optimizer_state=best["opt"])
    result.metrics = frozen_metrics(result.checkpoint_model, cfg, train_ds, test_ds)
    return result


def _chunks(first_row: int, n_rows: int):
    """(start, stop) of each engine call; calls end on multiples of CHUNK_ROWS, resumed or not."""
    start = first_row
    while start < n_rows:
        stop = min((start // CHUNK_ROWS + 1) * CHUNK_ROWS, n_rows)
        yield start, stop
        start = stop


def _restore(saved: dict, engine, sched, history: list, all_losses: list, best: dict, epoch_losses: list):
    """[resume] Put a saved loop state back; returns (epoch to run, its partial rows or None, lr)."""
    engine.load_optimizer_state(saved["optimizer"])
    if sched is not None:
        sched.load_state_dict(saved["scheduler"])
    history.extend(saved["history"])
    all_losses.extend(list(saved["online_losses"].numpy()))
    best.update(saved["best"])
    epoch_losses.extend(saved["stopping"]["epoch_losses"])  # what the stopping rules have seen
    engine.set_lr(saved["lr"])
    return saved["epoch"], saved["partial"], saved["lr"]


def _restore_partial(partial: dict, engine, losses: np.ndarray, norms: np.ndarray) -> int:
    """[resume] The rows already done in the epoch and the state after them; returns the next row."""
    row = len(partial["losses"])
    losses[:row], norms[:row] = partial["losses"].numpy(), partial["norms"].numpy()
    engine.state = tuple(t.reshape(1, -1).to(torch.float32) for t in partial["state"])
    return row


def row_order(cfg: TrainConfig, ds: Dataset, epoch: int):
    """Indices into the frequency-major rows in the order an epoch trains them; None: unchanged.

    "interleaved": sample by sample, the K frequencies of t, then of t + 1/fs.
    "shuffled": a fresh permutation per epoch from a generator seeded by (seed, epoch).
    """
    K, N = cfg.data.n_frequencies, ds.n_samples
    if cfg.training.row_order == "interleaved":
        return np.arange(K * N).reshape(K, N).T.reshape(-1)
    if cfg.training.row_order == "shuffled":
        return np.random.default_rng([cfg.seed, epoch]).permutation(K * N)
    return None


def _epoch_reset(engine, model, how: str, initial) -> None:
    """training.epoch_reset: restart Adam (weights kept) or reload the initial weights (Adam kept)."""
    if how == "optimizer":
        engine.load_optimizer_state(copy.deepcopy(initial[1]))
    elif how == "weights":
        model.load_state_dict(initial[0])
        engine.sync_from_model()


def _clone_weights(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _progress_bar(enabled: bool, total: int, name: str):
    if not enabled:
        return None
    from tqdm.auto import tqdm
    return tqdm(total=total, unit="row", unit_scale=True, desc=name, mininterval=0.5, smoothing=0.1)
