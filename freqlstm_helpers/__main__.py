"""Command line, mirroring the report's `main.py --mode train|eval|viz`.

    python -m freqlstm_helpers train --config configs/v1_lr1e-3.yaml [--engine torch|fused]
           [--seed N] [--epochs N] [--run-dir DIR] [--eval-every-epoch] [--no-progress] [--yes]
    python -m freqlstm_helpers train --resume DIR [--no-progress]
    python -m freqlstm_helpers eval --run DIR [--time-offset T [--warmup W]]
    python -m freqlstm_helpers viz --run DIR [--seconds S]

Every expected failure (bad config, missing or corrupt checkpoint, a run folder
made with another config, a folder another process is writing...) prints one
line `error: ...` on stderr and exits with status 2, so scripts and students see
the cause, not a traceback. Ctrl-C (or SIGTERM) during training saves the run at
the next boundary and prints one line with the `train --resume` command (exit
130, or 143 for SIGTERM).
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from .config import ConfigError, EngineUnavailable, get_trainer, load_config
from .runs import RunError, default_run_dir  # runs imports torch only when it needs it

EXIT_ERROR = 2
MAX_MESSAGE = 1000  # characters of one error line
MAX_TIME_OFFSET = 1e6  # seconds: beyond this, float64 time stamps lose the sub-millisecond resolution fs needs


class CliError(Exception):
    """An expected failure with a one-line explanation."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: one line too, same exit status
        raise CliError(f"{message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m freqlstm_helpers", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="mode", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train one config and save its run folder")
    t.add_argument("--config", type=Path, help="YAML config, e.g. configs/v1_lr1e-3.yaml")
    t.add_argument("--resume", type=Path, metavar="RUN", help="continue the interrupted run saved in this folder")
    t.add_argument("--engine", choices=("torch", "fused"), help="override the config's engine")
    t.add_argument("--seed", type=int, help="override the model initialisation seed")
    t.add_argument("--epochs", type=int, help="override training.num_epochs")
    t.add_argument("--run-dir", type=Path, help="where to save (default: runs/<name>-<config hash>)")
    t.add_argument("--eval-every-epoch", action="store_true", help="also record frozen train/test MSE per epoch")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument("--yes", action="store_true", help="start a run larger than the row budget (preflight.ROW_BUDGET)")

    e = sub.add_parser("eval", help="recompute frozen metrics of a run's checkpoint, write metrics.json")
    e.add_argument("--run", required=True, type=Path, help="run folder")
    # The shifted-time test: a model that only counts time must fail it. Writes metrics_offset.json.
    e.add_argument("--time-offset", type=float, help="evaluate on a test set with t shifted by T seconds")
    e.add_argument("--warmup", type=float, help="seconds at the start of the shifted test set left unscored (default 1.0)")

    v = sub.add_parser("viz", help="save PNG plots of a run's history and predictions into the run folder")
    v.add_argument("--run", required=True, type=Path, help="run folder")
    v.add_argument("--seconds", type=float, default=2.0, help="seconds of signal to show in prediction plots")
    return p


# --- train ------------------------------------------------------------------------
def cmd_train(args) -> int:
    from . import preflight, runs
    if args.resume is not None:
        extra = [f for f, v in (("--config", args.config), ("--engine", args.engine), ("--seed", args.seed),
                                ("--epochs", args.epochs), ("--run-dir", args.run_dir),
                                ("--eval-every-epoch", args.eval_every_epoch or None), ("--yes", args.yes or None))
                 if v is not None]
        if extra:
            raise CliError(f"--resume continues a run exactly as it was started: drop {', '.join(extra)}")
        cfg = runs.require_run_dir(args.resume)
        run_dir, resume, eval_every = args.resume, True, False
    else:
        if args.config is None:
            raise CliError("train needs --config <config.yaml> (or --resume RUN to continue an interrupted run)")
        cfg = load_config(args.config)
        overrides = {k: v for k, v in (("engine", args.engine), ("seed", args.seed),
                                       ("training.num_epochs", args.epochs)) if v is not None}
        if overrides:
            cfg = cfg.with_overrides(overrides)
        preflight.check_budget(cfg, args.yes)
        run_dir, resume, eval_every = args.run_dir or default_run_dir(cfg), False, args.eval_every_epoch
    train_fn = get_trainer(cfg.trainer)
    result = train_fn(cfg, run_dir=run_dir, progress=not args.no_progress, eval_every_epoch=eval_every,
                      resume=resume)
    for rec in result.history:
        extra = "".join(f"  {k} {rec[k]:.4f}" for k in ("frozen_train_mse", "frozen_test_mse")
                        if rec.get(k) is not None)
        print(f"epoch {rec['epoch']:3d}  online loss {rec['online_loss']:.4f}  lr {rec['lr']:.2e}  "
              f"{rec['seconds']:.1f} s{extra}")
    m = result.metrics
    print(f"stopped_by {result.stopped_by}  best epoch {result.best_epoch}")
    print(f"frozen MSE of the checkpoint (epoch {result.checkpoint_epoch}): "
          f"train {m['train_mse']:.4f}  test {m['test_mse']:.4f}")
    print(f"run saved to {run_dir}")
    return 0


# --- eval -------------------------------------------------------------------------
def _finite_arg(flag: str, value: float, low: float, high: float, unit: str = "seconds") -> float:
    if not (math.isfinite(value) and low <= value <= high):
        raise CliError(f"{flag} {value:g} is not allowed: use finite {unit} in [{low:g}, {high:g}]")
    return value


def _locked(run: Path):
    """The run folder's lock for a command that writes into it (one line if another process holds it)."""
    from . import runs
    from .storage import lock
    if not run.is_dir():
        runs.require_run_dir(run)  # says what is wrong with the path
    return lock.locked(run, wait=False, what="run (or wait)")


def cmd_eval(args) -> int:
    from . import evaluate, runs
    if args.time_offset is None and args.warmup is not None:
        raise CliError("--warmup goes with --time-offset (the shifted-time test)")
    if args.time_offset is not None:
        _finite_arg("--time-offset", args.time_offset, -MAX_TIME_OFFSET, MAX_TIME_OFFSET)
    out_name = runs.METRICS if args.time_offset is None else runs.METRICS_OFFSET
    with _locked(args.run):
        cfg = runs.require_run_dir(args.run)
        if args.time_offset is not None:
            warmup = 1.0 if args.warmup is None else args.warmup
            if not (math.isfinite(warmup) and 0 <= warmup < cfg.data.duration):
                raise CliError(f"--warmup {warmup:g} is not allowed: use seconds in [0, {cfg.data.duration:g})")
        which = runs.BEST if cfg.logging.save_best else runs.FINAL
        v = runs.verify_run(args.run, skip=(out_name,))  # the file this command rebuilds is not checked
        ckpt = v.best if which == runs.BEST else v.final
        model = ckpt["_model"]
        if args.time_offset is not None:
            metrics = {**evaluate.shifted_metrics(model, cfg, args.time_offset, warmup),
                       "checkpoint": which, "epoch": ckpt.get("epoch")}
            title = f"shifted test (t0 = {args.time_offset:g} s, first {warmup:g} s not scored)"
        else:
            metrics = {**evaluate.frozen_metrics(model, cfg), "checkpoint": which, "epoch": ckpt.get("epoch")}
            title = "weights frozen, state carried over all rows"
        out = runs.write_metrics(args.run, metrics, out_name)
    print(f"{which} (epoch {metrics['epoch']}), {title}:")
    for split in ("train", "test"):
        per = "  ".join(f"{f} Hz {v:.4f}" for f, v in metrics[f"{split}_mse_per_frequency"].items())
        print(f"  {split} MSE {metrics[f'{split}_mse']:.4f}   ({per})")
    print(f"wrote {out}")
    return 0


# --- viz --------------------------------------------------------------------------
def save_plots(run_dir: Path, seconds: float = 2.0) -> list[Path]:
    """history.png, online_losses.png, predictions_f2.png, predictions_all.png in run_dir: all four or none.

    Every figure is rendered in memory first, then the four files are written
    together (storage.atomic.write_all), so a failure leaves the old ones.
    """
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    from . import evaluate, runs
    from .storage import atomic
    from .trainer import datasets

    run_dir = Path(run_dir)
    _finite_arg("--seconds", seconds, 1e-3, MAX_TIME_OFFSET)
    res = runs.load_run(run_dir)
    cfg = res.config
    out = {}

    def save(fig, name):
        buf = io.BytesIO()
        try:
            fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        finally:
            plt.close(fig)
        out[run_dir / name] = buf.getvalue()

    ep = np.arange(1, res.epochs_run + 1)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 3.8))
    a1.plot(ep, res.epoch_losses, "o-", label="online epoch loss (the report's 'loss')")
    if res.frozen_test_mse is not None:
        a1.plot(ep, res.frozen_train_mse, "s--", label="frozen train MSE")
        a1.plot(ep, res.frozen_test_mse, "^--", label="frozen test MSE")
    a1.axhline(0.5, color="gray", lw=1, ls=":", label="predict 0 (0.5)")
    a1.set(xlabel="epoch", ylabel="MSE", title=f"{cfg.name}: stopped by {res.stopped_by}")
    a1.legend(fontsize=8)
    for k, f in enumerate(cfg.data.frequencies):
        a2.plot(ep, res.block_means[:, k], "o-", label=f"{f:g} Hz block")
    a2.set(xlabel="epoch", ylabel="online loss", title="online loss per frequency block")
    a2.legend(fontsize=8)
    for a in (a1, a2):
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
    save(fig, "history.png")

    flat = res.online_losses.reshape(-1).astype(np.float64)
    w = min(1000, flat.size)
    smooth = np.convolve(flat, np.ones(w) / w, mode="valid")
    fig, ax = plt.subplots(figsize=(11, 3.5))
    ax.plot(np.arange(flat.size), flat, lw=0.3, alpha=0.4, label="per row")
    ax.plot(np.arange(w - 1, flat.size), smooth, lw=1.2, label=f"mean of last {w} rows")
    ax.set(xlabel="row (all epochs)", ylabel="online loss", yscale="log", title="online loss, row by row")
    ax.legend(fontsize=8)
    save(fig, "online_losses.png")

    _, test_ds = datasets(cfg)
    preds = evaluate.predict(res.checkpoint_model, cfg, test_ds)  # (K, N), in the regime the run was trained in
    n = min(test_ds.n_samples, max(2, int(seconds * cfg.data.fs)))
    t = test_ds.t[:n]

    def panel(ax, k):
        blk = test_ds.block(k)
        ax.plot(t, test_ds.S[:n], color="0.8", lw=0.6, label="S (input)")
        ax.plot(t, test_ds.y[blk][:n], color="C0", lw=1.5, label="target")
        ax.plot(t, preds[k][:n], ".", color="C3", ms=1.5, label="LSTM (frozen)")
        ax.set(title=f"{cfg.data.frequencies[k]:g} Hz", xlabel="t (s)")

    k2 = 1 if cfg.data.n_frequencies > 1 else 0
    fig, ax = plt.subplots(figsize=(11, 3.5))
    panel(ax, k2)
    ax.legend(fontsize=8, loc="upper right")
    ax.set_title(f"test set, {cfg.data.frequencies[k2]:g} Hz (checkpoint epoch {res.checkpoint_epoch})")
    save(fig, "predictions_f2.png")

    K = cfg.data.n_frequencies
    cols = 2 if K > 1 else 1
    rows_ = (K + cols - 1) // cols
    fig, axes = plt.subplots(rows_, cols, figsize=(11, 3 * rows_), squeeze=False)
    for k in range(K):
        panel(axes[k // cols][k % cols], k)
    for k in range(K, rows_ * cols):
        axes[k // cols][k % cols].axis("off")
    axes[0][0].legend(fontsize=7, loc="upper right")
    fig.suptitle("test set, one panel per frequency")
    fig.tight_layout()
    save(fig, "predictions_all.png")
    try:
        return atomic.write_all(out)
    except OSError as e:
        raise RunError(f"cannot write the figures into {run_dir} ({e.strerror or type(e).__name__}; none was "
                       "written): make the folder writable, or copy the run somewhere writable") from None


def cmd_viz(args) -> int:
    from . import runs
    _finite_arg("--seconds", args.seconds, 1e-3, MAX_TIME_OFFSET)
    with _locked(args.run):
        runs.require_run_dir(args.run)
        written = save_plots(args.run, args.seconds)
    for p in written:
        print(f"wrote {p}")
    return 0


# --- entry point -------------------------------------------------------------------
def _one_line(text: str) -> str:
    text = " ".join(str(text).split())  # one line, whatever the message held
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 3] + "..."


def _os_error(e: OSError) -> str:
    where = f"{e.filename}: " if getattr(e, "filename", None) else ""
    return f"{where}{e.strerror or type(e).__name__} (check the path and its permissions)"


def main(argv=None) -> int:
    from .checkpoints import TrainingInterrupted
    try:
        args = build_parser().parse_args(argv)
        return {"train": cmd_train, "eval": cmd_eval, "viz": cmd_viz}[args.mode](args)
    except (CliError, ConfigError, RunError, EngineUnavailable) as e:
        message = str(e)
    except TrainingInterrupted as e:
        print(_one_line(str(e)), file=sys.stderr)
        return 128 + e.signum
    except KeyboardInterrupt:
        print("interrupted: stopped; every file is whole (written atomically), nothing half-written was kept",
              file=sys.stderr)
        return 130
    except OSError as e:
        message = _os_error(e)
    except MemoryError:
        message = "out of memory: make the run smaller (data.duration, data.fs, model.hidden_size)"
    except RecursionError:
        message = "input nested too deeply to read"
    except Exception as e:  # a bug: still one line, and the traceback on request
        if os.environ.get("FREQLSTM_DEBUG"):
            raise
        message = f"unexpected {type(e).__name__}: {e} (this is a bug; FREQLSTM_DEBUG=1 shows the traceback)"
    print(f"error: {_one_line(message)}", file=sys.stderr)
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
