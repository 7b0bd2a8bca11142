"""Notebook 03 (divergence at LR 1e-3): the self-checks of exercises 03.1-03.3; 03.1a runs the student's L=1 loop against the reference engine.

A notebook imports it as `check`: `from freqlstm_helpers.teaching.checks import check03 as check`.
"""
from __future__ import annotations

import numpy as np

from .core import *  # noqa: F401,F403  (verdicts, cmp, staged hints: the shared core)


CONCEPTS = {  # the idea behind each exercise: what a first failure says
    "03.1": ('One row is one step, one loss and one optimiser step; what you carry to the next row must not '
             'drag the old graph with it. Rows are frequency-major: the losses come in equal consecutive '
             'blocks, one per frequency.'),
    "03.2": ("The blind control removes the signal and nothing else, and must leave the caller's data "
             'untouched. Frozen means no learning at all while scoring, but the state still flows from row to row.'),
    "03.3": 'The predictor may only use targets it has already seen.',
}
register_concepts(CONCEPTS)


@exercise
def block_means(fn) -> CheckResult:
    """03.1b: per-frequency-block means of per-row losses (rows are frequency-major)."""
    def comparisons(fn):
        rng = np.random.default_rng(31)
        out = []
        for n_blocks, n in ((4, 10), (4, 2500), (3, 7)):
            losses = rng.random(n_blocks * n)
            ref = [sum(losses[b * n:(b + 1) * n]) / n for b in range(n_blocks)]
            out.append(cmp(f"{n_blocks}x{n}", fn(losses, n_blocks), np.array(ref)))
        return out
    return run_check("03.1b block_means", fn, comparisons,
                     "Hint: block b holds rows b*n ... (b+1)*n - 1 with n = len(losses) // n_blocks; "
                     "a reshape to (n_blocks, n) does it.")


@exercise
def last_target_mse(fn) -> CheckResult:
    """03.3: the online MSE of a predictor that answers each row with the previous row's target."""
    def comparisons(fn):
        out = []
        for f in (1.0, 7.0):
            y = np.sin(2 * np.pi * f * np.arange(2000) / 1000.0)
            prev = 0.0
            total = 0.0
            for v in y:  # the predictor has seen rows up to r-1 only
                total += (v - prev) ** 2
                prev = v
            out.append(cmp(f"{f:g} Hz", fn(y), total / len(y), atol=1e-12))
        return out
    return run_check("03.3 last_target_mse", fn, comparisons,
                     "Hint: the prediction for row r is y[r-1] (and 0 for the first row); "
                     "average the squared errors over all rows.")




def _l1_reference(n_rows: int, seed: int = 0, reset_every_row: bool = False):
    """Per-row online losses of the reference engine (TorchEngine: fused Adam, clip 1.0) on the report's rows."""
    import torch
    from ...config import TrainConfig
    from ...data import SignalConfig, build_dataset
    from ...model import FrequencyLSTM
    from ...trainer import TorchEngine
    ds = build_dataset(SignalConfig(), split="train")
    X, y = ds.X[:n_rows], ds.y[:n_rows]
    engine = TorchEngine(FrequencyLSTM.seeded(seed), TrainConfig())
    if not reset_every_row:
        return X, y, engine.train_rows(X, y)[0].astype(np.float64)
    out = []
    for i in range(n_rows):  # the classic mistake: a fresh zero state for every row
        engine.reset_state()
        out.append(engine.train_rows(X[i:i + 1], y[i:i + 1])[0][0])
    return X, y, np.array(out, np.float64)


def _students_l1(fn, X, y, seed: int = 0):
    import torch
    from ...model import FrequencyLSTM, one_thread
    model = FrequencyLSTM.seeded(seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    with one_thread():  # as the reference engine runs
        losses = fn(model, opt, X, y, 1.0)
    return np.asarray(_to_numpy(losses), dtype=np.float64).reshape(-1)


@exercise
def l1_epoch(fn) -> CheckResult:
    """03.1a: the L=1 loop, row for row against the reference engine from the same weights (2,000 rows)."""
    n = 2000
    hint = ("Hint: per row: step the model from the carried state, take the squared error, clear the old "
            "gradients, backward, clip the global norm, step the optimiser, then detach the state you carry on.")
    X, y, ref = _l1_reference(n)
    stopped, mine = _run_student_loop("03.1a train_l1_rows", lambda: _students_l1(fn, X, y), hint,
                                      "backward ran into the previous row's graph: the state you carry still "
                                      "holds it. Detach the state after each step (model.detach).")
    if stopped is not None:  # a CheckResult is falsy unless it passed
        return stopped
    c = cmp("losses", mine, ref, atol=1e-6, rtol=0)
    if c["approx"]:
        return CheckResult("03.1a train_l1_rows", PASSED, f"{'exact' if c['exact'] else 'approx'} match with the reference "
                           f"engine over {n} rows, max |difference| {c['maxdiff']:.3g}.")
    if not c["shape_ok"]:
        return CheckResult("03.1a train_l1_rows", FAILED, f"you returned shape {c['shape']}, expected ({n},): one "
                           f"online loss per row. {hint}")
    first = int(np.argmax(np.abs(mine - ref) > 1e-6))
    _, _, reset = _l1_reference(min(n, 50), reset_every_row=True)
    if np.allclose(mine[:50], reset, atol=1e-6):
        why = "your losses match a loop that resets the state to zeros on every row: carry it instead."
    elif first == 0:
        why = "the very first row's loss differs, before any update: check the forward step and the loss."
    else:
        why = (f"rows 0-{first - 1} agree, row {first} differs ({mine[first]:.6g} vs {ref[first]:.6g}): "
               f"the update itself (zero_grad, clip, step order) or the carried state is off.")
    return CheckResult("03.1a train_l1_rows", FAILED, f"{why} {hint}")


@exercise
def blind_rows(fn) -> CheckResult:
    """03.2a: the input-blind rows: S zeroed, the one-hot kept, the original rows untouched."""
    def comparisons(fn):
        rng = np.random.default_rng(34)
        X = rng.normal(size=(12, 5)).astype(np.float32)
        before = X.copy()
        got = np.asarray(fn(X))
        want = before.copy()
        want[:, 0] = 0.0
        return [cmp("blind rows", got, want, atol=0), _case("input untouched", np.array_equal(X, before),
                                                            "your function changed the rows it was given")]
    return _with_detail(run_check("03.2a blind_rows", fn, comparisons,
                                  "Hint: work on a copy; column 0 is S, columns 1-4 are the one-hot."),
                        fn, comparisons, "Hint: work on a copy; only column 0 (S) changes.")


@exercise
def frozen_mse(fn) -> CheckResult:
    """03.2b: frozen MSE: weights fixed, state carried from zeros through all rows, no gradients."""
    def comparisons(fn):
        import torch
        from ...model import FrequencyLSTM
        from ...trainer import frozen_predict
        out = []
        for seed, n in ((1, 300), (2, 700)):
            rng = np.random.default_rng(seed)
            X = rng.normal(size=(n, 5)).astype(np.float32)
            y = rng.normal(size=n).astype(np.float32)
            model = FrequencyLSTM.seeded(seed)
            before = {k: v.clone() for k, v in model.state_dict().items()}
            pred, _ = frozen_predict(model, X)
            got = float(fn(model, X, y))
            out.append(cmp(f"seed {seed}", got, float(np.mean((pred - y) ** 2)), atol=1e-6, rtol=1e-5))
            out.append(_case("weights unchanged", all(torch.equal(v, model.state_dict()[k]) for k, v in before.items()),
                             "your function changed the model's weights: frozen means no optimiser step"))
        return out
    hint = ("Hint: under torch.no_grad(), step through every row from a zero state, carrying the state "
            "(no reset, no update), collect the predictions, then average the squared errors.")
    return _with_detail(run_check("03.2b frozen_mse", fn, comparisons, hint), fn, comparisons, hint)


def loop_and_blocks(train_l1_rows_fn, block_means_fn) -> None:
    """03.1, both parts: the L=1 loop, and the block means that summarise its per-row losses."""
    together((l1_epoch, train_l1_rows_fn), (block_means, block_means_fn))


def blind_and_frozen(blind_rows_fn, frozen_mse_fn) -> None:
    """03.2, both parts: the input-blind rows, and the frozen MSE that scores a model without training it."""
    together((blind_rows, blind_rows_fn), (frozen_mse, frozen_mse_fn))
