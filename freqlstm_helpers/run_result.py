"""What a training run produces, and the model it starts from: shared by the trainers and `runs`.

Why a module of its own: `runs` rebuilds a TrainResult from a folder and the
trainers build one and hand it to `runs.save_run`. With both in trainer.py the
two modules imported each other; here neither needs the other's internals.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import TrainConfig
from .model import FrequencyLSTM


def new_model(cfg: TrainConfig) -> FrequencyLSTM:
    """The initial model for cfg: every weight from the explicit seed cfg.seed."""
    m = cfg.model
    return FrequencyLSTM.seeded(cfg.seed, input_size=m.input_size, hidden_size=m.hidden_size,
                                forget_bias=m.forget_bias, chrono_tmax=m.chrono_tmax)


@dataclass
class TrainResult:
    """Everything a run produced; runs.save_run / runs.load_run map it to a folder."""

    config: TrainConfig
    model: FrequencyLSTM  # weights after the last epoch run
    best_model: FrequencyLSTM  # weights after best_epoch (lowest online loss)
    history: list  # one dict per epoch, as in training_history.json
    online_losses: np.ndarray  # (epochs run, rows) float32: each row's loss before its update
    stopped_by: str
    best_epoch: int
    metrics: dict  # frozen metrics of checkpoint_model
    optimizer_state: dict | None = None
    best_optimizer_state: dict | None = None
    run_dir: Path | None = None

    @property
    def epochs_run(self) -> int:
        return len(self.history)

    @property
    def checkpoint_model(self) -> FrequencyLSTM:
        """What the report would ship: the best epoch if logging.save_best, else the last."""
        return self.best_model if self.config.logging.save_best else self.model

    @property
    def checkpoint_epoch(self) -> int:
        return self.best_epoch if self.config.logging.save_best else self.epochs_run

    def _column(self, key):
        return np.array([np.nan if e.get(key) is None else e[key] for e in self.history], dtype=np.float64)

    @property
    def epoch_losses(self) -> np.ndarray:
        """Mean online loss per epoch: the report's "loss"."""
        return self._column("online_loss")

    @property
    def lrs(self) -> np.ndarray:
        return self._column("lr")

    @property
    def seconds(self) -> np.ndarray:
        return self._column("seconds")

    @property
    def frozen_train_mse(self) -> np.ndarray | None:
        return self._column("frozen_train_mse") if self.history and "frozen_train_mse" in self.history[0] else None

    @property
    def frozen_val_mse(self) -> np.ndarray | None:
        """Per-epoch frozen validation MSE, per stream (the stream trainer always; the L=1 trainer with eval_every_epoch)."""
        return self._column("frozen_val_mse") if self.history and "frozen_val_mse" in self.history[0] else None

    @property
    def frozen_test_mse(self) -> np.ndarray | None:
        return self._column("frozen_test_mse") if self.history and "frozen_test_mse" in self.history[0] else None

    @property
    def block_means(self) -> np.ndarray:
        """(epochs, frequencies): mean online loss within each frequency block."""
        return np.array([list(e["block_means"].values()) for e in self.history], dtype=np.float64)

    @property
    def grad_norms(self) -> np.ndarray:
        """(epochs, logged rows): pre-clip grad norm every logging.log_every_n_batches rows."""
        return np.array([e["grad_norms"] for e in self.history], dtype=np.float64)
