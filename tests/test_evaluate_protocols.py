"""The two named frozen-evaluation protocols: per-stream and frequency-major (state carried)."""
import numpy as np
import pytest

from freqlstm_helpers import evaluate, trainer
from freqlstm_helpers.config import TrainConfig, load_config
from freqlstm_helpers.data import build_dataset
from freqlstm_helpers.paths import configs_dir

SMALL = {"data.duration": 0.2}  # 4 x 200 rows


@pytest.fixture(scope="module")
def l1():
    cfg = TrainConfig().with_overrides(SMALL)
    return cfg, trainer.new_model(cfg), build_dataset(cfg.data, split="test")


@pytest.fixture(scope="module")
def streams():
    cfg = load_config(configs_dir() / "corrected.yaml").with_overrides({**SMALL, "streams.window": 40, "streams.stride": 20})
    return cfg, trainer.new_model(cfg), build_dataset(cfg.data, split="test")


def test_native_protocols():
    assert evaluate.native_protocol(TrainConfig()) == "frequency-major"
    assert evaluate.native_protocol(load_config(configs_dir() / "corrected.yaml")) == "per-stream"


def test_frequency_major_carries_the_state_across_blocks(l1):
    cfg, model, ds = l1
    rows, _ = trainer.frozen_predict(model, ds.X)
    np.testing.assert_array_equal(evaluate.predict(model, cfg, ds, "frequency-major"), rows.reshape(4, -1))
    np.testing.assert_array_equal(evaluate.predict(model, cfg, ds), rows.reshape(4, -1))  # the L=1 default


def test_per_stream_starts_every_frequency_from_zeros(l1):
    cfg, model, ds = l1
    per_stream = evaluate.predict(model, cfg, ds, "per-stream")
    for k in range(4):
        alone, _ = trainer.frozen_predict(model, ds.X[ds.block(k)])  # block k alone, from a zero state
        np.testing.assert_allclose(per_stream[k], alone, rtol=0, atol=1e-6)
    fm = evaluate.predict(model, cfg, ds, "frequency-major")
    np.testing.assert_allclose(per_stream[0], fm[0], atol=1e-6)  # the first block starts from zeros either way
    assert not np.allclose(per_stream[1:], fm[1:], atol=1e-4)


def test_frequency_major_applies_the_stream_models_input_gain(streams):
    cfg, model, ds = streams
    rows = ds.X.copy()
    rows[:, 0] *= cfg.streams.input_gain
    expected, _ = trainer.frozen_predict(model, rows)
    np.testing.assert_allclose(evaluate.predict(model, cfg, ds, "frequency-major"), expected.reshape(4, -1), atol=1e-7)


def test_shifted_at_zero_is_the_usual_test_with_the_same_mask(streams):
    cfg, model, _ = streams
    usual = evaluate.shifted_metrics(model, cfg, 0.0, 0.05)
    tr, te = (build_dataset(cfg.data, split=s) for s in ("train", "test"))
    mask = (te.t - te.t[0]) >= 0.05 - 1e-12
    assert usual["test_mse"] == pytest.approx(evaluate.scores(model, cfg, tr, te, mask)["test_mse"], rel=1e-12)


def test_bad_protocol_names_the_allowed_ones(l1):
    cfg, model, ds = l1
    with pytest.raises(ValueError, match="per-stream, frequency-major"):
        evaluate.predict(model, cfg, ds, "rows")
