"""The whole nbgrader loop on synthetic submissions of notebooks 01 and 02: release, collect,
autograde (one `nbgrader autograde` call per notebook for the whole class), export, feedback.

Notebook 01 (about 5 s to execute) carries every kind of submission; notebook 02 (about
25 s) the solved and the untouched one, to keep `make test` short. The tampering defences
(locked cells restored from the gradebook, deleted test cells put back, hidden tests that
reload the check module) are the same for every graded notebook.
"""
import contextlib
import csv
import io

import nbformat
import pytest

from freqlstm_helpers import homework
from tests.homework import synthetic
from tests.homework.test_student_versions import NB_DIR, assert_errors_only_in_check_cells

NB01, NB02 = "01_signals_and_fft", "02_l1_state_mechanics"
TAMPERED = ["prints", "deleted", "passed", "rebound"]
PARTLY = {"01.1", "01.3"}  # carol solves these two of notebook 01 and hands in no notebook 02
SUBMITS = {
    NB01: ["solved", "untouched", "partly", *TAMPERED],
    NB02: ["solved", "untouched"],
}


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    course_dir, _, _ = course
    subs = tmp_path_factory.mktemp("submissions")
    for stem, kinds in SUBMITS.items():
        release = nbformat.read(course_dir / "release" / stem / f"{stem}.ipynb", as_version=4)
        source = nbformat.read(course_dir / "source" / stem / f"{stem}.ipynb", as_version=4)
        for kind in kinds:
            nb = (synthetic.partly(release, source, PARTLY) if kind == "partly"
                  else synthetic.KINDS[kind](release, source))
            (subs / kind).mkdir(exist_ok=True)
            nbformat.write(nb, subs / kind / f"{stem}.ipynb")
    out = subs.parent / "grades.csv"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert homework.main(["--course", str(course_dir), "--notebooks", str(NB_DIR),
                              "grade", str(subs), "--out", str(out)]) == 0
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return course_dir, rows, printed.getvalue()


def points(rows, student, notebook):
    sel = [r for r in rows if r["student"] == student and r["notebook"] == notebook]
    assert sel, f"no rows for {student} {notebook}"
    return sum(float(r["points"]) for r in sel), sum(float(r["max_points"]) for r in sel)


def test_csv_has_one_row_per_student_and_exercise(graded):
    _, rows, _ = graded
    assert list(rows[0]) == ["student", "notebook", "exercise", "points", "max_points"]
    students = {k for kinds in SUBMITS.values() for k in kinds}
    expected = {(s, NB01, e) for s in students for e in ("ex01_1", "ex01_2", "ex01_3", "ex01_4")} | \
               {(s, NB02, e) for s in students for e in ("ex02_1", "ex02_2", "ex02_3")}
    got = [(r["student"], r["notebook"], r["exercise"]) for r in rows]
    assert len(got) == len(set(got))
    assert {g for g in got if g[1] in (NB01, NB02)} == expected
    assert {(r["exercise"], r["max_points"]) for r in rows if r["notebook"] in (NB01, NB02)} == \
        {("ex01_1", "1"), ("ex01_2", "2"), ("ex01_3", "1"), ("ex01_4", "2"),
         ("ex02_1", "2"), ("ex02_2", "3"), ("ex02_3", "2")}
    # notebooks 03-05 are graded too; nobody here handed them in, so every row of theirs scores 0
    others = [r for r in rows if r["notebook"] not in (NB01, NB02)]
    assert {r["notebook"] for r in others} == {"03_divergence_at_lr_1e-3", "04_corrected_30_epoch_run",
                                                 "05_per_frequency_evaluation"}
    assert all(float(r["points"]) == 0 for r in others)


@pytest.mark.parametrize("notebook", [NB01, NB02])
def test_the_instructors_solution_gets_full_points(graded, notebook):
    got, most = points(graded[1], "solved", notebook)
    assert most > 0 and got == most


@pytest.mark.parametrize("notebook", [NB01, NB02])
def test_the_untouched_student_version_gets_zero(graded, notebook):
    assert points(graded[1], "untouched", notebook)[0] == 0


@pytest.mark.parametrize("kind", TAMPERED)
def test_a_tampered_submission_gets_zero(graded, kind):
    assert points(graded[1], kind, NB01)[0] == 0


def test_a_partly_solved_submission_gets_the_points_of_its_solved_exercises(graded):
    rows = {r["exercise"]: float(r["points"]) for r in graded[1] if r["student"] == "partly" and r["notebook"] == NB01}
    assert rows == {"ex01_1": 1.0, "ex01_2": 0.0, "ex01_3": 1.0, "ex01_4": 0.0}
    assert points(graded[1], "partly", NB02) == (0, 7), "a notebook not handed in scores 0"


def test_the_gradebook_is_nbgrader_sqlite_and_agrees_with_the_csv(graded):
    from nbgrader.api import Gradebook

    course_dir, rows, _ = graded
    db = course_dir / "gradebook.db"
    assert db.read_bytes()[:16] == b"SQLite format 3\x00"
    with Gradebook(f"sqlite:///{db}", homework.COURSE_ID) as gb:
        for student, notebook in {(r["student"], r["notebook"]) for r in rows}:
            try:
                score = gb.find_submission_notebook(notebook, notebook, student).score
            except Exception:  # MissingEntry: not handed in
                score = 0.0
            assert score == points(rows, student, notebook)[0], (student, notebook)


@pytest.mark.parametrize("notebook", [NB01, NB02])
def test_the_untouched_version_runs_to_the_end_failing_only_in_its_test_cells(graded, notebook):
    """The student version as handed out executes top to bottom; each test cell prints NOT DONE and raises."""
    course_dir, _, _ = graded
    nb = nbformat.read(course_dir / "autograded" / "untouched" / notebook / f"{notebook}.ipynb", as_version=4)
    ids = {c.source.split("Exercise ", 1)[1].split()[0] for c in nb.cells
           if c.metadata.get("nbgrader", {}).get("solution")}
    assert_errors_only_in_check_cells(nb, ids)


def test_hidden_tests_and_locked_cells_are_restored_for_grading(graded):
    course_dir, _, _ = graded
    nb = nbformat.read(course_dir / "autograded" / "passed" / NB01 / f"{NB01}.ipynb", as_version=4)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(tests) == 4 and all("### BEGIN HIDDEN TESTS" in c.source for c in tests)
    deleted = nbformat.read(course_dir / "autograded" / "deleted" / NB01 / f"{NB01}.ipynb", as_version=4)
    assert sum(bool(c.metadata.get("nbgrader", {}).get("grade")) for c in deleted.cells) == 4


def test_feedback_is_html_per_student(graded):
    course_dir, _, _ = graded
    assert homework.main(["--course", str(course_dir), "feedback"]) == 0
    for kind in SUBMITS[NB01]:
        html = (course_dir / "feedback" / kind / NB01 / f"{NB01}.html").read_text()
        assert "[check 01.1 noisy_mixture]" in html
    assert "Score: 6.0 / 6.0" in (course_dir / "feedback" / "solved" / NB01 / f"{NB01}.html").read_text()
    assert "Score: 0.0 / 6.0" in (course_dir / "feedback" / "prints" / NB01 / f"{NB01}.html").read_text()


def test_grade_refuses_a_missing_folder(tmp_path, capsys):
    assert homework.main(["--course", str(tmp_path / "c"), "grade", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
