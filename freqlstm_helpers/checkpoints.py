"""Resumable training: pre-flight, the run's lock, a checkpoint after every epoch, a clean stop on a signal.

A trainer touches this module at a few marked points and nowhere else:

    with checkpoints.Session(cfg, run_dir, resume=..., eval_every_epoch=..., boundary=...) as session:
        result = _train(cfg, session, ...)   # session.resumed: the saved state to continue from, or None
                                             # session.stop_requested: a SIGINT/SIGTERM arrived
                                             # session.epoch_done(snapshot): write resume.ckpt (then stop if asked)
                                             # session.interrupt(snapshot): write resume.ckpt mid-epoch and stop
        session.finish(result)               # runs.save_run under the lock; resume.ckpt goes

Entering the session is the pre-flight (preflight.py): the path is resolved and
proven usable, the folder's lock is taken (held until the final save), the
folder is checked against the config, stale temporaries of a killed writer are
removed, the folder and its config.yaml are written (which proves it is
writable), and the disk has room. All of that happens before the first epoch.

The first SIGINT or SIGTERM only sets STOP; the trainer stops at the next
boundary its engine exposes (the torch L=1 engine: a row; the fused engine: the
end of its current call; the stream trainer: the end of the epoch), saves, and
raises TrainingInterrupted whose one-line message holds the resume command.
A second signal stops at once, keeping the last epoch's checkpoint.

resume.ckpt holds everything the loop needs to go on: weights, optimiser (the
engine's torch-form Adam state), scheduler, learning rate, RNG states, what the
stopping rules have seen, best epoch so far, history and online losses, and
mid-epoch the rows done and the carried LSTM state. Its header carries the
SHA-256 of the payload and the config hash, checked before it is used.

`train --resume RUN` (cached_train: automatically) continues from resume.ckpt;
the result is bit-identical to an uninterrupted run (tests/test_bad_input.py).
"""
from __future__ import annotations

import io
import json
import os
import random
import signal
import threading
from pathlib import Path

import numpy as np

from . import preflight, runs
from .config import TrainConfig
from .storage import RunError, RunIncomplete, atomic, lock, manifest

MAGIC = b"FREQLSTM-RESUME-1\n"
FORMAT = "freqlstm-resume-1"


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped on a signal; str(e) is the one line to show (what was saved, how to resume)."""

    def __init__(self, message: str, signum: int = signal.SIGINT):
        super().__init__(message, signum)

    def __str__(self) -> str:
        return str(self.args[0])

    @property
    def signum(self) -> int:
        return int(self.args[1]) if len(self.args) > 1 else int(signal.SIGINT)


class _Stop:
    """Set by the signal handler; engines and trainers poll it at their boundaries."""

    signum = 0

    @property
    def requested(self) -> bool:
        return self.signum != 0


STOP = _Stop()


def _on_signal(signum, frame):
    if STOP.signum:  # the second one: stop now, whatever is running (the last checkpoint stays)
        raise KeyboardInterrupt(signum)
    STOP.signum = signum


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


# --- tensors in, tensors out: the resume file loads with torch.load(weights_only=True) ----------
def _to_torch(obj):
    import torch
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.array(obj, copy=True))
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {k: _to_torch(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_torch(v) for v in obj)
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    return obj


def _rng_states() -> dict:
    import torch
    name, keys, pos, has_gauss, cached = np.random.get_state()
    return {"torch": torch.get_rng_state(), "numpy": [name, torch.from_numpy(keys.astype(np.int64)), int(pos),
                                                      int(has_gauss), float(cached)],
            "python": random.getstate()}


def _set_rng_states(r: dict) -> None:
    import torch
    torch.set_rng_state(r["torch"])
    name, keys, pos, has_gauss, cached = r["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    version, state, gauss = r["python"]
    random.setstate((version, tuple(state), gauss))


def resume_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / runs.RESUME


def read_resume(run_dir: str | Path, cfg: TrainConfig) -> dict:
    """The saved training state of an interrupted run; RunError (one line + the fix) if it cannot be used."""
    import torch
    run_dir = Path(run_dir)
    path = resume_path(run_dir)
    fresh = f"delete it to train from the start ({runs.CLI} train --config {run_dir / runs.CONFIG} --run-dir {run_dir})"
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise RunError(f"{run_dir} has no {runs.RESUME}: there is no interrupted run to continue there "
                       f"(train it with {runs._retrain_hint(run_dir)})") from None
    except OSError as e:
        raise RunError(f"{path} cannot be read ({e.strerror or type(e).__name__}): check its permissions") from None
    head, _, rest = blob.partition(b"\n")
    header, _, payload = rest.partition(b"\n")
    try:
        meta = json.loads(header.decode("utf-8")) if head + b"\n" == MAGIC else None
    except (UnicodeDecodeError, ValueError):
        meta = None
    if not isinstance(meta, dict):
        raise RunError(f"{path} is not a FreqLSTM resume checkpoint ({FORMAT}): {fresh}")
    if meta.get("sha256") != manifest.sha256_bytes(payload):
        raise RunError(f"{path} is damaged (its SHA-256 does not match its header): {fresh}")
    h = runs.config_hash(cfg)
    if meta.get("config_hash") != h:
        raise RunError(f"{path} belongs to config hash {str(meta.get('config_hash'))[:20]}, not {h}: {fresh}")
    try:
        state = torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
    except Exception as e:
        raise RunError(f"{path} cannot be loaded ({type(e).__name__}): {fresh}") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT or state.get("config_hash") != h:
        raise RunError(f"{path} is not a resume checkpoint of this run: {fresh}")
    return state


class Session:
    """One training run's pre-flight, lock, resume state and signal handling (see the module docstring).

    run_dir=None: nothing is saved, no lock, no handlers (the trainer just trains).
    resume: False (an interrupted folder is an error naming --resume), True
    (continue it; an error if that is not possible) or "auto" (continue it if its
    checkpoint is intact and fits, else start over and say why; cached_train).
    boundary: where this trainer's engine can stop, for the message.
    """

    def __init__(self, cfg: TrainConfig, run_dir, *, resume=False, eval_every_epoch: bool = False,
                 boundary: str = "the end of the epoch"):
        self.cfg, self.given, self.resume_mode = cfg, run_dir, resume
        self.eval_every_epoch = eval_every_epoch
        self.boundary = boundary
        self.run_dir: Path | None = None
        self.resumed: dict | None = None
        self._lock = None
        self._created = False  # this session made the folder
        self._wrote_config = False  # ... or at least its config.yaml: both go if nothing worth keeping follows
        self._handlers = None

    # --- entering: the pre-flight ----------------------------------------------------------
    def __enter__(self) -> "Session":
        preflight.check_memory(self.cfg)
        if self.given is None:
            if self.resume_mode is True:
                raise RunError("resuming needs the run folder of the interrupted run (--resume RUN)")
            return self
        path = preflight.run_path(self.given)
        self._lock = lock.locked(path, wait=False)
        try:
            self._lock.__enter__()
        except OSError as e:
            self._lock = None
            raise RunError(f"run dir {self.given} cannot be used: creating its lock file "
                           f"{lock.lock_path(path)} failed ({e.strerror or type(e).__name__}); "
                           "choose a --run-dir in a folder you can write to") from None
        try:
            self._prepare(path)
        except BaseException:
            self._undo(path)
            self._release()
            raise
        self.run_dir = path
        self._install_handlers()
        return self

    def _prepare(self, path: Path) -> None:
        cfg = self.cfg
        runs.check_run_dir(Path(self.given), cfg)  # messages name the folder as the caller gave it
        atomic.remove_stale(path)
        state = runs.run_state(path)
        if self.resume_mode is True and state == "finished":
            raise RunError(f"{self.given} is a finished run: there is nothing to resume "
                           f"(evaluate it with {runs.CLI} eval --run {self.given})")
        if state == "interrupted":
            if self.resume_mode is False:
                raise RunIncomplete(f"run dir {self.given} holds an interrupted run of this config: continue it "
                                    f"with {runs.CLI} train --resume {self.given}, or delete the folder to start over")
            try:
                self.resumed = self._usable(read_resume(path, cfg))
            except RunError as e:
                if self.resume_mode is True:
                    raise
                print(f"{path.name}: not continuing the interrupted run ({e}); training it from the start",
                      flush=True)
                os.unlink(resume_path(path))
        elif self.resume_mode is True:
            read_resume(path, cfg)  # raises: says why there is nothing to resume
        if self.resumed is not None:
            self.eval_every_epoch = bool(self.resumed["eval_every_epoch"])
        preflight.check_disk(cfg, path)
        try:
            if not path.exists():
                path.mkdir()
                self._created = True
            if state == "finished":
                runs._unseal(path)  # being trained again: not a finished run until the new seal
            self._wrote_config = not (path / runs.CONFIG).exists()
            atomic.write_text(path / runs.CONFIG, cfg.to_yaml())  # the folder's identity; proves it is writable
        except OSError as e:
            raise RunError(f"run dir {self.given} is not writable ({e.strerror or type(e).__name__}): "
                           "choose a --run-dir you can write to") from None
        if self.resumed is not None:
            print(f"{path.name}: continuing the interrupted run at epoch {self.resumed['epoch']}"
                  + (f", row {self.resumed['row']:,}" if self.resumed["row"] else ""), flush=True)

    def _usable(self, state: dict) -> dict | None:
        """The saved state if this session can continue from it, else a RunError saying why not."""
        if state.get("trainer") != self.cfg.trainer:
            raise RunError(f"it was saved by trainer {state.get('trainer')!r}")
        if self.eval_every_epoch and not state.get("eval_every_epoch"):
            raise RunError("it has no per-epoch frozen MSE, which this call asks for")
        return state

    # --- during training ---------------------------------------------------------------
    @property
    def stop_requested(self) -> bool:
        return self.run_dir is not None and STOP.requested

    def _write(self, snapshot: dict) -> Path:
        import torch
        cfg = self.cfg
        h = runs.config_hash(cfg)
        state = {"format": FORMAT, "config": cfg.to_dict(), "config_hash": h, "trainer": cfg.trainer,
                 "engine": cfg.engine, "eval_every_epoch": self.eval_every_epoch, "rng": _rng_states(),
                 **_to_torch(snapshot)}
        buf = io.BytesIO()
        torch.save(state, buf)
        payload = buf.getvalue()
        meta = {"sha256": manifest.sha256_bytes(payload), "config_hash": h, "epoch": snapshot["epoch"],
                "row": snapshot["row"], "num_epochs": cfg.training.num_epochs}
        return atomic.write_bytes(resume_path(self.run_dir),
                                  MAGIC + json.dumps(meta).encode() + b"\n" + payload)

    def epoch_done(self, snapshot: dict) -> None:
        """After an epoch: save the state to continue from (snapshot['epoch'] is the next one); stop if asked."""
        if self.run_dir is None:
            return
        self._write(snapshot)
        if STOP.requested:
            self._stop(snapshot, f"at the end of epoch {snapshot['epoch'] - 1}")

    def interrupt(self, snapshot: dict) -> None:
        """Mid-epoch, at the engine's boundary: save and stop."""
        self._write(snapshot)
        self._stop(snapshot, f"in epoch {snapshot['epoch']} after {snapshot['row']:,} of "
                             f"{snapshot['rows_per_epoch']:,} rows")

    def _stop(self, snapshot: dict, where: str) -> None:
        signum = STOP.signum
        raise TrainingInterrupted(
            f"interrupted by {_signal_name(signum)} {where} ({self.boundary}); saved {resume_path(self.given)}; "
            f"continue with: {runs.CLI} train --resume {self.given}", signum)

    def restore_rng(self) -> None:
        if self.resumed is not None:
            _set_rng_states(self.resumed["rng"])

    def finish(self, result) -> None:
        if self.run_dir is not None:
            runs.save_run(result, self.run_dir)
            result.run_dir = Path(self.given)

    # --- leaving ----------------------------------------------------------------------------
    def _install_handlers(self) -> None:
        STOP.signum = 0
        if threading.current_thread() is not threading.main_thread():
            return
        self._handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        for s in self._handlers:
            signal.signal(s, _on_signal)

    def _release(self) -> None:
        if self._handlers:
            for s, h in self._handlers.items():
                signal.signal(s, h if h is not None else signal.SIG_DFL)
            self._handlers = None
        STOP.signum = 0
        if self._lock is not None:
            lock_cm, self._lock = self._lock, None
            lock_cm.__exit__(None, None, None)

    def _undo(self, path: Path) -> None:
        """After a failure with nothing worth keeping: remove what this session made, and only that."""
        if resume_path(path).exists() or runs.is_finished(path):
            return
        try:
            if self._wrote_config:
                os.unlink(path / runs.CONFIG)
            if self._created:
                path.rmdir()
        except OSError:
            pass

    def __exit__(self, exc_type, exc, tb):
        signum = STOP.signum
        try:
            if exc is not None and self.run_dir is not None:
                saved = resume_path(self.run_dir).exists()
                self._undo(self.run_dir)  # leave no half-made folder behind
                if isinstance(exc, KeyboardInterrupt) and not isinstance(exc, TrainingInterrupted):
                    kept = (f"the checkpoint of the last finished epoch is kept; continue with: {runs.CLI} train "
                            f"--resume {self.given}") if saved else "nothing was saved"
                    raise TrainingInterrupted(f"interrupted by a second {_signal_name(signum or signal.SIGINT)}: "
                                              f"stopped at once; {kept}", signum or signal.SIGINT) from None
        finally:
            self._release()
        return False
