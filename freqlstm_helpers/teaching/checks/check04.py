"""Notebook 04 (the corrected run): the self-checks of exercises 04.1-04.2; 04.2b drives the student's window through the stream trainer.

A notebook imports it as `check`: `from freqlstm_helpers.teaching.checks import check04 as check`.
"""
from __future__ import annotations

import numpy as np

from .core import *  # noqa: F401,F403  (verdicts, cmp, staged hints: the shared core)


CONCEPTS = {  # the idea behind each exercise: what a first failure says
    "04.1": ('Early stopping counts epochs since the last real improvement; small gains below min_delta do not '
             'count.'),
    "04.2": ('Cover every step exactly once, in order, with windows of k steps. A window runs from the carried '
             'state, scores only the steps it is asked to, and hands a state on with no graph attached.'),
}
register_concepts(CONCEPTS)


# (history, patience, min_delta) -> 1-based epoch at which training stops, or None.
# Worked out by hand: stop after `patience` epochs in a row that fail to beat the
# best so far by more than min_delta.
_EARLY_STOP_CASES = [
    ([0.5, 0.4, 0.3, 0.2], 2, 0.0, None),
    ([0.5, 0.4, 0.41, 0.42], 2, 0.0, 4),
    ([0.5, 0.4, 0.41, 0.39, 0.395, 0.396], 2, 0.0, 6),
    ([0.5, 0.4995, 0.4992, 0.4991], 3, 0.001, 4),  # improvements smaller than min_delta don't count
    ([0.3, 0.3, 0.3], 1, 0.0, 2),
    ([0.1, 0.2, 0.05, 0.2, 0.2, 0.2], 3, 0.0, 6),
]


@exercise
def early_stop_epoch(fn) -> CheckResult:
    """04.1: the epoch at which patience-based early stopping ends a run."""
    def comparisons(fn):
        out = []
        for i, (hist, patience, min_delta, expected) in enumerate(_EARLY_STOP_CASES):
            got = fn(list(hist), patience, min_delta)
            out.append(_case(f"case {i}", got == expected,
                             f"history {hist}, patience {patience}, min_delta {min_delta}: "
                             f"you returned {got!r}, expected {expected!r}"))
        return out
    result = run_check("04.1 early_stop_epoch", fn, comparisons, "")
    return _with_detail(result, fn, comparisons,
                        "Hint: track the best value; an epoch improves only if it beats best - min_delta; "
                        "count epochs since the last improvement and stop when the count reaches patience.")


@exercise
def tbptt_windows(fn) -> CheckResult:
    """04.2a: split n steps into consecutive truncated-BPTT windows of k steps (the last may be shorter)."""
    cases = [(10, 5, [(0, 5), (5, 10)]), (10, 4, [(0, 4), (4, 8), (8, 10)]), (3, 50, [(0, 3)]),
             (10_000, 50, [(i, i + 50) for i in range(0, 10_000, 50)])]

    def comparisons(fn):
        out = []
        for n, k, expected in cases:
            got = [tuple(int(v) for v in w) for w in fn(n, k)]
            out.append(_case(f"n={n}, k={k}", got == expected,
                             f"n={n}, k={k}: you returned {got[:4]}{' ...' if len(got) > 4 else ''}, "
                             f"expected {expected[:4]}{' ...' if len(expected) > 4 else ''}"))
        return out
    result = run_check("04.2a tbptt_windows", fn, comparisons, "")
    return _with_detail(result, fn, comparisons,
                        "Hint: windows start at 0, k, 2k, ... and stop at min(start + k, n).")


@exercise
def window_step(fn) -> CheckResult:
    """04.2b: one truncated-BPTT window, driven through the stream trainer's own bookkeeping, window by window."""
    from ...config import load_config
    from ...paths import configs_dir
    from ... import stream_trainer
    cfg = load_config(configs_dir() / "corrected.yaml")
    hint = ("Hint: run the whole window from the carried state with model.sequence, score only its last "
            "len(y_scored) outputs, then zero_grad, backward, clip, step, and return the loss with the "
            "final state detached.")
    stopped, mine = _run_student_loop("04.2b window_step", lambda: stream_trainer.first_windows(cfg, 6, step=fn), hint,
                                      "backward reached into the previous window's graph: return the final "
                                      "state detached.")
    if stopped is not None:  # a CheckResult is falsy unless it passed
        return stopped
    ref = stream_trainer.first_windows(cfg, 6)
    c = cmp("window losses", mine["losses"], ref["losses"], atol=1e-6, rtol=0)
    w = max(float((mine["state_dict"][k] - v).abs().max()) for k, v in ref["state_dict"].items())
    if c["approx"] and w <= 1e-6:
        return CheckResult("04.2b window_step", PASSED, f"the first 6 windows match the stream trainer: max |loss "
                           f"difference| {c['maxdiff']:.3g}, max |weight difference| {w:.3g}.")
    if not c["approx"]:
        k = int(np.argmax(np.abs(mine["losses"] - ref["losses"]) > 1e-6))
        why = (f"window {k}'s loss differs ({mine['losses'][k]:.6g} vs {ref['losses'][k]:.6g})"
               + (": the first window already differs, so check which outputs you score." if k == 0 else
                  ": the first windows agree, so check the update and the state you return."))
    else:
        why = f"the losses agree but the weights after 6 windows differ by up to {w:.3g}: check clip and step."
    return CheckResult("04.2b window_step", FAILED, f"{why} {hint}")


def windows_and_step(tbptt_windows_fn, window_step_fn) -> None:
    """04.2, both parts: where the windows fall, and one window of truncated BPTT over the four streams."""
    together((tbptt_windows, tbptt_windows_fn), (window_step, window_step_fn))
