"""The sandboxed grading run on a synthetic class (conftest.graded_class): baselines and fairness.

One `grade` run grades every student of the class together; these tests read its CSV, its
gradebook, its printed lines and its autograded notebooks. The attacks of the same run are
in test_attacks.py.
"""
import json

import nbformat
import pytest

from freqlstm_helpers.grading import apps, course as course_mod, export
from tests.homework.conftest import NB01, NB02, NB_DIR, PARTIAL, by_exercise, points

ALL = ["01_signals_and_fft", "02_l1_state_mechanics", "03_divergence_at_lr_1e-3", "04_corrected_30_epoch_run",
       "05_per_frequency_evaluation"]


def test_the_run_succeeded_and_replaced_the_old_csv(graded_class):
    course, rows, printed, report, _ = graded_class
    assert not report.failures, report.failures
    assert report.csv == course / "grades.csv"
    assert all(r["student"] != "old" for r in rows), "the CSV from before the run must be gone"
    assert list(rows[0]) == export.CSV_FIELDS


def test_one_row_per_student_and_exercise(graded_class):
    _, rows, _, report, _ = graded_class
    got = [(r["student"], r["notebook"], r["exercise"]) for r in rows]
    assert len(got) == len(set(got))
    assert {r["student"] for r in rows} == set(report.students)
    n_ex = sum(len({e.grade_id for e in spec.exercises}) for spec in _specs().values())  # test cells, not parts
    assert len(rows) == len(report.students) * n_ex


def _specs():
    from freqlstm_helpers.grading.specs import NOTEBOOKS
    return NOTEBOOKS


@pytest.mark.parametrize("notebook", ALL)
def test_the_instructors_notebooks_get_full_marks(graded_class, notebook):
    """The invariant behind running only setup + solution cells: every instructor solution passes that way."""
    rows = by_exercise(graded_class[1], "honest", notebook)
    assert all(r["status"] == "passed" for r in rows.values()), {k: r["note"] for k, r in rows.items()}
    got, most = points(graded_class[1], "honest", notebook)
    assert most > 0 and got == most


@pytest.mark.parametrize("notebook", ALL)
def test_the_untouched_release_gets_zero(graded_class, notebook):
    rows = by_exercise(graded_class[1], "untouched", notebook)
    assert points(graded_class[1], "untouched", notebook)[0] == 0
    assert {r["status"] for r in rows.values()} == {"not done"}


def test_a_partial_submission_gets_exactly_its_solved_exercises(graded_class):
    for stem, solved in PARTIAL.items():
        rows = by_exercise(graded_class[1], "partial", stem)
        want = {"ex" + e.replace(".", "_") for e in solved}
        assert {k for k, r in rows.items() if float(r["points"]) > 0} == want
        assert all(float(r["points"]) == float(r["max_points"]) for k, r in rows.items() if k in want)


def test_a_notebook_not_handed_in_scores_zero(graded_class):
    rows = by_exercise(graded_class[1], "partial", "03_divergence_at_lr_1e-3")
    assert {r["status"] for r in rows.values()} == {"not submitted"}
    assert points(graded_class[1], "partial", "03_divergence_at_lr_1e-3")[0] == 0


def test_a_deleted_exercise_costs_only_its_own_points(graded_class):
    rows = by_exercise(graded_class[1], "deleted_exercise", NB01)
    assert float(rows["ex01_2"]["points"]) == 0 and rows["ex01_2"]["status"] == "not done"
    assert "no solution cell ex01_2_solution" in rows["ex01_2"]["note"]
    assert points(graded_class[1], "deleted_exercise", NB01) == (2, 6)  # 01.1's two points, of 2 + 4


@pytest.mark.parametrize("student", [".dotname", "a[b] c", "zz_honest_last"])
def test_any_folder_name_that_is_a_path_segment_is_graded(graded_class, student):
    assert points(graded_class[1], student, NB01) == (6, 6)


def test_a_symlinked_folder_is_refused_with_a_line(graded_class):
    _, rows, printed, report, _ = graded_class
    assert "linked" not in {r["student"] for r in rows}
    assert any("linked" in r and "symbolic link" in r for r in report.refused), report.refused
    assert "refused" in printed and "linked" in printed


def test_an_unreadable_notebook_scores_zero_and_is_named(graded_class):
    _, rows, printed, _, _ = graded_class
    assert points(rows, "unreadable", NB01)[0] == 0
    assert "unreadable/01_signals_and_fft.ipynb is not a readable notebook" in printed
    assert {r["status"] for r in by_exercise(rows, "unreadable", NB01).values()} == {"failed"}
    assert "not readable" in by_exercise(rows, "unreadable", NB01)["ex01_1"]["note"]


def test_edited_test_cells_change_nothing_and_are_the_only_ones_noted(graded_class):
    """Notes appear for real changes only: the tampered submission, not the honest or untouched ones."""
    course, rows, _, _, _ = graded_class
    assert points(rows, "tampered_tests", NB01) == (6, 6)
    notes = json.loads((course / "verdicts" / "tampered_tests" / f"{NB01}.json").read_text())["notes"]
    assert sorted(notes) == sorted(f"test cell ex01_{i} was edited (the release's is graded)" for i in (1, 2))
    for student in ("honest", "untouched", "partial"):
        assert json.loads((course / "verdicts" / student / f"{NB01}.json").read_text())["notes"] == []
    log = (course / "nbgrader.log").read_text() if (course / "nbgrader.log").exists() else ""
    assert "checksum has changed" not in log


def test_the_gradebook_agrees_with_the_csv_and_flags_manual_rows(graded_class):
    from nbgrader.api import Gradebook, MissingEntry

    course, rows, _, _, _ = graded_class
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_mod.COURSE_ID) as gb:
        for r in rows:
            try:
                g = gb.find_grade(r["exercise"], r["notebook"], r["notebook"], r["student"])
            except MissingEntry:  # not handed in, or not readable
                assert r["status"] in ("not submitted", "failed") and float(r["points"]) == 0, r
                continue
            assert float(g.score) == float(r["points"]), r
            assert g.needs_manual_grade == (r["status"] == "manual"), r


def test_the_autograded_notebook_is_the_release_with_the_students_solutions_and_the_verdicts(graded_class):
    course, _, _, _, subs = graded_class
    nb = nbformat.read(course / "autograded" / "tampered_tests" / NB01 / f"{NB01}.ipynb", as_version=4)
    release = nbformat.read(course / "release" / NB01 / f"{NB01}.ipynb", as_version=4)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [c.source for c in tests] == [c.source for c in release.cells if c.metadata.get("nbgrader", {}).get("grade")]
    for c in tests:
        text = "".join(o.get("text", "") for o in c.outputs)
        assert text.startswith("[grader 01.") and " PASSED: " in text, text
    others = [c for c in nb.cells if c.cell_type == "code" and not c.metadata.get("nbgrader", {}).get("grade")]
    assert all(not c.outputs for c in others), "nothing of the submission was executed by autograde"


def test_feedback_for_students_with_odd_names(graded_class):
    course, _, _, _, _ = graded_class
    some = ["honest", ".dotname", "a[b] c", "attack_prints_and_results", "unreadable"]
    files, missing = course_mod.feedback(course, some)
    for student in some[:4]:
        html = (course / "feedback" / student / NB01 / f"{NB01}.html").read_text()
        assert "[grader 01.1]" in html
    assert "Score: 6.0 / 6.0" in (course / "feedback" / "honest" / NB01 / f"{NB01}.html").read_text()
    assert "Score: 0.0 / 6.0" in (course / "feedback" / "attack_prints_and_results" / NB01 / f"{NB01}.html").read_text()
    assert missing == ["unreadable/01_signals_and_fft: never autograded (make grade named why)"]


def test_students_without_feedback_are_listed(tmp_path, capsys):
    course = tmp_path / "c"
    (course / "autograded" / "bob" / NB01).mkdir(parents=True)
    (course / "submitted" / "bob" / NB01).mkdir(parents=True)
    (course / "submitted" / "eve" / NB02).mkdir(parents=True)
    course_mod.write_config(course)
    assert apps.main(["--course", str(course), "feedback"]) == 1
    out = capsys.readouterr().out
    assert "NO FEEDBACK for 2 submission(s)" in out
    assert "bob/01_signals_and_fft: feedback failed" in out and "eve/02_l1_state_mechanics: never autograded" in out


@pytest.fixture
def course_copy(graded_class, tmp_path):
    """A copy of the graded course folder, for tests that change it."""
    import shutil
    dest = tmp_path / "course"
    shutil.copytree(graded_class[0], dest, symlinks=True)
    return dest


def test_a_failed_run_writes_no_csv_and_removes_the_old_one(graded_class, course_copy, tmp_path, monkeypatch):
    from freqlstm_helpers.grading import grade, worker
    course, subs = course_copy, graded_class[4]
    out = tmp_path / "grades.csv"
    out.write_text("student\nold\n")

    def broken(job, run):
        raise RuntimeError("the worker fell over")
    monkeypatch.setattr(worker, "grade_student", broken)
    one = tmp_path / "subs"
    (one / "honest").mkdir(parents=True)
    (one / "honest" / f"{NB01}.ipynb").write_bytes((subs / "honest" / f"{NB01}.ipynb").read_bytes())
    r = grade.grade(NB_DIR, one, course, out, jobs=1, say=lambda s: None)
    assert r.failures and "the worker fell over" in r.failures[0]
    assert not out.exists()


def test_instructor_lines_in_nbgrader_config_are_kept(tmp_path):
    course = tmp_path / "c"
    course_mod.write_config(course)
    cfg = course / "nbgrader_config.py"
    cfg.write_text(cfg.read_text() + 'c.Exchange.root = "/srv/nbgrader/exchange"\n')
    course_mod.write_config(course)
    assert 'c.Exchange.root = "/srv/nbgrader/exchange"' in cfg.read_text()
    assert course_mod.COURSE_CONFIG in cfg.read_text()
    own = tmp_path / "d"
    own.mkdir()
    (own / "nbgrader_config.py").write_text("c = get_config()\nc.Exchange.root = '/x'\n")
    course_mod.write_config(own)
    text = (own / "nbgrader_config.py").read_text()
    assert text.startswith("load_subconfig") and "c.Exchange.root = '/x'" in text


def test_nbgrader_autograde_by_hand_runs_nothing_and_says_why(course_copy):
    """The course's autograde never executes a submission: without verdicts it stops with a sentence."""
    course = course_copy
    (course / "submitted" / "by_hand" / NB01).mkdir(parents=True)
    nb = nbformat.read(course / "release" / NB01 / f"{NB01}.ipynb", as_version=4)
    nbformat.write(nb, course / "submitted" / "by_hand" / NB01 / f"{NB01}.ipynb")
    proc = course_mod.nbgrader(course, "autograde", NB01, "--student=by_hand", check=False)
    assert proc.returncode != 0
    assert "this course's autograde runs nothing" in proc.stdout + proc.stderr


def test_grade_without_bwrap_names_the_apt_command(tmp_path, capsys, monkeypatch):
    import shutil as _shutil
    monkeypatch.setattr(_shutil, "which", lambda name, *a, **k: None)
    (tmp_path / "subs").mkdir()
    assert apps.main(["--course", str(tmp_path / "c"), "grade", str(tmp_path / "subs")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "apt-get install bubblewrap" in err[0]


def test_grade_refuses_a_missing_folder(tmp_path, capsys):
    assert apps.main(["--course", str(tmp_path / "c"), "grade", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_feedback_gives_the_idea_never_the_line_level_hint(graded_class, capsys):
    """Grader feedback is staged like the self-checks: what went wrong, the idea, where the closer hint is."""
    from freqlstm_helpers import check
    course = graded_class[0]
    verdicts = json.loads((course / "verdicts" / "attack_alias" / f"{NB01}.json").read_text())["verdicts"]
    v = next(x for x in verdicts if x["grade_id"] == "ex01_2")
    assert v["status"] == "FAILED" and v["points"] == 0 and v["max_points"] == 4, v
    assert v["message"].startswith("part a `amplitude_spectrum` (0/2): FAILED: ") and " | part b `peak_present` (0/2)" \
        in v["message"], v["message"]
    assert check.CONCEPTS["01.2"] in v["message"] and 'check.hint("01.2", level=2)' in v["message"]
    closer = check.hint("01.2", level=2)
    capsys.readouterr()
    assert "Hint:" not in v["message"] and closer[len("Hint: "):][:40] not in v["message"]
