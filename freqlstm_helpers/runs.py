"""Run folders: one per resolved config, written so a crash never looks like a result.

A finished run folder holds
    config.yaml            the resolved config (the folder's identity)
    best_model.pth         weights + optimizer state at the best epoch, with the config hash and architecture
    final_model.pth        the same after the last epoch run
    training_history.json  one record per epoch, stopped_by, best_epoch, the config hash
    metrics.json           frozen train/test MSE of the checkpoint, overall and per frequency
    online_losses.npy      float32 (epochs, rows): every row's online loss, for re-plotting
    manifest.json          SHA-256 of each file above and the config hash: written last, the folder's seal
While a run trains, its folder holds config.yaml and, after each epoch, resume.ckpt
(see checkpoints.py); `train --resume` continues from it.

Why so careful: notebooks reuse runs instead of retraining (`cached_train`), so
a folder must never silently hold results from another config, a crash
mid-write must never leave a file that loads as a result, and a file changed
after saving (a flipped bit, a checkpoint copied from another run, an edited
metrics.json) must be refused, not used. Every writer holds the folder's lock
(storage/lock.py); every file is written atomically (storage/atomic.py); a
finished run is loaded only after `verify_run` passed.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import paths, preflight
from .config import (ConfigError, TrainConfig, config_from_dict, flatten, get_trainer, parse_config_text,
                     read_text_file)
from .storage import (CheckpointError, RunConfigMismatch, RunCorrupt, RunError, RunIncomplete,  # noqa: F401
                      RunLocked, atomic, lock, manifest)
from .storage.manifest import MANIFEST
from .validate import shown

CONFIG, BEST, FINAL = "config.yaml", "best_model.pth", "final_model.pth"
HISTORY, METRICS, LOSSES = "training_history.json", "metrics.json", "online_losses.npy"
METRICS_OFFSET = "metrics_offset.json"  # `eval --time-offset`: the shifted-time test, same keys as metrics.json
RESUME = "resume.ckpt"                  # an unfinished run's state after its last epoch (checkpoints.py)
CHECKPOINT_FORMAT = "freqlstm-checkpoint-2"
READABLE_FORMATS = ("freqlstm-checkpoint-1", CHECKPOINT_FORMAT)
SEALED = (CONFIG, BEST, FINAL, HISTORY, METRICS, LOSSES)  # every finished run has these, in its manifest
CLI = "python -m freqlstm_helpers"

# Kept for callers of the earlier API: the atomic writers live in storage/atomic.py now.
atomic_write_bytes, atomic_write_text, atomic_write_json = atomic.write_bytes, atomic.write_text, atomic.write_json
_json_safe = atomic.json_safe


# --- identity ---------------------------------------------------------------------
def config_hash(cfg: TrainConfig) -> str:
    """12 hex digits of sha256 over the resolved config (JSON, sorted keys): stable across runs."""
    blob = json.dumps(cfg.to_dict(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def default_run_dir(cfg: TrainConfig) -> Path:
    return paths.runs_dir() / f"{cfg.name}-{config_hash(cfg)}"


def architecture(cfg: TrainConfig) -> dict:
    """What a checkpoint's tensors must fit: recorded in it and compared on load."""
    m = cfg.model
    return {"input_size": m.input_size, "hidden_size": m.hidden_size, "num_layers": m.num_layers}


def _retrain_hint(run_dir: Path) -> str:
    """The command that rebuilds a run folder."""
    run_dir = Path(run_dir)
    try:
        ok = read_run_config(run_dir) is not None
    except RunError:
        ok = False
    if ok:
        return f"{CLI} train --config {run_dir / CONFIG} --run-dir {run_dir}"
    return f"{CLI} train --config <config.yaml> --run-dir {run_dir}"


def _rebuild(run_dir: Path, file: str | None = None) -> str:
    """'rebuild it with <command>': eval remakes metrics.json; everything else needs the run again."""
    if file == METRICS:
        return f"rebuild it with {CLI} eval --run {run_dir}"
    return f"rebuild it with {_retrain_hint(run_dir)}"


# --- the state of a folder -----------------------------------------------------------
def run_state(run_dir: str | Path) -> str:
    """'missing', 'file', 'empty', 'finished' (sealed), 'interrupted' (resume.ckpt), 'unfinished', or 'foreign'."""
    run_dir = Path(run_dir)
    if not os.path.lexists(run_dir):
        return "missing"
    if not run_dir.is_dir():
        return "file"
    if (run_dir / MANIFEST).exists():
        return "finished"
    if (run_dir / RESUME).exists():
        return "interrupted"
    if (run_dir / CONFIG).exists():
        return "unfinished"
    return "empty" if not any(run_dir.iterdir()) else "foreign"


def is_finished(run_dir: str | Path) -> bool:
    """True when the folder holds a sealed (finished) run; `verify_run` says whether it is intact."""
    return run_state(run_dir) == "finished"


def read_run_config(run_dir: str | Path) -> TrainConfig | None:
    """The config a folder was made with; None if the folder has no config.yaml."""
    p = Path(run_dir) / CONFIG
    if not p.is_file():
        return None
    try:
        text = read_text_file(p, "run config")
    except ConfigError as e:  # unreadable, not UTF-8, a device...: the message says which
        raise RunError(str(e)) from None
    try:
        return parse_config_text(text, str(p))
    except ConfigError as e:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise RunError(f"{p} is not a valid run config ({reason[:300]}): delete the folder and train it again "
                       f"({CLI} train --config <config.yaml> --run-dir {Path(run_dir)})") from None


def config_diff(a: TrainConfig, b: TrainConfig) -> dict:
    """{"optimizer.learning_rate": (a's value, b's value), ...} for every differing key."""
    fa, fb = flatten(a.to_dict()), flatten(b.to_dict())
    return {k: (fa.get(k), fb.get(k)) for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)}


def check_run_dir(run_dir: str | Path, cfg: TrainConfig) -> None:
    """Raise unless run_dir is new, empty, or a run folder made with exactly cfg."""
    run_dir = Path(run_dir)
    if os.path.lexists(run_dir) and not run_dir.is_dir():
        raise RunError(f"run dir {run_dir} exists and is a file: choose a folder path")
    existing = read_run_config(run_dir)
    if existing is None:
        stale = set(atomic.stale_temporaries(run_dir))
        if run_dir.is_dir() and any(p not in stale for p in run_dir.iterdir()):
            raise RunError(f"run dir {run_dir} is not empty and has no {CONFIG}: it is not a run folder; "
                           "choose a new or empty folder")
        return
    diff = config_diff(existing, cfg)
    if diff:
        parts = "; ".join(f"{k}: {shown(va, 40)} in the folder, {shown(vb, 40)} now" for k, (va, vb) in diff.items())
        raise RunConfigMismatch(f"run dir {run_dir} was made with a different config ({parts}): "
                                "choose another --run-dir or delete that folder")


# --- save -------------------------------------------------------------------------
def _torch_bytes(obj) -> bytes:
    import torch
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _checkpoint(result, which: str) -> dict:
    best = which == BEST
    model = result.best_model if best else result.model
    epoch = result.best_epoch if best else result.epochs_run
    return {
        "format": CHECKPOINT_FORMAT,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": result.best_optimizer_state if best else result.optimizer_state,
        "epoch": epoch,
        "online_loss": result.history[epoch - 1]["online_loss"],
        "config": result.config.to_dict(),
        "config_hash": config_hash(result.config),
        "architecture": architecture(result.config),
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


def _seal(run_dir: Path, names, cfg_hash: str, known: dict | None = None) -> None:
    """Write manifest.json for `names` (hashes from `known` where given, else from the files on disk)."""
    known = known or {}
    files = {n: known.get(n) or manifest.sha256_file(run_dir / n) for n in names}
    atomic.write_json(run_dir / MANIFEST, manifest.manifest_dict(files, cfg_hash))


def _unseal(run_dir: Path) -> None:
    """The folder stops counting as a finished run (before any of its files is replaced)."""
    try:
        os.unlink(run_dir / MANIFEST)
    except FileNotFoundError:
        pass


def save_run(result, run_dir: str | Path) -> Path:
    """Write the run folder for a TrainResult (see the module docstring); returns its path.

    Holds the folder's lock (the trainers already hold it: re-entrant). A new
    folder is built under a temporary name and renamed into place; in an
    existing one the seal is removed first, every file replaced atomically and
    the new seal written last.
    """
    run_dir = Path(run_dir)
    cfg = result.config
    h = config_hash(cfg)
    files = {
        BEST: _torch_bytes(_checkpoint(result, BEST)),
        FINAL: _torch_bytes(_checkpoint(result, FINAL)),
        LOSSES: _npy_bytes(np.asarray(result.online_losses, dtype=np.float32)),
        HISTORY: atomic.json_bytes(history_dict(result)),
        METRICS: atomic.json_bytes(metrics_dict(result)),
        CONFIG: cfg.to_yaml().encode(),
    }
    hashes = {name: manifest.sha256_bytes(data) for name, data in files.items()}
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    with lock.locked(run_dir, wait=False):
        check_run_dir(run_dir, cfg)
        atomic.remove_stale(run_dir)
        if run_dir.is_dir():  # same config (checked above), empty, or an unfinished run: replace file by file
            _unseal(run_dir)
            for name, data in files.items():
                atomic.write_bytes(run_dir / name, data)
            _seal(run_dir, files, h, hashes)
            for leftover in (RESUME, METRICS_OFFSET):  # the resume state is spent; an old shifted test is stale
                try:
                    os.unlink(run_dir / leftover)
                except FileNotFoundError:
                    pass
        else:  # new folder: build it under a temporary name, then one rename
            tmp = atomic.make_temp_dir(run_dir.parent, run_dir.name)
            try:
                for name, data in files.items():
                    (tmp / name).write_bytes(data)
                (tmp / MANIFEST).write_bytes(atomic.json_bytes(manifest.manifest_dict(hashes, h)))
                os.rename(tmp, run_dir)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
    result.run_dir = run_dir
    return run_dir


def write_metrics(run_dir: str | Path, metrics: dict, name: str = METRICS) -> Path:
    """Replace metrics.json (or metrics_offset.json) of a finished run and re-seal the folder."""
    run_dir = Path(run_dir)
    with lock.locked(run_dir, wait=False, what="run"):
        m = manifest.read_manifest(run_dir, _rebuild(run_dir))
        data = atomic.json_bytes(metrics)
        files = {**m["files"], name: manifest.sha256_bytes(data)}
        seal = atomic.json_bytes(manifest.manifest_dict(files, m["config_hash"]))
        try:  # both files or neither (a failure while writing leaves the old pair, still matching)
            atomic.write_all({run_dir / name: data, run_dir / MANIFEST: seal})
        except OSError as e:
            raise RunError(f"cannot write {name} into {run_dir} ({e.strerror or type(e).__name__}): "
                           "make the folder writable, or copy the run somewhere writable") from None
    return run_dir / name


# --- verify and load --------------------------------------------------------------
@dataclass
class Verified:
    """A finished run folder whose files all passed `verify_run`, already parsed."""

    config: TrainConfig
    best: dict
    final: dict
    history: dict
    metrics: dict | None
    losses: np.ndarray


def require_run_dir(run_dir: str | Path) -> TrainConfig:
    """The folder's config, or a RunError saying how to make the folder."""
    run_dir = Path(run_dir)
    if os.path.lexists(run_dir) and not run_dir.is_dir():
        raise RunError(f"{run_dir} is a file, not a run folder: give the folder that holds {CONFIG} "
                       f"(made by {CLI} train)")
    if not run_dir.is_dir():
        raise RunError(f"run dir {run_dir} does not exist: train it first with "
                       f"{CLI} train --config <config.yaml> --run-dir {run_dir}")
    try:
        cfg = read_run_config(run_dir)
    except PermissionError as e:
        raise RunError(f"run dir {run_dir} cannot be read ({e.strerror}): check its permissions") from None
    if cfg is None:
        raise RunError(f"{run_dir} has no {CONFIG}, so it is not a finished run folder: train it with "
                       f"{CLI} train --config <config.yaml> --run-dir {run_dir}")
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
    except OSError as e:
        raise CheckpointError(f"checkpoint {path} cannot be read ({e.strerror or type(e).__name__}): "
                              "check its permissions") from None
    except Exception as e:  # truncated zip, pickle garbage, wrong file type...
        raise CheckpointError(f"checkpoint {path} is corrupt or not a FreqLSTM checkpoint "
                              f"({type(e).__name__}): reproduce it with {hint}") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") not in READABLE_FORMATS or "model_state_dict" not in ckpt:
        raise CheckpointError(f"checkpoint {path} is not a FreqLSTM checkpoint (format {CHECKPOINT_FORMAT}): "
                              f"reproduce it with {hint}")
    return ckpt


def _model_from(ckpt: dict, cfg: TrainConfig, path: Path):
    """A model of cfg's architecture holding the checkpoint's weights; CheckpointError if they do not fit."""
    from .run_result import new_model
    model = new_model(cfg)
    sd = ckpt.get("model_state_dict")
    want = model.state_dict()
    if not isinstance(sd, dict) or set(sd) != set(want) or any(
            not hasattr(sd[k], "shape") or tuple(sd[k].shape) != tuple(want[k].shape) or sd[k].dtype != want[k].dtype
            for k in want):
        got = {k: tuple(getattr(v, "shape", ())) for k, v in sd.items()} if isinstance(sd, dict) else type(sd).__name__
        raise CheckpointError(f"checkpoint {path} does not fit the run's architecture {architecture(cfg)} "
                              f"(its tensors: {shown(got, 120)}): reproduce it with {_retrain_hint(path.parent)}")
    model.load_state_dict(sd)
    return model


def load_model(path: str | Path):
    """A FrequencyLSTM with the checkpoint's weights (its config decides the shape)."""
    path = Path(path)
    ckpt = load_checkpoint(path)
    try:
        cfg = config_from_dict(ckpt["config"])
    except (ConfigError, KeyError, TypeError) as e:
        raise CheckpointError(f"checkpoint {path} does not hold a valid config ({str(e).splitlines()[0][:200]}): "
                              f"reproduce it with {_retrain_hint(path.parent)}") from None
    return _model_from(ckpt, cfg, path)


def _corrupt(run_dir: Path, name: str, what: str) -> RunCorrupt:
    return RunCorrupt(f"{run_dir / name} {what}: {_rebuild(run_dir, name)}", name)


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _check_checkpoint(run_dir: Path, name: str, cfg: TrainConfig, h: str, epochs: int | None) -> dict:
    ckpt = load_checkpoint(run_dir / name)
    if ckpt.get("format") == CHECKPOINT_FORMAT:
        if ckpt.get("config_hash") != h:
            raise _corrupt(run_dir, name, f"was saved by a run with config hash {shown(ckpt.get('config_hash'), 20)}, "
                           f"not this folder's {h}")
        if ckpt.get("architecture") != architecture(cfg):
            raise _corrupt(run_dir, name, f"holds a model of architecture {shown(ckpt.get('architecture'), 100)}, "
                           f"not this run's {architecture(cfg)}")
    ckpt["_model"] = _model_from(ckpt, cfg, run_dir / name)
    e = ckpt.get("epoch")
    if not isinstance(e, int) or isinstance(e, bool) or not (1 <= e <= (epochs or 1 << 30)):
        raise _corrupt(run_dir, name, f"records epoch {shown(e, 20)}, outside the run's 1..{epochs}")
    return ckpt


def _check_history(run_dir: Path, cfg: TrainConfig, h: str) -> dict:
    from .stopping import STOPPED_BY
    hist = _read_json(run_dir / HISTORY)
    if not isinstance(hist, dict):
        raise _corrupt(run_dir, HISTORY, "is not a JSON object")
    if hist.get("config_hash") != h:
        raise _corrupt(run_dir, HISTORY, f"belongs to config hash {shown(hist.get('config_hash'), 20)}, "
                       f"not this folder's {h}")
    for key in ("epochs", "stopped_by", "best_epoch"):
        if key not in hist:
            raise _corrupt(run_dir, HISTORY, f"has no {key!r}")
    epochs = hist["epochs"]
    if not isinstance(epochs, list) or not 1 <= len(epochs) <= cfg.training.num_epochs:
        raise _corrupt(run_dir, HISTORY, f"must hold 1 to {cfg.training.num_epochs} epoch records")
    for i, rec in enumerate(epochs, 1):
        if not isinstance(rec, dict) or rec.get("epoch") != i or not (
                rec.get("online_loss") is None or _finite(rec.get("online_loss"))):
            raise _corrupt(run_dir, HISTORY, f"has a broken record for epoch {i}")
        for k, v in rec.items():
            if k in ("online_loss", "lr", "seconds", "frozen_train_mse", "frozen_test_mse", "frozen_val_mse") and not (
                    v is None or _finite(v)):
                raise _corrupt(run_dir, HISTORY, f"has {k}={shown(v, 30)} in epoch {i}, not a number")
        bm = rec.get("block_means")
        if bm is not None and (not isinstance(bm, dict) or len(bm) != cfg.data.n_frequencies
                               or not all(v is None or _finite(v) for v in bm.values())):
            raise _corrupt(run_dir, HISTORY, f"has broken block_means in epoch {i}")
    if hist["stopped_by"] not in STOPPED_BY:
        raise _corrupt(run_dir, HISTORY, f"has stopped_by={shown(hist['stopped_by'], 30)}")
    b = hist["best_epoch"]
    if not isinstance(b, int) or isinstance(b, bool) or not 1 <= b <= len(epochs):
        raise _corrupt(run_dir, HISTORY, f"has best_epoch={shown(b, 30)}, outside 1..{len(epochs)}")
    if hist.get("rows_per_epoch", preflight.rows_per_epoch(cfg)) != preflight.rows_per_epoch(cfg):
        raise _corrupt(run_dir, HISTORY, f"records {shown(hist.get('rows_per_epoch'), 20)} rows per epoch, "
                       f"this config has {preflight.rows_per_epoch(cfg)}")
    return hist


def _check_metrics(run_dir: Path, cfg: TrainConfig) -> dict:
    m = _read_json(run_dir / METRICS)
    from .metrics import freq_key
    keys = [freq_key(f) for f in cfg.data.frequencies]
    if not isinstance(m, dict):
        raise _corrupt(run_dir, METRICS, "is not a JSON object")
    for split in ("train", "test"):
        v = m.get(f"{split}_mse")
        if not (v is None or _finite(v)):
            raise _corrupt(run_dir, METRICS, f"has {split}_mse={shown(v, 30)}, not a number")
        per = m.get(f"{split}_mse_per_frequency")
        if not isinstance(per, dict) or list(per) != keys or not all(x is None or _finite(x) for x in per.values()):
            raise _corrupt(run_dir, METRICS, f"has no valid {split}_mse_per_frequency for frequencies {keys}")
    return m


def _read_json(path: Path):
    def no_constants(x):
        raise ValueError(f"non-standard JSON constant {x}")
    if not path.is_file():
        raise RunCorrupt(f"{path} does not exist: {_rebuild(path.parent, path.name)}", path.name)
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_constant=no_constants)
    except OSError as e:
        raise RunCorrupt(f"{path} cannot be read ({e.strerror or type(e).__name__}): check its permissions",
                         path.name) from None
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise RunCorrupt(f"{path} is not valid JSON ({type(e).__name__}: {str(e)[:60]}): "
                         f"{_rebuild(path.parent, path.name)}", path.name) from None


def _not_finished(run_dir: Path, missing: str) -> RunError:
    state = run_state(run_dir)
    if state == "interrupted":
        return RunIncomplete(f"{run_dir / missing} does not exist: {run_dir} is an interrupted run; continue it "
                             f"with {CLI} train --resume {run_dir}")
    if state == "unfinished":
        return RunIncomplete(f"{run_dir / missing} does not exist: {run_dir} is not a finished run (its training "
                             f"never finished); train it with {_retrain_hint(run_dir)}")
    return RunCorrupt(f"{run_dir / missing} does not exist: {_rebuild(run_dir, missing)}", missing)


def verify_run(run_dir: str | Path, *, skip: tuple = ()) -> Verified:
    """Check a finished run folder before anything in it is used; RunError (one line + the fix) if it fails.

    In this order: the config; each checkpoint (loads, is a FreqLSTM checkpoint of this
    config hash and architecture); the loss array, history and metrics (parse, shapes,
    finite numbers, this config's frequencies); then the manifest: every file's
    SHA-256 and the config hash. `skip` leaves files unchecked that the caller is
    about to rebuild (eval rebuilds metrics.json).
    """
    run_dir = Path(run_dir)
    cfg = require_run_dir(run_dir)
    h = config_hash(cfg)
    for name in (BEST, FINAL):
        if name not in skip and not (run_dir / name).exists():
            raise _not_finished(run_dir, name)
    hist = _check_history(run_dir, cfg, h)
    n = len(hist["epochs"])
    best = _check_checkpoint(run_dir, BEST, cfg, h, n)
    final = _check_checkpoint(run_dir, FINAL, cfg, h, n)
    if best["epoch"] != hist["best_epoch"] or final["epoch"] != n:
        raise _corrupt(run_dir, BEST if best["epoch"] != hist["best_epoch"] else FINAL,
                       f"does not match {HISTORY} (epochs {best['epoch']}/{final['epoch']} "
                       f"vs best {hist['best_epoch']} of {n})")
    try:
        losses = np.load(run_dir / LOSSES, allow_pickle=False)
    except (OSError, ValueError, EOFError) as e:
        raise RunCorrupt(f"{run_dir / LOSSES} is missing or corrupt ({type(e).__name__}): {_rebuild(run_dir)}",
                         LOSSES) from None
    want = (n, preflight.rows_per_epoch(cfg))
    if losses.dtype != np.float32 or losses.shape != want:
        raise _corrupt(run_dir, LOSSES, f"is {losses.dtype} {losses.shape}, this run needs float32 {want}")
    metrics = None if METRICS in skip else _check_metrics(run_dir, cfg)
    m = manifest.read_manifest(run_dir, _rebuild(run_dir))
    if m["config_hash"] != h:
        raise RunCorrupt(f"{run_dir / MANIFEST} seals config hash {shown(m['config_hash'], 20)}, but {CONFIG} "
                         f"hashes to {h}: {_rebuild(run_dir)}", CONFIG)
    for name in SEALED + ((METRICS_OFFSET,) if METRICS_OFFSET in m["files"] else ()):
        if name not in skip:
            manifest.check_file(run_dir, m, name, _rebuild(run_dir, name))
    return Verified(cfg, best, final, hist, metrics, losses)


def _nan_for_none(d):
    """Metrics saved as null (a NaN the run produced) come back as NaN, so arithmetic still works."""
    if isinstance(d, dict):
        return {k: _nan_for_none(v) for k, v in d.items()}
    return float("nan") if d is None else d


def load_run(run_dir: str | Path):
    """Rebuild the TrainResult of a finished run folder (no training), after verify_run passed."""
    from .run_result import TrainResult
    run_dir = Path(run_dir)
    v = verify_run(run_dir)
    metrics = {k: _nan_for_none(x) for k, x in v.metrics.items() if k not in ("checkpoint", "epoch")}
    return TrainResult(config=v.config, model=v.final["_model"], best_model=v.best["_model"],
                       history=v.history["epochs"], online_losses=v.losses, stopped_by=v.history["stopped_by"],
                       best_epoch=int(v.history["best_epoch"]), metrics=metrics,
                       optimizer_state=v.final.get("optimizer_state_dict"),
                       best_optimizer_state=v.best.get("optimizer_state_dict"), run_dir=run_dir)


# --- the cache ----------------------------------------------------------------------
def _quarantine(run_dir: Path) -> Path:
    """Move a folder that failed its check aside (kept for inspection, never loaded again)."""
    dest = run_dir.with_name(f"{run_dir.name}.rejected-{time.strftime('%Y%m%d-%H%M%S')}")
    k = 1
    while os.path.lexists(dest):
        k += 1
        dest = run_dir.with_name(f"{run_dir.name}.rejected-{time.strftime('%Y%m%d-%H%M%S')}-{k}")
    os.rename(run_dir, dest)
    return dest


def _say(text: str) -> None:
    print(text, flush=True)


def cached_train(cfg: TrainConfig, *, run_dir: str | Path | None = None, progress: bool = True,
                 eval_every_epoch: bool = False, callbacks=None, yes: bool = False, step=None):
    """The run for cfg: loaded from its folder if it is there, finished and intact; else trained and saved.

    A folder made with a different config raises RunConfigMismatch. A finished
    folder that fails `verify_run` is never returned: it is moved aside to
    `<folder>.rejected-<time>` (one line says why) and the run is trained again
    into a clean folder. An interrupted run continues from its last epoch. A
    cached run without per-epoch frozen MSE is retrained when eval_every_epoch
    asks for it. The folder's lock is held throughout: a second process asking
    for the same run waits for the first and then loads its result.

    step: a window function for the stream trainer (a student's window_step);
    its run lives in its own folder, named by a hash of the function's source
    (step_run_dir), so it never shares one with the course's run.
    """
    preflight.check_budget(cfg, yes)
    if step is not None:
        _check_step_config(cfg)
        run_dir = run_dir if run_dir is not None else step_run_dir(cfg, step)
    run_dir = preflight.run_path(run_dir if run_dir is not None else default_run_dir(cfg))
    waiting = lambda who: _say(f"{run_dir.name}: waiting for {who}, which is writing it")  # noqa: E731
    with lock.locked(run_dir, wait=True, on_wait=waiting, readonly_ok=True):
        check_run_dir(run_dir, cfg)
        if run_state(run_dir) == "finished":
            try:
                result = load_run(run_dir)
            except RunError as e:
                try:
                    moved = _quarantine(run_dir)
                except OSError as oe:
                    raise RunCorrupt(f"{e} (and it could not be moved aside to retrain: "
                                     f"{oe.strerror or type(oe).__name__})") from None
                _say(f"{run_dir.name} failed its check, so it is not used: {e} -- moved it to "
                               f"{moved.name} and training the run again")
            else:
                if not eval_every_epoch or result.frozen_test_mse is not None:
                    return result
        elif run_state(run_dir) == "unfinished":
            why = (f"has no {MANIFEST} (made before run folders were sealed, or its save was cut short), so "
                   "nothing in it can be trusted" if (run_dir / BEST).exists() else "was never finished")
            _say(f"{run_dir.name} {why}; training it from the start")
        train_fn = get_trainer(cfg.trainer)
        return train_fn(cfg, run_dir=run_dir, progress=progress, eval_every_epoch=eval_every_epoch,
                        callbacks=callbacks, resume="auto", **({"step": step} if step is not None else {}))


def _needs_training(cfg: TrainConfig, run_dir: Path, eval_every_epoch: bool) -> bool:
    """What cached_train would decide, read from the folder's small files only (no checkpoint loaded)."""
    if run_state(run_dir) != "finished":
        return True
    if not eval_every_epoch:
        return False
    try:
        epochs = json.loads((run_dir / HISTORY).read_text()).get("epochs") or [{}]
    except (OSError, ValueError, AttributeError):
        return True
    return not isinstance(epochs[0], dict) or "frozen_test_mse" not in epochs[0]


def _train_in_worker(cfg_dict: dict, run_dir: str, eval_every_epoch: bool, yes: bool = False) -> str:
    cached_train(config_from_dict(cfg_dict), run_dir=run_dir, progress=False, eval_every_epoch=eval_every_epoch,
                 yes=yes)
    return run_dir


def cached_train_many(cfgs, *, workers: int | None = None, progress: bool = True,
                      eval_every_epoch: bool = False, yes: bool = False) -> list:
    """The runs of several configs (a seed band, a sweep), in order: uncached ones train side by side.

    Why: a seed band is independent runs, and a laptop has more than one core.
    Each worker process runs exactly `cached_train(cfg)` and saves the run folder
    (under its lock); the results are then loaded from the folders, so they are
    bit-identical to a serial loop. Runs already on disk start no worker.
    `workers` defaults to the number of CPUs; 1 trains in this process. The workers
    (freqlstm_helpers.pool) stay up for the next call, and need no
    `if __name__ == "__main__":` guard.
    """
    cfgs = list(cfgs)
    dirs = [default_run_dir(c) for c in cfgs]
    for c, d in zip(cfgs, dirs):
        preflight.check_budget(c, yes)
        check_run_dir(d, c)
    todo = {str(d): c for c, d in zip(cfgs, dirs) if _needs_training(c, d, eval_every_epoch)}
    workers = min(workers or os.cpu_count() or 1, len(todo))
    if workers > 1:
        from . import pool  # worker processes kept for the next call (pool.py says why not multiprocessing)
        names = list(todo)

        def done(i, _):
            if progress:
                print(f"trained {Path(names[i]).name}", flush=True)
        pool.run_jobs([("freqlstm_helpers.runs:_train_in_worker", (c.to_dict(), d, eval_every_epoch, yes))
                       for d, c in todo.items()], workers, on_done=done)
    return [cached_train(c, run_dir=d, progress=progress, eval_every_epoch=eval_every_epoch, yes=yes)
            for c, d in zip(cfgs, dirs)]


# --- runs trained with someone else's window function (notebook 04) ---------------------
def step_hash(step) -> str:
    """12 hex digits of sha256 over the function's source (its bytecode when there is no source).

    Why the source: a student who edits their window_step gets a new run, and
    the course's own window_step never shares a folder with a student's.
    """
    import inspect
    import marshal
    import textwrap
    try:
        blob = textwrap.dedent(inspect.getsource(step)).strip().encode()  # a cell's trailing newline is no change
    except (OSError, TypeError):  # no source to read (built in a string, a C function): the code itself
        code = getattr(step, "__code__", None)
        if code is None:
            raise TypeError(f"step={step!r} is not a Python function: pass a function with window_step's "
                            "signature") from None
        blob = marshal.dumps(code)
    return hashlib.sha256(blob).hexdigest()[:12]


def step_run_dir(cfg: TrainConfig, step) -> Path:
    """<name>-<config hash>-step-<source hash>: never the course's folder for the same config."""
    return paths.runs_dir() / f"{cfg.name}-{config_hash(cfg)}-step-{step_hash(step)}"


def _check_step_config(cfg: TrainConfig) -> None:
    if cfg.trainer != "streams":
        raise ConfigError(f"step= is for trainer 'streams', not {cfg.trainer!r}: only the stream trainer "
                          "runs a window function")
    if cfg.engine != "torch":
        raise ConfigError(f"engine={cfg.engine!r} cannot run a Python window function: use "
                          "cfg.replace(engine='torch') with step=")
