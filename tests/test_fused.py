"""The fused engine performs the reference trainer's L=1 update, only compiled.

The reference is written out here: FrequencyLSTM.step (nn.LSTMCell), MSE on one
scalar, backward, clip_grad_norm_, default torch.optim.Adam, detach. The checks:
one row, exactly (1e-5 in float32, 1e-12 in float64); 2,000 rows, within the
spread float32 rounding alone causes; a whole 40,000-row epoch of the report's
run, by its online loss and its frozen MSE.
"""
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from freqlstm_helpers import SignalConfig, build_dataset
from freqlstm_helpers.engines.l1_fused import (ALLOWED_DTYPES, PARAM_NAMES, FusedEngine, FusedParams,
                                              one_step_gradients, predict_rows)
from freqlstm_helpers.model import FrequencyLSTM

LR, CLIP = 1e-3, 1.0
N_SHORT = 2_000


def make_cfg(lr=LR, clip=CLIP, **optimizer):
    """A stand-in for TrainConfig: only the attributes the fused engine reads."""
    return SimpleNamespace(optimizer=SimpleNamespace(learning_rate=lr, **optimizer),
                           training=SimpleNamespace(clip_grad_norm=clip))


class TorchReference:
    """The reference L=1 loop, one row at a time, exactly as a student would write it."""

    def __init__(self, model, lr=LR, clip=CLIP, weight_decay=0.0):
        self.model = model
        self.dtype = next(model.parameters()).dtype
        self.opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
        self.clip = clip
        self.state = model.initial_state()

    def forward_backward(self, x, y):
        """One row's forward and backward; returns (loss, new state). Gradients land in .grad."""
        pred, state = self.model.step(x, self.state)
        loss = F.mse_loss(pred, y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        return loss, state

    def finish(self, state):
        """Clip, step, detach: the rest of the row. Returns the pre-clip total grad norm."""
        max_norm = self.clip if self.clip else float("inf")  # inf: measure the norm, scale by 1
        norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm)
        self.opt.step()
        self.state = self.model.detach(state)
        return float(norm)

    def train_rows(self, X, y):
        X = torch.as_tensor(np.asarray(X), dtype=self.dtype)
        Y = torch.as_tensor(np.asarray(y), dtype=self.dtype)
        losses, norms = np.empty(len(X)), np.empty(len(X))
        for t in range(len(X)):
            loss, state = self.forward_backward(X[t:t + 1], Y[t:t + 1])
            norms[t] = self.finish(state)
            losses[t] = loss.item()
        return losses, norms


def frozen_mse_torch(model, X, y):
    with torch.no_grad():
        Xt = torch.as_tensor(X, dtype=next(model.parameters()).dtype)[:, None, :]
        preds, _ = model.sequence(Xt, model.initial_state())
    return float(np.mean((preds[:, 0].double().numpy() - np.asarray(y, np.float64)) ** 2))


def params_np(model):
    return [p.detach().double().numpy().copy() for p in model.parameters()]


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Batch-1 torch ops are faster on one thread, and the machine is shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def train_ds():
    return build_dataset(SignalConfig(), split="train")


@pytest.fixture(scope="module")
def reference_run(train_ds):
    """The report's run in torch float32 (seed 0, LR 1e-3, clip 1.0): first N_SHORT rows."""
    ref = TorchReference(FrequencyLSTM.seeded(0))
    losses, norms = ref.train_rows(train_ds.X[:N_SHORT], train_ds.y[:N_SHORT])
    return ref, losses, norms


@pytest.fixture(scope="module")
def reference_epoch(train_ds, reference_run):
    """The same torch run continued to the end of epoch 1 (the slow part of this file).

    Not shortened: on a 2.5 s signal (10,000 rows) the transient after each block
    switch weighs four times more, and under the baseline CPU profile torch's
    5 Hz block mean came out 0.37 against the fused engine's 0.45.
    """
    ref, losses, _ = reference_run
    rest, _ = ref.train_rows(train_ds.X[N_SHORT:], train_ds.y[N_SHORT:])
    return np.concatenate([losses, rest]), frozen_mse_torch(ref.model, train_ds.X, train_ds.y)


# --------------------------------------------------------------------------- one row, exactly
def warmed_reference(seed, clip, weight_decay=0.0, dtype=torch.float32):
    """A torch reference with nonzero state and Adam moments (step 7), on random rows."""
    model = FrequencyLSTM.seeded(seed).to(dtype)
    ref = TorchReference(model, clip=clip, weight_decay=weight_decay)
    rng = np.random.default_rng(seed)
    ref.train_rows(rng.normal(size=(7, 5)), rng.normal(size=7))
    return ref, rng


@pytest.mark.parametrize("case", ["clipped", "unclipped", "clip_off", "weight_decay"])
def test_one_row_matches_torch(case):
    clip = None if case == "clip_off" else CLIP
    wd = 0.01 if case == "weight_decay" else 0.0
    ref, rng = warmed_reference(seed=3, clip=clip, weight_decay=wd)
    engine = FusedEngine(ref.model, make_cfg(clip=clip, weight_decay=wd))
    engine.load_optimizer_state(ref.opt.state_dict())
    engine.state = ref.state
    assert engine.params.step == 7 and np.abs(engine.params.exp_avg).max() > 0

    x = torch.as_tensor(rng.normal(size=(1, 5)), dtype=torch.float32)
    with torch.no_grad():
        pred0 = float(ref.model.step(x, ref.state)[0])
    offset = 0.01 if case == "unclipped" else 3.0  # small error: small gradient, no clipping
    y = torch.tensor([pred0 - offset], dtype=torch.float32)

    debug = one_step_gradients(engine.params, x.numpy(), y.numpy(), engine.state)
    loss, state = ref.forward_backward(x, y)
    torch_grads = [p.grad.detach().double().numpy().copy() for p in ref.model.parameters()]
    norm = ref.finish(state)
    if case == "unclipped":
        assert norm < CLIP, "the unclipped case must have a gradient norm below the clip"
    else:
        assert norm > 2 * CLIP, "the clipped cases must have a gradient norm well above the clip"

    assert debug["loss"] == pytest.approx(loss.item(), abs=1e-5)
    assert debug["grad_norm"] == pytest.approx(norm, rel=1e-5)
    for name, g in zip(PARAM_NAMES, torch_grads):
        np.testing.assert_allclose(debug["grads"][name], g, atol=1e-5, rtol=1e-5, err_msg=name)

    losses, norms = engine.train_rows(x.numpy(), y.numpy())
    assert losses[0] == pytest.approx(loss.item(), abs=1e-5) and norms[0] == pytest.approx(norm, rel=1e-5)
    for name, mine, theirs in zip(PARAM_NAMES, engine.params.torch_arrays("theta"), params_np(ref.model)):
        np.testing.assert_allclose(mine, theirs, atol=1e-5, rtol=0, err_msg=f"updated {name}")
    torch_state = ref.opt.state_dict()["state"]
    for i, (m, v) in enumerate(zip(engine.params.torch_arrays("exp_avg"), engine.params.torch_arrays("exp_avg_sq"))):
        np.testing.assert_allclose(m, torch_state[i]["exp_avg"].double().numpy(), atol=1e-6, rtol=1e-5)
        np.testing.assert_allclose(v, torch_state[i]["exp_avg_sq"].double().numpy(), atol=1e-9, rtol=1e-5)
    for mine, theirs in zip(engine.state, ref.state):
        np.testing.assert_allclose(mine, theirs[0].numpy(), atol=1e-6)


def test_one_row_float64_is_torch_to_rounding():
    """In float64 the only differences left are last-bit ones: 1e-12."""
    ref, rng = warmed_reference(seed=5, clip=CLIP, dtype=torch.float64)
    engine = FusedEngine(ref.model, make_cfg(), dtype="float64")
    engine.load_optimizer_state(ref.opt.state_dict())
    engine.state = ref.state
    X, y = rng.normal(size=(3, 5)), 3.0 * rng.normal(size=3)
    losses_ref, norms_ref = ref.train_rows(X, y)
    losses, norms = engine.train_rows(X, y)
    np.testing.assert_allclose(losses, losses_ref, rtol=1e-12)
    np.testing.assert_allclose(norms, norms_ref, rtol=1e-12)
    for mine, theirs in zip(engine.params.torch_arrays("theta"), params_np(ref.model)):
        np.testing.assert_allclose(mine, theirs, atol=1e-12, rtol=0)


# --------------------------------------------------------------------------- 2,000 rows
def test_2000_rows_early_rows_exact_later_rows_as_a_distribution(train_ds, reference_run):
    """The first rows are the same numbers; later rows only the same distribution; float64 pins the algorithm.

    The L=1 dynamics amplify a last-bit difference row by row (about 1e-10 after
    10 rows, 1e-5 after 2,000), and how fast depends on the CPU's instruction set
    (torch's kernels sum in another order on AVX-512, AVX2 or plain x86-64). So
    float32 rows are compared exactly only before the amplification, and after it
    only as summaries. In float64 there is nothing to amplify but last bits: the
    two implementations must agree to 1e-9 over all 2,000 rows on any CPU.
    """
    X, y = train_ds.X[:N_SHORT], train_ds.y[:N_SHORT]
    _, t32, n32 = reference_run
    f32, fn32 = FusedEngine(FrequencyLSTM.seeded(0), make_cfg()).train_rows(X, y)
    np.testing.assert_allclose(f32[:100], t32[:100], atol=1e-6)
    np.testing.assert_allclose(fn32[:100], n32[:100], rtol=1e-4, atol=1e-5)
    assert abs(f32.mean() - t32.mean()) <= 0.02 * t32.mean(), (f32.mean(), t32.mean())
    assert abs(np.median(f32) - np.median(t32)) <= 0.05 * np.median(t32), (np.median(f32), np.median(t32))

    t64, _ = TorchReference(FrequencyLSTM.seeded(0).double()).train_rows(X.astype(np.float64), y.astype(np.float64))
    f64, _ = FusedEngine(FrequencyLSTM.seeded(0), make_cfg(), dtype="float64").train_rows(X, y)
    assert np.max(np.abs(f64 - t64)) < 1e-9


# --------------------------------------------------------------------------- a whole epoch
def block_means(losses):
    return losses.reshape(4, -1).mean(axis=1)  # frequency-major: 1, 3, 5, 7 Hz blocks


def test_full_epoch_matches_torch(train_ds, reference_epoch):
    """The report's run, epoch 1: the same first rows, the same per-block picture, the same frozen MSE.

    The epoch mean itself is chaotic: after the switch to 3 Hz a transient turns
    last-bit differences into O(1) ones. Measured on one machine, torch's own
    epoch mean moved from 0.2958 (AVX-512, AVX2) to 0.2624 (plain x86-64) while the
    fused engine gave 0.3048, and all of it came from the 3 Hz block (0.04-0.19).
    So this test compares what is not chaotic: the first 500 rows to 1e-5; the
    1 Hz block (chased almost perfectly) and the 5 and 7 Hz blocks (near 0.5) as
    means; the 3 Hz block only as "between the two"; and the frozen MSE.
    """
    torch_losses, torch_frozen = reference_epoch
    engine = FusedEngine(FrequencyLSTM.seeded(0), make_cfg())
    losses, norms = engine.train_rows(train_ds.X, train_ds.y)
    np.testing.assert_allclose(losses[:500], torch_losses[:500], atol=1e-5)
    mine, theirs = block_means(losses.astype(np.float64)), block_means(torch_losses.astype(np.float64))
    assert mine[0] < 0.01 and theirs[0] < 0.01, (mine, theirs)
    np.testing.assert_allclose(mine[2:], theirs[2:], atol=0.05)
    for b in (mine, theirs):
        assert b[0] < b[1] < min(b[2:]), f"block means {b}: the 3 Hz block should lie between 1 Hz and the rest"

    frozen = float(np.mean((engine.predict(train_ds.X) - train_ds.y.astype(np.float64)) ** 2))
    assert abs(frozen - torch_frozen) <= 0.002, (frozen, torch_frozen)
    assert np.all(np.isfinite(norms)) and engine.params.step == len(train_ds.y)
    # what the engine holds is what a torch model evaluates to once synced
    engine.sync_to_model()
    assert frozen_mse_torch(engine.model, train_ds.X, train_ds.y) == pytest.approx(frozen, abs=1e-5)


# --------------------------------------------------------------------------- plumbing
def test_state_carried_across_calls_equals_one_call(train_ds):
    X, y = train_ds.X[9_500:11_000], train_ds.y[9_500:11_000]  # crosses the f1 -> f2 block edge
    a = FusedEngine(FrequencyLSTM.seeded(1), make_cfg())
    b = FusedEngine(FrequencyLSTM.seeded(1), make_cfg())
    la1, _ = a.train_rows(X[:700], y[:700])
    la2, _ = a.train_rows(X[700:], y[700:])
    lb, _ = b.train_rows(X, y)
    np.testing.assert_array_equal(np.concatenate([la1, la2]), lb)
    np.testing.assert_array_equal(a.params.theta, b.params.theta)
    np.testing.assert_array_equal(a.state[0], b.state[0])
    np.testing.assert_array_equal(a.state[1], b.state[1])
    b.reset_state()
    assert not b.state[0].any() and not b.state[1].any()


def test_weights_and_moments_round_trip_through_torch(train_ds):
    """Train fused, hand over to torch (weights + Adam state), continue: both sides agree."""
    X, y = train_ds.X[:300], train_ds.y[:300]
    engine = FusedEngine(FrequencyLSTM.seeded(2), make_cfg())
    engine.train_rows(X, y)
    engine.sync_to_model()
    for mine, theirs in zip(engine.params.torch_arrays("theta"), params_np(engine.model)):
        np.testing.assert_array_equal(mine, theirs)

    ref = TorchReference(engine.model)
    ref.opt.load_state_dict(engine.optimizer_state())
    ref.state = tuple(torch.as_tensor(s)[None, :] for s in engine.state)
    state = ref.opt.state_dict()
    assert state["param_groups"][0]["lr"] == LR and all(float(s["step"]) == 300 for s in state["state"].values())

    # moments come back bit for bit
    other = FusedEngine(engine.model, make_cfg(lr=0.5))
    other.load_optimizer_state(state)
    assert other.lr == LR and other.params.step == 300
    np.testing.assert_array_equal(other.params.exp_avg, engine.params.exp_avg)
    np.testing.assert_array_equal(other.params.exp_avg_sq, engine.params.exp_avg_sq)

    # and carry on: 20 more rows at a new learning rate on both sides
    engine.set_lr(5e-4)
    for group in ref.opt.param_groups:
        group["lr"] = 5e-4
    lf, _ = engine.train_rows(train_ds.X[300:320], train_ds.y[300:320])
    lt, _ = ref.train_rows(train_ds.X[300:320], train_ds.y[300:320])
    np.testing.assert_allclose(lf, lt, atol=1e-5)
    for mine, theirs in zip(engine.params.torch_arrays("theta"), params_np(ref.model)):
        np.testing.assert_allclose(mine, theirs, atol=1e-5)

    # a model trained elsewhere loads exactly
    fresh = FrequencyLSTM.seeded(9)
    FusedParams.from_model(engine.model).to_model(fresh)
    for p, q in zip(fresh.parameters(), engine.model.parameters()):
        assert torch.equal(p, q)


def test_fresh_optimizer_state_is_torchs():
    model = FrequencyLSTM.seeded(0)
    engine = FusedEngine(model, None)
    mine = engine.optimizer_state()
    theirs = torch.optim.Adam(model.parameters(), lr=1e-3).state_dict()
    assert mine == theirs
    engine.load_optimizer_state(theirs)
    assert engine.params.step == 0 and not engine.params.exp_avg.any()
    assert (engine.lr, engine.betas, engine.eps, engine.weight_decay, engine.clip) == (1e-3, (0.9, 0.999), 1e-8,
                                                                                        0.0, 1.0)


def test_predict_rows_equals_torch_sequence(train_ds):
    model = FrequencyLSTM.seeded(4, forget_bias=1.0)
    X = train_ds.X[5_000:8_000]
    g = torch.Generator().manual_seed(0)
    h0, c0 = torch.randn(1, 64, generator=g) * 0.5, torch.randn(1, 64, generator=g)
    with torch.no_grad():
        expected, (hn, cn) = model.sequence(torch.as_tensor(X)[:, None, :], (h0, c0))
    preds, (h, c) = predict_rows(model, X, state=(h0, c0))
    assert preds.dtype == np.float64 and preds.shape == (len(X),)
    np.testing.assert_allclose(preds, expected[:, 0].numpy(), atol=1e-5)
    np.testing.assert_allclose(h, hn[0].numpy(), atol=1e-5)
    np.testing.assert_allclose(c, cn[0].numpy(), atol=1e-5)
    # the engine's frozen predict is the same function of its current weights, own zero state
    engine = FusedEngine(model, None)
    np.testing.assert_array_equal(engine.predict(X), predict_rows(model, X)[0])
    assert not engine.state[0].any(), "predict must not touch the training state"


def test_float64_engine_and_dtypes(train_ds):
    engine = FusedEngine(FrequencyLSTM.seeded(0), make_cfg(), dtype="float64")
    assert engine.dtype == "float64" and engine.params.theta.dtype == np.float64
    losses, _ = engine.train_rows(train_ds.X[:50], train_ds.y[:50])
    assert losses.dtype == np.float64 and engine.state[0].dtype == np.float64
    assert FusedEngine(FrequencyLSTM.seeded(0), None, dtype=np.float32).dtype == "float32"
    assert FusedEngine(FrequencyLSTM.seeded(0), None, dtype=torch.float64).dtype == "float64"


def test_clear_errors_for_bad_inputs(train_ds):
    model = FrequencyLSTM.seeded(0)
    with pytest.raises(ValueError, match=r"dtype='float16'.*\('float32', 'float64'\)"):
        FusedEngine(model, None, dtype="float16")
    assert ALLOWED_DTYPES == ("float32", "float64")
    engine = FusedEngine(model, None)
    with pytest.raises(ValueError, match=r"X has shape \(10, 4\).*\(rows, 5\)"):
        engine.train_rows(np.zeros((10, 4)), np.zeros(10))
    with pytest.raises(ValueError, match=r"X has shape \(5,\)"):
        engine.train_rows(np.zeros(5), np.zeros(1))
    with pytest.raises(ValueError, match=r"y has shape \(9,\).*\(10,\)"):
        engine.train_rows(np.zeros((10, 5)), np.zeros(9))
    bad = train_ds.X[:10].copy()
    bad[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or inf at row 3"):
        engine.train_rows(bad, train_ds.y[:10])
    with pytest.raises(ValueError, match=r"X has shape \(10, 3\)"):
        engine.predict(np.zeros((10, 3)))
    with pytest.raises(ValueError, match="learning rate -0.1"):
        engine.set_lr(-0.1)
    with pytest.raises(ValueError, match="clip_grad_norm=-1"):
        FusedEngine(model, make_cfg(clip=-1))
    with pytest.raises(ValueError, match=r"state h has shape \(32,\)"):
        engine.state = (np.zeros(32), np.zeros(64))
    with pytest.raises(TypeError, match="Linear"):
        FusedEngine(torch.nn.Linear(5, 1), None)
    amsgrad = torch.optim.Adam(model.parameters(), amsgrad=True).state_dict()
    with pytest.raises(ValueError, match="amsgrad=True"):
        engine.load_optimizer_state(amsgrad)
    assert engine.params.step == 0, "a failed call must not have trained"
