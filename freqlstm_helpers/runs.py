"""Run folders: one per resolved config, written so a crash never looks like a result.

A run folder holds
    config.yaml            the resolved config (the folder's identity)
    best_model.pth         weights + optimizer state at the best epoch (lowest online loss)
    final_model.pth        the same after the last epoch run
    training_history.json  one record per epoch, stopped_by, best_epoch
    metrics.json           frozen train/test MSE of the checkpoint, overall and per frequency
    online_losses.npy      float32 (epochs, rows): every row's online loss, for re-plotting

Why so careful: notebooks reuse runs instead of retraining (`cached_train`), so
a folder must never silently hold results from another config, and a crash
mid-write must never leave a truncated checkpoint that loads as a result.
New folders are written under a temporary name and renamed into place; files
in an existing folder are each replaced atomically, config.yaml last.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import yaml

from . import paths
from .config import ConfigError, TrainConfig, config_from_dict, flatten, get_trainer

CONFIG, BEST, FINAL = "config.yaml", "best_model.pth", "final_model.pth"
HISTORY, METRICS, LOSSES = "training_history.json", "metrics.json", "online_losses.npy"
METRICS_OFFSET = "metrics_offset.json"  # `eval --time-offset`: the shifted-time test, same keys as metrics.json
CHECKPOINT_FORMAT = "freqlstm-checkpoint-1"


class RunError(Exception):
    """A run folder or file is missing, corrupt or not usable; the message says how to fix it."""


class RunConfigMismatch(RunError):
    """The folder was made with a different config."""


class CheckpointError(RunError):
    """A checkpoint file is missing or not a valid FreqLSTM checkpoint."""


# --- identity ---------------------------------------------------------------------
def config_hash(cfg: TrainConfig) -> str:
    """12 hex digits of sha256 over the resolved config (JSON, sorted keys): stable across runs."""
    blob = json.dumps(cfg.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def default_run_dir(cfg: TrainConfig) -> Path:
    return paths.runs_dir() / f"{cfg.name}-{config_hash(cfg)}"


def _retrain_hint(run_dir: Path) -> str:
    return (f"python -m freqlstm_helpers train --config {Path(run_dir) / CONFIG} --run-dir {run_dir}"
            if (Path(run_dir) / CONFIG).is_file() else "python -m freqlstm_helpers train --config <config.yaml>")


# --- atomic writes ----------------------------------------------------------------
def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write to a temp file in the same folder, fsync, then os.replace: all or nothing."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode())


def atomic_write_json(path: str | Path, obj) -> Path:
    return atomic_write_text(path, json.dumps(_json_safe(obj), indent=2) + "\n")


def _json_safe(obj):
    """NaN/inf -> null so the file is strict JSON; numpy scalars -> Python numbers."""
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _torch_bytes(obj) -> bytes:
    import torch
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


# --- checking a folder before writing into it ---------------------------------------
def read_run_config(run_dir: str | Path) -> TrainConfig | None:
    """The config a folder was made with; None if the folder has no config.yaml."""
    p = Path(run_dir) / CONFIG
    if not p.is_file():
        return None
    try:
        return config_from_dict(yaml.safe_load(p.read_text()))
    except (yaml.YAMLError, ConfigError) as e:
        raise RunError(f"{p} is not a valid run config ({str(e).splitlines()[0]}): "
                       "delete the folder or choose another run dir") from None


def config_diff(a: TrainConfig, b: TrainConfig) -> dict:
    """{"optimizer.learning_rate": (a's value, b's value), ...} for every differing key."""
    fa, fb = flatten(a.to_dict()), flatten(b.to_dict())
    return {k: (fa.get(k), fb.get(k)) for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)}


def check_run_dir(run_dir: str | Path, cfg: TrainConfig) -> None:
    """Raise unless run_dir is new, empty, or a run folder made with exactly cfg."""
    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise RunError(f"run dir {run_dir} exists and is a file: choose a folder path")
    existing = read_run_config(run_dir)
    if existing is None:
        if run_dir.is_dir() and any(run_dir.iterdir()):
            raise RunError(f"run dir {run_dir} is not empty and has no {CONFIG}: it is not a run folder; "
                           "choose a new or empty folder")
        return
    diff = config_diff(existing, cfg)
    if diff:
        parts = "; ".join(f"{k}: {va!r} in the folder, {vb!r} now" for k, (va, vb) in diff.items())
        raise RunConfigMismatch(f"run dir {run_dir} was made with a different config ({parts}): "
                                "choose another --run-dir or delete that folder")


# --- save -------------------------------------------------------------------------
def _checkpoint(result, which: str) -> dict:
    best = which == BEST
    model = result.best_model if best else result.model
    return {
        "format": CHECKPOINT_FORMAT,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": result.best_optimizer_state if best else result.optimizer_state,
        "epoch": result.best_epoch if best else result.epochs_run,
        "online_loss": result.history[(result.best_epoch if best else result.epochs_run) - 1]["online_loss"],
        "config": result.config.to_dict(),
    }


def history_dict(result) -> dict:
    return {
        "config_hash": config_hash(result.config),
        "epochs": result.history,
        "stopped_by": result.stopped_by,
        "best_epoch": result.best_epoch,
        "checkpoint": BEST if result.config.logging.save_best else FINAL,
        "rows_per_epoch": int(result.online_losses.shape[1]),
    }


def metrics_dict(result) -> dict:
    return {**result.metrics, "checkpoint": BEST if result.config.logging.save_best else FINAL,
            "epoch": result.checkpoint_epoch}


def save_run(result, run_dir: str | Path) -> Path:
    """Write the run folder for a TrainResult (see the module docstring); returns its path."""
    run_dir = Path(run_dir)
    check_run_dir(run_dir, result.config)
    files = [  # config.yaml last: a folder counts as a run only once everything else is in place
        (BEST, _torch_bytes(_checkpoint(result, BEST))),
        (FINAL, _torch_bytes(_checkpoint(result, FINAL))),
        (LOSSES, _npy_bytes(np.asarray(result.online_losses, dtype=np.float32))),
        (HISTORY, (json.dumps(_json_safe(history_dict(result)), indent=2) + "\n").encode()),
        (METRICS, (json.dumps(_json_safe(metrics_dict(result)), indent=2) + "\n").encode()),
        (CONFIG, result.config.to_yaml().encode()),
    ]
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    if run_dir.is_dir():  # same config (checked above) or empty: replace file by file
        for name, data in files:
            atomic_write_bytes(run_dir / name, data)
    else:  # new folder: build it under a temporary name, then one rename
        tmp = Path(tempfile.mkdtemp(prefix=f"{run_dir.name}.tmp-", dir=run_dir.parent))
        try:
            for name, data in files:
                (tmp / name).write_bytes(data)
            os.rename(tmp, run_dir)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    result.run_dir = run_dir
    return run_dir


def write_metrics(run_dir: str | Path, metrics: dict) -> Path:
    return atomic_write_json(Path(run_dir) / METRICS, metrics)


# --- load -------------------------------------------------------------------------
def require_run_dir(run_dir: str | Path) -> TrainConfig:
    """The folder's config, or a RunError saying how to make the folder."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise RunError(f"run dir {run_dir} does not exist: train it first with "
                       "python -m freqlstm_helpers train --config <config.yaml> --run-dir " + str(run_dir))
    cfg = read_run_config(run_dir)
    if cfg is None:
        raise RunError(f"{run_dir} has no {CONFIG}, so it is not a finished run folder: train it with "
                       f"python -m freqlstm_helpers train --config <config.yaml> --run-dir {run_dir}")
    return cfg


def load_checkpoint(path: str | Path) -> dict:
    """A checkpoint dict; missing or corrupt files raise CheckpointError naming the file and the fix."""
    path = Path(path)
    hint = _retrain_hint(path.parent)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist: produce it with {hint}")
    import torch  # here, not at the top: the CLI's error paths answer without loading torch
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated zip, pickle garbage, wrong file type...
        raise CheckpointError(f"checkpoint {path} is corrupt or not a FreqLSTM checkpoint "
                              f"({type(e).__name__}): reproduce it with {hint}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT or "model_state_dict" not in ckpt:
        raise CheckpointError(f"checkpoint {path} is not a FreqLSTM checkpoint (format {CHECKPOINT_FORMAT}): "
                              f"reproduce it with {hint}")
    return ckpt


def load_model(path: str | Path):
    """A FrequencyLSTM with the checkpoint's weights (its config decides the shape)."""
    from .trainer import new_model
    ckpt = load_checkpoint(path)
    try:
        model = new_model(config_from_dict(ckpt["config"]))
        model.load_state_dict(ckpt["model_state_dict"])
    except (ConfigError, RuntimeError, KeyError) as e:
        raise CheckpointError(f"checkpoint {path} does not fit its own config ({str(e).splitlines()[0]}): "
                              f"reproduce it with {_retrain_hint(Path(path).parent)}") from None
    return model


def _read_json(path: Path):
    if not path.is_file():
        raise RunError(f"{path} does not exist: reproduce it with {_retrain_hint(path.parent)}")
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RunError(f"{path} is not valid JSON ({e.__class__.__name__}): "
                       f"reproduce it with {_retrain_hint(path.parent)}") from None


def load_run(run_dir: str | Path):
    """Rebuild the TrainResult of a finished run folder (no training)."""
    from .trainer import TrainResult
    run_dir = Path(run_dir)
    cfg = require_run_dir(run_dir)
    hist = _read_json(run_dir / HISTORY)
    metrics = _read_json(run_dir / METRICS) if (run_dir / METRICS).is_file() else {}
    for key in ("epochs", "stopped_by", "best_epoch"):
        if key not in hist:
            raise RunError(f"{run_dir / HISTORY} has no {key!r}: reproduce it with {_retrain_hint(run_dir)}")
    try:
        losses = np.load(run_dir / LOSSES, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise RunError(f"{run_dir / LOSSES} is missing or corrupt ({type(e).__name__}): "
                       f"reproduce it with {_retrain_hint(run_dir)}") from None
    best_ckpt, final_ckpt = load_checkpoint(run_dir / BEST), load_checkpoint(run_dir / FINAL)
    metrics = {k: v for k, v in metrics.items() if k not in ("checkpoint", "epoch")}
    return TrainResult(config=cfg, model=load_model(run_dir / FINAL), best_model=load_model(run_dir / BEST),
                       history=hist["epochs"], online_losses=losses, stopped_by=hist["stopped_by"],
                       best_epoch=int(hist["best_epoch"]), metrics=metrics,
                       optimizer_state=final_ckpt.get("optimizer_state_dict"),
                       best_optimizer_state=best_ckpt.get("optimizer_state_dict"), run_dir=run_dir)


def cached_train(cfg: TrainConfig, *, run_dir: str | Path | None = None, progress: bool = True,
                 eval_every_epoch: bool = False, callbacks=None):
    """The run for cfg: loaded from its folder if it exists with this config, else trained and saved.

    A folder made with a different config raises RunConfigMismatch. A cached run
    without per-epoch frozen MSE is retrained when eval_every_epoch asks for it.
    """
    run_dir = Path(run_dir) if run_dir is not None else default_run_dir(cfg)
    check_run_dir(run_dir, cfg)
    if read_run_config(run_dir) is not None:
        result = load_run(run_dir)
        if not eval_every_epoch or result.frozen_test_mse is not None:
            return result
    train_fn = get_trainer(cfg.trainer)
    return train_fn(cfg, run_dir=run_dir, progress=progress, eval_every_epoch=eval_every_epoch,
                    callbacks=callbacks)


def _needs_training(cfg: TrainConfig, run_dir: Path, eval_every_epoch: bool) -> bool:
    """What cached_train would decide, read from the folder's small files only (no checkpoint loaded)."""
    if read_run_config(run_dir) is None:
        return True
    if not eval_every_epoch:
        return False
    try:
        epochs = json.loads((run_dir / HISTORY).read_text()).get("epochs") or [{}]
    except (OSError, ValueError):
        return True
    return "frozen_test_mse" not in epochs[0]


def _train_in_worker(cfg_dict: dict, run_dir: str, eval_every_epoch: bool) -> str:
    cached_train(config_from_dict(cfg_dict), run_dir=run_dir, progress=False, eval_every_epoch=eval_every_epoch)
    return run_dir


def cached_train_many(cfgs, *, workers: int | None = None, progress: bool = True,
                      eval_every_epoch: bool = False) -> list:
    """The runs of several configs (a seed band, a sweep), in order: uncached ones train side by side.

    Why: a seed band is independent runs, and a laptop has more than one core.
    Each worker process runs exactly `cached_train(cfg)` and saves the run folder;
    the results are then loaded from the folders, so they are bit-identical to a
    serial loop. Runs already on disk start no worker. `workers` defaults to the
    number of CPUs; 1 trains in this process. The workers (freqlstm_helpers.pool)
    stay up for the next call, and need no `if __name__ == "__main__":` guard.
    """
    cfgs = list(cfgs)
    dirs = [default_run_dir(c) for c in cfgs]
    for c, d in zip(cfgs, dirs):
        check_run_dir(d, c)
    todo = {str(d): c for c, d in zip(cfgs, dirs) if _needs_training(c, d, eval_every_epoch)}
    workers = min(workers or os.cpu_count() or 1, len(todo))
    if workers > 1:
        from . import pool  # worker processes kept for the next call (pool.py says why not multiprocessing)
        names = list(todo)

        def done(i, _):
            if progress:
                print(f"trained {Path(names[i]).name}", flush=True)
        pool.run_jobs([("freqlstm_helpers.runs:_train_in_worker", (c.to_dict(), d, eval_every_epoch))
                       for d, c in todo.items()], workers, on_done=done)
    return [cached_train(c, run_dir=d, progress=progress, eval_every_epoch=eval_every_epoch)
            for c, d in zip(cfgs, dirs)]
