"""Notebook 02 (L=1 state mechanics): the self-checks of exercises 02.1-02.3.

A notebook imports it as `check`: `from freqlstm_helpers.teaching.checks import check02 as check`.
"""
from __future__ import annotations

import numpy as np

from .core import *  # noqa: F401,F403  (verdicts, cmp, staged hints: the shared core)


CONCEPTS = {  # the idea behind each exercise: what a first failure says
    "02.1": ('An LSTM step is four gates computed from the same input and state, then two updates: first the '
             'cell, then the output.'),
    "02.2": ('Go backwards from the loss one operation at a time, the chain rule at each; the incoming state '
             'is a constant here.'),
    "02.3": ("The control must differ from the carried-state run in one thing only: where each row's state "
             'comes from.'),
}
register_concepts(CONCEPTS)


def _cell_and_inputs(seed: int, hidden: int = 64, batch_free: bool = True):
    import torch
    g = torch.Generator().manual_seed(seed)
    cell = torch.nn.LSTMCell(5, hidden)
    head = torch.nn.Linear(hidden, 1)
    with torch.no_grad():
        for p in list(cell.parameters()) + list(head.parameters()):
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    x = torch.randn(5, generator=g)
    h = torch.randn(hidden, generator=g) * 0.5
    c = torch.randn(hidden, generator=g) * 0.5
    y = torch.randn((), generator=g)
    return cell, head, x, h, c, y


@exercise
def lstm_step(fn) -> CheckResult:
    """02.1: one LSTM step by hand, against nn.LSTMCell on the same weights."""
    def comparisons(fn):
        import torch
        out = []
        for seed in (0, 1):
            cell, _, x, h, c, _ = _cell_and_inputs(seed)
            with torch.no_grad():
                h_ref, c_ref = cell(x[None], (h[None], c[None]))
                h_mine, c_mine = fn(x, h, c, cell.weight_ih.detach(), cell.weight_hh.detach(),
                                    cell.bias_ih.detach(), cell.bias_hh.detach())
            out += [cmp("h_new", h_mine, h_ref[0], atol=1e-5), cmp("c_new", c_mine, c_ref[0], atol=1e-5)]
        return out
    return run_check("02.1 lstm_step", fn, comparisons,
                     "Hint: gates = W_ih@x + b_ih + W_hh@h + b_hh, split in order i, f, g, o; "
                     "sigmoid for i, f, o and tanh for g; c_new = f*c + i*g; h_new = o*tanh(c_new).")


@exercise
def one_step_gradient(fn) -> CheckResult:
    """02.2: the gradient of one row's loss through one cell (state detached), against autograd."""
    def comparisons(fn):
        import torch
        cell, head, x, h, c, y = _cell_and_inputs(3)
        params = {"W_ih": cell.weight_ih, "W_hh": cell.weight_hh, "b_ih": cell.bias_ih, "b_hh": cell.bias_hh,
                  "w_out": head.weight[0], "b_out": head.bias[0]}
        h_new, _ = cell(x[None], (h[None], c[None]))  # h, c carry no graph: they are detached state
        loss = (h_new[0] @ params["w_out"] + params["b_out"] - y) ** 2
        ref = dict(zip(params, torch.autograd.grad(loss, list(params.values()))))
        with torch.no_grad():
            mine = fn(x, h, c, y, {k: v.detach().clone() for k, v in params.items()})
        if not isinstance(mine, dict) or set(mine) != set(params):
            raise TypeError(f"return a dict with keys {sorted(params)}")
        return [cmp(k, mine[k], ref[k], atol=1e-5) for k in params]
    return run_check("02.2 one_step_gradient", fn, comparisons,
                     "Hint: start from dL/dpred = 2*(pred - y); dh = dL/dpred * w_out; then "
                     "dc = dh*o*(1 - tanh(c_new)^2); each gate's pre-activation gradient times x (or h) "
                     "gives the weight gradient; b_ih and b_hh get the same gradient.")


def _floats(x) -> np.ndarray:
    """The student's outputs as a flat float64 array: a tensor, an array, or a list of numbers or tensors."""
    if isinstance(x, (list, tuple)):
        return np.array([float(np.asarray(_to_numpy(v)).reshape(-1)[0]) for v in x], dtype=np.float64)
    return np.asarray(_to_numpy(x), dtype=np.float64).reshape(-1)


@exercise
def reset_outputs(fn) -> CheckResult:
    """02.3: the reset control: every row from a zero state, weights unchanged; against one batched call."""
    def comparisons(fn):
        import torch
        from ...model import FrequencyLSTM
        out = []
        for seed, n in ((4, 40), (5, 90)):
            X = np.random.default_rng(seed).normal(size=(n, 5)).astype(np.float32)
            model = FrequencyLSTM.seeded(seed)
            before = {k: v.clone() for k, v in model.state_dict().items()}
            with torch.no_grad():  # reference: all n rows side by side as one batch, each from zeros
                ref = model.step(torch.from_numpy(X), model.initial_state(n))[0].numpy()
                state, carried = model.initial_state(1), []
                for i in range(n):  # the state carried instead: what the control must not do
                    pred, state = model.step(torch.from_numpy(X[i:i + 1]), state)
                    carried.append(float(pred))
            got = _floats(fn(model, X.copy()))
            c = cmp(f"outputs (seed {seed}, {n} rows)", got, ref, atol=1e-5, rtol=0)
            if not c["approx"] and c["shape_ok"] and np.allclose(got, carried, atol=1e-5):
                c["detail"] = "your outputs match a run that carries the state from row to row: reset it before every row"
            elif not c["approx"] and c["shape_ok"]:
                k = int(np.argmax(np.abs(got - ref) > 1e-5))
                c["detail"] = (f"row {k} differs ({got[k]:.6g} vs {ref[k]:.6g})" + (
                    ": the first row already differs, so check the step itself" if k == 0 else
                    f": rows 0-{k - 1} agree, so check what state row {k} starts from"))
            elif not c["approx"]:
                c["detail"] = f"you returned {got.size} outputs for {n} rows: one output per row"
            out.append(c)
            out.append(_case("weights unchanged", all(torch.equal(v, model.state_dict()[k]) for k, v in before.items()),
                             "your function changed the model's weights: the control only runs the model"))
        return out
    hint = ("Hint: under torch.no_grad(), give every row a fresh zero state (model.initial_state(), which "
            "model.reset() also returns), step the model on that one row, and collect the predictions as floats.")
    return _with_detail(run_check("02.3 reset_outputs", fn, comparisons, ""), fn, comparisons, hint)
