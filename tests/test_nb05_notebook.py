"""Notebook 05's results come from the student's functions (issue 19): the fitted FIR filter from their
`lagged_matrix` (05.1b), the tables from their `per_frequency_mse` (05.1a), the shifted test from their
`shifted_test` (05.2), the verdicts from their `classify_model` (05.3).

The notebook's code cells run here in one namespace (the instructor version, so the solutions are the
student's functions), with each solution replaced by a spy right after its cell. Sections 3-5 and 7-8 are
left out: nothing of sections 1, 2 and 6 depends on them. The models come from the run cache.
"""
import os
from pathlib import Path

import jupytext
import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
NB = Path(__file__).resolve().parents[1] / "notebooks" / "05_per_frequency_evaluation.py"
SKIP_FROM, RESUME_AT, STOP_AT = "## 3 ·", "## 6 ·", "### Optional experiment"
SPIED = ("per_frequency_mse", "lagged_matrix", "shifted_test", "classify_model")


class Spy:
    """Counts calls and keeps what the wrapped function returned (by identity)."""

    def __init__(self, fn):
        self.fn, self.calls, self.returned = fn, [], []

    def __call__(self, *args, **kwargs):
        out = self.fn(*args, **kwargs)
        self.calls.append(args)
        self.returned.append(out)
        return out

    def made(self, value) -> bool:
        return any(value is r for r in self.returned)


def code_cells():
    """The code cells of sections 1, 2 and 6 (up to the optional experiment), in order."""
    keep, out = True, []
    for cell in jupytext.read(NB).cells:
        if cell.cell_type == "markdown":
            if STOP_AT in cell.source:
                break
            keep = False if SKIP_FROM in cell.source else True if RESUME_AT in cell.source else keep
        elif keep:
            out.append(cell.source)
    return out


@pytest.fixture(scope="module")
def run():
    """Execute the cells; wrap each exercise's function in a Spy as soon as its cell has defined it."""
    os.environ.setdefault("FREQLSTM_HEADLESS", "1")
    ns, spies = {"__name__": "nb05_under_test"}, {}
    for src in code_cells():
        exec(compile(src, str(NB), "exec"), ns)
        for name in SPIED:
            if name in ns and name not in spies:
                spies[name] = ns[name] = Spy(ns[name])
    return ns, spies


def test_the_fitted_filter_is_fitted_from_the_students_lagged_matrix(run):
    ns, spies = run
    assert ns["LAGGED"].mine is True and ns["LAGGED"]._mine is spies["lagged_matrix"]
    learnable = ns["data"]["learnable"]
    fitted_from = [a for a in spies["lagged_matrix"].calls if a[1] == ns["TAPS"]]
    for split in ("train", "validation", "test"):
        assert any(a[0] is learnable[split].S for a in fitted_from), f"the {split} design is not the student's matrix"
    # The filter's Gram matrix is the student's matrix's: a matrix with its lag-0 column zeroed gives a filter
    # whose lag-0 weight is 0, which the course's own design could never give.
    poisoned = lambda S, taps: np.hstack([np.zeros((len(S), 1)), spies["lagged_matrix"].fn(S, taps)[:, 1:]])
    src = ns["nb05"].Source("05.1", poisoned, ns["nb05"].course_lagged_matrix, "test")
    fir, _, _ = ns["nb05"].fit_fir(src, learnable["train"], learnable["validation"], 50)
    assert np.abs(fir.weights[0]).max() < 1e-12 and np.abs(fir.weights[1]).max() > 1e-3


def test_the_tables_hold_the_students_per_frequency_mse(run):
    ns, spies = run
    assert ns["PER_FREQ"].mine is True and ns["PER_FREQ"]._mine is spies["per_frequency_mse"]
    rows = ns["rows"]
    assert len(rows) == 10 and all(spies["per_frequency_mse"].made(v) for v in rows.values())
    assert all(spies["per_frequency_mse"].made(h[p]) for h in ns["hard"].values() for p in h)


def test_the_shifted_test_and_the_verdicts_are_the_students(run):
    ns, spies = run
    assert ns["SHIFTED"].mine is True and ns["VERDICT"].mine is True
    corrected, blind, _ = ns["shift"].values()
    assert all(spies["shifted_test"].made(v) for v in (*corrected, *blind))
    assert len(spies["classify_model"].calls) >= len(ns["verdicts"])
    assert ns["verdicts"] == {"corrected (phase_scale 0.1)": "extracts",
                              "input-blind (S = 0), same recipe": "learned nothing",
                              "clock: sin(2πf·n/fs), ignores S": "counts time"}


def test_a_stub_falls_back_to_the_course_with_one_line(capsys):
    from freqlstm_helpers.teaching import nb05

    def stub(S, taps):
        raise NotImplementedError
    src = nb05.Source("05.1", stub, nb05.course_lagged_matrix, "the FIR filter's design matrix")
    S = np.arange(6.0)
    assert np.array_equal(src(S, 3), nb05.course_lagged_matrix(S, 3)) and src.mine is False
    src(S, 2)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "exercise 05.1 not done yet" in out and src.calls == 2


def test_two_predict_then_run_cells_and_one_optional_experiment():
    cells = jupytext.read(NB).cells
    predictions = [i for i, c in enumerate(cells) if c.cell_type == "code" and c.source.startswith("my_prediction = None")]
    assert len(predictions) >= 2
    for i in predictions:  # a plain cell, then a run that sets the prediction against what it measured
        assert not c_meta(cells[i]) and "predict.compare(my_prediction" in cells[i + 1].source
    assert sum("### Optional experiment" in c.source for c in cells if c.cell_type == "markdown") == 1
    assert (NB.parents[1] / "docs" / "rubrics" / "nb05.md").is_file()


def c_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})
