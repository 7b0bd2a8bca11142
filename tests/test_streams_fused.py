"""The compiled stream engine runs the stream trainer's windows, only compiled.

The reference is stream_trainer.TorchStreamEngine: window_step window after
window (torch's fused LSTM, autograd, clip_grad_norm_, torch.optim.Adam). The
checks: in float64 every window of an epoch agrees to 1e-9 (losses, weights,
Adam moments) for every mode the configs use: 4 parallel streams with
overlapping windows, one frequency-major stream, window 1 stride 1, the
input-blind control, constant and chrono gate biases, warm-up and cosine or
constant schedules, weight decay. In float32 a whole corrected run is compared
the way tests/test_fused.py compares the L=1 engine: first windows exactly,
later ones as block means, and the frozen test MSE as a band.
"""
import sys

import numpy as np
import pytest
import torch

from freqlstm_helpers import build_dataset, paths, runs, stream_trainer
from freqlstm_helpers.config import EngineUnavailable, TrainConfig, load_config
from freqlstm_helpers.engines.streams_fused import StreamsFusedEngine
from freqlstm_helpers.trainer import new_model

TINY = {"training.num_epochs": 2, "data.duration": 0.6, "data.phase_scale": 0.1}


def corrected(**more):
    return load_config(paths.configs_dir() / "corrected.yaml").with_overrides({**TINY, **more})


def inputs(cfg, dtype=torch.float64):
    s = cfg.streams
    make = stream_trainer.stream_inputs if s.parallel else stream_trainer.single_stream_inputs
    x, y = make(build_dataset(cfg.data, split="train"), s.input_gain, cfg.input_blind)
    return x.to(dtype), y.to(dtype)


def both_engines(cfg, epochs=1):
    """float64 torch and fused engines from the same initial model, `epochs` epochs each: losses and engines."""
    x, y = inputs(cfg)
    ref = stream_trainer.TorchStreamEngine(new_model(cfg).double(), cfg)
    fused = StreamsFusedEngine(new_model(cfg), cfg, dtype="float64")
    n = len(range(0, x.shape[0], cfg.streams.stride))
    lt, lf = [], []
    for epoch in range(1, epochs + 1):
        lrs = stream_trainer.epoch_lrs(epoch, n, cfg)
        lt.append(ref.train_epoch(x, y, lrs).astype(np.float64))
        lf.append(fused.train_epoch(x, y, lrs))
    return np.concatenate(lt), np.concatenate(lf), ref, fused


def assert_same_weights_and_moments(ref, fused, atol):
    for p, mine in zip(ref.model.parameters(), fused.torch_arrays("theta")):
        np.testing.assert_allclose(mine, p.detach().numpy(), rtol=0, atol=atol)
    state = ref.optimizer.state_dict()["state"]
    for i, (m, v) in enumerate(zip(fused.torch_arrays("exp_avg"), fused.torch_arrays("exp_avg_sq"))):
        np.testing.assert_allclose(m, state[i]["exp_avg"].numpy(), rtol=0, atol=atol)
        np.testing.assert_allclose(v, state[i]["exp_avg_sq"].numpy(), rtol=0, atol=atol)
        assert float(state[i]["step"]) == fused.step


MODES = {
    "corrected: 4 streams, window 400, stride 200, chrono, cosine": {},
    "one frequency-major stream, window 60 stride 20, warm-up": {"streams.parallel": False, "streams.window": 60,
                                                               "streams.stride": 20, "streams.warmup_steps": 5},
    "window 1 stride 1, constant schedule": {"data.duration": 0.05, "streams.window": 1, "streams.stride": 1,
                                             "streams.schedule": "constant"},
    "input-blind control": {"input_blind": True, "streams.window": 100, "streams.stride": 50},
    "constant forget bias +2, weight decay, window = stride": {"model.chrono_tmax": None, "model.forget_bias": 2.0,
                                                               "optimizer.weight_decay": 0.01,
                                                               "streams.window": 80, "streams.stride": 80},
    "input gain 1, clip that never binds": {"streams.input_gain": 1.0, "training.clip_grad_norm": 1e6,
                                             "streams.window": 100, "streams.stride": 50},
}


@pytest.mark.parametrize("mode", MODES)
def test_float64_windows_match_torch_to_1e9(mode):
    """Every window's loss, and the weights and Adam moments after two epochs, to 1e-9."""
    cfg = corrected(**MODES[mode])
    lt, lf, ref, fused = both_engines(cfg, epochs=2)
    assert len(lt) >= 4 and np.all(np.isfinite(lt))
    np.testing.assert_allclose(lf, lt, rtol=0, atol=1e-9)
    assert_same_weights_and_moments(ref, fused, atol=1e-9)


def test_float64_one_window_gradients_match_autograd():
    """The unclipped gradient of one overlapping window, from a carried state, equals autograd's to 1e-12."""
    cfg = corrected()
    x, y = inputs(cfg)
    model = new_model(cfg).double()
    rng = np.random.default_rng(0)
    h0, c0 = (torch.from_numpy(rng.normal(size=(4, 64)) * 0.3) for _ in range(2))
    out, (hT, cT) = model.sequence(x[100:500], (h0, c0))
    loss = ((out[200:] - y[300:500]) ** 2).mean()
    loss.backward()
    mine = StreamsFusedEngine(new_model(cfg), cfg, dtype="float64").window_gradients(
        x, y, back=100, start=300, stop=500, state=(h0, c0))
    assert mine["loss"] == pytest.approx(loss.item(), abs=1e-12)
    for (name, p) in model.named_parameters():
        np.testing.assert_allclose(mine["grads"][name], p.grad.numpy(), rtol=0, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(mine["state"][0], hT.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(mine["state"][1], cT.detach().numpy(), atol=1e-12)


def test_float32_first_windows_match_torch():
    """In float32 the first windows are the same numbers (later ones drift apart, see below)."""
    cfg = corrected(**{"data.duration": 10.0, "training.num_epochs": 1})
    x, y = inputs(cfg, torch.float32)
    lrs = stream_trainer.epoch_lrs(1, 12, cfg)
    ref = stream_trainer.TorchStreamEngine(new_model(cfg), cfg).train_epoch(x[:2400], y[:2400], lrs)
    mine = StreamsFusedEngine(new_model(cfg), cfg).train_epoch(x[:2400], y[:2400], lrs)
    np.testing.assert_allclose(mine, ref, rtol=1e-5, atol=1e-6)


def test_predict_matches_torch():
    cfg = corrected()
    x, _ = inputs(cfg)
    model = new_model(cfg).double()
    with torch.no_grad():
        ref, _ = model.sequence(x, model.initial_state(4))
    mine = StreamsFusedEngine(new_model(cfg), cfg, dtype="float64").predict(x)
    np.testing.assert_allclose(mine, ref.numpy(), rtol=0, atol=1e-12)
    x32 = x.float()
    with torch.no_grad():
        ref32, _ = new_model(cfg).sequence(x32, new_model(cfg).initial_state(4))
    np.testing.assert_allclose(StreamsFusedEngine(new_model(cfg), cfg).predict(x32), ref32.numpy(), atol=2e-5)


# --------------------------------------------------------------------------- a whole corrected run in float32
@pytest.fixture(scope="module")
def corrected_pair():
    """The shipped corrected run (seed 0, 30 epochs) by both engines, through the run cache.

    With per-epoch frozen MSE, as notebook 04 asks for its seed band: under `make test`
    the notebook then loads the fused run instead of training it again.
    """
    cfg = load_config(paths.configs_dir() / "corrected.yaml")
    return {e: runs.cached_train(cfg.replace(engine=e), progress=False, eval_every_epoch=True)
            for e in ("torch", "fused")}


def test_full_run_matches_torch_as_a_distribution(corrected_pair):
    """The corrected run, both engines: the same first windows, the same learning curve, the same verdict.

    Window by window the runs part after a few hundred optimiser steps: float32
    rounding (summation order, exp) is amplified as it is between torch on two
    instruction sets. What must agree is what is not chaotic: epoch 1's first
    windows to 1e-5; the online loss averaged over blocks of ten epochs; and
    the frozen test MSE, overall and per frequency, inside the targets.
    """
    t, f = corrected_pair["torch"], corrected_pair["fused"]
    np.testing.assert_allclose(f.online_losses[0, :5], t.online_losses[0, :5], rtol=0, atol=1e-5)
    assert f.epochs_run == t.epochs_run == 30
    for lo in (0, 10, 20):
        mt, mf = t.online_losses[lo:lo + 10].mean(), f.online_losses[lo:lo + 10].mean()
        assert abs(mf - mt) <= 0.25 * mt, (lo, mf, mt)
    for r in (t, f):
        assert max(r.metrics["test_mse_per_frequency"].values()) <= 0.01, r.metrics
        assert r.metrics["test_mse"] / r.metrics["train_mse"] <= 1.2, r.metrics
    assert 0.5 <= f.metrics["test_mse"] / t.metrics["test_mse"] <= 2.0, (f.metrics, t.metrics)


# --------------------------------------------------------------------------- plumbing
def test_engine_fused_is_allowed_for_streams_and_step_forces_torch(tmp_path):
    cfg = corrected(**{"streams.window": 100, "streams.stride": 50})
    fused = stream_trainer.train(cfg.replace(engine="fused"), progress=False, run_dir=tmp_path / "f")
    assert (tmp_path / "f" / runs.CONFIG).is_file() and fused.config.engine == "fused"
    torch_run = stream_trainer.train(cfg.replace(engine="torch"), progress=False)
    forced = stream_trainer.train(cfg.replace(engine="fused"), progress=False, step=stream_trainer.window_step)
    np.testing.assert_array_equal(forced.online_losses, torch_run.online_losses)
    assert not np.array_equal(fused.online_losses, torch_run.online_losses), "fused fell back to torch"
    np.testing.assert_allclose(fused.online_losses[0, :3], torch_run.online_losses[0, :3], atol=1e-5)


def test_weights_and_adam_state_round_trip_through_torch():
    """Train fused, hand weights and Adam state to torch (and back), continue: all sides agree (float64)."""
    cfg = corrected(**{"streams.window": 100, "streams.stride": 50})
    x, y = inputs(cfg)
    n = len(range(0, x.shape[0], 50))
    fused = StreamsFusedEngine(new_model(cfg), cfg, dtype="float64")
    fused.train_epoch(x, y, stream_trainer.epoch_lrs(1, n, cfg))
    model = new_model(cfg).double()
    fused.model = model
    fused.sync_to_model()
    ref = stream_trainer.TorchStreamEngine(model, cfg)
    ref.load_optimizer_state(fused.optimizer_state())
    back = StreamsFusedEngine(new_model(cfg), cfg, dtype="float64")
    back.load_optimizer_state(fused.optimizer_state())
    back.theta[:] = fused.theta
    lrs = stream_trainer.epoch_lrs(2, n, cfg)
    lt = ref.train_epoch(x, y, lrs)
    np.testing.assert_allclose(fused.train_epoch(x, y, lrs), lt, atol=1e-9)
    np.testing.assert_allclose(back.train_epoch(x, y, lrs), lt, atol=1e-9)
    assert_same_weights_and_moments(ref, fused, atol=1e-9)


def test_optimizer_state_is_torch_adams_format():
    cfg = corrected()
    engine = StreamsFusedEngine(new_model(cfg), cfg)
    ours = engine.optimizer_state()
    opt = torch.optim.Adam(engine.model.parameters(), lr=engine.lr, betas=engine.betas, eps=engine.eps)
    theirs = opt.state_dict()
    assert ours["param_groups"][0].keys() == theirs["param_groups"][0].keys()
    assert ours == theirs  # no step yet: no state, same hyperparameters
    x, y = inputs(cfg, torch.float32)
    engine.train_epoch(x, y, stream_trainer.epoch_lrs(1, 3, cfg))
    opt.load_state_dict(engine.optimizer_state())  # torch accepts it
    assert float(opt.state_dict()["state"][0]["step"]) == 3


def test_missing_engine_module_is_one_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "freqlstm_helpers.engines.streams_fused", None)
    cfg = corrected()
    with pytest.raises(EngineUnavailable, match="engine 'fused' for trainer 'streams'.*use engine: torch"):
        stream_trainer.make_stream_engine("fused", new_model(cfg), cfg)


def test_bad_inputs_are_refused():
    cfg = TrainConfig().with_overrides({"trainer": "streams"})
    engine = StreamsFusedEngine(new_model(cfg), cfg)
    with pytest.raises(ValueError, match="expected \\(samples, streams, 5\\)"):
        engine.train_epoch(np.zeros((10, 4)), np.zeros((10, 4)), [1e-3])
    with pytest.raises(ValueError, match="one learning rate per window"):
        engine.train_epoch(np.zeros((400, 4, 5)), np.zeros((400, 4)), [1e-3])
    with pytest.raises(ValueError, match="dtype"):
        StreamsFusedEngine(new_model(cfg), cfg, dtype="float16")
