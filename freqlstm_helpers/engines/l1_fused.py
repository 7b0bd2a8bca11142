"""The fused L=1 engine: the reference trainer's update, compiled, one call per epoch.

In the L=1 regime every row is batch 1, sequence length 1, and the state (h, c)
is carried but detached, so a row's gradient is the backprop through one cell:

    dW_ih = dgates (x) x,   dW_hh = dgates (x) h_prev,   db_ih = db_hh = dgates.

Those are outer products, so the clip norm needs no gradient matrix:
|dgates (x) h|^2 = |dgates|^2 |h|^2. The kernel therefore computes the clip
coefficient first and then makes ONE pass over each weight matrix that forms the
gradient element, applies the Adam step and, with the freshly updated weight,
accumulates the next row's gate pre-activation. A Python loop over torch pays
for dispatching dozens of tiny ops per row; this pays only the arithmetic.

The arithmetic is torch's, operation by operation (MSE loss, clip_grad_norm_,
non-fused single-tensor Adam with the eps added after the bias-corrected sqrt),
in float32 by default. Results differ from torch only by float rounding
(summation order, libm vs torch's vectorised exp/tanh, and 1/sqrt(bias
correction) applied as a multiply); tests/test_fused.py pins float64 to torch
float64 within 1e-9 over 2,000 rows and float32 to within the spread torch
float32 vs float64 shows on its own.

Weights are stored transposed (W^T, inputs by gates) so every inner loop is an
axpy over the 4H gates: it vectorises without reassociating any sum.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from numba import njit

from ._compile_lock import first_call

ALLOWED_DTYPES = ("float32", "float64")

# Torch's parameter order for FrequencyLSTM (model.parameters()), which is also
# the index order of a torch Adam state_dict over those parameters.
PARAM_NAMES = ("cell.weight_ih", "cell.weight_hh", "cell.bias_ih", "cell.bias_hh", "head.weight", "head.bias")

# No fastmath flags at all. The kernel is bound by the divider (one sqrt and one
# divide per weight per row), not by FMA or reassociation: on this machine
# {"contract"} or True measured within noise (<10%) of False, while False keeps
# IEEE op-by-op float32 semantics like torch's kernels and cannot let LLVM
# assume a NaN or inf away. What makes the loops vectorise is error_model="numpy"
# (below), not fastmath.
FASTMATH = False


# ----------------------------------------------------------------------------- layout
def _offsets(n_in: int, hidden: int):
    """Offsets of W_ih^T, W_hh^T, b_ih, b_hh, w_out, b_out in the flat vector, and its length."""
    G = 4 * hidden
    o_hh = n_in * G
    o_bih = o_hh + hidden * G
    o_bhh = o_bih + G
    o_wo = o_bhh + G
    o_bo = o_wo + hidden
    return 0, o_hh, o_bih, o_bhh, o_wo, o_bo, o_bo + 1


def _torch_shapes(n_in: int, hidden: int):
    G = 4 * hidden
    return ((G, n_in), (G, hidden), (G,), (G,), (1, hidden), (1,))


def _pack(arrays, n_in: int, hidden: int, dtype) -> np.ndarray:
    """Torch-layout arrays (PARAM_NAMES order) -> one flat vector in the kernel layout."""
    o_ih, o_hh, o_bih, o_bhh, o_wo, o_bo, n = _offsets(n_in, hidden)
    flat = np.empty(n, dtype=dtype)
    w_ih, w_hh, b_ih, b_hh, w_out, b_out = (np.asarray(a, dtype=np.float64) for a in arrays)
    flat[o_ih:o_hh] = w_ih.T.reshape(-1)
    flat[o_hh:o_bih] = w_hh.T.reshape(-1)
    flat[o_bih:o_bhh] = b_ih
    flat[o_bhh:o_wo] = b_hh
    flat[o_wo:o_bo] = w_out.reshape(-1)
    flat[o_bo:] = b_out.reshape(-1)
    return flat


def _unpack(flat: np.ndarray, n_in: int, hidden: int):
    """Flat kernel vector -> torch-layout arrays (copies), PARAM_NAMES order."""
    o_ih, o_hh, o_bih, o_bhh, o_wo, o_bo, _ = _offsets(n_in, hidden)
    G = 4 * hidden
    return [
        flat[o_ih:o_hh].reshape(n_in, G).T.copy(),
        flat[o_hh:o_bih].reshape(hidden, G).T.copy(),
        flat[o_bih:o_bhh].copy(),
        flat[o_bhh:o_wo].copy(),
        flat[o_wo:o_bo].reshape(1, hidden).copy(),
        flat[o_bo:].copy(),
    ]


def _dtype_name(dtype) -> str:
    """'float32'/'float64' from a name, numpy dtype or torch dtype (None: float32); else an error."""
    if dtype is None:
        return "float32"  # np.dtype(None) would silently mean float64
    if isinstance(dtype, torch.dtype):
        name = str(dtype).replace("torch.", "")
    else:
        try:
            name = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
        except TypeError:
            name = repr(dtype)
    if name not in ALLOWED_DTYPES:
        raise ValueError(f"dtype={dtype!r} is not allowed: use one of {ALLOWED_DTYPES}")
    return name


def _check_model(model) -> tuple[int, int]:
    """The model must be FrequencyLSTM-shaped: LSTMCell with biases + Linear(H, 1), nothing else."""
    cell, head = getattr(model, "cell", None), getattr(model, "head", None)
    if not isinstance(cell, torch.nn.LSTMCell) or not isinstance(head, torch.nn.Linear):
        raise TypeError(f"model={type(model).__name__} is not supported: the fused engine needs "
                        "a FrequencyLSTM-like module with .cell (nn.LSTMCell) and .head (nn.Linear)")
    if not cell.bias or head.bias is None or head.out_features != 1 or head.in_features != cell.hidden_size:
        raise ValueError("the fused engine needs LSTMCell(bias=True) and head = Linear(hidden, 1, bias=True); "
                         f"got cell bias={cell.bias}, head {head.in_features}->{head.out_features}")
    names = tuple(n for n, _ in model.named_parameters())
    if names != PARAM_NAMES:
        raise ValueError(f"model parameters {names} are not the fused layout {PARAM_NAMES}")
    return cell.input_size, cell.hidden_size


# ----------------------------------------------------------------------------- kernels
# error_model="numpy": no ZeroDivisionError branch inside the loops (that branch
# alone stops LLVM from vectorising them); IEEE results (inf/nan) instead, as torch.
_JIT = dict(cache=True, fastmath=FASTMATH, error_model="numpy")


@njit(**_JIT)
def _views(P, n_in, H):
    """The flat vector as (W rows, head): W rows are W_ih^T, W_hh^T, b_ih, b_hh, each 4H long."""
    G = 4 * H
    R = n_in + H + 2
    return P[:R * G].reshape(R, G), P[R * G:]


@njit(**_JIT)
def _gates_into(W, n_in, H, x, h, gates):
    """gates = (b_ih + b_hh) + W_ih x + W_hh h, as axpys over the rows of W^T."""
    G = 4 * H
    bi = n_in + H
    for r in range(G):
        gates[r] = W[bi, r] + W[bi + 1, r]
    for j in range(n_in):
        xj = x[j]
        for r in range(G):
            gates[r] += W[j, r] * xj
    for j in range(H):
        hj = h[j]
        for r in range(G):
            gates[r] += W[n_in + j, r] * hj


@njit(**_JIT)
def _cell_forward(gates, c, H, act, hn, cn, tc):
    """Gate order i, f, g, o (as torch). act keeps the activations for the backward."""
    one = gates.dtype.type(1.0)
    for k in range(H):
        ig = one / (one + np.exp(-gates[k]))
        fg = one / (one + np.exp(-gates[H + k]))
        gg = np.tanh(gates[2 * H + k])
        og = one / (one + np.exp(-gates[3 * H + k]))
        act[k] = ig
        act[H + k] = fg
        act[2 * H + k] = gg
        act[3 * H + k] = og
        cc = fg * c[k] + ig * gg
        t = np.tanh(cc)
        cn[k] = cc
        tc[k] = t
        hn[k] = og * t


@njit(**_JIT)
def _head_backward(head, H, yv, c, act, hn, tc, dg):
    """Prediction, MSE loss, d loss/d pred, and d loss/d gates into dg (one cell, state detached)."""
    one = head.dtype.type(1.0)
    two = head.dtype.type(2.0)
    pred = head[H]
    for k in range(H):
        pred += head[k] * hn[k]
    err = pred - yv
    loss = err * err
    dpred = two * err
    for k in range(H):
        ig = act[k]
        fg = act[H + k]
        gg = act[2 * H + k]
        og = act[3 * H + k]
        t = tc[k]
        dh = dpred * head[k]
        # autograd's order: mul backward, then sigmoid' = g*(1-y)*y, tanh' = g*(1-y*y)
        dc = dh * og * (one - t * t)
        dg[k] = dc * gg * (one - ig) * ig
        dg[H + k] = dc * c[k] * (one - fg) * fg
        dg[2 * H + k] = dc * ig * (one - gg * gg)
        dg[3 * H + k] = dh * t * (one - og) * og
    return pred, loss, dpred


@njit(**_JIT)
def _grad_norm(dg, x, h, hn, dpred):
    """Pre-clip global norm: sum over tensors of |outer product|^2 = |a|^2 |b|^2, in float64."""
    s_dg = 0.0
    for r in range(dg.shape[0]):
        s_dg += float(dg[r]) * float(dg[r])
    s_x = 0.0
    for j in range(x.shape[0]):
        s_x += float(x[j]) * float(x[j])
    s_h = 0.0
    s_hn = 0.0
    for k in range(h.shape[0]):
        s_h += float(h[k]) * float(h[k])
        s_hn += float(hn[k]) * float(hn[k])
    dp2 = float(dpred) * float(dpred)
    return math.sqrt(s_dg * (s_x + s_h + 2.0) + dp2 * (s_hn + 1.0))


@njit(**_JIT)
def _adam_row(W, Wm, Wv, j, sd, a, wd, b1c, b2, b2c, ss, ibc, eps, gnext, b):
    """One row of W^T: grad = sd*a (+ wd*W), torch's Adam update, then gnext += W_new * b.

    ibc = 1/sqrt(bias_correction2): torch divides by sqrt(bc2); multiplying by the
    reciprocal (one rounding apart) leaves the divider free for m/denom, ~20% faster.
    """
    for r in range(sd.shape[0]):
        p = W[j, r]
        g = sd[r] * a + wd * p
        m = Wm[j, r] + b1c * (g - Wm[j, r])
        v = b2 * Wv[j, r] + b2c * g * g
        p = p - ss * m / (np.sqrt(v) * ibc + eps)
        Wm[j, r] = m
        Wv[j, r] = v
        W[j, r] = p
        gnext[r] += p * b


@njit(**_JIT)
def _train_kernel(P, M, V, step, n_in, H, X, y, h, c, hyper, losses, norms, preds):
    """Rows in order: forward, one-cell backward, clip_grad_norm_, Adam; state carried in h, c.

    hyper = (lr, beta1, beta2, eps, weight_decay, max_norm); max_norm <= 0 disables clipping.
    preds gets each row's online prediction (before that row's step), as losses gets its loss.
    Returns the Adam step count after the last row.
    """
    ty = P.dtype.type
    G = 4 * H
    bi = n_in + H
    W, head = _views(P, n_in, H)
    Wm, hm = _views(M, n_in, H)
    Wv, hv = _views(V, n_in, H)
    lr, beta1, beta2, max_norm = hyper[0], hyper[1], hyper[2], hyper[5]
    eps, wd = ty(hyper[3]), ty(hyper[4])
    # torch: exp_avg.lerp_(grad, 1 - beta1); exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    b1c = ty(1.0 - beta1)
    b2 = ty(beta2)
    b2c = ty(1.0 - beta2)

    gates = np.empty(G, P.dtype)
    gnext = np.empty(G, P.dtype)
    act = np.empty(G, P.dtype)
    dg = np.empty(G, P.dtype)
    sd = np.empty(G, P.dtype)
    hn = np.empty(H, P.dtype)
    cn = np.empty(H, P.dtype)
    tc = np.empty(H, P.dtype)
    xzero = np.zeros(n_in, P.dtype)
    n = X.shape[0]
    if n == 0:
        return step
    _gates_into(W, n_in, H, X[0], h, gates)
    for t in range(n):
        x = X[t]
        _cell_forward(gates, c, H, act, hn, cn, tc)
        pred, loss, dpred = _head_backward(head, H, y[t], c, act, hn, tc, dg)
        losses[t] = loss
        preds[t] = pred
        total = _grad_norm(dg, x, h, hn, dpred)
        norms[t] = total
        coef = 1.0
        if max_norm > 0.0:
            cf = max_norm / (total + 1e-6)
            if cf < 1.0:
                coef = cf
        cft = ty(coef)
        for r in range(G):
            sd[r] = dg[r] * cft
        sdp = dpred * cft

        # Adam's scalars as torch forms them (Python floats), cast to the working dtype.
        step += 1
        fstep = float(step)
        ibc = ty(1.0 / (1.0 - beta2 ** fstep) ** 0.5)
        ss = ty(lr / (1.0 - beta1 ** fstep))
        xn = X[t + 1] if t + 1 < n else xzero

        # biases first: the next row's gates start from the updated b_ih + b_hh
        gnext[:] = 0
        _adam_row(W, Wm, Wv, bi, sd, ty(1.0), wd, b1c, b2, b2c, ss, ibc, eps, gnext, ty(1.0))
        _adam_row(W, Wm, Wv, bi + 1, sd, ty(1.0), wd, b1c, b2, b2c, ss, ibc, eps, gnext, ty(1.0))
        # W_ih^T rows: gradient sd * x_t, next gates += W_new * x_{t+1}
        for j in range(n_in):
            _adam_row(W, Wm, Wv, j, sd, x[j], wd, b1c, b2, b2c, ss, ibc, eps, gnext, xn[j])
        # W_hh^T rows: gradient sd * h_prev, next gates += W_new * h_new
        for j in range(H):
            _adam_row(W, Wm, Wv, n_in + j, sd, h[j], wd, b1c, b2, b2c, ss, ibc, eps, gnext, hn[j])
        # head: gradient dpred * h_new and dpred
        for k in range(H + 1):
            p = head[k]
            g = (sdp * hn[k] if k < H else sdp) + wd * p
            m = hm[k] + b1c * (g - hm[k])
            v = b2 * hv[k] + b2c * g * g
            head[k] = p - ss * m / (np.sqrt(v) * ibc + eps)
            hm[k] = m
            hv[k] = v
        for k in range(H):
            h[k] = hn[k]
            c[k] = cn[k]
        gates, gnext = gnext, gates
    return step


@njit(**_JIT)
def _predict_kernel(P, n_in, H, X, h, c, out):
    """Frozen forward: weights fixed, state carried in h, c; predictions into out."""
    G = 4 * H
    W, head = _views(P, n_in, H)
    gates = np.empty(G, P.dtype)
    act = np.empty(G, P.dtype)
    hn = np.empty(H, P.dtype)
    cn = np.empty(H, P.dtype)
    tc = np.empty(H, P.dtype)
    for t in range(X.shape[0]):
        _gates_into(W, n_in, H, X[t], h, gates)
        _cell_forward(gates, c, H, act, hn, cn, tc)
        pred = head[H]
        for k in range(H):
            pred += head[k] * hn[k]
        out[t] = pred
        for k in range(H):
            h[k] = hn[k]
            c[k] = cn[k]


@njit(**_JIT)
def _grads_kernel(P, n_in, H, x, yv, h, c, grads):
    """Debug: one row's forward + backward with the gradients materialised (flat kernel layout).

    Returns (pred, loss, pre-clip grad norm); h, c receive the new state.
    """
    G = 4 * H
    bi = n_in + H
    W, head = _views(P, n_in, H)
    gW, ghead = _views(grads, n_in, H)
    gates = np.empty(G, P.dtype)
    act = np.empty(G, P.dtype)
    dg = np.empty(G, P.dtype)
    hn = np.empty(H, P.dtype)
    cn = np.empty(H, P.dtype)
    tc = np.empty(H, P.dtype)
    _gates_into(W, n_in, H, x, h, gates)
    _cell_forward(gates, c, H, act, hn, cn, tc)
    pred, loss, dpred = _head_backward(head, H, yv, c, act, hn, tc, dg)
    total = _grad_norm(dg, x, h, hn, dpred)
    for r in range(G):
        for j in range(n_in):
            gW[j, r] = dg[r] * x[j]
        for j in range(H):
            gW[n_in + j, r] = dg[r] * h[j]
        gW[bi, r] = dg[r]
        gW[bi + 1, r] = dg[r]
    for k in range(H):
        ghead[k] = dpred * hn[k]
    ghead[H] = dpred
    for k in range(H):
        h[k] = hn[k]
        c[k] = cn[k]
    return pred, loss, total


# ----------------------------------------------------------------------------- parameters
@dataclass(eq=False)
class FusedParams:
    """Weights + Adam moments in the kernel's flat layout, convertible to/from torch.

    `theta`, `exp_avg`, `exp_avg_sq` are flat vectors (W_ih^T, W_hh^T, b_ih, b_hh,
    w_out, b_out); `step` is the Adam step count shared by all parameters.
    """

    input_size: int
    hidden_size: int
    theta: np.ndarray
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray
    step: int = 0

    @property
    def dtype(self) -> str:
        return self.theta.dtype.name

    @classmethod
    def from_model(cls, model, dtype="float32") -> "FusedParams":
        """Copy the model's weights (moments zero, step 0: a fresh Adam)."""
        name = _dtype_name(dtype)
        n_in, hidden = _check_model(model)
        arrays = [p.detach().cpu().double().numpy() for p in model.parameters()]
        theta = _pack(arrays, n_in, hidden, name)
        return cls(n_in, hidden, theta, np.zeros_like(theta), np.zeros_like(theta), 0)

    def torch_arrays(self, which: str = "theta") -> list:
        """'theta', 'exp_avg' or 'exp_avg_sq' as torch-layout numpy arrays, PARAM_NAMES order."""
        if which not in ("theta", "exp_avg", "exp_avg_sq"):
            raise ValueError(f"which={which!r} is not allowed: use 'theta', 'exp_avg' or 'exp_avg_sq'")
        return _unpack(getattr(self, which), self.input_size, self.hidden_size)

    def to_model(self, model) -> None:
        """Write the weights into the model's parameters (cast to the model's dtype)."""
        n_in, hidden = _check_model(model)
        if (n_in, hidden) != (self.input_size, self.hidden_size):
            raise ValueError(f"model is {n_in}->{hidden}, these parameters are {self.input_size}->{self.hidden_size}")
        with torch.no_grad():
            for p, a in zip(model.parameters(), self.torch_arrays("theta")):
                p.copy_(torch.from_numpy(a))

    def adam_state_dict(self, model, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0) -> dict:
        """The moments as `torch.optim.Adam(model.parameters(), ...).state_dict()` would hold them."""
        _check_model(model)
        opt = torch.optim.Adam(model.parameters(), lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        if self.step > 0:
            avg, avg_sq = self.torch_arrays("exp_avg"), self.torch_arrays("exp_avg_sq")
            for p, m, v in zip(model.parameters(), avg, avg_sq):
                opt.state[p] = {
                    "step": torch.tensor(float(self.step), dtype=torch.float32),
                    "exp_avg": torch.from_numpy(m).to(p.dtype),
                    "exp_avg_sq": torch.from_numpy(v).to(p.dtype),
                }
        return opt.state_dict()

    def load_adam_state_dict(self, state_dict: dict) -> dict:
        """Take the moments from a torch Adam state_dict; returns its param_groups[0] hyperparameters."""
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("state_dict must be a torch optimizer state_dict with 'state' and 'param_groups'")
        groups = state_dict["param_groups"]
        if len(groups) != 1 or len(groups[0].get("params", ())) != len(PARAM_NAMES):
            raise ValueError(f"expected one param group over the {len(PARAM_NAMES)} FrequencyLSTM parameters, got "
                             f"{[len(g.get('params', ())) for g in groups]}")
        group = groups[0]
        for flag in ("amsgrad", "maximize"):
            if group.get(flag, False):
                raise ValueError(f"Adam {flag}=True is not supported by the fused engine (allowed: False)")
        if group.get("decoupled_weight_decay", False):
            raise ValueError("decoupled_weight_decay=True (AdamW) is not supported by the fused engine "
                             "(allowed: False)")
        state = state_dict["state"]
        idx = list(group["params"])
        shapes = _torch_shapes(self.input_size, self.hidden_size)
        if not any(i in state for i in idx):
            self.exp_avg[:] = 0
            self.exp_avg_sq[:] = 0
            self.step = 0
            return group
        missing = [PARAM_NAMES[n] for n, i in enumerate(idx) if i not in state]
        if missing:
            raise ValueError(f"Adam state is missing for {missing}: all parameters or none must have state")
        steps = {float(state[i]["step"]) for i in idx}
        if len(steps) != 1:
            raise ValueError(f"Adam steps differ between parameters ({sorted(steps)}): "
                             "the fused engine shares one step count")
        avg, avg_sq = [], []
        for n, i in enumerate(idx):
            m = state[i]["exp_avg"].detach().cpu().double().numpy()
            v = state[i]["exp_avg_sq"].detach().cpu().double().numpy()
            if m.shape != shapes[n] or v.shape != shapes[n]:
                raise ValueError(f"Adam state for {PARAM_NAMES[n]} has shape {m.shape}, expected {shapes[n]}")
            avg.append(m)
            avg_sq.append(v)
        self.exp_avg[:] = _pack(avg, self.input_size, self.hidden_size, self.theta.dtype)
        self.exp_avg_sq[:] = _pack(avg_sq, self.input_size, self.hidden_size, self.theta.dtype)
        self.step = int(steps.pop())
        return group


# ----------------------------------------------------------------------------- inputs
def _as_array(a, name: str) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a)


def _rows(X, n_in: int, dtype, name: str = "X") -> np.ndarray:
    X = _as_array(X, name)
    if X.ndim != 2 or X.shape[1] != n_in:
        raise ValueError(f"{name} has shape {X.shape}: expected (rows, {n_in}), one row of {n_in} inputs per step")
    X = np.ascontiguousarray(X, dtype=dtype)
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or inf at row {int(np.argwhere(~np.isfinite(X))[0, 0])}")
    return X


def _targets(y, n_rows: int, dtype) -> np.ndarray:
    y = _as_array(y, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.shape != (n_rows,):
        raise ValueError(f"y has shape {y.shape}: expected ({n_rows},) or ({n_rows}, 1), one target per row of X")
    y = np.ascontiguousarray(y, dtype=dtype)
    if not np.all(np.isfinite(y)):
        raise ValueError(f"y contains NaN or inf at row {int(np.argwhere(~np.isfinite(y))[0, 0])}")
    return y


def _state_arrays(state, hidden: int, dtype):
    """(h, c) from None (zeros), numpy or torch, shape (H,) or (1, H) -> fresh contiguous copies."""
    if state is None:
        return np.zeros(hidden, dtype), np.zeros(hidden, dtype)
    try:
        h, c = state
    except (TypeError, ValueError):
        raise ValueError(f"state must be a pair (h, c), got {type(state).__name__}") from None
    out = []
    for name, s in (("h", h), ("c", c)):
        s = _as_array(s, name)
        if s.size != hidden or s.ndim > 2 or (s.ndim == 2 and s.shape[0] != 1):
            raise ValueError(f"state {name} has shape {s.shape}: expected ({hidden},) or (1, {hidden})")
        out.append(np.array(s.reshape(hidden), dtype=dtype))
    return out[0], out[1]


# ----------------------------------------------------------------------------- public API
def one_step_gradients(params: FusedParams, x, y, state=None) -> dict:
    """Debug: one row's loss, unclipped gradients (torch layout, by PARAM_NAMES) and grad norm.

    Uses the same compiled forward/backward as the trainer; nothing is updated.
    """
    x = _rows(_as_array(x, "x").reshape(1, -1), params.input_size, params.theta.dtype, "x")[0]
    yv = _targets(np.reshape(_as_array(y, "y"), 1), 1, params.theta.dtype)[0]
    h, c = _state_arrays(state, params.hidden_size, params.theta.dtype)
    grads = np.empty_like(params.theta)
    with first_call(_grads_kernel, params.dtype):
        pred, loss, norm = _grads_kernel(params.theta, params.input_size, params.hidden_size, x, yv, h, c, grads)
    return {
        "pred": float(pred), "loss": float(loss), "grad_norm": float(norm), "state": (h, c),
        "grads": dict(zip(PARAM_NAMES, _unpack(grads, params.input_size, params.hidden_size))),
    }


def predict_params(params: FusedParams, X, state=None):
    """Frozen forward over rows with state carried: (predictions float64, (h, c))."""
    X = _rows(X, params.input_size, params.theta.dtype)
    h, c = _state_arrays(state, params.hidden_size, params.theta.dtype)
    out = np.empty(X.shape[0], np.float64)
    with first_call(_predict_kernel, params.dtype):
        _predict_kernel(params.theta, params.input_size, params.hidden_size, X, h, c, out)
    return out, (h, c)


def predict_rows(model, X, state=None):
    """Frozen evaluation of a torch model: predictions (float64 numpy) and the final (h, c).

    Same numbers as `model.sequence` under no_grad, at the model's own dtype,
    without the autograd/dispatch cost; state starts at zeros unless given.
    """
    dtype = _dtype_name(next(model.parameters()).dtype)
    return predict_params(FusedParams.from_model(model, dtype), X, state)


def _hyper(cfg):
    opt = getattr(cfg, "optimizer", None)
    tr = getattr(cfg, "training", None)
    lr = getattr(opt, "learning_rate", 1e-3)
    betas = tuple(getattr(opt, "betas", (0.9, 0.999)))
    eps = getattr(opt, "eps", 1e-8)
    wd = getattr(opt, "weight_decay", 0.0)
    clip = getattr(tr, "clip_grad_norm", 1.0) if tr is not None else 1.0
    return lr, betas, eps, wd, clip


def _check_lr(lr) -> float:
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"learning rate {lr!r} is not allowed: give a finite number > 0")
    return float(lr)


class FusedEngine:
    """Engine "fused": the torch trainer's L=1 update, one compiled call per train_rows.

    It owns a working copy of the weights, the Adam moments and the carried
    state; `sync_to_model()` writes the weights back. Hyperparameters come from
    cfg.optimizer (learning_rate, betas, eps, weight_decay) and
    cfg.training.clip_grad_norm (None or 0: no clipping), with torch's defaults.
    """

    name = "fused"

    def __init__(self, model, cfg=None, dtype="float32"):
        self.model = model
        self.params = FusedParams.from_model(model, dtype)
        lr, betas, eps, wd, clip = _hyper(cfg)
        self.lr = _check_lr(lr)
        self._set_hyper(betas, eps, wd)
        if clip is not None and not (isinstance(clip, (int, float)) and not isinstance(clip, bool)
                                     and math.isfinite(clip) and clip >= 0):
            raise ValueError(f"clip_grad_norm={clip!r} is not allowed: give a number > 0, or None/0 for no clipping")
        self.clip = float(clip) if clip else 0.0
        self.last_predictions = None
        self.reset_state()

    def _set_hyper(self, betas, eps, wd):
        if len(betas) != 2 or not all(0.0 <= float(b) < 1.0 for b in betas):
            raise ValueError(f"betas={betas!r} is not allowed: give two numbers in [0, 1)")
        if not (math.isfinite(eps) and eps >= 0):
            raise ValueError(f"eps={eps!r} is not allowed: give a number >= 0")
        if not (math.isfinite(wd) and wd >= 0):
            raise ValueError(f"weight_decay={wd!r} is not allowed: give a number >= 0")
        self.betas, self.eps, self.weight_decay = (float(betas[0]), float(betas[1])), float(eps), float(wd)

    @property
    def dtype(self) -> str:
        return self.params.dtype

    def reset_state(self) -> None:
        """Zeros: the start of an epoch, and only there."""
        H = self.params.hidden_size
        self._h = np.zeros(H, self.params.theta.dtype)
        self._c = np.zeros(H, self.params.theta.dtype)

    @property
    def state(self):
        """The carried (h, c) as numpy copies, shape (hidden,)."""
        return self._h.copy(), self._c.copy()

    @state.setter
    def state(self, value):
        self._h, self._c = _state_arrays(value, self.params.hidden_size, self.params.theta.dtype)

    def set_lr(self, lr) -> None:
        self.lr = _check_lr(lr)

    def train_rows(self, X, y):
        """Train on rows in order, state carried and detached.

        Returns per-row losses (before that row's step) and pre-clip global grad
        norms, both float64 arrays. The rows' online predictions are kept in
        `last_predictions` (notebook 03 compares how far they move per row with the target).
        """
        p = self.params
        X = _rows(X, p.input_size, p.theta.dtype)
        y = _targets(y, X.shape[0], p.theta.dtype)
        losses = np.empty(X.shape[0], np.float64)
        norms = np.empty(X.shape[0], np.float64)
        self.last_predictions = np.empty(X.shape[0], np.float64)
        hyper = np.array([self.lr, self.betas[0], self.betas[1], self.eps, self.weight_decay, self.clip])
        with first_call(_train_kernel, p.dtype):
            p.step = int(_train_kernel(p.theta, p.exp_avg, p.exp_avg_sq, np.int64(p.step), p.input_size,
                                       p.hidden_size, X, y, self._h, self._c, hyper, losses, norms,
                                       self.last_predictions))
        return losses, norms

    def predict(self, X, state=None):
        """Frozen predictions (float64) from the current weights; its own state, zeros unless given."""
        return predict_params(self.params, X, state)[0]

    def sync_to_model(self) -> None:
        self.params.to_model(self.model)

    def sync_from_model(self) -> None:
        """Re-read the weights from the model (moments and state are kept)."""
        fresh = FusedParams.from_model(self.model, self.params.dtype)
        self.params.theta[:] = fresh.theta

    def optimizer_state(self) -> dict:
        """Moments and hyperparameters in torch Adam state_dict format (for self.model's parameters)."""
        return self.params.adam_state_dict(self.model, self.lr, self.betas, self.eps, self.weight_decay)

    def load_optimizer_state(self, state_dict: dict) -> None:
        """Load moments and, as torch's load_state_dict does, lr/betas/eps/weight_decay."""
        group = self.params.load_adam_state_dict(state_dict)
        lr = group.get("lr", self.lr)
        self.lr = _check_lr(float(lr))
        self._set_hyper(tuple(group.get("betas", self.betas)), float(group.get("eps", self.eps)),
                        float(group.get("weight_decay", self.weight_decay)))


__all__ = ["ALLOWED_DTYPES", "PARAM_NAMES", "FusedParams", "FusedEngine", "one_step_gradients",
           "predict_params", "predict_rows"]
