"""Notebooks 01 and 02 (issue 19): the student's functions carry the results, predictions come before
runs, one optional experiment with its rubric, and the exercises read in order.

Static checks of the .py twins, plus the executed instructor notebooks' own outputs: there every
exercise is solved, so no cell may have fallen back to the course's code.
"""
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

from freqlstm_helpers.teaching import predict

ROOT = Path(__file__).resolve().parents[1]
NB_DIR = ROOT / "notebooks"
STEMS = ["01_signals_and_fft", "02_l1_state_mechanics"]
EXERCISE = re.compile(r"^# Exercise (\d\d\.\d+)\s*$", re.M)
DEF = re.compile(r"^def (\w+)\(", re.M)
PREDICTION = re.compile(r"^my_prediction = None  # one of (.+)$", re.M)


def code_cells(stem):
    return [c.source for c in jupytext.read(NB_DIR / f"{stem}.py").cells if c.cell_type == "code"]


def exercises(stem):
    """[(id, function name, index of the solution cell among code cells)] in notebook order."""
    out = []
    for i, src in enumerate(code_cells(stem)):
        m = EXERCISE.search(src)
        if m and "### BEGIN SOLUTION" in src:
            out.append((m.group(1), DEF.search(src).group(1), i))
    return out


@pytest.mark.parametrize("stem", STEMS)
def test_exercises_read_in_order(stem):
    ids = [ex for ex, _, _ in exercises(stem)]
    assert ids == sorted(ids, key=lambda e: int(e.split(".")[1])), f"{stem}: exercises in the order {ids}"
    md = "\n".join(c.source for c in jupytext.read(NB_DIR / f"{stem}.py").cells if c.cell_type == "markdown")
    headings = re.findall(r"^# ### Exercise (\d)\.(\d+)|^### Exercise (\d)\.(\d+)", md, re.M)
    numbers = [f"{int(a or c):02d}.{b or d}" for a, b, c, d in headings]
    assert numbers == ids, f"{stem}: headings {numbers}, exercise cells {ids}"


@pytest.mark.parametrize("stem", STEMS)
def test_every_exercise_feeds_a_later_cell_through_mine_or_course(stem):
    cells = code_cells(stem)
    for ex, fn, i in exercises(stem):
        call = re.compile(rf'mine_or_course\(\s*"{re.escape(ex)}"')
        later = [call.split(src, 1)[1] for src in cells[i + 2:] if call.search(src)]
        assert later, f"{stem}: no cell after exercise {ex} runs it through mine_or_course(\"{ex}\", ...)"
        assert any(re.search(rf"\b{fn}\b", rest) for rest in later), \
            f"{stem}: exercise {ex}'s mine_or_course call does not use the student's {fn}"


@pytest.mark.parametrize("stem", STEMS)
def test_the_instructor_version_used_the_students_code_everywhere(stem):
    """In the executed instructor notebook every exercise is solved: no fallback line may appear."""
    nb = nbformat.read(NB_DIR / f"{stem}.ipynb", as_version=4)
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                     if o.output_type == "stream")
    assert "not done yet" not in text, f"{stem}: a cell fell back to the course's code in the instructor version"
    assert text.count("your code") >= len(exercises(stem)), f"{stem}: cells should say the result is the student's"


@pytest.mark.parametrize("stem", STEMS)
def test_predictions_come_before_their_runs(stem):
    cells = code_cells(stem)
    starts = [i for i, src in enumerate(cells) if PREDICTION.search(src)]
    for k, i in enumerate(starts):
        m = PREDICTION.search(cells[i])
        assert cells[i].strip() == m.group(0), f"{stem}: a prediction cell holds the prediction and nothing else"
        until = starts[k + 1] if k + 1 < len(starts) else len(cells)
        assert any("predict.compare(my_prediction" in src for src in cells[i + 1:until]), \
            f"{stem}: no cell compares the prediction of code cell {i} with a run before the next prediction"
    assert len(starts) >= 2, f"{stem}: {len(starts)} predict-then-run cells; the course asks for at least two"


def test_compare_refuses_a_prediction_outside_the_options():
    with pytest.raises(ValueError, match="my_prediction = 'maybe'"):
        predict.compare("maybe", "none", ("all four", "some", "none"))


@pytest.mark.parametrize("stem", STEMS)
def test_one_optional_experiment_with_a_rubric(stem):
    md = [c.source for c in jupytext.read(NB_DIR / f"{stem}.py").cells if c.cell_type == "markdown"]
    optional = [s for s in md if s.startswith("## Optional")]
    assert len(optional) == 1, f"{stem}: {len(optional)} optional experiments"
    rubric = f"docs/rubrics/nb{stem[:2]}.md"
    assert rubric in optional[0], f"{stem}: the optional experiment should name its rubric {rubric}"
    text = (ROOT / rubric).read_text()
    assert "What a good answer shows" in text and "What earns credit" in text


def test_the_online_loss_question_is_not_a_think_here():
    """Kept once, as notebook 03's Think!; notebooks 01 and 02 measure or point forward."""
    for stem in STEMS:
        md = "\n".join(c.source for c in jupytext.read(NB_DIR / f"{stem}.py").cells if c.cell_type == "markdown")
        for think in md.split("**Think!**")[1:]:
            prompt = think.split("<details", 1)[0].lower()
            assert "online" not in prompt and "training loss" not in prompt, f"{stem}: {prompt[:120]}"
