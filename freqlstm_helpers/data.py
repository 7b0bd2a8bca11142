"""The assignment's dataset: four noisy sines mixed into one signal S(t).

Everything downstream (trainers, evaluation, notebooks) builds its rows here, so
this module is the single definition of the task. See docs/the_case.md for the
task as the diagnostic report describes it.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from .validate import fail, number, number_list

LEARNABLE_PHASE_SCALE = 0.1  # the named "learnable" profile: phi ~ U(0, 0.2*pi)
MAX_FREQUENCIES = 32          # one one-hot input per frequency: input_size = 1 + K
MAX_SAMPLES = 1_000_000       # fs * duration per frequency (the spec: 10,000)
MAX_ROWS = 4_000_000          # K * N rows per split (the spec: 40,000); every split is built in memory
MAX_SEED = 2 ** 63 - 1


@dataclass(frozen=True)
class SignalConfig:
    """What the assignment fixes about the signal; defaults are its values."""

    frequencies: tuple = (1.0, 3.0, 5.0, 7.0)
    fs: float = 1000.0
    duration: float = 10.0
    amplitude_range: tuple = (0.8, 1.2)
    phase_scale: float = 1.0
    train_seed: int = 1
    test_seed: int = 2
    validation_seed: int = 3

    def __post_init__(self):
        # Normalise lists (from YAML) to tuples so configs hash and compare. Messages say
        # "SignalConfig.x"; the config loader renames that to the key path "data.x".
        p = "SignalConfig."
        fs = number(p + "fs", self.fs, gt=0, le=1e6)
        object.__setattr__(self, "fs", fs)
        object.__setattr__(self, "duration", number(p + "duration", self.duration, gt=0, le=1e5))
        freqs = tuple(number_list(p + "frequencies", self.frequencies, min_len=1, max_len=MAX_FREQUENCIES,
                                  what="frequencies in Hz"))
        object.__setattr__(self, "frequencies", freqs)
        nyquist = fs / 2
        for f in freqs:
            if not (0 < f < nyquist):
                fail(p + "frequencies", list(freqs),
                     f"each frequency must lie in (0, fs/2) = (0, {nyquist:g}) Hz; {f:g} does not")
        keys = [f"{f:g}" for f in freqs]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            fail(p + "frequencies", list(freqs), f"frequencies must be distinct ({', '.join(twice)} Hz listed more than "
                 "once, compared at 6 significant digits): each one names its own output block and metrics key")
        amp = tuple(number_list(p + "amplitude_range", self.amplitude_range, min_len=2, max_len=2,
                                what="amplitudes [low, high]"))
        object.__setattr__(self, "amplitude_range", amp)
        lo, hi = amp
        if not (0 <= lo <= hi <= 100):
            fail(p + "amplitude_range", list(amp), "need 0 <= low <= high <= 100 (the spec: [0.8, 1.2])")
        ps = self.phase_scale
        if isinstance(ps, bool) or not isinstance(ps, (int, float)) or not 0 <= ps <= 1:
            fail(p + "phase_scale", ps, "must be a number >= 0 and <= 1 (phi ~ U(0, phase_scale*2*pi): "
                 "1.0 is the spec's full cycle, 0.1 the learnable profile)")
        object.__setattr__(self, "phase_scale", float(ps))
        for name in ("train_seed", "test_seed", "validation_seed"):
            object.__setattr__(self, name, number(p + name, getattr(self, name), ge=0, le=MAX_SEED, integer=True))
        n = self.n_samples
        if n < 2 or n > MAX_SAMPLES:
            fail(p + "duration", self.duration, f"fs * duration must give 2 to {MAX_SAMPLES:,} samples per "
                 f"frequency; {fs:g} Hz * {self.duration:g} s gives {n:,}")
        if n * len(freqs) > MAX_ROWS:
            fail(p + "duration", self.duration, f"len(frequencies) * fs * duration must give at most {MAX_ROWS:,} "
                 f"rows per split (every split is held in memory); this gives {n * len(freqs):,}")

    @property
    def n_samples(self) -> int:
        return int(round(self.fs * self.duration))

    @property
    def n_frequencies(self) -> int:
        return len(self.frequencies)

    def with_(self, **changes) -> "SignalConfig":
        d = asdict(self)
        d.update(changes)
        return SignalConfig(**d)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["frequencies"] = list(self.frequencies)
        d["amplitude_range"] = list(self.amplitude_range)
        return d


@dataclass(frozen=True)
class Dataset:
    """One realisation of the task (one noise seed).

    Signals are (K, N) arrays, K frequencies by N samples. The training rows
    X (K*N, 5) and y (K*N,) are frequency-major: rows [k*N, (k+1)*N) extract
    frequency k, and every block reuses the same S(t).
    """

    config: SignalConfig
    seed: int
    time_offset: float
    t: np.ndarray
    S: np.ndarray
    amplitudes: np.ndarray
    phases: np.ndarray
    noisy: np.ndarray
    targets: np.ndarray
    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)

    @property
    def n_samples(self) -> int:
        return self.t.shape[0]

    def block(self, k: int) -> slice:
        """Rows of frequency k in X and y."""
        n = self.n_samples
        return slice(k * n, (k + 1) * n)


def one_hot_rows(S: np.ndarray, n_freq: int) -> np.ndarray:
    """Rows [S(t), C_1..C_K], frequency-major, S reused in every block."""
    n = S.shape[0]
    X = np.zeros((n_freq * n, 1 + n_freq), dtype=np.float32)
    for k in range(n_freq):
        X[k * n:(k + 1) * n, 0] = S
        X[k * n:(k + 1) * n, 1 + k] = 1.0
    return X


def build_dataset(config: SignalConfig | None = None, seed: int | None = None,
                  time_offset: float = 0.0, split: str | None = None) -> Dataset:
    """Draw a fresh noise realisation.

    The noise is independent per sample and per frequency and comes only from
    `numpy.random.default_rng(seed)`, so a seed fully determines the data.
    `split` picks the config's train/test/validation seed by name.
    `time_offset` shifts the time axis (t = t0 + n/fs), used by the test that a
    model which only counts time cannot pass.
    """
    config = config or SignalConfig()
    if split is not None:
        if split not in ("train", "test", "validation"):
            raise ValueError(f"split={split!r} is not allowed: use 'train', 'test' or 'validation'")
        if seed is not None:
            raise ValueError("give either split= or seed=, not both")
        seed = getattr(config, f"{split}_seed")
    if seed is None:
        seed = config.train_seed
    if not (isinstance(seed, (int, np.integer)) and seed >= 0):
        raise ValueError(f"seed={seed!r} is not allowed: seeds are integers >= 0")
    if not math.isfinite(time_offset):
        raise ValueError(f"time_offset={time_offset!r} is not allowed: give a finite number of seconds")

    n, K = config.n_samples, config.n_frequencies
    t = time_offset + np.arange(n) / config.fs
    f = np.asarray(config.frequencies)[:, None]
    rng = np.random.default_rng(seed)
    lo, hi = config.amplitude_range
    amplitudes = rng.uniform(lo, hi, size=(K, n))
    phases = rng.uniform(0.0, config.phase_scale * 2 * np.pi, size=(K, n))
    noisy = amplitudes * np.sin(2 * np.pi * f * t + phases)
    S = noisy.mean(axis=0)
    targets = np.sin(2 * np.pi * f * t)

    X = one_hot_rows(S, K)
    y = targets.reshape(-1).astype(np.float32)
    ds = Dataset(config, int(seed), float(time_offset), t, S, amplitudes, phases, noisy, targets, X, y)
    _assert_sane(ds)
    return ds


def _assert_sane(ds: Dataset) -> None:
    # d2l style: the builder checks itself, so executing any notebook tests it.
    K, n = ds.targets.shape
    assert ds.X.shape == (K * n, 1 + K) and ds.y.shape == (K * n,)
    assert np.allclose(ds.X[ds.block(K - 1), 0], ds.S.astype(np.float32))
    assert np.all(ds.X[:, 1:].sum(axis=1) == 1.0)


def predict_zero_mse(ds: Dataset) -> float:
    """The score of a model that always outputs 0: the mean of sin^2, about 0.5."""
    return float(np.mean(ds.y.astype(np.float64) ** 2))
