"""TrainConfig: the report's `config_v2.yaml`, as a checked dataclass.

The sections mirror the YAML the diagnostic report prescribes (model, optimizer,
training, early_stopping, logging) plus the stopping rules and scheduler it
describes in prose (target stop, divergence detection, ReduceLROnPlateau).
Everything is validated on load: a typo in a key or a value outside what the
L=1 regime allows fails loudly, naming the full key path and what is allowed,
instead of silently training something else.

Adding a trainer: put its name and "module:function" in TRAINERS; the CLI and
`runs.cached_train` dispatch through `get_trainer`. Adding a section: write a
frozen dataclass below and add a field to TrainConfig; loading, validation,
`to_dict` and overrides pick it up from the dataclass fields.
"""
from __future__ import annotations

import difflib
import importlib
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any, Callable

import yaml

from . import strict_yaml
from .data import MAX_SEED, SignalConfig
from .validate import ConfigError, shown
from .validate import boolean as _bool
from .validate import choice as _choice
from .validate import fail as _fail
from .validate import number as _number

# trainer key -> "module:function". The function has the signature of trainer.train.
TRAINERS = {"l1": "freqlstm_helpers.trainer:train", "streams": "freqlstm_helpers.stream_trainer:train"}
ENGINES = ("torch", "fused")
SCHEDULERS = ("none", "ReduceLROnPlateau")
MAX_NAME = 100  # characters in `name`: the run folder is <name>-<12 hex digits>, and file names end at 255 bytes
MAX_EPOCHS = 100_000
MAX_HIDDEN = 1024  # 4.3 M parameters; the report's model has 64 hidden units (18,241 parameters)
BIG = 1e6          # the upper end of the "any positive number" keys (clip norm, deltas, factors)
ROW_ORDERS = ("frequency-major", "interleaved", "shuffled")  # training.row_order (trainer l1)
EPOCH_RESETS = ("none", "optimizer", "weights")  # training.epoch_reset (trainer l1)


class EngineUnavailable(RuntimeError):
    """The requested engine cannot be imported in this checkout (see trainer.make_engine)."""


class _Section:
    """Base for config sections: `_key` is the section's name in the YAML."""

    _key = ""

    def _set(self, name, value):
        object.__setattr__(self, name, value)

    def _path(self, name):
        return f"{self._key}.{name}" if self._key else name

    def to_dict(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class ModelConfig(_Section):
    """The report's architecture: one LSTM layer, 64 hidden units, 18,241 parameters."""

    _key = "model"
    input_size: int = 5
    hidden_size: int = 64
    num_layers: int = 1
    dropout: float = 0.0
    forget_bias: float | None = None  # None keeps PyTorch's initialisation (the report's)
    chrono_tmax: float | None = None  # per-unit chrono gate biases, spans up to this many steps; None: off

    def __post_init__(self):
        self._set("input_size", _number(self._path("input_size"), self.input_size, ge=1, le=33, integer=True))
        self._set("hidden_size", _number(self._path("hidden_size"), self.hidden_size, ge=1, le=MAX_HIDDEN, integer=True))
        n = _number(self._path("num_layers"), self.num_layers, integer=True)
        if n != 1:
            _fail(self._path("num_layers"), self.num_layers,
                  "must be 1 (the assignment's L=1 model has one LSTM layer)")
        self._set("num_layers", n)
        d = _number(self._path("dropout"), self.dropout)
        if d != 0.0:
            _fail(self._path("dropout"), self.dropout, "must be 0.0 (one layer: PyTorch's LSTM dropout has no effect)")
        self._set("dropout", d)
        if self.forget_bias is not None:
            self._set("forget_bias", _number(self._path("forget_bias"), self.forget_bias, ge=-20, le=20))
        if self.chrono_tmax is not None:
            self._set("chrono_tmax", _number(self._path("chrono_tmax"), self.chrono_tmax, gt=2, le=BIG))
            if self.forget_bias is not None:
                _fail(self._path("chrono_tmax"), self.chrono_tmax,
                      "cannot be combined with model.forget_bias (both set the forget-gate bias); set one to null")


@dataclass(frozen=True)
class OptimizerConfig(_Section):
    _key = "optimizer"
    type: str = "Adam"
    learning_rate: float = 1e-3
    betas: tuple = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0

    def __post_init__(self):
        _choice(self._path("type"), self.type, ("Adam",))
        self._set("learning_rate", _number(self._path("learning_rate"), self.learning_rate, gt=0, le=1))
        if isinstance(self.betas, str) or not isinstance(self.betas, (list, tuple)) or len(self.betas) != 2:
            _fail(self._path("betas"), self.betas, "must be a pair [beta1, beta2], each in [0, 1)")
        self._set("betas", tuple(_number(self._path("betas"), b, ge=0, lt=1) for b in self.betas))
        self._set("eps", _number(self._path("eps"), self.eps, gt=0, le=1))
        self._set("weight_decay", _number(self._path("weight_decay"), self.weight_decay, ge=0, le=1))


@dataclass(frozen=True)
class TrainingConfig(_Section):
    """The report's training keys, plus two L=1 controls that notebook 03 runs.

    row_order: "frequency-major" (the assignment's), "interleaved" (t-major: the four
    frequencies of one sample, then the next sample) or "shuffled" (a fresh seeded
    permutation every epoch: the control). The report's `shuffle` key stays false.
    epoch_reset: at the start of every epoch after the first, "optimizer" restarts
    Adam (moments and step count to zero, weights kept); "weights" reloads the initial
    weights (Adam kept); "none" is the report's run.
    """

    _key = "training"
    num_epochs: int = 5
    batch_size: int = 1
    shuffle: bool = False
    clip_grad_norm: float = 1.0
    row_order: str = "frequency-major"
    epoch_reset: str = "none"

    def __post_init__(self):
        self._set("num_epochs", _number(self._path("num_epochs"), self.num_epochs, ge=1, le=MAX_EPOCHS, integer=True))
        b = _number(self._path("batch_size"), self.batch_size, integer=True)
        if b != 1:
            _fail(self._path("batch_size"), self.batch_size, "must be 1 (the L=1 trainer steps one row at a time)")
        self._set("batch_size", b)
        if _bool(self._path("shuffle"), self.shuffle):
            _fail(self._path("shuffle"), self.shuffle,
                  "must be false (the carried state only means something if rows stay in time order)")
        self._set("clip_grad_norm", _number(self._path("clip_grad_norm"), self.clip_grad_norm, gt=0, le=BIG))
        _choice(self._path("row_order"), self.row_order, ROW_ORDERS, "row orders")
        _choice(self._path("epoch_reset"), self.epoch_reset, EPOCH_RESETS, "epoch resets")


@dataclass(frozen=True)
class EarlyStoppingConfig(_Section):
    """Stop after `patience` epochs in a row without improving by more than min_delta."""

    _key = "early_stopping"
    enabled: bool = False
    patience: int = 10
    min_delta: float = 0.001

    def __post_init__(self):
        _bool(self._path("enabled"), self.enabled)
        self._set("patience", _number(self._path("patience"), self.patience, ge=1, le=MAX_EPOCHS, integer=True))
        self._set("min_delta", _number(self._path("min_delta"), self.min_delta, ge=0, le=BIG))


@dataclass(frozen=True)
class TargetStopConfig(_Section):
    """Stop once the epoch loss is below threshold (the report's 'target achieved')."""

    _key = "target_stop"
    enabled: bool = False
    threshold: float = 0.005

    def __post_init__(self):
        _bool(self._path("enabled"), self.enabled)
        self._set("threshold", _number(self._path("threshold"), self.threshold, gt=0, le=BIG))


@dataclass(frozen=True)
class DivergenceConfig(_Section):
    """Stop when the epoch loss exceeds (1 + factor) x the best so far (0.5: a 50% rise)."""

    _key = "divergence"
    enabled: bool = False
    factor: float = 0.5

    def __post_init__(self):
        _bool(self._path("enabled"), self.enabled)
        self._set("factor", _number(self._path("factor"), self.factor, gt=0, le=BIG))


@dataclass(frozen=True)
class LRSchedulerConfig(_Section):
    """The report's optional 'configuration C': halve the LR after 5 flat epochs."""

    _key = "lr_scheduler"
    type: str = "none"
    patience: int = 5
    factor: float = 0.5

    def __post_init__(self):
        _choice(self._path("type"), self.type, SCHEDULERS)
        self._set("patience", _number(self._path("patience"), self.patience, ge=0, le=MAX_EPOCHS, integer=True))
        self._set("factor", _number(self._path("factor"), self.factor, gt=0, lt=1))


@dataclass(frozen=True)
class LoggingConfig(_Section):
    _key = "logging"
    log_every_n_batches: int = 1000  # keep the pre-clip grad norm of every n-th row
    save_best: bool = True  # evaluate/ship the best epoch (by online loss), else the last

    def __post_init__(self):
        self._set("log_every_n_batches",
                  _number(self._path("log_every_n_batches"), self.log_every_n_batches, ge=1, le=10**9, integer=True))
        _bool(self._path("save_best"), self.save_best)


@dataclass(frozen=True)
class StreamsConfig(_Section):
    """The corrected regime (trainer: streams): what notebook 04 Part B changes, one key each.

    The state is carried over all samples of every stream; gradients flow back
    through a truncated window. Every `stride` samples the model takes one
    optimiser step on the loss of those samples, backpropagating through the
    last `window` samples (window >= stride: overlapping windows, TBPTT(k1, k2)).
    """

    _key = "streams"
    parallel: bool = True        # 4 frequency streams side by side (batch 4); false: one frequency-major stream
    window: int = 400            # k2: samples the gradient flows back through
    stride: int = 200            # k1: samples between optimiser steps (the loss covers these)
    input_gain: float = 4.0      # S is multiplied by this before it enters the LSTM
    schedule: str = "cosine"     # learning rate over all steps: "cosine" (to 0) or "constant"
    warmup_steps: int = 0        # linear warm-up steps before the schedule

    def __post_init__(self):
        _bool(self._path("parallel"), self.parallel)
        self._set("window", _number(self._path("window"), self.window, ge=1, le=10**6, integer=True))
        self._set("stride", _number(self._path("stride"), self.stride, ge=1, le=10**6, integer=True))
        if self.window < self.stride or self.window % self.stride:
            _fail(self._path("window"), self.window,
                  f"must be a multiple of streams.stride ({self.stride}) and at least as large")
        self._set("input_gain", _number(self._path("input_gain"), self.input_gain, ge=0, le=1000))
        _choice(self._path("schedule"), self.schedule, ("cosine", "constant"), "schedules")
        self._set("warmup_steps", _number(self._path("warmup_steps"), self.warmup_steps, ge=0, le=10**9, integer=True))


@dataclass(frozen=True)
class TrainConfig:
    """One training run, fully determined: same config, same numbers."""

    name: str = "run"
    trainer: str = "l1"
    engine: str = "torch"
    seed: int = 0  # model initialisation seed (data seeds live in data.*)
    input_blind: bool = False  # zero the S column everywhere: the control run
    model: ModelConfig = field(default_factory=ModelConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    early_stopping: EarlyStoppingConfig = field(default_factory=EarlyStoppingConfig)
    target_stop: TargetStopConfig = field(default_factory=TargetStopConfig)
    divergence: DivergenceConfig = field(default_factory=DivergenceConfig)
    lr_scheduler: LRSchedulerConfig = field(default_factory=LRSchedulerConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    data: SignalConfig = field(default_factory=SignalConfig)
    streams: StreamsConfig | None = None  # only for trainer: streams (notebook 04's corrected regime)

    def __post_init__(self):
        if not (isinstance(self.name, str) and 0 < len(self.name.encode("utf-8", "replace")) <= MAX_NAME
                and self.name not in (".", "..") and all(c.isalnum() or c in "-_.+" for c in self.name)):
            _fail("name", self.name, f"must be a non-empty folder-safe name of at most {MAX_NAME} bytes "
                  "(letters, digits, - _ . +)")
        _choice("trainer", self.trainer, tuple(TRAINERS), "trainers")
        _choice("engine", self.engine, ENGINES, "engines")
        object.__setattr__(self, "seed", _number("seed", self.seed, ge=0, le=MAX_SEED, integer=True))
        _bool("input_blind", self.input_blind)
        for f in fields(self):
            typ = _SECTION_TYPES.get(f.name)
            value = getattr(self, f.name)
            if typ is not None and value is not None and not isinstance(value, typ):
                _fail(f.name, value, f"must be a {typ.__name__} (or a mapping in YAML)")
        if self.trainer == "streams" and self.streams is None:
            object.__setattr__(self, "streams", StreamsConfig())
        if self.trainer != "streams" and self.streams is not None:
            _fail("streams", "...", "a streams section is only allowed with trainer: streams")
        if self.trainer == "streams":
            for key, default in (("row_order", "frequency-major"), ("epoch_reset", "none")):
                if getattr(self.training, key) != default:
                    _fail(f"training.{key}", getattr(self.training, key),
                          f"must be {default!r} with trainer: streams (the L=1 trainer's control only)")
        if self.streams is not None:
            per_stream = self.data.n_samples * (1 if self.streams.parallel else self.data.n_frequencies)
            if self.streams.window > per_stream:
                _fail("streams.window", self.streams.window,
                      f"must be at most the {per_stream:,} samples of a stream (data.fs x data.duration"
                      f"{'' if self.streams.parallel else ' x frequencies'}): a longer window is not a window")
        expected = 1 + self.data.n_frequencies
        if self.model.input_size != expected:
            _fail("model.input_size", self.model.input_size,
                  f"must be 1 + len(data.frequencies) = {expected} (S plus one one-hot entry per frequency)")

    def to_dict(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)
                if not (f.name == "streams" and self.streams is None)}

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=False)

    def replace(self, **changes) -> "TrainConfig":
        """Top-level changes (seed=3) or dotted ones ("optimizer.learning_rate"=3e-4)."""
        dotted = {k: v for k, v in changes.items() if "." in k}
        plain = {k: v for k, v in changes.items() if "." not in k}
        cfg = self.with_overrides(plain) if plain else self
        return cfg.with_overrides(dotted) if dotted else cfg

    def with_overrides(self, overrides: dict) -> "TrainConfig":
        """A validated copy with {"section.key": value} (or {"seed": 3}) applied."""
        d = self.to_dict()
        for key, value in overrides.items():
            parts = key.split(".")
            node = d
            for i, part in enumerate(parts[:-1]):
                if not isinstance(node.get(part), dict):
                    raise ConfigError(f"{'.'.join(parts[:i + 1])} is not a config section: cannot override {key}")
                node = node[part]
            if parts[-1] not in node:
                _unknown(".".join(parts[:-1]), parts[-1], node.keys())
            value = _plain(value)
            if isinstance(node[parts[-1]], dict) and isinstance(value, dict):
                node[parts[-1]] = {**node[parts[-1]], **value}  # a section: merge, keep the other keys
            else:
                node[parts[-1]] = value
        return config_from_dict(d)


_SECTION_TYPES = {f.name: f.default_factory for f in fields(TrainConfig) if f.default_factory is not MISSING}
_SECTION_TYPES["streams"] = StreamsConfig


def _plain(v):
    """Dataclasses, tuples and numbers as YAML/JSON-safe builtins."""
    if hasattr(v, "to_dict"):
        return v.to_dict()
    if is_dataclass(v):
        return {f.name: _plain(getattr(v, f.name)) for f in fields(v)}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if hasattr(v, "item") and callable(v.item):  # numpy scalars
        return v.item()
    return v


def _unknown(section: str, key, allowed):
    name = key if isinstance(key, str) and len(key) <= 60 else shown(key, 60)
    path = f"{section}.{name}" if section else str(name)
    allowed = list(allowed)
    hint = difflib.get_close_matches(key, allowed, n=1) if isinstance(key, str) and len(key) <= 60 else []
    did = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise ConfigError(f"{path} is not a known key{did}: allowed keys are {', '.join(allowed)}")


def _section_from(cls, value, path: str):
    if value is None:  # `data:` with nothing under it, or `data: null`: defaults would train silently
        raise ConfigError(f"{path}=None is not allowed: a section must be a mapping of {cls.__name__} keys; "
                          f"delete the line to keep every default")
    if not isinstance(value, dict):
        _fail(path, value, f"must be a mapping of {cls.__name__} keys")
    names = [f.name for f in fields(cls)]
    for k in value:
        if k not in names:
            _unknown(path, k, names)
    try:
        return cls(**value)
    except ConfigError as e:  # SignalConfig names itself; we name the key path
        raise ConfigError(str(e).replace("SignalConfig.", f"{path}.")) from None


def config_from_dict(d: dict) -> TrainConfig:
    """Build and validate a TrainConfig; unknown keys and bad values raise ConfigError."""
    if not isinstance(d, dict):
        kind = "null" if d is None else type(d).__name__
        raise ConfigError(f"a config must be a mapping of sections (name:, model:, optimizer:, ...), got {kind}")
    names = [f.name for f in fields(TrainConfig)]
    kwargs: dict[str, Any] = {}
    for k, v in d.items():
        if k not in names:
            _unknown("", k, names)
        typ = _SECTION_TYPES.get(k)
        kwargs[k] = _section_from(typ, v, k) if typ is not None else v
    return TrainConfig(**kwargs)


def parse_config_text(text: str, where: str) -> TrainConfig:
    """A TrainConfig from YAML text (strict_yaml rules); every error is a ConfigError starting with `where`."""
    if not text.strip():
        raise ConfigError(f"{where} is empty: a config must set at least one section "
                          f"(copy one of configs/*.yaml); an empty file would silently train on defaults")
    try:
        d = strict_yaml.loads(text)
    except (yaml.YAMLError, strict_yaml.YamlRefused) as e:
        raise ConfigError(f"{where} is not valid YAML for a config: {strict_yaml.first_line(e)}") from None
    if d is None:
        raise ConfigError(f"{where} holds no settings (only comments, 'null' or '---'): a config must set at least "
                          "one section (copy one of configs/*.yaml); nothing would silently train on defaults")
    try:
        return config_from_dict(d)
    except ConfigError as e:
        raise ConfigError(f"{where}: {e}") from None


def read_text_file(path: Path, what: str) -> str:
    """A UTF-8 file's text; a folder, a missing or unreadable file raise ConfigError naming it."""
    try:
        if path.is_dir():
            raise ConfigError(f"{what} {path} is a folder, not a file: give a YAML file such as "
                              "configs/v1_lr1e-3.yaml")
        if path.exists() and not path.is_file():
            raise ConfigError(f"{what} {path} is not a regular file (a device or a pipe): give a YAML file")
        with open(path, "rb") as f:
            data = f.read(strict_yaml.MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{what} {path} does not exist (the shipped ones are in configs/)") from None
    except OSError as e:
        raise ConfigError(f"{what} {path} cannot be read ({e.strerror or type(e).__name__}): "
                          "check its permissions, or copy it somewhere readable") from None
    if len(data) > strict_yaml.MAX_BYTES:
        raise ConfigError(f"{what} {path} is larger than {strict_yaml.MAX_BYTES:,} bytes: a config is a few kB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(f"{path} is not a text file (byte {e.start} is not UTF-8): "
                          f"a config must be UTF-8 YAML like the ones in configs/") from None


def load_config(path: str | Path) -> TrainConfig:
    """Read a YAML config; a missing file or invalid YAML raises ConfigError naming the file."""
    path = Path(path)
    return parse_config_text(read_text_file(path, "config file"), str(path))


def get_trainer(name: str) -> Callable:
    """The train function registered for `name` (imported lazily)."""
    if name not in TRAINERS:
        raise ConfigError(f"trainer={name!r} is not allowed: allowed trainers are {', '.join(TRAINERS)}")
    module, func = TRAINERS[name].split(":")
    return getattr(importlib.import_module(module), func)


def flatten(d: dict, prefix: str = "") -> dict:
    """{"optimizer": {"learning_rate": 1e-3}} -> {"optimizer.learning_rate": 1e-3}."""
    out = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out
