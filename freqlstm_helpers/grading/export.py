"""One CSV row per student and exercise, from nbgrader's gradebook and the grader's verdicts.

    student,notebook,exercise,points,max_points,status,note

`points` is the gradebook's score: the automatic one, or the manual one once a grader set it
in the formgrader. `status` is the verdict (passed, failed, not done, manual, not submitted);
`manual` rows are the ones flagged for manual grading. Also usable as an nbgrader export plugin:

    nbgrader export --exporter freqlstm_helpers.grading.export.ExerciseCsvExport --to grades.csv
"""
from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path

from nbgrader.plugins import ExportPlugin

from .preprocessors import verdicts_path

CSV_FIELDS = ["student", "notebook", "exercise", "points", "max_points", "status", "note"]


class ExerciseCsvExport(ExportPlugin):
    """`nbgrader export` plugin: one row per student and exercise (test cell) with its points and verdict."""

    def export(self, gradebook) -> None:
        rows = exercise_rows(gradebook, Path(os.getcwd()), [str(a) for a in self.assignment],
                             [str(s) for s in self.student])
        write_csv(rows, Path(self.to or "grades.csv"))


def exercise_rows(gradebook, course: Path, assignments=(), students=()) -> list[dict]:
    """Rows of CSV_FIELDS; a notebook that was not handed in scores 0 with status 'not submitted'."""
    from nbgrader.api import MissingEntry

    student_ids = list(students) or sorted(s.id for s in gradebook.students)
    rows = []
    for assignment in sorted(gradebook.assignments, key=lambda a: a.name):
        if assignments and assignment.name not in assignments:
            continue
        for notebook in sorted(assignment.notebooks, key=lambda n: n.name):
            cells = sorted(notebook.grade_cells, key=lambda c: c.name)
            for student in student_ids:
                try:
                    got = {g.name: g.score for g in
                           gradebook.find_submission_notebook(notebook.name, assignment.name, student).grades}
                except MissingEntry:
                    got = None
                verdicts = _verdicts(course, student, notebook.name)
                for c in cells:
                    v = verdicts.get(c.name, {})
                    status = v.get("status", "not submitted" if got is None or not verdicts else "")
                    rows.append({"student": student, "notebook": notebook.name, "exercise": c.name,
                                 "points": _num((got or {}).get(c.name, 0.0)), "max_points": _num(c.max_score),
                                 "status": status.lower(), "note": _note(v)})
    return sorted(rows, key=lambda r: (r["student"], r["notebook"], r["exercise"]))


def _verdicts(course: Path, student: str, notebook: str) -> dict:
    path = verdicts_path(course, student, notebook)
    if not path.is_file():
        return {}
    return {v["grade_id"]: v for v in json.loads(path.read_text())["verdicts"]}


def _note(v: dict) -> str:
    if not v or v.get("status") == "PASSED":
        return ""
    return " ".join(v.get("message", "").split())[:300]


def _num(x) -> float | int:
    x = float(x or 0.0)
    return int(x) if x.is_integer() else x


def write_csv(rows: list[dict], path: Path) -> None:
    """Written to a temporary file and renamed: a reader never sees half a CSV."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        w.writeheader()
        w.writerows(rows)
    os.replace(tmp, path)
