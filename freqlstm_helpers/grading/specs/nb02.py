"""Notebook 02: L=1 state mechanics. References by float64 loops and by autograd, on cells of random sizes."""
from __future__ import annotations

import math

import numpy as np

from ..verdicts import close, fields, flag, floats_of
from . import probes
from .base import Exercise, Notebook

_LSTM_BUILTINS = ("torch.nn:LSTMCell.forward", "torch.nn:LSTM.forward", "torch:lstm_cell", "torch:lstm",
                  "torch._VF:lstm_cell", "torch._VF:lstm", "torch._C:_VariableFunctions.lstm_cell",
                  "torch._C:_VariableFunctions.lstm", "torch.ops.aten:lstm_cell", "torch.ops.aten:lstm")
# The compiled engine's public entry points (its private kernels can only be reached by a private name,
# which the static check flags on its own).
_FUSED_KERNELS = ("l1_fused.FusedEngine", "l1_fused.predict_params", "l1_fused.predict_rows", "l1_fused.one_step_gradients")


def _cell(rng, n_in, H):
    s = 1 / math.sqrt(H)
    return {"W_ih": rng.uniform(-s, s, (4 * H, n_in)), "W_hh": rng.uniform(-s, s, (4 * H, H)),
            "b_ih": rng.uniform(-s, s, 4 * H), "b_hh": rng.uniform(-s, s, 4 * H)}


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def _forward64(P, x, h, c):
    """One LSTM step in float64, gate order i, f, g, o (the arrays as the student got them, in float32)."""
    f32 = {k: np.asarray(v, np.float32).astype(np.float64) for k, v in P.items()}
    x, h, c = (np.asarray(v, np.float32).astype(np.float64) for v in (x, h, c))
    z = f32["W_ih"] @ x + f32["b_ih"] + f32["W_hh"] @ h + f32["b_hh"]
    H = len(h)
    i, f, g, o = _sig(z[:H]), _sig(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), _sig(z[3 * H:])
    c_new = f * c + i * g
    return o * np.tanh(c_new), c_new


# --- 02.1 lstm_step -------------------------------------------------------------------
def _step_cases(rng):
    out = []
    for _ in range(3):
        n_in, H = int(rng.integers(1, 7)), int(rng.integers(2, 12))
        P = _cell(rng, n_in, H)
        out.append({"args": [rng.normal(size=n_in), rng.normal(0, 0.5, H), rng.normal(0, 0.5, H),
                             P["W_ih"], P["W_hh"], P["b_ih"], P["b_hh"]]})
    return out


def _step_reference(case):
    x, h, c, W_ih, W_hh, b_ih, b_hh = case["args"]
    return list(_forward64({"W_ih": W_ih, "W_hh": W_hh, "b_ih": b_ih, "b_hh": b_hh}, x, h, c))


# --- 02.2 one_step_gradient -------------------------------------------------------------
def _grad_cases(rng):
    out = []
    for _ in range(3):
        n_in, H = int(rng.integers(1, 7)), int(rng.integers(2, 12))
        P = _cell(rng, n_in, H)
        P["w_out"], P["b_out"] = rng.uniform(-0.5, 0.5, H), np.array(float(rng.uniform(-0.5, 0.5)))
        out.append({"args": [rng.normal(size=n_in), rng.normal(0, 0.5, H), rng.normal(0, 0.5, H),
                             np.array(float(rng.normal())), P]})
    return out


def _grad_reference(case):
    """Autograd in float64 on the float32 values the student got; h and c are constants (detached state)."""
    import torch
    x, h, c, y, P = case["args"]
    t = {k: torch.tensor(np.asarray(v, np.float32), dtype=torch.float64, requires_grad=True) for k, v in P.items()}
    x, h, c, y = (torch.tensor(np.asarray(v, np.float32), dtype=torch.float64) for v in (x, h, c, y))
    zi, zf, zg, zo = (t["W_ih"] @ x + t["b_ih"] + t["W_hh"] @ h + t["b_hh"]).chunk(4)
    c_new = torch.sigmoid(zf) * c + torch.sigmoid(zi) * torch.tanh(zg)
    loss = (t["w_out"] @ (torch.sigmoid(zo) * torch.tanh(c_new)) + t["b_out"] - y) ** 2
    grads = torch.autograd.grad(loss, list(t.values()))
    return {k: g.numpy() for k, g in zip(t, grads)}


# --- 02.3 reset_outputs ------------------------------------------------------------------
def _reset_cases(rng):
    return [{"seed": int(rng.integers(0, 10_000)), "hidden": int(h), "X": rng.normal(size=(int(n), 5)).astype(np.float32)}
            for h, n in zip(rng.choice([8, 16, 64], 2), rng.integers(10, 60, 2))]


def _reset_reference(case):
    """Every row from a zero state: all rows side by side as one batch."""
    import torch
    from freqlstm_helpers.model import FrequencyLSTM
    model = FrequencyLSTM.seeded(case["seed"], hidden_size=case["hidden"])
    n = len(case["X"])
    with torch.no_grad():
        out = model.step(torch.from_numpy(case["X"]), model.initial_state(n))[0].numpy().astype(np.float64)
    return {"out": out, "weights_unchanged": True}


def _flat_floats(cmp):
    """The student's outputs as a flat float array first (a list of floats or tensors, an array, a tensor)."""
    def compare(got, want):
        got = floats_of(got)
        if isinstance(got, np.ndarray):
            got = got.reshape(-1)
        return cmp(got, want)
    return compare


NOTEBOOK = Notebook("02_l1_state_mechanics", (
    Exercise("02.1", "lstm_step", 2, _step_cases, probes.call_torch, _step_reference, close(atol=1e-5, rtol=1e-5),
             denied=_LSTM_BUILTINS + _FUSED_KERNELS + ("state_checks.outputs_over_rows",),
             static_names=("LSTMCell", "LSTM", "lstm", "lstm_cell", "_VF", "rnn"),
             describe=lambda c: f"{len(c['args'][0])} inputs, {len(c['args'][1])} hidden units"),
    Exercise("02.2", "one_step_gradient", 3, _grad_cases, probes.call_torch, _grad_reference,
             close(atol=1e-5, rtol=1e-4),
             denied=("torch.autograd:grad", "torch.autograd:backward", "torch:Tensor.backward",
                     "torch.autograd.variable:Variable._execution_engine", "torch.autograd.functional:jacobian",
                     "torch.autograd.functional:vjp", "torch.autograd.functional:jvp",
                     "torch.autograd.functional:hessian", "torch.autograd.forward_ad:make_dual",
                     "torch.autograd.forward_ad:unpack_dual", "torch.func:grad", "torch.func:grad_and_value",
                     "torch.func:vjp", "torch.func:jvp", "torch.func:jacrev", "torch.func:jacfwd",
                     "torch.func:hessian") + _FUSED_KERNELS,
             static_names=("backward", "grad", "autograd", "requires_grad", "requires_grad_", "enable_grad",
                           "set_grad_enabled", "functorch", "forward_ad", "dual_level", "make_dual", "vjp", "jvp",
                           "jacrev", "jacfwd", "jacobian", "hessian", "grad_and_value"),
             describe=lambda c: f"{len(c['args'][0])} inputs, {len(c['args'][1])} hidden units"),
    Exercise("02.3", "reset_outputs", 2, _reset_cases, probes.model_rows, _reset_reference,
             fields(out=_flat_floats(close(atol=1e-5)),
                    weights_unchanged=flag("your function changed the model's weights: the control only runs it")),
             denied=("state_checks.outputs_over_rows", "state_checks.run_state_checks"),
             describe=lambda c: f"hidden size {c['hidden']}, {len(c['X'])} rows"),
), preimport=("numpy", "torch", "matplotlib.pyplot"))
