"""Baselines and per-frequency metrics: the yardsticks every model is read against."""
import dataclasses

import numpy as np
import pytest

from freqlstm_helpers import SignalConfig, build_dataset
from freqlstm_helpers import baselines, metrics


@pytest.fixture(scope="module")
def learnable():
    cfg = SignalConfig(phase_scale=0.1)
    return build_dataset(cfg, split="train"), build_dataset(cfg, split="test")


def test_oracle_cannot_beat_baseline_on_spec_data():
    cfg = SignalConfig()
    tr, te = build_dataset(cfg, split="train"), build_dataset(cfg, split="test")
    oracle = baselines.fit_fir_oracle(tr, taps=1000)
    test_mse = metrics.per_frequency_mse(oracle.predict(te), te)["mse"]
    assert 0.48 <= test_mse <= 0.6, test_mse  # no better than predicting 0 (0.5)


def test_oracle_extracts_on_learnable_profile(learnable):
    tr, te = learnable
    oracle = baselines.fit_fir_oracle(tr, taps=1000)
    res = metrics.per_frequency_mse(oracle.predict(te), te)
    assert res["mse"] < 0.01
    assert all(v < 0.01 for v in res["per_frequency"].values()), res


def test_oracle_is_causal(learnable):
    tr, te = learnable
    oracle = baselines.fit_fir_oracle(tr, taps=50)
    p = oracle.predict(te)
    S2 = te.S.copy()
    S2[5000:] = 0.0
    te2 = dataclasses.replace(te, S=S2)
    p2 = oracle.predict(te2)
    np.testing.assert_array_equal(p[:, :5000], p2[:, :5000])
    assert not np.allclose(p[:, 5000:], p2[:, 5000:])


def test_oracle_bad_taps(learnable):
    with pytest.raises(ValueError, match="taps"):
        baselines.fit_fir_oracle(learnable[0], taps=0)


def test_per_frequency_keys_and_values(learnable):
    _, te = learnable
    pred = np.zeros_like(te.targets)
    pred[2] = te.targets[2]  # perfect on 5 Hz only
    res = metrics.per_frequency_mse(pred, te)
    assert list(res["per_frequency"]) == ["1", "3", "5", "7"]
    assert res["per_frequency"]["5"] == 0.0
    assert res["per_frequency"]["1"] == pytest.approx(0.5, abs=1e-6)
    assert res["mse"] == pytest.approx(0.375, abs=1e-6)
    rows = metrics.per_frequency_mse(pred.reshape(-1), te)  # the 40,000 frequency-major rows
    assert rows == res


def test_bad_prediction_shape(learnable):
    with pytest.raises(ValueError, match="shape"):
        metrics.per_frequency_mse(np.zeros(7), learnable[1])


def test_generalisation_verdict():
    assert metrics.generalisation(0.010, 0.011)["generalises"]
    assert not metrics.generalisation(0.010, 0.020)["generalises"]
    assert metrics.generalisation(0.010, 0.020)["ratio"] == pytest.approx(2.0)


def test_shifted_test_set_and_warmup():
    ds = metrics.shifted_test_set(SignalConfig(), 3.7)
    assert ds.seed == 2 and ds.t[0] == pytest.approx(3.7)
    np.testing.assert_allclose(ds.targets[0, :3], np.sin(2 * np.pi * (3.7 + np.arange(3) / 1000)))
    mask = metrics.warmup_mask(ds, 1.0)
    assert mask.sum() == 9000 and not mask[999] and mask[1000]
    with pytest.raises(ValueError, match="warmup"):
        metrics.warmup_mask(ds, 20.0)
