"""cached_train_many: a seed band trained in worker processes equals the serial loop, bit for bit."""
import numpy as np

from freqlstm_helpers import runs
from freqlstm_helpers.config import load_config
from freqlstm_helpers.paths import configs_dir


def _band():
    base = load_config(configs_dir() / "v1_lr1e-3.yaml").replace(engine="fused").with_overrides(
        {"training.num_epochs": 1, "data.duration": 1.0})
    return [base.replace(seed=s) for s in (0, 1)]


def test_parallel_band_equals_serial_and_then_hits_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FREQLSTM_RUNS", str(tmp_path / "parallel"))
    par = runs.cached_train_many(_band(), workers=2, progress=False)
    monkeypatch.setenv("FREQLSTM_RUNS", str(tmp_path / "serial"))
    ser = [runs.cached_train(c, progress=False) for c in _band()]
    for a, b in zip(par, ser):
        assert np.array_equal(a.online_losses, b.online_losses)
        assert a.metrics == b.metrics
    assert par[0].online_losses.tolist() != par[1].online_losses.tolist(), "two seeds gave one run"

    def no_training(*a, **k):
        raise AssertionError("a cached run was trained again")
    monkeypatch.setenv("FREQLSTM_RUNS", str(tmp_path / "parallel"))
    monkeypatch.setattr(runs, "_train_in_worker", no_training)
    monkeypatch.setattr(runs, "get_trainer", lambda name: no_training)
    again = runs.cached_train_many(_band(), workers=2, progress=False)
    assert [r.run_dir for r in again] == [r.run_dir for r in par]
