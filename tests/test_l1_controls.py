"""The L=1 trainer's controls that notebook 03 runs: row order, epoch resets, online predictions."""
import numpy as np
import pytest

from freqlstm_helpers import trainer
from freqlstm_helpers.config import ConfigError, TrainConfig, load_config
from freqlstm_helpers.data import build_dataset
from freqlstm_helpers.model import FrequencyLSTM
from freqlstm_helpers.paths import configs_dir

SMALL = {"name": "small", "training.num_epochs": 2, "data.duration": 0.05}  # 4 x 50 rows


def small_cfg(**more):
    return TrainConfig().with_overrides({**SMALL, **more})


def test_interleaved_order_walks_sample_by_sample():
    cfg = small_cfg(**{"training.row_order": "interleaved"})
    ds = build_dataset(cfg.data, split="train")
    order = trainer.row_order(cfg, ds, 1)
    assert sorted(order) == list(range(200))
    X = ds.X[order]
    np.testing.assert_array_equal(X[:4, 1:], np.eye(4, dtype=np.float32))  # f1..f4 of the first sample
    assert np.all(X[:4, 0] == ds.S[0].astype(np.float32)) and np.all(X[4:8, 0] == ds.S[1].astype(np.float32))


def test_shuffled_order_is_seeded_and_new_every_epoch():
    cfg = small_cfg(**{"training.row_order": "shuffled"})
    ds = build_dataset(cfg.data, split="train")
    a, b = trainer.row_order(cfg, ds, 1), trainer.row_order(cfg, ds, 2)
    assert sorted(a) == list(range(200)) and not np.array_equal(a, b)
    np.testing.assert_array_equal(a, trainer.row_order(cfg, ds, 1))
    assert trainer.row_order(small_cfg(), ds, 1) is None  # frequency-major: untouched


@pytest.mark.parametrize("engine", ["torch", "fused"])
def test_losses_are_kept_at_their_frequency_major_row(engine):
    """A shuffled epoch's block means are per frequency: the first epoch's row r is the loss of row r."""
    cfg = small_cfg(engine=engine, **{"training.row_order": "shuffled", "training.num_epochs": 1})
    ds = build_dataset(cfg.data, split="train")
    order = trainer.row_order(cfg, ds, 1)
    eng = trainer.make_engine(engine, trainer.new_model(cfg), cfg)
    by_hand = eng.train_rows(ds.X[order], ds.y[order])[0]
    got = trainer.train(cfg, progress=False).online_losses[0]
    np.testing.assert_allclose(got[order], by_hand, rtol=0, atol=1e-7)


@pytest.mark.parametrize("engine", ["torch", "fused"])
def test_weights_reset_restarts_epoch_two_from_the_initial_weights(engine):
    """Same weights, zero state: epoch 2's first row scores exactly what epoch 1's first row scored."""
    plain = trainer.train(small_cfg(engine=engine), progress=False).online_losses
    reset = trainer.train(small_cfg(engine=engine, **{"training.epoch_reset": "weights"}), progress=False).online_losses
    assert reset[1, 0] == reset[0, 0] and plain[1, 0] != plain[0, 0]
    assert not np.array_equal(reset[1], reset[0])  # Adam's moments were kept, so the epoch differs later


@pytest.mark.parametrize("engine", ["torch", "fused"])
def test_optimizer_reset_empties_adam_and_keeps_the_weights(engine):
    cfg = small_cfg(engine=engine)
    model = trainer.new_model(cfg)
    eng = trainer.make_engine(engine, model, cfg)
    initial = (trainer._clone_weights(model), eng.optimizer_state())
    ds = build_dataset(cfg.data, split="train")
    eng.train_rows(ds.X, ds.y)
    eng.sync_to_model()
    trained = trainer._clone_weights(model)
    trainer._epoch_reset(eng, model, "optimizer", initial)
    assert eng.optimizer_state()["state"] == {}
    eng.sync_to_model()
    assert all(np.array_equal(trained[k], v) for k, v in trainer._clone_weights(model).items())


@pytest.mark.parametrize("engine", ["torch", "fused"])
def test_online_predictions_are_the_rows_scored(engine):
    cfg = small_cfg(engine=engine)
    ds = build_dataset(cfg.data, split="train")
    eng = trainer.make_engine(engine, FrequencyLSTM.seeded(0), cfg)
    losses, _ = eng.train_rows(ds.X, ds.y)
    np.testing.assert_allclose((eng.last_predictions - ds.y) ** 2, losses, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("key, value", [("training.row_order", "reversed"), ("training.epoch_reset", "both")])
def test_bad_control_values_name_the_key(key, value):
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        small_cfg(**{key: value})


def test_the_controls_are_refused_for_the_stream_trainer():
    corrected = load_config(configs_dir() / "corrected.yaml")
    with pytest.raises(ConfigError, match="training.row_order"):
        corrected.with_overrides({"training.row_order": "shuffled"})
