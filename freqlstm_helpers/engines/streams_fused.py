"""The compiled stream engine: stream_trainer's truncated-BPTT epoch, one numba call per epoch.

What it computes is `stream_trainer.window_step` window after window, as
`stream_trainer.train` drives it: every `stride` samples one window reaching
`window` samples back runs forward from the state saved at its first sample,
scores only its last `stride` outputs (MSE over those samples and all streams),
backpropagates through the whole window and no further, clips the global
gradient norm and takes one Adam step; the state at the window's end is saved
for the windows that start there. The arithmetic is torch's, operation by
operation (LSTM gate order i, f, g, o; autograd's backward formulas;
clip_grad_norm_; single-tensor Adam with eps after the bias-corrected sqrt).
Results differ from torch by float rounding only: summation order (torch's
GEMMs block differently), and exp/tanh. tests/test_streams_fused.py pins
float64 to torch float64 within 1e-9 and float32 to torch float32 as the same
distribution of runs.

Where the time goes: per step and stream, three 64x256 products (forward
W_hh h, backward W_hh^T dgates, and the dW_hh accumulation). Torch pays a
dozen small op dispatches per step on top of that; this pays the arithmetic,
written so LLVM vectorises it: four streams share each weight load, four
weight rows are folded per pass, dW_hh is one blocked product per window, and
the gate nonlinearities use an exp LLVM can vectorise (Cephes' expf, 1 ulp;
float64 uses libm's exp).

Parameters live in one flat vector in torch's own order and layout (W_ih,
W_hh, b_ih, b_hh, head.weight, head.bias, each row-major), so Adam is one loop
and converting to or from torch is a reshape.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from numba import njit

from ._compile_lock import first_call
from .l1_fused import ALLOWED_DTYPES, PARAM_NAMES, _check_lr, _check_model, _dtype_name, _hyper

# IEEE op by op except that a*b+c may become one fused multiply-add: the products
# here are bound by the multiply-add units, and FMA halves their instruction count.
# A CPU without FMA (or a profile that hides it) rounds those sums differently,
# as torch's own kernels do on other instruction sets.
FASTMATH = {"contract"}
_JIT = dict(cache=True, fastmath=FASTMATH, error_model="numpy")
CHUNK = 16  # backward steps whose dgates go into the weight gradients together (they stay in cache)


# ----------------------------------------------------------------------------- layout
@njit(**_JIT)
def _sizes(n_in, H):
    """Offsets of W_ih (G, n_in), W_hh (G, H), b_ih, b_hh, w_out (H), b_out in the flat vector; its length."""
    G = 4 * H
    o_hh = G * n_in
    o_bih = o_hh + G * H
    o_bhh = o_bih + G
    o_wo = o_bhh + G
    o_bo = o_wo + H
    return 0, o_hh, o_bih, o_bhh, o_wo, o_bo, o_bo + 1


def _torch_shapes(n_in: int, H: int):
    G = 4 * H
    return ((G, n_in), (G, H), (G,), (G,), (1, H), (1,))


def _flatten(arrays, dtype) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).reshape(-1) for a in arrays]).astype(dtype)


def _split(flat: np.ndarray, n_in: int, H: int) -> list:
    """Flat vector -> torch-layout arrays (copies), PARAM_NAMES order."""
    o = _sizes(n_in, H)
    return [flat[o[i]:o[i + 1]].reshape(s).copy() for i, s in enumerate(_torch_shapes(n_in, H))]


# ----------------------------------------------------------------------------- kernels
@njit(**_JIT)
def _exp_into(z, out, ibuf, negate):
    """out = exp(-z) if negate else exp(z), elementwise over 1-D arrays.

    float32: Cephes' expf (range reduction, degree-6 polynomial, 2^n written as
    exponent bits through an int32 view), about 1 ulp and vectorisable; libm's
    expf is a call per element. float64: libm.
    """
    n = z.shape[0]
    if z.itemsize == 4:
        f = np.float32
        fbuf = ibuf.view(np.float32)
        sgn = f(-1.0) if negate else f(1.0)
        for i in range(n):
            x = sgn * z[i]
            x = min(max(x, f(-87.0)), f(88.0))
            k = np.floor(x * f(1.44269504088896341) + f(0.5))
            r = x - k * f(0.693359375) - k * f(-2.12194440e-4)
            p = ((((f(1.9875691500e-4) * r + f(1.3981999507e-3)) * r + f(8.3334519073e-3)) * r
                  + f(4.1665795894e-2)) * r + f(1.6666665459e-1)) * r + f(5.0000001201e-1)
            p = p * (r * r) + r + f(1.0)
            ibuf[i] = (np.int32(k) + np.int32(127)) << 23
            out[i] = p * fbuf[i]
    else:
        for i in range(n):
            out[i] = np.exp(-z[i]) if negate else np.exp(z[i])


@njit(**_JIT)
def _activate(gates, H, e, ibuf, act, c_prev, c_new, tc, h_new):
    """Every stream's cell: gates (B, 4H) pre-activations -> act (i, f, g, o), c_new, tanh(c_new), h_new.

    float32 takes tanh(z) = 2 / (1 + exp(-2z)) - 1 (absolute error about 1 ulp
    of 1), reusing exp(-z)^2 for the g gates; float64 calls libm's tanh.
    """
    B, G = gates.shape
    one = gates.dtype.type(1.0)
    two = gates.dtype.type(2.0)
    n = B * G
    ef = e[:n]
    gf = gates.reshape(n)
    af = act.reshape(n)
    _exp_into(gf, ef, ibuf, True)              # exp(-z) for every gate of every stream
    for r in range(n):
        af[r] = one / (one + ef[r])            # sigmoid: i, f, o (g is replaced below)
    f32 = gates.itemsize == 4
    for b in range(B):
        eb = e[b * G + 2 * H:b * G + 3 * H]
        ab = act[b]
        gb = gates[b]
        if f32:
            for k in range(H):
                ab[2 * H + k] = two / (one + eb[k] * eb[k]) - one
        else:
            for k in range(H):
                ab[2 * H + k] = np.tanh(gb[2 * H + k])
        cp = c_prev[b]
        cn = c_new[b]
        for k in range(H):
            cn[k] = ab[H + k] * cp[k] + ab[k] * ab[2 * H + k]
    m = B * H
    cf = c_new.reshape(m)
    tf = tc.reshape(m)
    if f32:
        t2 = e[n:n + m]
        t3 = e[n + m:n + 2 * m]  # not in place: LLVM would not vectorise an overlapping in/out pair
        for k in range(m):
            t2[k] = two * cf[k]
        _exp_into(t2, t3, ibuf, True)
        for k in range(m):
            tf[k] = two / (one + t3[k]) - one
    else:
        for k in range(m):
            tf[k] = np.tanh(cf[k])
    for b in range(B):
        ab = act[b]
        tb = tc[b]
        hb = h_new[b]
        for k in range(H):
            hb[k] = ab[3 * H + k] * tb[k]


@njit(**_JIT)
def _add_matvec_T(WT, h, gates):
    """gates[b] += W h[b] for every stream, with W given transposed (WT: H x G).

    Four streams share each load of W^T's rows, four rows per pass.
    """
    B, H = h.shape
    G = WT.shape[1]
    H4 = H - H % 4
    b = 0
    while b + 4 <= B:
        g0 = gates[b]
        g1 = gates[b + 1]
        g2 = gates[b + 2]
        g3 = gates[b + 3]
        for j in range(0, H4, 4):
            w0 = WT[j]
            w1 = WT[j + 1]
            w2 = WT[j + 2]
            w3 = WT[j + 3]
            a0, a1, a2, a3 = h[b, j], h[b, j + 1], h[b, j + 2], h[b, j + 3]
            b0, b1, b2, b3 = h[b + 1, j], h[b + 1, j + 1], h[b + 1, j + 2], h[b + 1, j + 3]
            c0, c1, c2, c3 = h[b + 2, j], h[b + 2, j + 1], h[b + 2, j + 2], h[b + 2, j + 3]
            d0, d1, d2, d3 = h[b + 3, j], h[b + 3, j + 1], h[b + 3, j + 2], h[b + 3, j + 3]
            for r in range(G):
                x0 = w0[r]
                x1 = w1[r]
                x2 = w2[r]
                x3 = w3[r]
                g0[r] += x0 * a0 + x1 * a1 + x2 * a2 + x3 * a3
                g1[r] += x0 * b0 + x1 * b1 + x2 * b2 + x3 * b3
                g2[r] += x0 * c0 + x1 * c1 + x2 * c2 + x3 * c3
                g3[r] += x0 * d0 + x1 * d1 + x2 * d2 + x3 * d3
        for j in range(H4, H):
            w0 = WT[j]
            for q in range(4):
                hv = h[b + q, j]
                gq = gates[b + q]
                for r in range(G):
                    gq[r] += w0[r] * hv
        b += 4
    while b < B:
        gb = gates[b]
        for j in range(0, H4, 4):
            w0 = WT[j]
            w1 = WT[j + 1]
            w2 = WT[j + 2]
            w3 = WT[j + 3]
            a0, a1, a2, a3 = h[b, j], h[b, j + 1], h[b, j + 2], h[b, j + 3]
            for r in range(G):
                gb[r] += w0[r] * a0 + w1[r] * a1 + w2[r] * a2 + w3[r] * a3
        for j in range(H4, H):
            w0 = WT[j]
            hv = h[b, j]
            for r in range(G):
                gb[r] += w0[r] * hv
        b += 1


# Only here LLVM may reorder a sum: a dot product vectorises only as several partial
# sums. The order is fixed per build, so runs stay deterministic on one machine.
_JIT_DOT = dict(_JIT, fastmath={"contract", "reassoc"})


@njit(**_JIT_DOT)
def _set_matvec(WT, dg, dh):
    """dh[b] = W^T dg[b] for every stream (WT = W^T: H x G), as dot products over the gates."""
    B, G = dg.shape
    H = WT.shape[0]
    zero = dg.dtype.type(0.0)
    b = 0
    while b + 4 <= B:
        g0 = dg[b]
        g1 = dg[b + 1]
        g2 = dg[b + 2]
        g3 = dg[b + 3]
        for k in range(H):
            w = WT[k]
            s0 = zero
            s1 = zero
            s2 = zero
            s3 = zero
            for r in range(G):
                wr = w[r]
                s0 += wr * g0[r]
                s1 += wr * g1[r]
                s2 += wr * g2[r]
                s3 += wr * g3[r]
            dh[b, k] = s0
            dh[b + 1, k] = s1
            dh[b + 2, k] = s2
            dh[b + 3, k] = s3
        b += 4
    while b < B:
        gb = dg[b]
        for k in range(H):
            w = WT[k]
            s0 = zero
            for r in range(G):
                s0 += w[r] * gb[r]
            dh[b, k] = s0
        b += 1


@njit(**_JIT)
def _add_outer_sum_T(D, X, outT):
    """outT (K x G) += sum_n X[n] (x) D[n]: a window's weight gradient, transposed, eight samples per pass."""
    N, G = D.shape
    K = X.shape[1]
    N8 = N - N % 8
    for n in range(0, N8, 8):
        d0 = D[n]
        d1 = D[n + 1]
        d2 = D[n + 2]
        d3 = D[n + 3]
        d4 = D[n + 4]
        d5 = D[n + 5]
        d6 = D[n + 6]
        d7 = D[n + 7]
        for k in range(K):
            x0, x1, x2, x3 = X[n, k], X[n + 1, k], X[n + 2, k], X[n + 3, k]
            x4, x5, x6, x7 = X[n + 4, k], X[n + 5, k], X[n + 6, k], X[n + 7, k]
            o = outT[k]
            for r in range(G):
                o[r] += (d0[r] * x0 + d1[r] * x1 + d2[r] * x2 + d3[r] * x3
                         + d4[r] * x4 + d5[r] * x5 + d6[r] * x6 + d7[r] * x7)
    for n in range(N8, N):
        dn = D[n]
        for k in range(K):
            xv = X[n, k]
            o = outT[k]
            for r in range(G):
                o[r] += dn[r] * xv


@njit(**_JIT)
def _window(P, n_in, H, x, y, back, start, stop, h0, c0, ws, grad):
    """Forward from (h0, c0) over x[back:stop], loss on y[start:stop], backward into grad (zeroed here).

    Returns the loss (mean squared error over the scored samples and streams).
    Leaves the final state in ws's Hs[Tw], Cs[Tw].
    """
    Hs, Cs, A, TC, dG, gates, e, ibuf, dh, dc, WT, gTx, gT = ws
    ty = P.dtype.type
    one = ty(1.0)
    G = 4 * H
    B = x.shape[1]
    Tw = stop - back
    ns = stop - start
    o = _sizes(n_in, H)
    W_ih = P[o[0]:o[1]].reshape(G, n_in)
    W_hh = P[o[1]:o[2]].reshape(G, H)
    b_ih = P[o[2]:o[3]]
    b_hh = P[o[3]:o[4]]
    w_out = P[o[4]:o[5]]
    b_out = P[o[5]]
    # W_hh^T and W_ih^T for the forward's row axpys, and the summed bias
    for r in range(G):
        for j in range(H):
            WT[j, r] = W_hh[r, j]
    WiT = np.empty((n_in, G), P.dtype)
    for r in range(G):
        for j in range(n_in):
            WiT[j, r] = W_ih[r, j]
    bias = np.empty(G, P.dtype)
    for r in range(G):
        bias[r] = b_hh[r] + b_ih[r]

    # ---- forward
    Hs[0] = h0
    Cs[0] = c0
    for t in range(Tw):
        xt = x[back + t]
        for b in range(B):
            gb = gates[b]
            gb[:] = bias
            for j in range(n_in):
                xv = xt[b, j]
                wj = WiT[j]
                for r in range(G):
                    gb[r] += wj[r] * xv
        _add_matvec_T(WT, Hs[t], gates)
        _activate(gates, H, e, ibuf, A[t], Cs[t], Cs[t + 1], TC[t], Hs[t + 1])

    # ---- loss on the scored tail, and d loss / d prediction
    N = ns * B
    inv_n = one / ty(N)
    two = ty(2.0)
    total = 0.0
    grad[:] = 0
    o_wo, o_bo = o[4], o[5]
    dpred = np.zeros((Tw, B), P.dtype)
    for t in range(Tw - ns, Tw):
        for b in range(B):
            hb = Hs[t + 1, b]
            pred = b_out
            for k in range(H):
                pred += w_out[k] * hb[k]
            err = pred - y[start + t - (Tw - ns), b]
            total += float(err) * float(err)
            d = inv_n * (two * err)
            dpred[t, b] = d
            for k in range(H):
                grad[o_wo + k] += d * hb[k]
            grad[o_bo] += d

    # ---- backward through time, state at `back` detached; the weight gradients are
    # accumulated every CHUNK steps while that chunk of dgates is still in cache
    dh[:, :] = 0
    dc[:, :] = 0
    gT[:, :] = 0
    gTi = gTx[:n_in]
    gTi[:, :] = 0
    dGf = dG.reshape(dG.shape[0] * B, G)
    Hf = Hs.reshape(Hs.shape[0] * B, H)
    Xf = x.reshape(x.shape[0] * B, n_in)
    g_bih = grad[o[2]:o[3]]
    chunk_end = Tw
    for t in range(Tw - 1, -1, -1):
        for b in range(B):
            d = dpred[t, b]
            at = A[t, b]
            tct = TC[t, b]
            cp = Cs[t, b]
            dgt = dG[t, b]
            dhb = dh[b]
            dcb = dc[b]
            for k in range(H):
                dhk = dhb[k] + d * w_out[k]
                ig = at[k]
                fg = at[H + k]
                gg = at[2 * H + k]
                og = at[3 * H + k]
                tk = tct[k]
                dck = dcb[k] + dhk * og * (one - tk * tk)
                dgt[k] = dck * gg * (one - ig) * ig
                dgt[H + k] = dck * cp[k] * (one - fg) * fg
                dgt[2 * H + k] = dck * ig * (one - gg * gg)
                dgt[3 * H + k] = dhk * tk * (one - og) * og
                dcb[k] = dck * fg
        if t > 0:
            _set_matvec(WT, dG[t], dh)
        if t % CHUNK == 0:
            _add_outer_sum_T(dGf[t * B:chunk_end * B], Hf[t * B:chunk_end * B], gT)
            _add_outer_sum_T(dGf[t * B:chunk_end * B], Xf[(back + t) * B:(back + chunk_end) * B], gTi)
            for n in range(t * B, chunk_end * B):
                dn = dGf[n]
                for r in range(G):
                    g_bih[r] += dn[r]
            chunk_end = t

    # ---- weight gradients into torch's layout
    g_hh = grad[o[1]:o[2]].reshape(G, H)
    for r in range(G):
        for k in range(H):
            g_hh[r, k] = gT[k, r]
    g_ih = grad[o[0]:o[1]].reshape(G, n_in)
    for r in range(G):
        for j in range(n_in):
            g_ih[r, j] = gTi[j, r]
    grad[o[3]:o[4]] = g_bih
    return ty(total / N)


@njit(**_JIT)
def _clip_adam(P, M, V, grad, step, n_in, H, lr, beta1, beta2, eps, wd, max_norm):
    """clip_grad_norm_ (per-tensor norms, then their norm) and one torch Adam step; returns the new step."""
    ty = P.dtype.type
    o = _sizes(n_in, H)
    sq = 0.0
    for s in range(6):
        part = 0.0
        for i in range(o[s], o[s + 1]):
            part += float(grad[i]) * float(grad[i])
        nk = float(ty(math.sqrt(part)))  # torch keeps each tensor's norm in the working dtype
        sq += nk * nk
    total = ty(math.sqrt(sq))
    if max_norm > 0.0:
        coef = ty(max_norm) / (total + ty(1e-6))
        if coef < ty(1.0):
            for i in range(grad.shape[0]):
                grad[i] *= coef
    step += 1
    fstep = float(step)
    ss = ty(lr / (1.0 - beta1 ** fstep))
    bc2s = ty((1.0 - beta2 ** fstep) ** 0.5)
    b1c = ty(1.0 - beta1)
    b2 = ty(beta2)
    b2c = ty(1.0 - beta2)
    epst = ty(eps)
    wdt = ty(wd)
    for i in range(P.shape[0]):
        p = P[i]
        g = grad[i]
        if wd != 0.0:
            g = g + wdt * p
        m = M[i] + b1c * (g - M[i])
        v = b2 * V[i] + b2c * g * g
        M[i] = m
        V[i] = v
        P[i] = p - ss * m / (np.sqrt(v) / bc2s + epst)
    return step


@njit(**_JIT)
def _epoch_kernel(P, M, V, step, n_in, H, x, y, window, stride, lrs, hyper, losses):
    """One epoch: windows every `stride` samples, each reaching `window` back; state reset only here.

    hyper = (beta1, beta2, eps, weight_decay, max_norm); max_norm <= 0 disables clipping.
    losses[i] receives window i's loss; returns the Adam step count after the epoch.
    """
    T, B, _ = x.shape
    G = 4 * H
    dt = P.dtype
    Wmax = min(window, T)
    Hs = np.empty((Wmax + 1, B, H), dt)
    Cs = np.empty((Wmax + 1, B, H), dt)
    A = np.empty((Wmax, B, G), dt)
    TC = np.empty((Wmax, B, H), dt)
    dG = np.empty((Wmax, B, G), dt)
    gates = np.empty((B, G), dt)
    e = np.empty(B * (G + 2 * H), dt)
    ibuf = np.empty(B * (G + 2 * H), np.int32)
    dh = np.empty((B, H), dt)
    dc = np.empty((B, H), dt)
    WT = np.empty((H, G), dt)
    gT = np.empty((H, G), dt)
    gTx = np.empty((n_in, G), dt)
    ws = (Hs, Cs, A, TC, dG, gates, e, ibuf, dh, dc, WT, gTx, gT)
    grad = np.empty_like(P)
    R = window // stride + 1
    SH = np.zeros((R, B, H), dt)  # state at window boundaries (k * stride), a ring
    SC = np.zeros((R, B, H), dt)
    beta1, beta2, eps, wd, max_norm = hyper[0], hyper[1], hyper[2], hyper[3], hyper[4]
    n_win = (T + stride - 1) // stride
    for w in range(n_win):
        start = w * stride
        stop = min(start + stride, T)
        back = max(0, start - (window - stride))
        kb = (back // stride) % R
        losses[w] = _window(P, n_in, H, x, y, back, start, stop, SH[kb], SC[kb], ws, grad)
        Tw = stop - back
        ks = (w + 1) % R
        SH[ks] = Hs[Tw]
        SC[ks] = Cs[Tw]
        step = _clip_adam(P, M, V, grad, step, n_in, H, lrs[w], beta1, beta2, eps, wd, max_norm)
    return step


@njit(**_JIT)
def _window_grads(P, n_in, H, x, y, back, start, stop, h0, c0, grad):
    """Debug/test: one window's loss and unclipped gradients (flat), and the state at its end."""
    T, B, _ = x.shape
    G = 4 * H
    dt = P.dtype
    Wmax = stop - back
    ws = (np.empty((Wmax + 1, B, H), dt), np.empty((Wmax + 1, B, H), dt), np.empty((Wmax, B, G), dt),
          np.empty((Wmax, B, H), dt), np.empty((Wmax, B, G), dt), np.empty((B, G), dt), np.empty(B * (G + 2 * H), dt),
          np.empty(B * (G + 2 * H), np.int32), np.empty((B, H), dt), np.empty((B, H), dt), np.empty((H, G), dt),
          np.empty((n_in, G), dt), np.empty((H, G), dt))
    loss = _window(P, n_in, H, x, y, back, start, stop, h0, c0, ws, grad)
    return loss, ws[0][Wmax].copy(), ws[1][Wmax].copy()


@njit(**_JIT)
def _predict_kernel(P, n_in, H, x, h, c, out):
    """Frozen forward over x (T, B, n_in) from state (h, c) (updated in place); predictions into out (T, B)."""
    T, B, _ = x.shape
    G = 4 * H
    dt = P.dtype
    o = _sizes(n_in, H)
    W_ih = P[o[0]:o[1]].reshape(G, n_in)
    W_hh = P[o[1]:o[2]].reshape(G, H)
    b_ih = P[o[2]:o[3]]
    b_hh = P[o[3]:o[4]]
    w_out = P[o[4]:o[5]]
    WT = np.empty((H, G), dt)
    for r in range(G):
        for j in range(H):
            WT[j, r] = W_hh[r, j]
    gates = np.empty((B, G), dt)
    e = np.empty(B * (G + 2 * H), dt)
    ibuf = np.empty(B * (G + 2 * H), np.int32)
    act = np.empty((B, G), dt)
    tc = np.empty((B, H), dt)
    hn = np.empty((B, H), dt)
    cn = np.empty((B, H), dt)
    for t in range(T):
        for b in range(B):
            gb = gates[b]
            for r in range(G):
                gb[r] = b_hh[r] + b_ih[r]
            for j in range(n_in):
                xv = x[t, b, j]
                for r in range(G):
                    gb[r] += W_ih[r, j] * xv
        _add_matvec_T(WT, h, gates)
        _activate(gates, H, e, ibuf, act, c, cn, tc, hn)
        for b in range(B):
            pred = P[o[5]]
            for k in range(H):
                pred += w_out[k] * hn[b, k]
            out[t, b] = pred
        h[:, :] = hn
        c[:, :] = cn


# ----------------------------------------------------------------------------- the engine
def _as_array(a) -> np.ndarray:
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a)


class StreamsFusedEngine:
    """Engine "fused" for trainer "streams": stream_trainer's windows, one compiled call per epoch.

    Owns the working weights, Adam's moments and step; `sync_to_model()` writes
    the weights back into the torch model, `optimizer_state()` returns a torch
    Adam state_dict for the model's parameters and `load_optimizer_state()`
    takes one (as torch's load_state_dict does: moments, step and
    lr/betas/eps/weight_decay). Hyperparameters come from cfg.optimizer and
    cfg.training.clip_grad_norm; window and stride from cfg.streams.
    """

    name = "fused"

    def __init__(self, model, cfg, dtype="float32"):
        self.model = model
        self.n_in, self.hidden = _check_model(model)
        name = _dtype_name(dtype)
        self.theta = _flatten([p.detach().cpu().double().numpy() for p in model.parameters()], name)
        self.exp_avg = np.zeros_like(self.theta)
        self.exp_avg_sq = np.zeros_like(self.theta)
        self.step = 0
        lr, betas, eps, wd, clip = _hyper(cfg)
        self.lr = _check_lr(lr)
        self.betas, self.eps, self.weight_decay = (float(betas[0]), float(betas[1])), float(eps), float(wd)
        self.clip = float(clip) if clip else 0.0
        s = cfg.streams
        self.window, self.stride = int(s.window), int(s.stride)
        if self.stride < 1 or self.window < self.stride or self.window % self.stride:
            raise ValueError(f"window={self.window}, stride={self.stride}: the window must be a multiple "
                             "of the stride and at least as large")

    @property
    def dtype(self) -> str:
        return self.theta.dtype.name

    def _inputs(self, x, y):
        x = np.ascontiguousarray(_as_array(x), dtype=self.theta.dtype)
        y = np.ascontiguousarray(_as_array(y), dtype=self.theta.dtype)
        if x.ndim != 3 or x.shape[2] != self.n_in:
            raise ValueError(f"x has shape {x.shape}: expected (samples, streams, {self.n_in})")
        if y.shape != x.shape[:2]:
            raise ValueError(f"y has shape {y.shape}: expected {x.shape[:2]} (samples, streams)")
        return x, y

    def n_windows(self, n_samples: int) -> int:
        return -(-n_samples // self.stride)

    def train_epoch(self, x, y, lrs) -> np.ndarray:
        """One epoch from a zero state: per-window losses (float64). lrs[i] is window i's learning rate."""
        x, y = self._inputs(x, y)
        lrs = np.asarray(lrs, dtype=np.float64)
        n = self.n_windows(x.shape[0])
        if lrs.shape != (n,):
            raise ValueError(f"lrs has shape {lrs.shape}: expected ({n},), one learning rate per window")
        losses = np.empty(n, np.float64)
        hyper = np.array([self.betas[0], self.betas[1], self.eps, self.weight_decay, self.clip])
        with first_call(_epoch_kernel, (self.dtype, x.shape[1])):
            self.step = int(_epoch_kernel(self.theta, self.exp_avg, self.exp_avg_sq, np.int64(self.step),
                                          self.n_in, self.hidden, x, y, self.window, self.stride, lrs, hyper,
                                          losses))
        if len(lrs):
            self.lr = float(lrs[-1])
        return losses

    def window_gradients(self, x, y, back: int, start: int, stop: int, state=None) -> dict:
        """Debug: one window's loss, unclipped gradients (torch layout) and final state; nothing is updated."""
        x, y = self._inputs(x, y)
        B, H = x.shape[1], self.hidden
        h0, c0 = (np.zeros((B, H), self.theta.dtype) for _ in range(2)) if state is None else (
            np.ascontiguousarray(_as_array(s), dtype=self.theta.dtype).reshape(B, H) for s in state)
        grad = np.empty_like(self.theta)
        with first_call(_window_grads, self.dtype):
            loss, h, c = _window_grads(self.theta, self.n_in, H, x, y, back, start, stop, h0, c0, grad)
        return {"loss": float(loss), "state": (h, c),
                "grads": dict(zip(PARAM_NAMES, _split(grad, self.n_in, H)))}

    def predict(self, x, state=None) -> np.ndarray:
        """Frozen predictions (T, B) as float64, from zeros unless a state is given."""
        x = np.ascontiguousarray(_as_array(x), dtype=self.theta.dtype)
        B, H = x.shape[1], self.hidden
        h = np.zeros((B, H), self.theta.dtype) if state is None else np.array(_as_array(state[0]), self.theta.dtype)
        c = np.zeros((B, H), self.theta.dtype) if state is None else np.array(_as_array(state[1]), self.theta.dtype)
        out = np.empty(x.shape[:2], self.theta.dtype)
        with first_call(_predict_kernel, self.dtype):
            _predict_kernel(self.theta, self.n_in, H, x, h, c, out)
        return out.astype(np.float64)

    def torch_arrays(self, which: str = "theta") -> list:
        if which not in ("theta", "exp_avg", "exp_avg_sq"):
            raise ValueError(f"which={which!r} is not allowed: use 'theta', 'exp_avg' or 'exp_avg_sq'")
        return _split(getattr(self, which), self.n_in, self.hidden)

    def sync_to_model(self) -> None:
        with torch.no_grad():
            for p, a in zip(self.model.parameters(), self.torch_arrays("theta")):
                p.copy_(torch.from_numpy(a))

    def sync_from_model(self) -> None:
        """Re-read the weights from the model (moments and step are kept)."""
        self.theta[:] = _flatten([p.detach().cpu().double().numpy() for p in self.model.parameters()],
                                 self.theta.dtype)

    def optimizer_state(self) -> dict:
        """Moments, step and hyperparameters as torch.optim.Adam(model.parameters()).state_dict() holds them.

        Written out rather than built through torch.optim.Adam: the first Adam a
        process creates imports torch._dynamo, seconds this engine need not pay.
        tests/test_streams_fused.py checks the format against torch's.
        """
        params = list(self.model.parameters())
        group = {"lr": self.lr, "betas": self.betas, "eps": self.eps, "weight_decay": self.weight_decay,
                 "amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                 "differentiable": False, "fused": None, "decoupled_weight_decay": False,
                 "params": list(range(len(params)))}
        state = {}
        if self.step > 0:
            for i, (p, m, v) in enumerate(zip(params, self.torch_arrays("exp_avg"), self.torch_arrays("exp_avg_sq"))):
                state[i] = {"step": torch.tensor(float(self.step), dtype=torch.float32),
                            "exp_avg": torch.from_numpy(m).to(p.dtype),
                            "exp_avg_sq": torch.from_numpy(v).to(p.dtype)}
        return {"state": state, "param_groups": [group]}

    def load_optimizer_state(self, state_dict: dict) -> None:
        """Take moments, step and lr/betas/eps/weight_decay from a torch Adam state_dict."""
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("state_dict must be a torch optimizer state_dict with 'state' and 'param_groups'")
        groups = state_dict["param_groups"]
        if len(groups) != 1 or len(groups[0].get("params", ())) != len(PARAM_NAMES):
            raise ValueError(f"expected one param group over the {len(PARAM_NAMES)} FrequencyLSTM parameters")
        group = groups[0]
        for flag in ("amsgrad", "maximize", "decoupled_weight_decay"):
            if group.get(flag, False):
                raise ValueError(f"Adam {flag}=True is not supported by the fused stream engine (allowed: False)")
        state, idx = state_dict["state"], list(group["params"])
        shapes = _torch_shapes(self.n_in, self.hidden)
        if not any(i in state for i in idx):
            self.exp_avg[:] = 0
            self.exp_avg_sq[:] = 0
            self.step = 0
        else:
            if not all(i in state for i in idx):
                raise ValueError("Adam state must cover all parameters or none")
            steps = {float(state[i]["step"]) for i in idx}
            if len(steps) != 1:
                raise ValueError(f"Adam steps differ between parameters ({sorted(steps)})")
            m = [state[i]["exp_avg"].detach().cpu().double().numpy() for i in idx]
            v = [state[i]["exp_avg_sq"].detach().cpu().double().numpy() for i in idx]
            for n, (a, b) in enumerate(zip(m, v)):
                if a.shape != shapes[n] or b.shape != shapes[n]:
                    raise ValueError(f"Adam state for {PARAM_NAMES[n]} has shape {a.shape}, expected {shapes[n]}")
            self.exp_avg[:] = _flatten(m, self.theta.dtype)
            self.exp_avg_sq[:] = _flatten(v, self.theta.dtype)
            self.step = int(steps.pop())
        self.lr = _check_lr(float(group.get("lr", self.lr)))
        betas = tuple(group.get("betas", self.betas))
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = float(group.get("eps", self.eps))
        self.weight_decay = float(group.get("weight_decay", self.weight_decay))


__all__ = ["ALLOWED_DTYPES", "StreamsFusedEngine"]
