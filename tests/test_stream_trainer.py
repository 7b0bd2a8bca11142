"""The corrected regime's stream trainer: state across windows, streams apart, validation split, CLI."""
import json

import numpy as np
import pytest
import torch

from freqlstm_helpers import SignalConfig, build_dataset, evaluate, paths, runs, stream_trainer
from freqlstm_helpers.__main__ import main
from freqlstm_helpers.config import ConfigError, TrainConfig, config_from_dict, load_config
from freqlstm_helpers.model import FrequencyLSTM

SMALL = {"name": "tinystreams", "trainer": "streams", "training.num_epochs": 3, "data.duration": 1.0,
         "data.phase_scale": 0.1, "model.forget_bias": 2.0, "optimizer.learning_rate": 3e-3}


def small_cfg(**more):
    base = TrainConfig().with_overrides({"trainer": "streams"})
    return base.with_overrides({**SMALL, "streams.window": 100, "streams.stride": 50, **more})


@pytest.fixture(scope="module")
def result():
    return stream_trainer.train(small_cfg(), progress=False)


def test_shipped_config_loads():
    cfg = load_config("configs/corrected.yaml")
    assert cfg.trainer == "streams" and cfg.data.phase_scale == 0.1 and cfg.model.hidden_size == 64
    assert cfg.early_stopping.enabled and cfg.streams.parallel


def test_state_is_carried_across_windows_and_detached():
    """Running windows back to back, state handed over and detached, equals one long pass."""
    cfg = small_cfg()
    ds = build_dataset(cfg.data, split="train")
    x, _ = stream_trainer.stream_inputs(ds, cfg.streams.input_gain)
    m = FrequencyLSTM.seeded(0, forget_bias=2.0)
    with torch.no_grad():
        whole, _ = m.sequence(x, m.initial_state(4))
    state, parts = m.initial_state(4), []
    for start in range(0, x.shape[0], 50):
        out, state = m.sequence(x[start:start + 50], state)
        state = m.detach(state)
        assert state[0].grad_fn is None
        parts.append(out.detach())
    torch.testing.assert_close(torch.cat(parts), whole, rtol=0, atol=1e-6)
    # a reset at the window seam would change the outputs after it
    out_reset, _ = m.sequence(x[50:100], m.initial_state(4))
    assert (out_reset.detach() - whole[50:100]).abs().max() > 1e-3


def test_gradient_does_not_cross_a_window():
    m = FrequencyLSTM.seeded(0)
    x = torch.randn(20, 4, 5, generator=torch.Generator().manual_seed(1))
    out1, state = m.sequence(x[:10], m.initial_state(4))
    out2, _ = m.sequence(x[10:], m.detach(state))
    inp = x.clone().requires_grad_(True)
    out1, state = m.sequence(inp[:10], m.initial_state(4))
    out2, _ = m.sequence(inp[10:], m.detach(state))
    out2.sum().backward()
    assert inp.grad[:10].abs().max() == 0 and inp.grad[10:].abs().max() > 0


def test_streams_do_not_interact(result):
    cfg, model = result.config, result.best_model
    ds = build_dataset(cfg.data, split="test")
    together = stream_trainer.predict_streams(model, ds, cfg.streams.input_gain)
    x, _ = stream_trainer.stream_inputs(ds, cfg.streams.input_gain)
    with torch.no_grad():
        alone, _ = model.sequence(x[:, 2:3], model.initial_state(1))
    np.testing.assert_allclose(alone[:, 0].numpy(), together[2], atol=1e-5)


def test_validation_split_is_its_own_seed():
    cfg = small_cfg()
    val, tr, te = (build_dataset(cfg.data, split=s) for s in ("validation", "train", "test"))
    assert val.seed == 3 and not np.allclose(val.S, tr.S) and not np.allclose(val.S, te.S)


def test_model_selection_is_best_on_validation(result):
    vals = [h["frozen_val_mse"] for h in result.history]
    assert result.best_epoch == int(np.argmin(vals)) + 1
    cfg = result.config
    val = stream_trainer.stream_mse(result.best_model, build_dataset(cfg.data, split="validation"),
                                    cfg.streams.input_gain)
    assert val["mse"] == pytest.approx(min(vals), rel=1e-6)


def test_early_stopping_on_validation_fires(monkeypatch):
    cfg = small_cfg(**{"training.num_epochs": 8, "early_stopping.enabled": True, "early_stopping.patience": 1,
                       "early_stopping.min_delta": 10.0})  # nothing can improve by 10: stop after epoch 2
    r = stream_trainer.train(cfg, progress=False)
    assert r.stopped_by == "early_stopping" and r.epochs_run == 2


def test_learns_something_and_is_deterministic(result):
    vals = [h["frozen_val_mse"] for h in result.history]
    assert vals[-1] < vals[0] < 0.5  # even 3 short epochs move the frozen error below predict-zero
    again = stream_trainer.train(small_cfg(), progress=False)
    np.testing.assert_array_equal(again.online_losses, result.online_losses)


def test_single_stream_mode_runs():
    r = stream_trainer.train(small_cfg(**{"streams.parallel": False, "training.num_epochs": 1}), progress=False)
    assert r.online_losses.shape == (1, 4 * 1000 // 50)


@pytest.mark.parametrize("changes, fragment", [
    ({"streams.window": 30, "streams.stride": 20}, "streams.window"),
    ({"streams.stride": 0}, "streams.stride"),
    ({"streams.input_gain": -1}, "streams.input_gain"),
    ({"streams.schedule": "linear"}, "streams.schedule"),
])
def test_bad_stream_config(changes, fragment):
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        small_cfg(**changes)


def test_streams_section_only_with_streams_trainer():
    with pytest.raises(ConfigError, match="only allowed with trainer: streams"):
        config_from_dict({"trainer": "l1", "streams": {"window": 100, "stride": 50}})


def test_cli_train_eval_and_shifted_eval(tmp_path, capsys):
    cfg_path = tmp_path / "s.yaml"
    cfg_path.write_text(small_cfg(**{"training.num_epochs": 1}).to_yaml())
    run_dir = tmp_path / "run"
    assert main(["train", "--config", str(cfg_path), "--run-dir", str(run_dir), "--no-progress"]) == 0
    metrics = json.loads((run_dir / runs.METRICS).read_text())
    assert set(metrics["test_mse_per_frequency"]) == {"1", "3", "5", "7"}
    assert main(["eval", "--run", str(run_dir), "--time-offset", "0.37", "--warmup", "0.2"]) == 0
    shifted = json.loads((run_dir / runs.METRICS_OFFSET).read_text())
    assert set(metrics) - {"checkpoint", "epoch"} <= set(shifted)
    assert shifted["time_offset"] == 0.37 and shifted["scored_samples_per_frequency"] == 800
    # a cached run is reused, and a different config is refused, not overwritten
    assert runs.cached_train(small_cfg(**{"training.num_epochs": 1}), run_dir=run_dir).run_dir == run_dir
    with pytest.raises(runs.RunConfigMismatch):
        runs.cached_train(small_cfg(**{"training.num_epochs": 2}), run_dir=run_dir)


def test_evaluate_dispatches_on_trainer(result):
    cfg = result.config
    ds = build_dataset(cfg.data, split="test")
    p = evaluate.predict(result.best_model, cfg, ds)
    assert p.shape == (4, 1000)
    assert evaluate.frozen_metrics(result.best_model, cfg)["test_mse"] == pytest.approx(result.metrics["test_mse"])


def test_first_windows_are_the_trainers_first_windows():
    """first_windows (what the notebook 04 self-check drives) runs exactly what train() runs."""
    from freqlstm_helpers import stream_trainer
    cfg = load_config(paths.configs_dir() / "corrected.yaml").with_overrides(
        {"training.num_epochs": 1, "early_stopping.enabled": False, "engine": "torch"})
    n = 10_000 // cfg.streams.stride
    head = stream_trainer.first_windows(cfg, 6)
    full = stream_trainer.first_windows(cfg, n)
    run = stream_trainer.train(cfg, progress=False, eval_every_epoch=False)
    np.testing.assert_array_equal(head["losses"], full["losses"][:6])
    np.testing.assert_array_equal(full["losses"].astype(np.float32), run.online_losses[0])
    for k, v in run.model.state_dict().items():
        assert torch.equal(v, full["state_dict"][k]), k
