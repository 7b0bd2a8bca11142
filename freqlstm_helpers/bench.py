"""`make bench`: seconds per L=1 epoch three ways, and per corrected run four ways, from one run.

    python -m freqlstm_helpers.bench [--rows 4000] [--repeat 1] [--stream-epochs 30] [--out benchmarks/results.json]

Part 1, seconds per 40,000-row L=1 epoch, same data, same run:
(a) plain: the report's way. nn.LSTM called on a (1, 1, 5) input per row,
    state carried and detached, default (non-fused) Adam, clip_grad_norm_,
    loss.item() per row.
(b) reference: trainer.TorchEngine (LSTMCell, fused Adam, lean clipping).
(c) fused: engines.l1_fused.FusedEngine, if that module imports; its first-call
    compile time is reported separately.
All three start from the same seeded weights and train on the same rows, so
their online losses must agree; the largest difference is printed as a check.
Each is timed on a prefix of the epoch and scaled to 40,000 rows (the per-row
cost does not depend on the position in the epoch); the output says so.
Everything runs on one torch thread, as the trainer does.

Part 2, seconds per corrected run (configs/corrected.yaml, `--stream-epochs`
epochs, early stopping off so every line runs the same epochs), the whole
`stream_trainer.train` with its per-epoch validation and final metrics:
torch engine vs fused engine, each serial (one run in this process) and with
2 workers (seeds 0 and 1 through runs.cached_train_many, wall time / 2). Each
line trains afresh in a temporary run cache; numba's compile (or cache load)
and the workers' start happen before the clock starts and are printed apart.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import paths
from .config import TrainConfig
from .data import build_dataset
from .runs import atomic_write_json
from .trainer import TorchEngine, new_model

EPOCH_ROWS = 40_000


def plain_loop(model_init, cfg: TrainConfig, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The report's loop over nn.LSTM with batch 1; returns (seconds, per-row losses)."""
    H = cfg.model.hidden_size
    lstm = nn.LSTM(cfg.model.input_size, H, num_layers=1, batch_first=True)
    fc = nn.Linear(H, 1)
    with torch.no_grad():  # same starting weights as the other two
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(lstm, f"{name}_l0").copy_(getattr(model_init.cell, name))
        fc.load_state_dict(model_init.head.state_dict())
    params = list(lstm.parameters()) + list(fc.parameters())
    o = cfg.optimizer
    opt = torch.optim.Adam(params, lr=o.learning_rate, betas=o.betas, eps=o.eps, weight_decay=o.weight_decay)
    crit = nn.MSELoss()
    Xt, yt = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(np.ascontiguousarray(y))
    h, c = torch.zeros(1, 1, H), torch.zeros(1, 1, H)
    losses = []
    t0 = time.perf_counter()
    for i in range(Xt.shape[0]):
        out, (h, c) = lstm(Xt[i].view(1, 1, -1), (h, c))
        loss = crit(fc(out[:, -1, :]).view(1), yt[i].view(1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(params, cfg.training.clip_grad_norm)
        opt.step()
        h, c = h.detach(), c.detach()
        losses.append(loss.item())
    return time.perf_counter() - t0, np.asarray(losses, dtype=np.float32)


def engine_loop(engine, X, y) -> tuple[float, np.ndarray]:
    t0 = time.perf_counter()
    losses, _ = engine.train_rows(X, y)
    return time.perf_counter() - t0, np.asarray(losses, dtype=np.float32)


def _fused_engine_class():
    try:
        from .engines.l1_fused import FusedEngine
    except ImportError:
        return None
    return FusedEngine


def machine_info() -> dict:
    info = {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(), "python": platform.python_version(), "torch": torch.__version__,
            "torch_threads_default": torch.get_num_threads(), "torch_threads_used": 1}
    try:
        import numba
        info["numba"] = numba.__version__
    except ImportError:
        info["numba"] = None
    try:
        info["loadavg_1min"] = os.getloadavg()[0]
    except OSError:
        pass
    return info


def run(rows: int = 4000, repeat: int = 1, cfg: TrainConfig | None = None) -> dict:
    """Time the three loops on the first `rows` rows (best of `repeat`); returns the results dict."""
    cfg = cfg or TrainConfig()
    ds = build_dataset(cfg.data, split="train")
    rows = max(1, min(rows, ds.X.shape[0]))
    X, y = np.ascontiguousarray(ds.X[:rows]), np.ascontiguousarray(ds.y[:rows])
    scale = EPOCH_ROWS / rows
    info = machine_info()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        plain_s, ref_s, fused_s, compile_s = [], [], [], None
        plain_l = ref_l = fused_l = None
        Fused = _fused_engine_class()
        if Fused is not None:
            warm = Fused(new_model(cfg), cfg)
            t0 = time.perf_counter()
            warm.train_rows(X[:2], y[:2])  # first call compiles
            compile_s = time.perf_counter() - t0
        for _ in range(repeat):
            s, plain_l = plain_loop(new_model(cfg), cfg, X, y)
            plain_s.append(s)
            s, ref_l = engine_loop(TorchEngine(new_model(cfg), cfg), X, y)
            ref_s.append(s)
            if Fused is not None:
                s, fused_l = engine_loop(Fused(new_model(cfg), cfg), X, y)
                fused_s.append(s)
    finally:
        torch.set_num_threads(threads)

    def per_epoch(ts):
        return min(ts) * scale if ts else None

    res = {
        "rows_timed": rows, "rows_per_epoch": EPOCH_ROWS, "scaled_from_prefix": rows != EPOCH_ROWS,
        "repeat": repeat,
        "plain_s_per_epoch": per_epoch(plain_s),
        "reference_s_per_epoch": per_epoch(ref_s),
        "fused_s_per_epoch": per_epoch(fused_s),
        "fused_compile_s": compile_s,
        # Rounding differences (fused vs loop Adam, summation order) grow as the optimiser
        # chases the target row by row, so agreement is reported early and over the whole prefix.
        "max_abs_loss_diff_plain_vs_reference_first_100": float(np.max(np.abs(plain_l - ref_l)[:100])),
        "max_abs_loss_diff_plain_vs_reference": float(np.max(np.abs(plain_l - ref_l))),
        "max_abs_loss_diff_fused_vs_reference_first_100": (float(np.max(np.abs(fused_l - ref_l)[:100]))
                                                           if fused_l is not None else None),
        "max_abs_loss_diff_fused_vs_reference": (float(np.max(np.abs(fused_l - ref_l)))
                                                 if fused_l is not None else None),
        "machine": info,
    }
    p, r, f = res["plain_s_per_epoch"], res["reference_s_per_epoch"], res["fused_s_per_epoch"]
    res["speedup_reference_vs_plain"] = p / r if r else None
    res["speedup_fused_vs_plain"] = p / f if f else None
    res["speedup_fused_vs_reference"] = r / f if f else None
    return res


def report(res: dict) -> str:
    lines = [f"seconds per {EPOCH_ROWS:,}-row L=1 epoch (one torch thread; timed on the first "
             f"{res['rows_timed']:,} rows{' and scaled to a whole epoch' if res['scaled_from_prefix'] else ''}, "
             f"best of {res['repeat']}):",
             f"  (a) plain nn.LSTM loop, the report's way  {res['plain_s_per_epoch']:7.2f} s",
             f"  (b) reference trainer (TorchEngine)       {res['reference_s_per_epoch']:7.2f} s   "
             f"{res['speedup_reference_vs_plain']:.2f}x faster than (a)"]
    if res["fused_s_per_epoch"] is None:
        lines.append("  (c) fused engine not available (freqlstm_helpers.engines.l1_fused does not import)")
    else:
        lines.append(f"  (c) fused engine                         {res['fused_s_per_epoch']:7.2f} s   "
                     f"{res['speedup_fused_vs_plain']:.2f}x faster than (a), "
                     f"{res['speedup_fused_vs_reference']:.2f}x faster than (b); "
                     f"first call (numba compile or cache load) {res['fused_compile_s']:.2f} s")
    lines.append("  same regime? largest per-row loss difference, first 100 rows / all timed rows: "
                 f"|a - b| {res['max_abs_loss_diff_plain_vs_reference_first_100']:.1e} / "
                 f"{res['max_abs_loss_diff_plain_vs_reference']:.1e}"
                 + ("" if res["max_abs_loss_diff_fused_vs_reference"] is None
                    else f", |c - b| {res['max_abs_loss_diff_fused_vs_reference_first_100']:.1e} / "
                         f"{res['max_abs_loss_diff_fused_vs_reference']:.1e}"))
    lines.append("  (rounding differences grow as Adam chases the target row by row; early rows show the match)")
    load = res["machine"].get("loadavg_1min")
    if load is not None:
        lines.append(f"  machine: {res['machine']['cpu_count']} cores, load average {load:.2f} "
                     "(other work on the machine slows every line alike)")
    return "\n".join(lines)


def _stream_cfg(epochs: int, engine: str):
    from .config import load_config
    return load_config(paths.configs_dir() / "corrected.yaml").replace(engine=engine).with_overrides(
        {"training.num_epochs": epochs, "early_stopping.enabled": False})


def stream_runs(epochs: int = 30, workers: int = 2) -> dict:
    """Seconds per corrected run: {torch, fused} x {serial, `workers` workers}; see the module docstring."""
    import tempfile

    from . import pool, runs, stream_trainer
    res = {"stream_epochs": epochs, "stream_workers": workers}
    saved = os.environ.get("FREQLSTM_RUNS")
    try:
        with tempfile.TemporaryDirectory(prefix="freqlstm-bench-") as tmp:
            os.environ["FREQLSTM_RUNS"] = tmp
            t0 = time.perf_counter()  # first fused call in this process: compile or cache load
            stream_trainer.train(_stream_cfg(1, "fused").with_overrides({"data.duration": 0.5}), progress=False)
            res["stream_fused_first_call_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()  # start the workers and load the kernels there too
            warm = [_stream_cfg(1, "fused").with_overrides({"data.duration": 0.5}).replace(seed=s)
                    for s in range(100, 100 + workers)]
            runs.cached_train_many(warm, workers=workers, progress=False)
            res["stream_workers_start_s"] = time.perf_counter() - t0
            for engine in ("torch", "fused"):
                t0 = time.perf_counter()
                stream_trainer.train(_stream_cfg(epochs, engine), progress=False, eval_every_epoch=False)
                res[f"stream_{engine}_serial_s_per_run"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                runs.cached_train_many([_stream_cfg(epochs, engine).replace(seed=s) for s in range(workers)],
                                       workers=workers, progress=False)
                res[f"stream_{engine}_workers_s_per_run"] = (time.perf_counter() - t0) / workers
    finally:
        if saved is None:
            os.environ.pop("FREQLSTM_RUNS", None)
        else:
            os.environ["FREQLSTM_RUNS"] = saved
        pool.shutdown()
    base = res["stream_torch_serial_s_per_run"]
    for key in ("stream_fused_serial_s_per_run", "stream_torch_workers_s_per_run", "stream_fused_workers_s_per_run"):
        res["speedup_" + key.replace("stream_", "").replace("_s_per_run", "") + "_vs_torch_serial"] = base / res[key]
    return res


def stream_report(res: dict) -> str:
    e, w = res["stream_epochs"], res["stream_workers"]
    rows = [("torch engine, serial", "stream_torch_serial_s_per_run", None),
            ("fused engine, serial", "stream_fused_serial_s_per_run", "speedup_fused_serial_vs_torch_serial"),
            (f"torch engine, {w} workers", "stream_torch_workers_s_per_run", "speedup_torch_workers_vs_torch_serial"),
            (f"fused engine, {w} workers", "stream_fused_workers_s_per_run", "speedup_fused_workers_vs_torch_serial")]
    lines = [f"seconds per {e}-epoch corrected run (configs/corrected.yaml, validation every epoch and final "
             f"metrics included; {w} workers: seeds 0-{w - 1} side by side, wall time / {w}):"]
    for label, key, sp in rows:
        lines.append(f"  {label:<26} {res[key]:7.2f} s" + (f"   {res[sp]:.2f}x the torch serial line" if sp else ""))
    lines.append(f"  (not timed: fused first call in this process {res['stream_fused_first_call_s']:.2f} s, "
                 f"numba compile or cache load; starting {w} workers {res['stream_workers_start_s']:.2f} s)")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m freqlstm_helpers.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=4000, help="rows to time (scaled to 40,000); default 4000")
    ap.add_argument("--repeat", type=int, default=1, help="time each loop this many times, keep the best")
    ap.add_argument("--stream-epochs", type=int, default=30,
                    help="epochs per corrected run in part 2 (default 30; 0 skips part 2)")
    ap.add_argument("--out", type=Path, default=None, help="results file (default benchmarks/results.json)")
    args = ap.parse_args(argv)
    if args.rows < 1 or args.repeat < 1 or args.stream_epochs < 0:
        print("error: --rows and --repeat must be >= 1, --stream-epochs >= 0", file=sys.stderr)
        return 2
    res = run(rows=args.rows, repeat=args.repeat)
    print(report(res), flush=True)
    if args.stream_epochs:
        res.update(stream_runs(args.stream_epochs))
        print(stream_report(res))
    out = args.out or paths.repo_root() / "benchmarks" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out, res)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
