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


def test_fir_cannot_beat_baseline_on_spec_data():
    """Plain least squares overfits the noise (train below 0.5, test above); the validated ridge sits at 0.5."""
    cfg = SignalConfig()
    tr, va, te = (build_dataset(cfg, split=s) for s in ("train", "validation", "test"))
    plain = baselines.fit_fir(tr, taps=1000)
    train_mse = metrics.per_frequency_mse(plain.predict(tr), tr)["mse"]
    test_mse = metrics.per_frequency_mse(plain.predict(te), te)["mse"]
    assert train_mse < 0.49 and 0.51 <= test_mse <= 0.6, (train_mse, test_mse)
    validated, _ = baselines.fit_fir_validated(tr, va, 1000)
    assert abs(metrics.per_frequency_mse(validated.predict(te), te)["mse"] - 0.5) < 0.01


def test_lagged_gram_is_the_design_gram():
    S = np.random.default_rng(0).normal(size=300)
    A = baselines.causal_design(S, 40)
    np.testing.assert_allclose(baselines.lagged_gram(S, 40), A.T @ A, rtol=0, atol=1e-9)


def test_validated_fit_picks_the_best_ridge_per_frequency(learnable):
    tr, te = learnable
    va = build_dataset(tr.config, split="validation")
    st, sv = baselines.design_stats(tr, 60), baselines.design_stats(va, 60)
    fir, val = baselines.fit_fir_validated(tr, va, 50, stats=(st, sv))
    grid = baselines.mse_from_stats(sv, baselines.ridge_weights(st, 50, baselines.RIDGE_GRID))
    np.testing.assert_allclose(val, grid.min(axis=0), rtol=1e-10)
    direct = metrics.per_frequency_mse(fir.predict(va), va)["per_frequency"]  # the stats give the real MSE
    np.testing.assert_allclose(list(direct.values()), val, rtol=1e-8)
    assert len(fir.ridge) == 4 and all(r in baselines.RIDGE_GRID for r in fir.ridge)


def test_fir_extracts_on_learnable_profile(learnable):
    tr, te = learnable
    oracle = baselines.fit_fir(tr, taps=1000)
    res = metrics.per_frequency_mse(oracle.predict(te), te)
    assert res["mse"] < 0.01
    assert all(v < 0.01 for v in res["per_frequency"].values()), res


def test_fir_is_causal(learnable):
    tr, te = learnable
    oracle = baselines.fit_fir(tr, taps=50)
    p = oracle.predict(te)
    S2 = te.S.copy()
    S2[5000:] = 0.0
    te2 = dataclasses.replace(te, S=S2)
    p2 = oracle.predict(te2)
    np.testing.assert_array_equal(p[:, :5000], p2[:, :5000])
    assert not np.allclose(p[:, 5000:], p2[:, 5000:])


def test_fir_bad_taps(learnable):
    with pytest.raises(ValueError, match="taps"):
        baselines.fit_fir(learnable[0], taps=0)


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


def test_bands_differ_only_without_overlap():
    assert metrics.bands_differ([0.1, 0.2], [0.3, 0.4]) and metrics.bands_differ([0.5], [0.1, 0.2])
    assert not metrics.bands_differ([0.1, 0.3], [0.25, 0.4]) and not metrics.bands_differ([0.2], [0.2])
