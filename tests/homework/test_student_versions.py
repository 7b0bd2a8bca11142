"""Student versions: nbgrader metadata in the source, nothing of a solution survives, and every
self-check tells stub from solution (printing its verdict; raising only on FAILED, so that a
student's Run All goes on past an exercise not done yet).

Runs after nbval in `make test`, so the run caches the notebooks made are warm.
"""
import re
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

from freqlstm_helpers import check
from freqlstm_helpers.grading import course as homework
from freqlstm_helpers.grading.specs import NOTEBOOKS as SPECS
from tests.homework.conftest import NB_DIR

NOTEBOOKS = sorted(NB_DIR.glob("0*.ipynb"))
# Notebooks converted to nbgrader so far; a later one joins by getting the metadata (INSTRUCTORS.md).
MUST_BE_GRADED = {p.stem for p in NOTEBOOKS}  # every notebook's exercises carry nbgrader metadata
CHECK_CALL = re.compile(r"^check\.(\w+)\(([\w, ]+)\)", re.M)
EXERCISE = re.compile(r"^#\s*Exercise\s+(\d\d)\.(\d+)\s*$", re.M)
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"


def load(path):
    return nbformat.read(path, as_version=4)


def nbg(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def exercises(nb):
    """[(exercise id 'NN.M', index of its solution cell, index of the next code cell)] in notebook order."""
    found = []
    for i, c in enumerate(nb.cells):
        if c.cell_type == "code" and BEGIN in c.source:
            m = EXERCISE.search(c.source)
            assert m, f"cell {i}: a solution region needs an '# Exercise NN.M' line in its cell"
            nxt = next(j for j in range(i + 1, len(nb.cells)) if nb.cells[j].cell_type == "code")
            found.append((f"{m.group(1)}.{m.group(2)}", i, nxt))
    return found


def all_exercises():
    out = []
    for path in NOTEBOOKS:
        nb = load(path)
        for ex, i, nxt in exercises(nb):
            out.append(pytest.param(path, ex, i, nxt, id=ex))
    return out


EXERCISES = all_exercises()


def test_every_notebook_has_two_exercises():
    for path in NOTEBOOKS:
        ids = {ex for ex, _, _ in exercises(load(path))}
        assert len(ids) >= 2, f"{path.name} has exercises {sorted(ids)}; the course asks for at least two"


@pytest.mark.parametrize("path, ex, i, nxt", EXERCISES)
def test_exercise_is_followed_by_its_self_check(path, ex, i, nxt):
    assert CHECK_CALL.search(load(path).cells[nxt].source), \
        f"{path.name} exercise {ex}: the next code cell must call check.<name>(<function>)"


def test_every_notebook_is_graded():
    graded = {p.stem for p in NOTEBOOKS if homework.is_graded(load(p))}
    assert MUST_BE_GRADED <= graded, f"graded notebooks: {sorted(graded)}"


@pytest.mark.parametrize("path, ex, i, nxt", [p for p in EXERCISES if homework.is_graded(load(p.values[0]))])
def test_graded_exercise_metadata(path, ex, i, nxt):
    """The recipe of INSTRUCTORS.md, checked: a solution cell, then a locked test cell with the spec's points."""
    nb = load(path)
    gid = "ex" + ex.replace(".", "_")
    sol, test = nbg(nb.cells[i]), nbg(nb.cells[nxt])
    assert sol == {"grade": False, "grade_id": f"{gid}_solution", "locked": False, "schema_version": 3,
                   "solution": True}, f"{ex}: solution cell metadata {sol}"
    assert {k: test.get(k) for k in ("grade", "grade_id", "locked", "schema_version", "solution")} == \
        {"grade": True, "grade_id": gid, "locked": True, "schema_version": 3, "solution": False}, f"{ex}: {test}"
    parts = [e for e in SPECS[path.stem].exercises if e.number == ex]  # one function, or parts a and b
    assert parts and test.get("points", 0) == sum(e.points for e in parts) > 0, \
        f"{ex}: the test cell's points and the spec's (summed over its parts) must agree"
    assert "HIDDEN TESTS" not in nb.cells[nxt].source, \
        f"{ex}: hidden tests live in freqlstm_helpers/grading/specs/, never in a notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_nbgrader_metadata_survives_the_py_twin(path):
    py = jupytext.read(path.with_suffix(".py"))
    a = [nbg(c) for c in load(path).cells]
    b = [nbg(c) for c in py.cells]
    assert a == b, f"{path.stem}: nbgrader metadata differs between .ipynb and .py; run `make sync`"


def test_student_versions_are_made_for_every_notebook(course):
    _, student, kinds = course
    assert set(kinds) == {p.stem for p in NOTEBOOKS}
    assert {s for s, k in kinds.items() if k == "graded"} >= MUST_BE_GRADED
    for p in NOTEBOOKS:
        assert (student / p.name).exists() and (student / (p.stem + ".py")).exists()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_solution_text_survives(path, course):
    _, student, _ = course
    nb = load(path)
    outside = "\n".join(re.sub(r"### BEGIN (SOLUTION|HIDDEN TESTS).*?### END \1", "", c.source, flags=re.S)
                        for c in nb.cells if c.cell_type == "code")
    student_text = (student / path.name).read_text() + (student / (path.stem + ".py")).read_text()
    for _, i, nxt in exercises(nb):
        region = nb.cells[i].source.split(BEGIN, 1)[1].split(END, 1)[0]
        hidden = nb.cells[nxt].source.partition("### BEGIN HIDDEN TESTS")[2].partition("### END HIDDEN TESTS")[0]
        for line in (region + "\n" + hidden).split("\n"):
            s = line.strip()
            if len(s) < 8 or s.startswith("#") or s in outside:
                continue  # too short to be evidence, a comment, or also legitimately outside a solution
            assert s not in student_text, f"{path.name} cell {i}: solution or hidden-test line survives: {s!r}"
    snb = load(student / path.name)
    for cell in snb.cells:
        assert cell.get("outputs", []) == [], "student notebooks carry no outputs"
        assert set(cell.metadata) <= {"nbgrader", "deletable", "editable"}, cell.metadata
        assert 'class="answer"' not in cell.source
    assert set(snb.metadata) <= {"kernelspec", "language_info", "jupytext"}, set(snb.metadata)


def test_answers_are_stripped_graded_or_not(tmp_path):
    """A '<details class="answer">' block leaves both kinds of student version; the prompt stays."""
    src = tmp_path / "notebooks"
    src.mkdir()
    answer = '<details class="answer"><summary>Answer</summary>\n\nSECRET ANSWER TEXT\n</details>'
    for name, meta in (("01_graded", True), ("02_plain", False)):
        cells = [nbformat.v4.new_markdown_cell(f"**Think!** Why?\n\n{answer}\n\nMore text."),
                 nbformat.v4.new_code_cell("# Exercise 01.1\ndef f():\n    ### BEGIN SOLUTION\n    return 1\n"
                                           "    ### END SOLUTION"),
                 nbformat.v4.new_code_cell("assert f() == 1")]
        if meta:
            cells[1].metadata["nbgrader"] = {"grade": False, "grade_id": "ex01_1_solution", "locked": False,
                                             "schema_version": 3, "solution": True}
            cells[2].metadata["nbgrader"] = {"grade": True, "grade_id": "ex01_1", "locked": True, "points": 1,
                                             "schema_version": 3, "solution": False}
        nb = nbformat.v4.new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, src / f"{name}.ipynb")
    kinds = homework.write_student_versions(src, tmp_path / "student", tmp_path / "course")
    assert kinds == {"01_graded": "graded", "02_plain": "not yet graded"}
    for name in kinds:
        text = (tmp_path / "student" / f"{name}.ipynb").read_text()
        md = load(tmp_path / "student" / f"{name}.ipynb").cells[0].source
        assert "SECRET ANSWER TEXT" not in text and "return 1" not in text, name
        assert md.startswith("**Think!** Why?") and md.endswith("More text."), md


def _namespace(path):
    setup = next(c for c in load(path).cells if c.cell_type == "code")
    ns = {}
    exec(compile(setup.source, f"{path.name}:setup", "exec"), ns)
    return ns


@pytest.mark.parametrize("path, ex, i, nxt", EXERCISES)
def test_self_check_tells_stub_from_solution(path, ex, i, nxt, course, capsys):
    _, student, _ = course
    nb = load(path)
    name, names = CHECK_CALL.search(nb.cells[nxt].source).groups()
    fns = [n.strip() for n in names.split(",")]  # an exercise with two parts checks both functions
    stub_cell = next(c.source for c in load(student / path.name).cells
                     if c.cell_type == "code" and re.search(rf"^# Exercise {re.escape(ex)}\s*$", c.source, re.M))
    assert stub_cell.count("raise NotImplementedError()") == len(fns) and BEGIN not in stub_cell
    solved, stub = _namespace(path), _namespace(path)
    exec(compile(nb.cells[i].source, f"{path.name}:{ex}", "exec"), solved)
    exec(compile(stub_cell, f"{path.name}:{ex} stub", "exec"), stub)
    check_fn = getattr(check, name)
    capsys.readouterr()
    assert check_fn(*[solved[f] for f in fns]) is None
    said = capsys.readouterr().out.strip().splitlines()
    assert len(said) == len(fns) and all(" PASSED: " in line for line in said), said
    assert check_fn(*[stub[f] for f in fns]) is None, "NOT DONE lets the student's Run All go on"
    said = capsys.readouterr().out.strip().splitlines()
    assert len(said) == 1 and f"[check {ex}" in said[0] and "] NOT DONE: " in said[0], "one line per exercise"
    for k in range(len(fns)):  # a wrong answer in any one part fails the exercise, loudly
        with pytest.raises(check.CheckFailed):
            check_fn(*[(lambda *a, **kw: None) if j == k else solved[f] for j, f in enumerate(fns)])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_notebook_runs_to_the_end_with_every_stub_in_place(path, course):
    """Executed as a student's Run All: no cell raises; every self-check prints NOT DONE."""
    _, student, _ = course
    nb = load(student / path.name)
    NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(NB_DIR)}}).execute()
    assert_runs_clean(nb, {ex for ex, _, _ in exercises(load(path))})


def assert_runs_clean(nb, exercise_ids):
    seen = set()
    for idx, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"cell {idx} raised {errors[0].ename}: {errors[0].evalue}\n{cell.source[:300]}"
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        if CHECK_CALL.search(cell.source):
            verdict = re.search(r"\[check (\d\d\.\d+)[a-z]? [^\]]+\] (PASSED|FAILED|NOT DONE)", text)
            assert verdict and verdict.group(2) == check.NOT_DONE, f"cell {idx}: {text!r}"
            seen.add(verdict.group(1))
    assert seen == set(exercise_ids), f"checks seen {sorted(seen)}, exercises {sorted(exercise_ids)}"
