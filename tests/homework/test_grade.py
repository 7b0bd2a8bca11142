"""The grader on two synthetic submissions of notebook 01: one solved, one not."""
import csv

import nbformat

from freqlstm_helpers import homework
from tests.homework.test_student_versions import NB_DIR


def test_grade_two_submissions(tmp_path):
    subs = tmp_path / "submissions"
    solved, unsolved = subs / "alice", subs / "bob"
    solved.mkdir(parents=True)
    unsolved.mkdir()
    src = NB_DIR / "01_signals_and_fft.ipynb"
    nb = nbformat.read(src, as_version=4)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    nbformat.write(nb, solved / src.name)                      # a student who solved everything
    nbformat.write(homework.student_version(nb), unsolved / src.name)  # a student who solved nothing
    out = tmp_path / "grades.csv"
    assert homework.main(["grade", str(subs), "--out", str(out)]) == 0
    rows = list(csv.DictReader(open(out)))
    by = {(r["student"], r["exercise"]): r["status"] for r in rows}
    ids = {r["exercise"] for r in rows}
    assert ids == {"01.1", "01.2", "01.3"}
    assert all(by[("alice", e)] == "PASSED" for e in ids)
    assert all(by[("bob", e)] == "NOT DONE" for e in ids)


def test_grade_missing_folder(tmp_path, capsys):
    assert homework.main(["grade", str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
