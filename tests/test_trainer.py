"""The reference trainer runs the L=1 regime exactly: order, carried + detached state, no reset, clip, Adam."""
import math
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import freqlstm_helpers.trainer as trainer_mod
from freqlstm_helpers import stopping
from freqlstm_helpers.config import ConfigError, TrainConfig
from freqlstm_helpers.data import SignalConfig, build_dataset
from freqlstm_helpers.model import FrequencyLSTM, count_parameters
from freqlstm_helpers.trainer import (EngineUnavailable, PlateauSchedule, TorchEngine, clip_grads_, frozen_mse,
                                      frozen_predict, make_engine, new_model, train)

SMALL = {"name": "small", "training.num_epochs": 2, "data.duration": 0.05}  # 4 x 50 rows
ROWS, BLOCK = 200, 50


@pytest.fixture(autouse=True)
def one_thread():
    """Hand-written loops below run on one thread like the trainer (batch-1 ops + a busy machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def small_cfg(**more):
    return TrainConfig().with_overrides({**SMALL, **more})


def hand_loop(cfg, X, y, epochs):
    """The regime written out by hand with torch's own clip_grad_norm_: the trainer must match it."""
    model = FrequencyLSTM.seeded(cfg.seed)
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=cfg.optimizer.learning_rate, fused=True)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    losses, norms = [], []
    for _ in range(epochs):
        h, c = torch.zeros(1, 64), torch.zeros(1, 64)
        for i in range(len(Xt)):
            h, c = model.cell(Xt[i:i + 1], (h, c))
            loss = F.mse_loss(model.head(h).view(1), yt[i:i + 1])
            opt.zero_grad()
            loss.backward()
            norms.append(float(torch.nn.utils.clip_grad_norm_(params, cfg.training.clip_grad_norm)))
            opt.step()
            losses.append(loss.item())
            h, c = h.detach(), c.detach()
    return np.array(losses, np.float32), np.array(norms, np.float32), model


# --- the model and its state API --------------------------------------------------------
def test_parameter_count_is_the_reports():
    assert count_parameters(new_model(TrainConfig())) == 18_241


def test_state_api():
    m = FrequencyLSTM.seeded(0)
    h, c = m.initial_state()
    assert h.shape == c.shape == (1, 64) and not h.any() and not c.any()
    x = torch.tensor([[0.3, 0, 1, 0, 0]])
    pred, (h1, c1) = m.step(x, (h, c))
    assert pred.shape == (1,) and h1.grad_fn is not None
    hd, cd = m.detach((h1, c1))
    assert hd.grad_fn is None and not hd.requires_grad and torch.equal(hd, h1) and torch.equal(cd, c1)
    X = torch.from_numpy(build_dataset(SignalConfig(duration=0.05)).X).unsqueeze(1)
    with torch.no_grad():
        seq, (hs, cs) = m.sequence(X, m.initial_state())
        state, steps = m.initial_state(), []
        for i in range(len(X)):
            p, state = m.step(X[i], state)
            steps.append(p)
    torch.testing.assert_close(seq[:, 0], torch.cat(steps), atol=1e-5, rtol=0)
    torch.testing.assert_close(hs, state[0], atol=1e-5, rtol=0)


def test_seeded_init_is_explicit():
    torch.manual_seed(123)  # global state must not matter
    a = FrequencyLSTM.seeded(7)
    torch.manual_seed(456)
    b = FrequencyLSTM.seeded(7)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.cell.weight_ih, FrequencyLSTM.seeded(8).cell.weight_ih)


# --- one step ---------------------------------------------------------------------------
@pytest.mark.parametrize("max_norm", [1e-3, 1e3])  # clipping and not clipping
def test_clip_is_torchs_clip_grad_norm(max_norm):
    g = torch.Generator().manual_seed(0)
    grads = [torch.randn(256, 5, generator=g), torch.randn(256, 64, generator=g), torch.randn(1, generator=g)]
    ours, theirs = [t.clone() for t in grads], [torch.nn.Parameter(torch.zeros_like(t)) for t in grads]
    for p, t in zip(theirs, grads):
        p.grad = t.clone()
    n1 = clip_grads_(ours, max_norm)
    n2 = torch.nn.utils.clip_grad_norm_(theirs, max_norm)
    assert torch.equal(n1, n2)
    for a, p in zip(ours, theirs):
        assert torch.equal(a, p.grad)
    assert (float(torch.linalg.vector_norm(torch.cat([a.view(-1) for a in ours]))) < n1) == (max_norm < n1)


# --- the regime ---------------------------------------------------------------------------
def test_trainer_matches_the_regime_written_by_hand(monkeypatch):
    monkeypatch.setattr(trainer_mod, "CHUNK_ROWS", 64)  # engine calls end mid-epoch and mid-block
    cfg = small_cfg(**{"logging.log_every_n_batches": 7})
    ds = build_dataset(cfg.data, split="train")
    res = train(cfg, progress=False)
    losses, norms, model = hand_loop(cfg, ds.X, ds.y, epochs=2)
    np.testing.assert_allclose(res.online_losses.reshape(-1), losses, rtol=1e-5, atol=1e-7)
    for k, rec in enumerate(res.history):  # pre-clip grad norm of every 7th row, per epoch
        np.testing.assert_allclose(rec["grad_norms"], norms[k * ROWS:(k + 1) * ROWS][::7], rtol=1e-5)
        assert rec["online_loss"] == pytest.approx(float(losses[k * ROWS:(k + 1) * ROWS].astype(np.float64).mean()),
                                                   rel=1e-5)
    for p, q in zip(res.model.parameters(), model.parameters()):
        torch.testing.assert_close(p, q, atol=1e-6, rtol=1e-5)


def test_rows_in_order_state_carried_detached_never_reset_inside_an_epoch(monkeypatch):
    calls = []
    real_step = FrequencyLSTM.step

    def spy(self, x, state):
        pred, new = real_step(self, x, state)
        calls.append((x.detach().clone(), [s.detach().clone() for s in state],
                      [s.grad_fn is not None or s.requires_grad for s in state],
                      [s.detach().clone() for s in new]))
        return pred, new

    monkeypatch.setattr(FrequencyLSTM, "step", spy)
    monkeypatch.setattr(trainer_mod, "CHUNK_ROWS", 64)  # a reset per engine call would show up
    cfg = small_cfg(**{"training.num_epochs": 3})
    ds = build_dataset(cfg.data, split="train")
    train(cfg, progress=False)
    n = len(ds.X)
    assert len(calls) == 3 * n
    for i, (x, state_in, attached, _) in enumerate(calls):
        np.testing.assert_array_equal(x.numpy()[0], ds.X[i % n])  # row order, every epoch
        assert not any(attached), f"row {i}: the incoming state still carries a graph"
        if i % n == 0:  # epoch start: zeros
            assert not any(s.any() for s in state_in), f"row {i}: an epoch must start from zeros"
        else:  # carried: exactly the previous step's output, never a reset
            prev_out = calls[i - 1][3]
            assert all(torch.equal(a, b) for a, b in zip(state_in, prev_out)), f"row {i}: state not carried"
            assert any(s.any() for s in state_in)


def test_determinism_and_seed():
    a = train(small_cfg(), progress=False)
    b = train(small_cfg(), progress=False)
    c = train(small_cfg(seed=1), progress=False)
    np.testing.assert_array_equal(a.online_losses, b.online_losses)
    assert a.online_losses.dtype == np.float32 and a.online_losses.shape == (2, ROWS)
    assert not np.array_equal(a.online_losses, c.online_losses)


def test_history_records():
    res = train(small_cfg(), progress=False, eval_every_epoch=True)
    assert [r["epoch"] for r in res.history] == [1, 2]
    for r in res.history:
        assert set(r) >= {"epoch", "online_loss", "lr", "seconds", "block_means", "grad_norm_mean",
                          "grad_norms", "frozen_train_mse", "frozen_test_mse"}
        assert list(r["block_means"]) == ["1", "3", "5", "7"]
        assert r["seconds"] > 0 and r["lr"] == 1e-3
        assert len(r["grad_norms"]) == 1  # every 1000th row of 200
    k = 2  # block means are the means of each frequency's rows of the online losses
    np.testing.assert_allclose(res.block_means[:, k], res.online_losses[:, k * BLOCK:(k + 1) * BLOCK].mean(axis=1),
                               rtol=1e-5)
    np.testing.assert_allclose(res.epoch_losses, res.online_losses.astype(np.float64).mean(axis=1), rtol=1e-6)
    assert res.stopped_by == "completed" and res.best_epoch == int(np.argmin(res.epoch_losses)) + 1
    assert res.metrics["test_mse"] == pytest.approx(frozen_mse(res.best_model, build_dataset(
        res.config.data, split="test"))["mse"])


def test_stopping_rules_stop_the_run():
    res = train(small_cfg(**{"training.num_epochs": 4, "target_stop.enabled": True, "target_stop.threshold": 10.0}),
                progress=False)
    assert (res.stopped_by, res.epochs_run) == ("target", 1)
    res = train(small_cfg(**{"training.num_epochs": 5, "early_stopping.enabled": True,
                             "early_stopping.patience": 1, "early_stopping.min_delta": 10.0}), progress=False)
    assert (res.stopped_by, res.epochs_run) == ("early_stopping", 2)
    assert res.online_losses.shape == (2, ROWS)


def test_callback_sees_every_epoch_and_can_stop():
    seen = []
    res = train(small_cfg(**{"training.num_epochs": 4}), progress=False,
                callbacks=[lambda rec, model: seen.append(rec["epoch"]) or rec["epoch"] == 2])
    assert seen == [1, 2] and res.stopped_by == stopping.CALLBACK and res.epochs_run == 2


def test_plateau_schedule_is_torchs_rule():
    s = PlateauSchedule(1e-3, patience=1, factor=0.5)
    assert [s.step(x) for x in (1.0, 1.0, 1.0, 1.0, 0.5)] == [1e-3, 1e-3, 5e-4, 5e-4, 5e-4]


def test_scheduler_drives_the_engine_lr():
    cfg = small_cfg(**{"training.num_epochs": 3, "lr_scheduler.type": "ReduceLROnPlateau",
                       "lr_scheduler.patience": 0, "lr_scheduler.factor": 0.5})
    res = train(cfg, progress=False)
    sched, expected = PlateauSchedule(1e-3, 0, 0.5), [1e-3]
    for loss in res.epoch_losses[:-1]:
        expected.append(sched.step(loss))
    assert list(res.lrs) == expected
    assert res.lrs[-1] < 1e-3  # the online loss rises after epoch 1 here, so the LR was cut
    assert res.optimizer_state["param_groups"][0]["lr"] == pytest.approx(sched.step(res.epoch_losses[-1]))


def test_input_blind_zeroes_s_in_training_and_evaluation(monkeypatch):
    seen = []
    real_step = FrequencyLSTM.step
    monkeypatch.setattr(FrequencyLSTM, "step", lambda self, x, s: seen.append(x[0, 0].item()) or real_step(self, x, s))
    res = train(small_cfg(input_blind=True, **{"training.num_epochs": 1}), progress=False)
    assert len(seen) == ROWS and not any(seen)
    test = build_dataset(res.config.data, split="test")
    X0 = test.X.copy()
    X0[:, 0] = 0
    preds, _ = frozen_predict(res.best_model, X0)
    assert res.metrics["test_mse"] == pytest.approx(float(np.mean((preds.astype(np.float64) - test.y) ** 2)))
    assert res.metrics["test_mse"] != pytest.approx(frozen_mse(res.best_model, test)["mse"], abs=1e-9)


def test_threads_restored():
    torch.set_num_threads(2)
    train(small_cfg(**{"training.num_epochs": 1}), progress=False)
    assert torch.get_num_threads() == 2
    cfg = TrainConfig()
    make_engine("torch", new_model(cfg), cfg).train_rows(np.zeros((3, 5), np.float32), np.zeros(3, np.float32))
    assert torch.get_num_threads() == 2


# --- frozen evaluation -----------------------------------------------------------------------
def test_frozen_predict_is_stepping_with_fixed_weights():
    m = FrequencyLSTM.seeded(3)
    X = build_dataset(SignalConfig(duration=0.05)).X
    before = [p.clone() for p in m.parameters()]
    preds, (h, c) = frozen_predict(m, X)
    state, ref = m.initial_state(), []
    with torch.no_grad():
        for row in X:
            p, state = m.step(torch.from_numpy(row).view(1, 5), state)
            ref.append(p.item())
    np.testing.assert_allclose(preds, ref, atol=1e-5)
    assert all(torch.equal(a, b) for a, b in zip(before, m.parameters()))
    # state carried: two halves, the second starting from the first's final state, give the same
    p1, s1 = frozen_predict(m, X[:100])
    p2, _ = frozen_predict(m, X[100:], s1)
    np.testing.assert_allclose(np.concatenate([p1, p2]), preds, atol=1e-6)
    p2_reset, _ = frozen_predict(m, X[100:])
    assert not np.allclose(p2_reset, p2, atol=1e-6)


def test_frozen_mse_per_frequency():
    m = FrequencyLSTM.seeded(0)
    ds = build_dataset(SignalConfig(duration=0.1, frequencies=(1.0, 2.5, 5.0, 7.0)))
    res = frozen_mse(m, ds)
    assert list(res["per_frequency"]) == ["1", "2.5", "5", "7"]
    preds, _ = frozen_predict(m, ds.X)
    err = (preds.astype(np.float64) - ds.y) ** 2
    assert res["per_frequency"]["2.5"] == pytest.approx(err[100:200].mean())
    assert res["mse"] == pytest.approx(err.mean()) == pytest.approx(np.mean(list(res["per_frequency"].values())))


# --- engines ------------------------------------------------------------------------------------
def test_engine_protocol_torch():
    cfg = TrainConfig()
    ds = build_dataset(SignalConfig(duration=0.05))
    e = make_engine("torch", new_model(cfg), cfg)
    assert isinstance(e, TorchEngine)
    l1, n1 = e.train_rows(ds.X[:50], ds.y[:50])
    l2, _ = e.train_rows(ds.X[50:100], ds.y[50:100])  # carries on from row 50
    assert l1.dtype == np.float32 and l1.shape == n1.shape == (50,) and np.all(n1 > 0)
    whole, _ = make_engine("torch", new_model(cfg), cfg).train_rows(ds.X[:100], ds.y[:100])
    np.testing.assert_array_equal(np.concatenate([l1, l2]), whole)
    e.set_lr(1e-5)
    assert e.optimizer.param_groups[0]["lr"] == 1e-5
    e2 = make_engine("torch", new_model(cfg), cfg)
    e2.load_optimizer_state(e.optimizer_state())
    assert torch.equal(e2.optimizer.state_dict()["state"][0]["exp_avg"], e.optimizer.state_dict()["state"][0]["exp_avg"])


def test_unknown_and_missing_engines(monkeypatch):
    cfg = TrainConfig()
    with pytest.raises(ConfigError, match="engine='gpu' is not allowed"):
        make_engine("gpu", new_model(cfg), cfg)
    monkeypatch.setitem(sys.modules, "freqlstm_helpers.engines.l1_fused", None)  # as if it were absent
    with pytest.raises(EngineUnavailable, match="engine 'fused'.*use engine: torch"):
        make_engine("fused", new_model(cfg), cfg)


def test_chrono_init_sets_per_unit_gate_biases_and_nothing_else():
    """b_f = log(u), u ~ U(1, t_max - 1) per unit, b_i = -b_f, split over the two biases; weights untouched."""
    H, t_max = 64, 100.0
    plain = FrequencyLSTM.seeded(3)
    chrono = FrequencyLSTM.seeded(3, chrono_tmax=t_max)
    again = FrequencyLSTM.seeded(3, chrono_tmax=t_max)
    for (name, a), (_, b) in zip(plain.named_parameters(), chrono.named_parameters()):
        if "bias" not in name or "head" in name:
            assert torch.equal(a, b), name
    total = chrono.cell.bias_ih.detach() + chrono.cell.bias_hh.detach()
    b_i, b_f = total[:H], total[H:2 * H]
    assert torch.allclose(b_i, -b_f)
    assert float(b_f.min()) >= 0.0 and float(b_f.max()) <= math.log(t_max - 1) + 1e-6
    assert float(b_f.std()) > 0.5, "one draw per unit: the spans must differ"
    assert torch.equal(chrono.cell.bias_ih[2 * H:], plain.cell.bias_ih[2 * H:]), "g and o gates untouched"
    assert torch.equal(total, again.cell.bias_ih.detach() + again.cell.bias_hh.detach()), "seeded: reproducible"
    other = FrequencyLSTM.seeded(4, chrono_tmax=t_max)
    assert not torch.equal(other.cell.bias_hh, chrono.cell.bias_hh)


def test_new_model_reads_chrono_from_the_config():
    from freqlstm_helpers.config import config_from_dict
    m = trainer_mod.new_model(config_from_dict({"model": {"chrono_tmax": 50}}))
    H = m.hidden_size
    b_f = (m.cell.bias_ih + m.cell.bias_hh)[H:2 * H]
    assert float(b_f.max()) <= math.log(49) + 1e-6 and float(b_f.std()) > 0.3
