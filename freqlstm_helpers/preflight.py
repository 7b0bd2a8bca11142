"""Before the first epoch: will the run fit, and can it be saved where it is asked to go?

Training used to check nothing about its folder until every epoch was done, so
a read-only parent, a path under a file or a 250-character name lost the whole
run to a traceback at the very end. Everything that can be known from the
config and the path is checked here, up front:

- the path: every existing part is a folder, names fit the file system (with
  the suffixes of lock and temporary names), the parent can be created;
- the size: estimated row steps against ROW_BUDGET (over it, the CLI asks for
  --yes), memory for the datasets and the loss history against what the
  machine has free, disk for the run folder against the free space.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .config import ConfigError, TrainConfig
from .storage import RunError

# A row step is one sample of one stream through the LSTM in training. The corrected
# recipe (30 epochs, 4 streams x 10,000 samples, windows of 400 every 200) is 2.4
# million; the report's 30-epoch v2 run is 1.2 million.
ROW_BUDGET = 20_000_000
LONGEST_SUFFIX = len(".tmp-12345678")  # `<name>.tmp-<8>`: the temporary folder a new run is built in
LOCK_EXTRA = len("..lock")             # `.<name>.lock` beside the folder
INSIDE_LONGEST = len(".training_history.json.12345678.tmp")  # the longest temporary name inside a run folder


class OverBudget(ConfigError):
    """The run is larger than ROW_BUDGET; the CLI's --yes (cached_train's yes=True) accepts it."""


def rows_per_epoch(cfg: TrainConfig) -> int:
    """Online losses recorded per epoch: rows (L=1) or optimiser windows (streams)."""
    K, N = cfg.data.n_frequencies, cfg.data.n_samples
    if cfg.trainer == "streams":
        T = N if cfg.streams.parallel else K * N
        return -(-T // cfg.streams.stride)
    return K * N


def row_steps(cfg: TrainConfig) -> int:
    """Samples pushed through the LSTM in training, all epochs (windows overlap: window/stride times)."""
    K, N = cfg.data.n_frequencies, cfg.data.n_samples
    per_epoch = K * N
    if cfg.trainer == "streams":
        per_epoch = per_epoch * cfg.streams.window // cfg.streams.stride
    return cfg.training.num_epochs * per_epoch


def check_budget(cfg: TrainConfig, yes: bool = False) -> None:
    steps = row_steps(cfg)
    if steps > ROW_BUDGET and not yes:
        raise OverBudget(f"training.num_epochs={cfg.training.num_epochs:,} makes this run about {steps:,} row steps "
                         f"(epochs x frequencies x samples{' x window/stride' if cfg.trainer == 'streams' else ''}), "
                         f"over the budget of {ROW_BUDGET:,} ({steps / 2.4e6:,.0f}x the corrected recipe's 2.4 million): "
                         "add --yes to start it anyway (cached_train: yes=True)")


def memory_bytes(cfg: TrainConfig) -> int:
    """A generous estimate of the peak memory a run needs (datasets, loss history, model and Adam)."""
    K, N = cfg.data.n_frequencies, cfg.data.n_samples
    splits = 3 if cfg.trainer == "streams" else 2
    dataset = K * N * (4 * (1 + K) + 4 + 4 * 8) + N * 8 * 2  # X, y, targets/amplitudes/phases/noisy, t, S
    inputs = K * N * 4 * (2 + K)  # the trainer's own float32 copy of the rows
    losses = cfg.training.num_epochs * rows_per_epoch(cfg) * 4 * 3  # per-epoch arrays, the stacked copy, the file
    H, n_in = cfg.model.hidden_size, cfg.model.input_size
    params = 4 * H * (n_in + H + 2) + H + 1
    model = params * 4 * 12  # model, best model, Adam moments, checkpoints in flight
    return splits * dataset + inputs + losses + model


def available_memory() -> int | None:
    """MemAvailable from /proc/meminfo (bytes), None where it cannot be read."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def check_memory(cfg: TrainConfig) -> None:
    need, free = memory_bytes(cfg), available_memory()
    if free is not None and need > free:
        raise OverBudget(f"this run needs about {need / 2**30:,.1f} GiB of memory (data.duration "
                         f"{cfg.data.duration:g} s at data.fs {cfg.data.fs:g} Hz, {cfg.training.num_epochs:,} epochs "
                         f"of losses), and {free / 2**30:,.1f} GiB are free: make the run smaller")


def disk_bytes(cfg: TrainConfig) -> int:
    """The run folder's size, with room for the resume checkpoint written beside it."""
    H, n_in = cfg.model.hidden_size, cfg.model.input_size
    params = 4 * H * (n_in + H + 2) + H + 1
    losses = cfg.training.num_epochs * rows_per_epoch(cfg) * 4
    return 2 * (losses + params * 4 * 6) + (1 << 20)


def _nearest_existing(path: Path) -> Path:
    for p in (path, *path.parents):
        if os.path.lexists(p):
            return p
    return Path("/")


def run_path(run_dir: str | Path) -> Path:
    """run_dir made absolute and proven usable (parents created); RunError naming the problem otherwise."""
    given = Path(run_dir)
    path = Path(os.path.abspath(given))
    if path == Path(path.anchor):
        raise RunError(f"run dir {given} is the file system root: choose a folder for the run")
    anc = _nearest_existing(path)
    if not anc.is_dir():
        what = "a broken link" if anc.is_symlink() and not anc.exists() else "a file"
        raise RunError(f"run dir {given} cannot be made: {anc} is {what}, not a folder; choose another --run-dir")
    try:
        name_max = os.pathconf(anc, "PC_NAME_MAX")
    except (OSError, ValueError):
        name_max = 255
    for part in path.relative_to(anc).parts[:-1]:
        if len(part.encode()) > name_max:
            raise RunError(f"run dir {given}: the folder name {part[:40]}... is {len(part.encode())} bytes, "
                           f"over this file system's {name_max}: choose a shorter --run-dir")
    n = len(path.name.encode())
    room = name_max - LONGEST_SUFFIX
    if n > room:
        raise RunError(f"run dir name {path.name[:40]}... is {n} bytes; with the suffix of its temporary folder "
                       f"it must fit in {name_max}, so at most {room}: choose a shorter --run-dir or config name")
    if len(str(path).encode()) + 1 + INSIDE_LONGEST > 4000:
        raise RunError(f"run dir {str(given)[:40]}... is a path of {len(str(path).encode())} bytes: choose a "
                       "shorter --run-dir (paths end at 4,096 bytes)")
    if path.exists() and not path.is_dir():
        raise RunError(f"run dir {given} exists and is a file: choose a folder path")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RunError(f"run dir {given} cannot be made: creating {path.parent} failed "
                       f"({e.strerror or type(e).__name__}); choose another --run-dir") from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise RunError(f"run dir {given} cannot be made: {path.parent} is not writable by this user; "
                       "choose another --run-dir")
    return path


def check_disk(cfg: TrainConfig, path: Path) -> None:
    need = disk_bytes(cfg)
    try:
        free = shutil.disk_usage(_nearest_existing(path)).free
    except OSError:
        return
    if need > free:
        raise RunError(f"run dir {path} needs about {need / 2**20:,.0f} MiB and its disk has "
                       f"{free / 2**20:,.0f} MiB free: free some space or choose another --run-dir")
