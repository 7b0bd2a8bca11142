"""Notebook 04 (issue 19): the student's window_step trains the run the story uses, in a folder of its own.

A run trained with someone's window function is cached under a hash of that
function's source, never in the course's folder; with the stub in place the
notebook falls back to the course's run in one line; and the notebook's own
key-run cell, executed with a spy for window_step, trains with the spy and hands
that run on as `fix` (the model Part C scores).
"""
import json
import linecache
import re
from pathlib import Path
from types import SimpleNamespace

import jupytext
import pytest

from freqlstm_helpers import runs, stream_trainer
from freqlstm_helpers.config import ConfigError, TrainConfig
from freqlstm_helpers.teaching import fallback, nb04
from tests.test_nb01_notebook import NB_DIR, answered_thinks, short_cells

STEM = "04_corrected_30_epoch_run"
TINY = {"name": "tiny04", "trainer": "streams", "engine": "torch", "training.num_epochs": 2, "data.duration": 0.6,
        "data.phase_scale": 0.1, "streams.window": 100, "streams.stride": 50}


def tiny_cfg():
    return TrainConfig().with_overrides({"trainer": "streams"}).with_overrides(TINY)


def Spy():
    """window_step with a call counter (its own source, so its own run folder)."""
    def spy(model, optimizer, x_win, y_scored, state, max_norm):
        spy.calls += 1
        return stream_trainer.window_step(model, optimizer, x_win, y_scored, state, max_norm)
    spy.calls = 0
    return spy


def stub(model, optimizer, x_win, y_scored, state, max_norm):
    raise NotImplementedError()


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("FREQLSTM_RUNS", str(tmp_path))
    return tmp_path


def test_a_step_run_has_its_own_folder_and_is_cached(runs_dir):
    cfg, spy = tiny_cfg(), Spy()
    r = runs.cached_train(cfg, step=spy, progress=False)
    n_windows = len(range(0, int(cfg.data.duration * cfg.data.fs), cfg.streams.stride))
    assert spy.calls == cfg.training.num_epochs * n_windows
    assert r.run_dir == runs.step_run_dir(cfg, spy) != runs.default_run_dir(cfg)
    assert r.run_dir.name.endswith(f"-step-{runs.step_hash(spy)}")
    again = runs.cached_train(cfg, step=spy, progress=False)
    assert spy.calls == cfg.training.num_epochs * n_windows, "a finished run is loaded, not trained again"
    assert again.metrics == r.metrics
    course = runs.cached_train(cfg, progress=False)
    assert course.run_dir != r.run_dir


def test_the_hash_follows_the_source():
    def a(model, optimizer, x_win, y_scored, state, max_norm):
        return 1

    def b(model, optimizer, x_win, y_scored, state, max_norm):
        return 2
    assert runs.step_hash(a) != runs.step_hash(b)
    assert runs.step_hash(a) == runs.step_hash(a)
    assert runs.step_hash(stream_trainer.window_step) != runs.step_hash(a)


def test_a_step_needs_the_torch_stream_engine():
    with pytest.raises(ConfigError, match="engine='fused' cannot run a Python window function"):
        runs.cached_train(tiny_cfg().replace(engine="fused"), step=Spy(), progress=False)
    with pytest.raises(ConfigError, match="step= is for trainer 'streams'"):
        runs.cached_train(TrainConfig(), step=Spy(), progress=False)


def test_a_stub_leaves_no_folder_and_falls_back(runs_dir, capsys):
    cfg = tiny_cfg()
    got = fallback.mine_or_course("04.2", lambda: runs.cached_train(cfg, step=stub, progress=False),
                                  lambda: "the course's run", "the run")
    assert (got.value, got.mine) == ("the course's run", False)
    assert "exercise 04.2 not done yet" in capsys.readouterr().out
    assert not runs.step_run_dir(cfg, stub).exists(), "a stub's crash must not leave a run folder behind"


# --- the notebook's own cells ---------------------------------------------------------------
def cells():
    return jupytext.read(NB_DIR / f"{STEM}.py").cells


def key_cell() -> str:
    found = [c.source for c in cells() if c.cell_type == "code" and re.search(r"^fix = mine\.value", c.source, re.M)]
    assert len(found) == 1, "notebook 04 has one cell that sets `fix = mine.value` (the key model)"
    return found[0]


def test_the_key_model_comes_from_the_students_window_step(runs_dir):
    """Run the notebook's key-run cell with a spy as window_step: the spy trains, and `fix` is its run."""
    course_run = SimpleNamespace(run_dir=Path("runs/the-course's-run"), epochs_run=30,
                                 config=SimpleNamespace(engine="fused"))
    ns = {"runs": runs, "fallback": fallback, "corrected": tiny_cfg().replace(engine="fused"), "PROGRESS": False,
          "band": {0: course_run}, "window_step": Spy()}
    exec(compile("import numpy as np\n" + key_cell(), f"{STEM}:key run", "exec"), ns)
    assert ns["window_step"].calls > 0, "the key run must be trained by the student's window_step"
    assert ns["mine"].mine and ns["fix"] is ns["mine"].value and ns["fix"] is not course_run
    assert ns["fix"].run_dir.name.endswith(runs.step_hash(ns["window_step"]))
    ns.update(window_step=stub)
    exec(compile("import numpy as np\n" + key_cell(), f"{STEM}:key run", "exec"), ns)
    assert not ns["mine"].mine and ns["fix"] is course_run, "with the stub, the course's seed 0 run"


def _solution(name: str):
    """The notebook's solution function, with its source findable as in a kernel."""
    src = next(c.source for c in cells() if c.cell_type == "code" and f"def {name}(" in c.source
               and "### BEGIN SOLUTION" in c.source)
    fname = f"<{STEM} {name}>"
    linecache.cache[fname] = (len(src), None, src.splitlines(True), fname)
    ns = {}
    exec(compile(src, fname, "exec"), ns)
    return ns[name]


def test_the_executed_notebook_used_the_solutions_run():
    """The committed outputs: the key run's folder carries the hash of the notebook's own window_step."""
    nb = json.loads((NB_DIR / f"{STEM}.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    cell = next(c for c in code if re.search(r"^fix = mine\.value", "".join(c["source"]), re.M))
    text = "".join("".join(o.get("text", "")) for o in cell["outputs"] if o["output_type"] == "stream")
    assert f"-step-{runs.step_hash(_solution('window_step'))}" in text, text
    assert "your code" in text


def test_notebook_04_reads_well():
    for check in (short_cells, answered_thinks):  # the intro's links: tests/test_notebook_style.py
        check(STEM)
    md = "\n".join(c.source for c in cells() if c.cell_type == "markdown")
    assert md.index("# Appendix") > md.index("## Summary"), "CPU-profile material sits in the appendix"
    assert "(checked below)" not in md
    code = [c.source for c in cells() if c.cell_type == "code"]
    assert sum("predict.compare(" in c for c in code) >= 2, "two predict-then-run cells"
    assert sum(c.lstrip().startswith("my_prediction") for c in code) >= 2
    assert "Optional experiment" in md
