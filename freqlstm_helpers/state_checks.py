"""The report's "nine state checks", written as checks that run.

The diagnostic report says a state debugger passed nine checks without naming
them. These are the nine the course believes they were. Each one watches the
reference trainer (TorchEngine) while it trains on real rows and returns
pass/fail with the evidence. Passing them shows that the implementation does
what the L=1 regime says. It does not show that the regime can learn.
"""
from __future__ import annotations

import gc
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from .config import TrainConfig
from .data import Dataset
from .model import FrequencyLSTM


@dataclass(frozen=True)
class StateCheck:
    name: str
    passed: bool
    evidence: str


class _Recorder:
    """Wraps model.step to record what goes in and out of every row, and grabs grads before each Adam step."""

    def __init__(self, engine, snapshot_rows=()):
        self.engine, self.rows = engine, []
        self.grads, self.snapshots = [], {}
        model = engine.model
        self._step = model.step

        def step(x, state):
            if len(self.rows) in snapshot_rows:
                self.snapshots[len(self.rows)] = {k: v.detach().clone() for k, v in model.state_dict().items()}
            pred, new = self._step(x, state)
            self.rows.append({"x": x.detach().clone(), "h_in": state[0], "c_in": state[1],
                              "h_out": new[0], "c_out": new[1], "pred": pred, "nodes": _graph_nodes(pred)})
            return pred, new

        model.step = step
        self._hook = engine.optimizer.register_step_pre_hook(
            lambda opt, args, kwargs: self.grads.append([p.grad.detach().clone() for p in engine.params]))

    def close(self):
        del self.engine.model.step  # back to the class method
        self._hook.remove()


def graph_nodes(t) -> int:
    """How many autograd nodes the tensor t depends on: walk back from t.grad_fn, counting each node once."""
    seen, stack = set(), [t.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        stack.extend(f for f, _ in fn.next_functions)
    return len(seen)


_graph_nodes = graph_nodes  # the name the recorder below has always used


def outputs_over_rows(model: FrequencyLSTM, X, carry: bool):
    """Run the model over the rows in order without training: (outputs, |h| after each row).

    carry=True is the L=1 regime (the state goes from row to row); carry=False
    resets it to zeros before every row, so each output depends on its own row only.
    """
    X = torch.as_tensor(np.asarray(X, dtype=np.float32))
    state = model.initial_state()
    outs, hnorm = [], []
    with torch.no_grad():
        for r in range(len(X)):
            if not carry:
                state = model.reset()            # <- reset: forget everything before this row
            pred, state = model.step(X[r:r + 1], state)
            state = model.detach(state)          # <- detach: keep the values, cut the graph
            outs.append(pred.item())
            hnorm.append(state[0].norm().item())
    return np.array(outs), np.array(hnorm)


def _is_tensor(o) -> bool:
    try:
        return isinstance(o, torch.Tensor)
    except ReferenceError:  # a weakref.proxy whose object is gone: isinstance asks it for its class
        return False


def _live_tensors() -> int:
    gc.collect()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # some torch module attributes warn when inspected
        return sum(1 for o in gc.get_objects() if _is_tensor(o))


def run_state_checks(ds: Dataset, cfg: TrainConfig | None = None, rows: int = 200) -> list[StateCheck]:
    """Train the reference engine on `rows` rows either side of the f1 -> f2 block boundary and check it."""
    from .trainer import TorchEngine

    cfg = cfg or TrainConfig()
    N = ds.n_samples
    lo, hi = N - rows // 2, N + rows // 2
    X, y = ds.X[lo:hi], ds.y[lo:hi]

    def engine_for(seed):
        return TorchEngine(FrequencyLSTM.seeded(seed, hidden_size=cfg.model.hidden_size), cfg)

    eng = engine_for(cfg.seed)
    eng.reset_state()
    probe = rows // 2 + 7  # a row just after the block boundary
    rec = _Recorder(eng, snapshot_rows={probe})
    try:
        eng.train_rows(X[:rows // 4], y[:rows // 4])        # two calls: the state must survive the seam
        losses = eng.train_rows(X[rows // 4:], y[rows // 4:])[0]
    finally:
        rec.close()
    R = rec.rows
    H = cfg.model.hidden_size
    checks = []

    carried = all(torch.equal(R[i + 1]["h_in"], R[i]["h_out"]) and torch.equal(R[i + 1]["c_in"], R[i]["c_out"])
                  for i in range(len(R) - 1))
    checks.append(StateCheck("state is carried row to row", carried,
                             f"state entering row r+1 == state leaving row r for all {len(R) - 1} pairs"))

    zero_after_first = [i for i in range(1, len(R)) if not R[i]["h_in"].any() and not R[i]["c_in"].any()]
    checks.append(StateCheck("state is not reset inside the epoch", not zero_after_first and not R[0]["h_in"].any(),
                             f"zero state only at the first row; zero states later: {len(zero_after_first)}"))

    detached = all(R[i]["h_in"].grad_fn is None and not R[i]["h_in"].requires_grad for i in range(1, len(R)))
    checks.append(StateCheck("state is detached", detached, "every incoming (h, c) has no grad_fn"))

    nodes = {r["nodes"] for r in R}
    checks.append(StateCheck("graph does not grow", len(nodes) == 1, f"autograd nodes behind each prediction: {sorted(nodes)}"))

    plain = engine_for(cfg.seed)  # no recorder: it would hold tensors itself
    plain.reset_state()
    plain.train_rows(X[:rows // 2], y[:rows // 2])
    before = _live_tensors()
    plain.train_rows(X[rows // 2:], y[rows // 2:])
    after = _live_tensors()
    checks.append(StateCheck("memory is flat", after - before <= 2,
                             f"live tensors after {rows // 2} and after {rows} rows: {before} / {after}"))

    shapes = all(r["x"].shape == (1, cfg.model.input_size) and r["h_out"].shape == (1, H)
                 and r["c_out"].shape == (1, H) and r["pred"].shape == (1,) for r in R)
    checks.append(StateCheck("shapes are right", shapes, f"x (1, 5), h and c (1, {H}), prediction (1,)"))

    b = rows // 2  # index of the first f2 row in this window
    boundary = (R[b - 1]["x"][0, 1] == 1 and R[b]["x"][0, 2] == 1
                and torch.equal(R[b]["h_in"], R[b - 1]["h_out"]) and R[b]["h_in"].any())
    checks.append(StateCheck("block boundary carries the state", bool(boundary),
                             "at the f1 -> f2 boundary the one-hot switches and the state is carried, not reset"))

    eng2 = engine_for(cfg.seed)
    eng2.reset_state()
    again = np.concatenate([eng2.train_rows(X[:rows // 4], y[:rows // 4])[0], eng2.train_rows(X[rows // 4:], y[rows // 4:])[0]])
    same = np.array_equal(again[rows // 4:], losses)
    checks.append(StateCheck("deterministic for a seed", same, "same seed, same rows -> identical per-row losses"))

    # the gradient of row r equals one cell's gradient with the incoming state as a constant
    ref = FrequencyLSTM.seeded(cfg.seed, hidden_size=H)
    ref.load_state_dict(rec.snapshots[probe])
    r = R[probe]
    pred, _ = ref.step(r["x"], (r["h_in"].detach(), r["c_in"].detach()))
    loss = (pred - torch.as_tensor(y[probe:probe + 1])).pow(2).mean()
    g_ref = torch.autograd.grad(loss, list(ref.parameters()))
    diff = max(float((a - b_).abs().max()) for a, b_ in zip(rec.grads[probe], g_ref))
    checks.append(StateCheck("no gradient leaks across rows", diff < 1e-6,
                             f"row {probe}: engine grad vs single-cell autograd, max |diff| {diff:.1e}"))
    return checks
