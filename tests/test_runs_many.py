"""cached_train_many: a seed band trained in worker processes equals the serial loop, bit for bit.

The workers (freqlstm_helpers.pool) are `python -m` subprocesses kept for the
life of the calling process, so a second band starts without importing torch
again, and a script needs no `if __name__ == "__main__":` guard.
"""
import subprocess
import sys
import textwrap

import numpy as np

from freqlstm_helpers import pool, runs
from freqlstm_helpers.config import load_config
from freqlstm_helpers.paths import configs_dir, repo_root


def _band(seeds=(0, 1)):
    base = load_config(configs_dir() / "v1_lr1e-3.yaml").replace(engine="fused").with_overrides(
        {"training.num_epochs": 1, "data.duration": 1.0})
    return [base.replace(seed=s) for s in seeds]


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
    monkeypatch.setattr(pool, "run_jobs", no_training)
    again = runs.cached_train_many(_band(), workers=2, progress=False)
    assert [r.run_dir for r in again] == [r.run_dir for r in par]


def test_the_workers_stay_up_for_the_next_band(tmp_path, monkeypatch):
    monkeypatch.setenv("FREQLSTM_RUNS", str(tmp_path))
    runs.cached_train_many(_band((2, 3)), workers=2, progress=False)
    first = [w.proc.pid for w in pool.get_pool(2).workers]
    runs.cached_train_many(_band((4, 5)), workers=2, progress=False)
    assert [w.proc.pid for w in pool.get_pool(2).workers] == first, "the pool was started again"


def test_a_worker_error_names_the_job_and_keeps_the_traceback():
    try:
        pool.run_jobs([("freqlstm_helpers.config:config_from_dict", ({"seed": -1},))] * 2, workers=2)
    except pool.WorkerError as e:
        assert "seed=-1 is not allowed" in str(e) and "Traceback" in str(e)
    else:
        raise AssertionError("the worker's ConfigError did not reach the caller")


def test_a_script_without_a_main_guard_trains_its_band_once(tmp_path):
    """multiprocessing's spawn would re-run this script in every worker; the pool's workers do not."""
    script = tmp_path / "band.py"
    script.write_text(textwrap.dedent(f"""
        from freqlstm_helpers import runs
        from freqlstm_helpers.config import load_config
        base = load_config({str(configs_dir() / "v1_lr1e-3.yaml")!r}).replace(engine="fused").with_overrides(
            {{"training.num_epochs": 1, "data.duration": 0.5}})
        band = runs.cached_train_many([base.replace(seed=s) for s in (7, 8)], workers=2, progress=False)
        print("BAND", len(band), band[0].online_losses.shape)
    """))
    p = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600,
                       cwd=repo_root(), env={**__import__("os").environ, "FREQLSTM_RUNS": str(tmp_path / "runs")})
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.count("BAND") == 1, p.stdout
