"""Notebook 03's key model comes from the student's train_l1_rows (issue 19).

The notebook's own cells run here: setup, the exercise 3.1 solution cell, then the
student's function is replaced by a spy (which counts calls and trains with the
compiled engine, so the test takes seconds), then the cell that trains the short
run and the cell that scores its model frozen. If the notebook trained its model
any other way, the spy would not be called and these tests fail.
"""
from pathlib import Path

import jupytext
import numpy as np
import pytest
import torch

from freqlstm_helpers.teaching import nb03

NB = Path(__file__).resolve().parents[1] / "notebooks" / "03_divergence_at_lr_1e-3.py"


def code_cells():
    return [c.source for c in jupytext.read(NB).cells if c.cell_type == "code"]


def the_cell(marker: str) -> str:
    found = [c for c in code_cells() if marker in c]
    assert len(found) == 1, f"expected one code cell with {marker!r}, found {len(found)}"
    return found[0]


class Spy:
    """Stands in for the student's train_l1_rows: records every model it trains, trains it with the fast engine."""

    def __init__(self, cfg):
        self.models, self.fast = [], nb03.course_rows(cfg)

    def __call__(self, model, optimizer, X, y, max_norm):
        self.models.append(model)
        return self.fast(model, optimizer, X, y, max_norm)


@pytest.fixture
def notebook():
    """The notebook's namespace after its setup cell and the 03.1 solution cell."""
    threads = torch.get_num_threads()
    ns = {}
    exec(compile(code_cells()[0], "nb03:setup", "exec"), ns)
    exec(compile(the_cell("# Exercise 03.1"), "nb03:ex03_1", "exec"), ns)
    yield ns
    torch.set_num_threads(threads)


def run_cell(ns, marker):
    exec(compile(the_cell(marker), f"nb03:{marker}", "exec"), ns)


def test_the_short_run_is_trained_by_the_students_function(notebook):
    spy = Spy(notebook["v1"])
    notebook["train_l1_rows"] = spy
    run_cell(notebook, "nb03.train_blocks(train_l1_rows")
    assert len(spy.models) == 1, f"the student's function was called {len(spy.models)} times, not once"
    assert notebook["mine"].mine is True
    short = notebook["short"]
    assert short.model is spy.models[0], "the short run's model must be the one the student's function trained"
    assert short.rows == 2 * notebook["train_ds"].n_samples
    run_cell(notebook, "yours_frozen = ")  # section 4 scores that same model frozen
    from freqlstm_helpers import trainer
    assert notebook["yours_frozen"]["test"]["mse"] == trainer.frozen_mse(spy.models[0], notebook["test_ds"])["mse"]


def test_later_cells_use_the_short_run_not_a_fresh_model():
    src = "\n".join(code_cells())
    for use in ("short.losses", "short.model", "short.blocks"):
        assert use in src, f"no later cell uses {use}"
    assert "cached_train(v1," in src and src.index("nb03.train_blocks(train_l1_rows") < src.index("cached_train(v1,"), \
        "the student's loop trains before the course's run is loaded"


def test_a_stub_falls_back_to_the_course_in_one_line(notebook, capsys):
    def stub(model, optimizer, X, y, max_norm):
        raise NotImplementedError()
    notebook["train_l1_rows"] = stub
    run_cell(notebook, "nb03.train_blocks(train_l1_rows")
    out = capsys.readouterr().out
    assert notebook["mine"].mine is False
    assert sum("[exercise 03.1 not done yet]" in line for line in out.splitlines()) == 1, out
    assert np.all(np.isfinite(notebook["short"].losses))


def test_a_wrong_solution_fails_loudly(notebook):
    notebook["train_l1_rows"] = lambda model, optimizer, X, y, max_norm: np.zeros(3)  # one loss per row is required
    with pytest.raises(ValueError, match="allowed: 20000 finite online losses"):
        run_cell(notebook, "nb03.train_blocks(train_l1_rows")


def test_the_experiment_checks_its_settings():
    from freqlstm_helpers import paths, trainer
    from freqlstm_helpers.config import load_config
    v1 = load_config(paths.configs_dir() / "v1_lr1e-3.yaml")
    train_ds, _ = trainer.datasets(v1)
    for bad, word in (({"hz": 2.0}, "hz=2.0"), ({"rows": 5}, "rows=5"), ({"lr": 0}, "lr=0")):
        with pytest.raises(ValueError, match=word):
            nb03.chase(nb03.course_rows(v1), v1, train_ds, **bad)
    got = nb03.chase(nb03.course_rows(v1), v1, train_ds, hz=1.0, rows=400)
    assert got.online.shape == (400,) and np.isfinite(got.frozen)


def test_the_case_files_links_into_notebook_03_have_targets():
    """Every `03_...ipynb#anchor` link in docs/the_case.md names a markdown heading of notebook 03 (MyST's slugs)."""
    import re
    from myst_parser.slugs import github_slugify
    case = (NB.parents[1] / "docs" / "the_case.md").read_text()
    anchors = re.findall(r"03_divergence_at_lr_1e-3\.ipynb#([\w\-]+)\)", case)
    assert "1--the-reproduction" in anchors, "the case file links to section 1, The reproduction"
    headings = {github_slugify(line.lstrip("#").strip()) for c in jupytext.read(NB).cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("#")}
    assert set(anchors) <= headings, f"anchors without a heading: {sorted(set(anchors) - headings)}"
