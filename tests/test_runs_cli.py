"""Run folders (atomic, config-keyed, checked on load) and the CLI end to end, errors included."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from freqlstm_helpers import runs
from freqlstm_helpers.__main__ import main
from freqlstm_helpers.config import TrainConfig
from freqlstm_helpers.trainer import TorchEngine, new_model, train

REPO = Path(__file__).resolve().parents[1]
SMALL = {"name": "tiny", "training.num_epochs": 2, "data.duration": 0.05}  # 2 epochs x 200 rows


def tiny_cfg(**more):
    return TrainConfig().with_overrides({**SMALL, **more})


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """One small run, trained once and saved, shared by the read-only tests."""
    run_dir = tmp_path_factory.mktemp("runs") / "tiny"
    threads = torch.get_num_threads()
    res = train(tiny_cfg(), run_dir=run_dir, progress=False, eval_every_epoch=True)
    torch.set_num_threads(threads)
    return res, run_dir


def strict_json(path):
    def no_constants(x):
        raise ValueError(f"non-standard JSON constant {x} in {path}")
    return json.loads(Path(path).read_text(), parse_constant=no_constants)


# --- identity -------------------------------------------------------------------------------
def test_config_hash_is_stable_and_sensitive(monkeypatch, tmp_path):
    a, b = tiny_cfg(), tiny_cfg()
    assert runs.config_hash(a) == runs.config_hash(b) and len(runs.config_hash(a)) == 12
    assert runs.config_hash(a) != runs.config_hash(a.replace(seed=1))
    assert runs.config_hash(a) != runs.config_hash(a.with_overrides({"optimizer.learning_rate": 1e-4}))
    monkeypatch.setenv("FREQLSTM_RUNS", str(tmp_path))
    assert runs.default_run_dir(a) == tmp_path / f"tiny-{runs.config_hash(a)}"


# --- the folder -------------------------------------------------------------------------------
def test_folder_contents(saved):
    res, run_dir = saved
    names = sorted(p.name for p in run_dir.iterdir())
    assert names == sorted([runs.CONFIG, runs.BEST, runs.FINAL, runs.HISTORY, runs.METRICS, runs.LOSSES,
                            runs.MANIFEST])
    assert not [p for p in run_dir.parent.iterdir() if ".tmp" in p.name or p.name.endswith(".lock")]  # no leftovers
    assert runs.read_run_config(run_dir) == res.config


def test_training_history_json(saved):
    res, run_dir = saved
    h = strict_json(run_dir / runs.HISTORY)
    assert {"epochs", "stopped_by", "best_epoch"} <= set(h)
    assert h["stopped_by"] in ("early_stopping", "target", "divergence", "completed")
    assert 1 <= h["best_epoch"] <= len(h["epochs"]) == 2
    for k, e in enumerate(h["epochs"], start=1):
        assert e["epoch"] == k
        assert {"online_loss", "lr", "seconds", "frozen_train_mse", "frozen_test_mse", "grad_norm_mean",
                "block_means"} <= set(e)
    assert [e["online_loss"] for e in h["epochs"]] == pytest.approx(list(res.epoch_losses))


def test_metrics_json(saved):
    res, run_dir = saved
    m = strict_json(run_dir / runs.METRICS)
    for split in ("train", "test"):
        assert m[f"{split}_mse"] == pytest.approx(res.metrics[f"{split}_mse"])
        assert list(m[f"{split}_mse_per_frequency"]) == ["1", "3", "5", "7"]
    assert m["checkpoint"] == runs.BEST and m["epoch"] == res.best_epoch


def test_online_losses_npy(saved):
    res, run_dir = saved
    arr = np.load(run_dir / runs.LOSSES)
    assert arr.dtype == np.float32 and arr.shape == (2, 200)
    np.testing.assert_array_equal(arr, res.online_losses)


def test_checkpoint_round_trip(saved):
    res, run_dir = saved
    best = runs.load_checkpoint(run_dir / runs.BEST)
    assert best["epoch"] == res.best_epoch and best["config"] == res.config.to_dict()
    model = runs.load_model(run_dir / runs.BEST)
    for p, q in zip(model.parameters(), res.best_model.parameters()):
        assert torch.equal(p, q)
    final = runs.load_model(run_dir / runs.FINAL)
    assert all(torch.equal(p, q) for p, q in zip(final.parameters(), res.model.parameters()))
    engine = TorchEngine(new_model(res.config), res.config)  # the optimizer state loads into a fresh engine
    engine.load_optimizer_state(runs.load_checkpoint(run_dir / runs.FINAL)["optimizer_state_dict"])
    assert torch.equal(engine.optimizer.state_dict()["state"][0]["exp_avg"],
                       res.optimizer_state["state"][0]["exp_avg"])


def test_load_run_is_the_saved_result(saved):
    res, run_dir = saved
    back = runs.load_run(run_dir)
    assert back.config == res.config and back.stopped_by == res.stopped_by and back.best_epoch == res.best_epoch
    np.testing.assert_array_equal(back.epoch_losses, res.epoch_losses)
    np.testing.assert_array_equal(back.frozen_test_mse, res.frozen_test_mse)
    assert back.metrics == res.metrics  # JSON keeps Python floats exactly


def test_refuses_a_folder_made_with_another_config(saved):
    res, run_dir = saved
    other = res.config.with_overrides({"seed": 5, "optimizer.learning_rate": 1e-4})
    with pytest.raises(runs.RunConfigMismatch) as e:
        train(other, run_dir=run_dir, progress=False)
    msg = str(e.value)
    assert "optimizer.learning_rate: 0.001 in the folder, 0.0001 now" in msg and "seed: 0 in the folder, 5 now" in msg
    assert "data.duration" not in msg  # only the keys that differ
    runs.check_run_dir(run_dir, res.config)  # the same config is accepted


def test_refuses_a_non_run_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(runs.RunError, match="not a run folder"):
        runs.check_run_dir(tmp_path, tiny_cfg())


def test_missing_and_corrupt_checkpoints_are_named(saved, tmp_path):
    _, run_dir = saved
    with pytest.raises(runs.CheckpointError, match=r"nope.pth does not exist: produce it with python -m"):
        runs.load_checkpoint(tmp_path / "nope.pth")
    good = (run_dir / runs.BEST).read_bytes()
    for i, bad in enumerate([good[: len(good) // 2], b"not a checkpoint", b""]):
        p = tmp_path / f"c{i}.pth"
        p.write_bytes(bad)
        with pytest.raises(runs.CheckpointError, match=rf"c{i}.pth is corrupt or not a FreqLSTM checkpoint"):
            runs.load_checkpoint(p)
    p = tmp_path / "other.pth"
    torch.save({"weights": 1}, p)
    with pytest.raises(runs.CheckpointError, match="not a FreqLSTM checkpoint"):
        runs.load_checkpoint(p)


def test_atomic_write_keeps_the_old_file_on_a_crash(tmp_path, monkeypatch):
    target = tmp_path / "f.json"
    runs.atomic_write_json(target, {"a": 1})

    def crash(*a):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        runs.atomic_write_json(target, {"a": 2})
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_a_crash_while_saving_leaves_no_run_folder(saved, tmp_path, monkeypatch):
    res, _ = saved

    def crash(*a):
        raise OSError("killed")
    monkeypatch.setattr(os, "rename", crash)
    with pytest.raises(OSError):
        runs.save_run(res, tmp_path / "new")
    assert list(tmp_path.iterdir()) == []  # neither the run nor its temporary folder


def test_cached_train_reuses_the_folder(saved, monkeypatch):
    res, run_dir = saved
    import freqlstm_helpers.trainer as trainer_mod

    def must_not_train(*a, **k):
        raise AssertionError("cached_train retrained a run that was on disk")
    monkeypatch.setattr(trainer_mod, "train", must_not_train)
    back = runs.cached_train(res.config, run_dir=run_dir, progress=False)
    np.testing.assert_array_equal(back.online_losses, res.online_losses)
    with pytest.raises(AssertionError, match="retrained"):  # a new config does train
        runs.cached_train(res.config.replace(seed=9), run_dir=run_dir.parent / "other", progress=False)


# --- the CLI --------------------------------------------------------------------------------
def cli(*args, env_extra=None):
    env = {**os.environ, "FREQLSTM_HEADLESS": "1", "MPLBACKEND": "Agg", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "freqlstm_helpers", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def tiny_yaml(tmp_path, **more) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(tiny_cfg(**more).to_yaml())
    return p


def test_cli_train_eval_viz(tmp_path):
    run_dir = tmp_path / "run"
    r = cli("train", "--config", tiny_yaml(tmp_path), "--run-dir", run_dir, "--no-progress", "--epochs", "1",
            "--seed", "2")
    assert r.returncode == 0, r.stderr
    assert "stopped_by completed" in r.stdout and "epoch   1" in r.stdout
    cfg = runs.read_run_config(run_dir)
    assert cfg.training.num_epochs == 1 and cfg.seed == 2  # the overrides are part of the run's identity
    saved_metrics = strict_json(run_dir / runs.METRICS)
    (run_dir / runs.METRICS).unlink()

    r = cli("eval", "--run", run_dir)
    assert r.returncode == 0, r.stderr
    m = strict_json(run_dir / runs.METRICS)
    assert m["test_mse"] == pytest.approx(saved_metrics["test_mse"], rel=1e-6)
    assert f"test MSE {m['test_mse']:.4f}" in r.stdout

    r = cli("viz", "--run", run_dir)
    assert r.returncode == 0, r.stderr
    for name in ("history.png", "online_losses.png", "predictions_f2.png", "predictions_all.png"):
        assert (run_dir / name).stat().st_size > 5000, name


def assert_one_line_error(rc, err, *fragments):
    assert rc == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for f in fragments:
        assert f in lines[0], (f, lines[0])


def test_cli_errors_in_a_real_process(tmp_path):
    r = cli("eval", "--run", tmp_path / "missing")
    assert_one_line_error(r.returncode, r.stderr, "missing does not exist", "train")
    bad = tmp_path / "bad.yaml"
    bad.write_text("optimizer:\n  learning_rate: -1\n")
    r = cli("train", "--config", bad, "--run-dir", tmp_path / "r", "--no-progress")
    assert_one_line_error(r.returncode, r.stderr, "optimizer.learning_rate=-1 is not allowed: must be > 0")


def test_cli_refuses_a_binary_or_empty_config(tmp_path):
    """300 random bytes, or an empty file: one line naming the file, exit 2, nothing trained."""
    binary = tmp_path / "noise.yaml"
    binary.write_bytes(bytes(__import__("numpy").random.default_rng(0).integers(128, 256, 300, dtype="uint8")))
    r = cli("train", "--config", binary, "--run-dir", tmp_path / "r1", "--no-progress")
    assert_one_line_error(r.returncode, r.stderr, "noise.yaml is not a text file", "UTF-8")
    empty = tmp_path / "empty.yaml"
    empty.write_text("\n  \n")
    r = cli("train", "--config", empty, "--run-dir", tmp_path / "r2", "--no-progress")
    assert_one_line_error(r.returncode, r.stderr, "empty.yaml is empty", "defaults")
    assert not (tmp_path / "r1").exists() and not (tmp_path / "r2").exists()


def run_main(capsys, *args):
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.err


def test_cli_error_cases(saved, tmp_path, capsys, monkeypatch):
    res, run_dir = saved
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("optimizer:\n  lr: 0.001\n")
    trainer_yaml = tmp_path / "trainer.yaml"
    trainer_yaml.write_text("trainer: gru\n")
    notyaml = tmp_path / "notyaml.yaml"
    notyaml.write_text("model: [\n")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    for name in (runs.CONFIG, runs.HISTORY, runs.METRICS, runs.LOSSES, runs.FINAL):
        (corrupt / name).write_bytes((run_dir / name).read_bytes())
    (corrupt / runs.BEST).write_bytes((run_dir / runs.BEST).read_bytes()[:500])
    no_ckpt = tmp_path / "no_ckpt"
    no_ckpt.mkdir()
    (no_ckpt / runs.CONFIG).write_bytes((run_dir / runs.CONFIG).read_bytes())
    cfg_path = tmp_path / "same.yaml"
    cfg_path.write_text(res.config.to_yaml())

    cases = [
        (("train", "--config", tmp_path / "nope.yaml"), ["nope.yaml does not exist"]),
        (("train", "--config", unknown), ["optimizer.lr is not a known key", "learning_rate"]),
        (("train", "--config", trainer_yaml), ["trainer='gru' is not allowed", "'l1', 'streams'"]),
        (("train", "--config", notyaml), ["is not valid YAML"]),
        (("train", "--config", cfg_path, "--run-dir", run_dir, "--seed", "4"),
         ["was made with a different config", "seed: 0 in the folder, 4 now"]),
        (("train", "--config", cfg_path, "--epochs", "0"), ["training.num_epochs=0 is not allowed"]),
        (("train", "--config", cfg_path, "--engine", "gpu"), ["invalid choice: 'gpu'"]),
        (("train",), ["--config"]),
        (("fly",), ["invalid choice"]),
        (("eval", "--run", tmp_path / "missing"), ["does not exist", "train"]),
        (("eval", "--run", corrupt), ["best_model.pth is corrupt", "python -m freqlstm_helpers train --config"]),
        (("eval", "--run", no_ckpt), ["best_model.pth does not exist"]),
        (("viz", "--run", no_ckpt), ["does not exist"]),
        (("viz", "--run", tmp_path), ["has no config.yaml"]),
    ]
    for args, fragments in cases:
        rc, err = run_main(capsys, *args)
        assert_one_line_error(rc, err, *fragments)

    monkeypatch.setitem(sys.modules, "freqlstm_helpers.engines.l1_fused", None)  # as in a checkout without it
    rc, err = run_main(capsys, "train", "--config", cfg_path, "--engine", "fused", "--run-dir", tmp_path / "f")
    assert_one_line_error(rc, err, "engine 'fused'")
    rc, err = run_main(capsys, "eval", "--run", run_dir, "--warmup", "1")
    assert_one_line_error(rc, err, "--warmup goes with --time-offset")
    rc, err = run_main(capsys, "eval", "--run", run_dir, "--time-offset", "3.7", "--warmup", "99")
    assert_one_line_error(rc, err, "--warmup 99 is not allowed", "seconds in [0,")


def test_bench_writes_results(tmp_path, capsys):
    from freqlstm_helpers import bench
    out = tmp_path / "results.json"
    assert bench.main(["--rows", "30", "--stream-epochs", "1", "--out", str(out)]) == 0
    r = strict_json(out)
    for k in ("plain_s_per_epoch", "reference_s_per_epoch", "fused_s_per_epoch", "fused_compile_s",
              "speedup_fused_vs_plain", "machine", "stream_torch_serial_s_per_run", "stream_fused_serial_s_per_run",
              "stream_torch_workers_s_per_run", "stream_fused_workers_s_per_run",
              "speedup_fused_serial_vs_torch_serial"):
        assert k in r
    assert r["plain_s_per_epoch"] > 0 and r["reference_s_per_epoch"] > 0
    assert r["max_abs_loss_diff_plain_vs_reference_first_100"] < 1e-4  # the loops train the same regime
    assert "scaled to a whole epoch" in capsys.readouterr().out
