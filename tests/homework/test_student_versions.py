"""Student versions: no solution survives, they execute, and every self-check tells stub from solution.

Runs after nbval in `make test`, so the run caches the notebooks made are warm.
"""
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from freqlstm_helpers import check, homework

ROOT = Path(__file__).resolve().parents[2]
NB_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("0*.ipynb"))
CHECK_CALL = re.compile(r"check\.(\w+)\((\w+)\)")


def load(path):
    return nbformat.read(path, as_version=4)


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    homework.write_student_versions(NB_DIR, out)
    return out


def all_exercises():
    found = []
    for path in NOTEBOOKS:
        nb = load(path)
        for ex in homework.exercises(nb, path.name):
            nxt = next(c for c in nb.cells[ex.cell_index + 1:] if c.cell_type == "code")
            m = CHECK_CALL.search(nxt.source)
            found.append(pytest.param(path, ex, m, id=f"{ex.exercise_id}"))
    return found


EXERCISES = all_exercises()


def test_every_notebook_has_two_exercises():
    for path in NOTEBOOKS:
        ids = {e.exercise_id for e in homework.exercises(load(path), path.name)}
        assert len(ids) >= 2, f"{path.name} has exercises {sorted(ids)}; the course asks for at least two"


@pytest.mark.parametrize("path, ex, call", EXERCISES)
def test_exercise_is_followed_by_its_self_check(path, ex, call):
    assert call, f"{path.name} exercise {ex.exercise_id}: the next code cell must call check.<name>(<function>)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_solution_text_survives(path, student_dir):
    nb = load(path)
    outside = "\n".join(homework.strip_solutions(c.source, "x") for c in nb.cells if c.cell_type == "code")
    student_text = (student_dir / path.name).read_text() + (student_dir / (path.stem + ".py")).read_text()
    for ex in homework.exercises(nb, path.name):
        for line in ex.solution.split("\n"):
            s = line.strip()
            if len(s) < 8 or s.startswith("#") or s in outside:
                continue  # too short to be evidence, a comment, or also legitimately outside a solution
            assert s not in student_text, f"{path.name} {ex.exercise_id}: solution line survives: {s!r}"
    for cell in load(student_dir / path.name).cells:
        assert cell.get("outputs", []) == [] and not cell.metadata, "student notebooks carry no outputs or metadata"


def _namespace(path):
    setup = next(c for c in load(path).cells if c.cell_type == "code")
    ns = {}
    exec(compile(setup.source, f"{path.name}:setup", "exec"), ns)
    return ns


@pytest.mark.parametrize("path, ex, call", EXERCISES)
def test_self_check_tells_stub_from_solution(path, ex, call):
    nb = load(path)
    cell = nb.cells[ex.cell_index].source
    check_fn, fn_name = getattr(check, call.group(1)), call.group(2)
    solved = _namespace(path)
    exec(compile(cell, f"{path.name}:{ex.exercise_id}", "exec"), solved)
    stub = _namespace(path)
    exec(compile(homework.strip_solutions(cell, ex.exercise_id), "stub", "exec"), stub)
    res_stub, res_sol = check_fn(stub[fn_name]), check_fn(solved[fn_name])
    assert res_stub.status == check.NOT_DONE, str(res_stub)
    assert res_sol.status == check.PASSED, str(res_sol)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_notebook_executes(path, student_dir):
    nb = load(student_dir / path.name)
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(NB_DIR)}}).execute()
    verdicts = homework.check_verdicts(nb)
    ids = {e.exercise_id for e in homework.exercises(load(path), path.name)}
    assert set(verdicts) == ids, f"checks seen {sorted(verdicts)}, exercises {sorted(ids)}"
    assert set(verdicts.values()) == {check.NOT_DONE}, verdicts
