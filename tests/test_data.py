"""The dataset is the assignment's, exactly: shapes, row order, values, seeds, statistics."""
import numpy as np
import pytest

from freqlstm_helpers import SignalConfig, build_dataset, predict_zero_mse
from freqlstm_helpers import spectrum


@pytest.fixture(scope="module")
def spec():
    return build_dataset(SignalConfig(), split="train")


def test_shapes_and_frequency_major_rows(spec):
    K, N = 4, 10_000
    assert spec.t.shape == (N,) and spec.S.shape == (N,)
    assert spec.targets.shape == (K, N) and spec.noisy.shape == (K, N)
    assert spec.X.shape == (K * N, 5) and spec.y.shape == (K * N,)
    for k in range(K):
        rows = spec.X[k * N:(k + 1) * N]
        onehot = np.zeros(K, dtype=np.float32)
        onehot[k] = 1
        assert np.all(rows[:, 1:] == onehot), f"block {k} has the wrong one-hot"
        np.testing.assert_array_equal(rows[:, 0], spec.S.astype(np.float32))
        np.testing.assert_allclose(spec.y[k * N:(k + 1) * N], np.sin(2 * np.pi * (1, 3, 5, 7)[k] * spec.t), atol=1e-6)


def test_time_grid(spec):
    np.testing.assert_array_equal(spec.t, np.arange(10_000) / 1000.0)
    assert spec.t[-1] == pytest.approx(9.999)


def test_values(spec):
    np.testing.assert_allclose(spec.S, spec.noisy.mean(axis=0))
    assert spec.amplitudes.min() >= 0.8 and spec.amplitudes.max() <= 1.2
    assert spec.phases.min() >= 0 and spec.phases.max() <= 2 * np.pi
    f = np.array([1, 3, 5, 7])[:, None]
    np.testing.assert_allclose(spec.noisy, spec.amplitudes * np.sin(2 * np.pi * f * spec.t + spec.phases))
    np.testing.assert_allclose(spec.targets, np.sin(2 * np.pi * f * spec.t))


def test_seeds_reproduce_and_differ(spec):
    again = build_dataset(SignalConfig(), seed=1)
    np.testing.assert_array_equal(again.X, spec.X)
    test = build_dataset(SignalConfig(), split="test")
    assert test.seed == 2
    assert not np.allclose(test.S, spec.S)
    np.testing.assert_array_equal(test.targets, spec.targets)  # same targets, only the noise differs
    np.testing.assert_array_equal(test.X[:, 1:], spec.X[:, 1:])


def test_phase_scale_zero_gives_four_clear_peaks():
    ds = build_dataset(SignalConfig(phase_scale=0.0))
    v = spectrum.fft_verdict(ds)
    assert v["all_present"]
    assert [p.bin_frequency for p in v["peaks"]] == [1.0, 3.0, 5.0, 7.0]
    top4 = sorted(f for f, _ in spectrum.largest_bins(ds.S, ds.config.fs, k=4))
    assert top4 == [1.0, 3.0, 5.0, 7.0]


def test_spec_noise_gives_no_peak_and_no_correlation(spec):
    v = spectrum.fft_verdict(spec)
    assert v["none_present"], v
    assert np.all(np.abs(spectrum.correlations(spec)) < 0.03)


def test_learnable_profile_keeps_peaks():
    ds = build_dataset(SignalConfig(phase_scale=0.1))
    assert spectrum.fft_verdict(ds)["all_present"]
    assert np.all(spectrum.correlations(ds) > 0.4)


def test_predict_zero_baseline(spec):
    assert predict_zero_mse(spec) == pytest.approx(0.5, abs=1e-6)


def test_time_offset_shifts_targets():
    ds = build_dataset(SignalConfig(), split="test", time_offset=3.7)
    assert ds.t[0] == pytest.approx(3.7)
    np.testing.assert_allclose(ds.targets[1], np.sin(2 * np.pi * 3 * (3.7 + np.arange(10_000) / 1000)))


@pytest.mark.parametrize("changes, field", [
    (dict(fs=0), "fs"),
    (dict(fs=-5), "fs"),
    (dict(duration=0), "duration"),
    (dict(duration=-1.0), "duration"),
    (dict(frequencies=()), "frequencies"),
    (dict(frequencies=(1, 500)), "frequencies"),  # at Nyquist
    (dict(frequencies=(1, 700)), "frequencies"),  # above Nyquist
    (dict(frequencies=(0, 3)), "frequencies"),
    (dict(phase_scale=-0.1), "phase_scale"),
    (dict(amplitude_range=(1.2, 0.8)), "amplitude_range"),
    (dict(train_seed=-1), "train_seed"),
])
def test_bad_config_names_the_field(changes, field):
    with pytest.raises(ValueError, match=field) as e:
        SignalConfig(**changes)
    assert "allowed" in str(e.value)


def test_bad_split_and_seed():
    with pytest.raises(ValueError, match="split"):
        build_dataset(split="holdout")
    with pytest.raises(ValueError, match="seed"):
        build_dataset(seed=-3)
