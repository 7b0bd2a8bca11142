"""Homework on nbgrader: release versions, autograding with hidden tests, feedback, a per-exercise CSV.

Everything that strips, locks, restores and scores is nbgrader's own
(`nbgrader generate_assignment`, `autograde`, `generate_feedback`, `export`),
run in an nbgrader course folder, by default `build/nbgrader/`:

    build/nbgrader/nbgrader_config.py     written by this module (course id, timeouts, plugins)
    build/nbgrader/gradebook.db           nbgrader's SQLite gradebook
    build/nbgrader/source/<NN_name>/      the instructor's notebook (one assignment per notebook)
    build/nbgrader/release/<NN_name>/     what students get
    build/nbgrader/submitted/<student>/<NN_name>/
    build/nbgrader/autograded/…, feedback/…

A notebook is *graded* when its cells carry nbgrader metadata: each exercise
has a solution cell (`### BEGIN SOLUTION` / `### END SOLUTION`) and a locked,
autograded test cell with points and hidden tests. A notebook without that
metadata (notebooks 03-05 until they are converted) is *not yet graded*: its
student version comes from nbgrader's `ClearSolutions` preprocessor alone,
and `grade` skips its submissions with a message.

Markdown answers (to the "Think!" prompts) are written as
`<details class="answer"> … </details>` blocks; `StripAnswers` removes them
from every student version.

    python -m freqlstm_helpers.homework student  [--out build/student]
    python -m freqlstm_helpers.homework grade    SUBMISSIONS_DIR [--out grades.csv]
    python -m freqlstm_helpers.homework feedback
"""
from __future__ import annotations

import argparse
import csv
import re
import shutil
import subprocess
import sys
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.plugins import ExportPlugin
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Set, Unicode

from .paths import repo_root

COURSE_ID = "freqlstm"
CSV_FIELDS = ["student", "notebook", "exercise", "points", "max_points"]
NOTEBOOK_GLOB = "0*.ipynb"


class StripAnswers(NbGraderPreprocessor):
    """Remove `<details class="answer"> … </details>` blocks from markdown cells (answers to "Think!" prompts)."""

    pattern = Unicode(r"""<details\s+class=["']answer["'][^>]*>.*?</details>\s*""",
                      help="regular expression (DOTALL) of a markdown answer block").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = re.sub(self.pattern, "", cell.source, flags=re.S | re.I).rstrip()
        return cell, resources


class StudentMetadata(ClearMetadataPreprocessor):
    """Drop execution timestamps and widget state; keep nbgrader's cell metadata and the notebook's kernel."""

    enabled = Bool(True).tag(config=True)
    preserve_cell_metadata_mask = Set({"nbgrader", "deletable", "editable"}).tag(config=True)
    preserve_nb_metadata_mask = Set({"kernelspec", "language_info", "jupytext"}).tag(config=True)


class ExerciseCsvExport(ExportPlugin):
    """`nbgrader export` plugin: one row per student and exercise (test cell) with its points.

    nbgrader export --exporter freqlstm_helpers.homework.ExerciseCsvExport --to grades.csv
    """

    def export(self, gradebook) -> None:
        rows = exercise_rows(gradebook, [str(a) for a in self.assignment], [str(s) for s in self.student])
        write_csv(rows, Path(self.to or "grades.csv"))


def exercise_rows(gradebook, assignments=(), students=()) -> list[dict]:
    """Rows of CSV_FIELDS from the gradebook; a notebook that was not submitted scores 0."""
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
                    got = {}
                rows += [{"student": student, "notebook": notebook.name, "exercise": c.name,
                          "points": _num(got.get(c.name, 0.0)), "max_points": _num(c.max_score)} for c in cells]
    return sorted(rows, key=lambda r: (r["student"], r["notebook"], r["exercise"]))


def _num(x) -> float | int:
    x = float(x or 0.0)
    return int(x) if x.is_integer() else x


def write_csv(rows: list[dict], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        w.writeheader()
        w.writerows(rows)


# --------------------------------------------------------------------------------------
# Which notebooks are graded
# --------------------------------------------------------------------------------------
def is_graded(nb) -> bool:
    """True when the notebook has at least one nbgrader test (grade) cell."""
    return any(c.metadata.get("nbgrader", {}).get("grade") for c in nb.cells)


def test_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]


def course_notebooks(notebooks_dir: Path) -> list[Path]:
    return sorted(Path(notebooks_dir).glob(NOTEBOOK_GLOB))


# --------------------------------------------------------------------------------------
# The nbgrader course folder
# --------------------------------------------------------------------------------------
CONFIG = '''\
# nbgrader configuration of the FreqLSTM course folder. Written by
# `python -m freqlstm_helpers.homework`; run nbgrader commands from this folder.
import os, sys  # noqa: E401
c = get_config()  # noqa: F821
# Kernels that nbgrader starts (autograde, or the formgrader's server) inherit these: headless widgets,
# this course's configs/ and runs/, figures kept out of the course's figures/, and `alembic`, which
# nbgrader runs from PATH to check the gradebook, found next to this Python.
os.environ.setdefault("FREQLSTM_HEADLESS", "1")
os.environ.setdefault("FREQLSTM_HOME", {home!r})
os.environ.setdefault("FREQLSTM_FIGURES", {figures!r})
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.db_url = "sqlite:///" + {db!r}
# "Think!" answers (<details class="answer"> blocks) and execution metadata leave the student version too.
from nbgrader.converters import GenerateAssignment  # noqa: E402
c.GenerateAssignment.preprocessors = ["freqlstm_helpers.homework.StripAnswers",
                                      "freqlstm_helpers.homework.StudentMetadata"] + \
    GenerateAssignment.class_traits()["preprocessors"].default()
# A test cell a student deleted is put back from the gradebook and run, so it scores 0 unless solved.
c.OverwriteCells.add_missing_cells = True
# Per-cell time limit while autograding (nbgrader's default, 30 s, is too short for the course's cells).
c.Execute.timeout = {timeout}
'''


def write_config(course: Path, timeout: int = 600) -> Path:
    course.mkdir(parents=True, exist_ok=True)
    cfg = course / "nbgrader_config.py"
    cfg.write_text(CONFIG.format(course_id=COURSE_ID, db=str((course / "gradebook.db").resolve()), timeout=timeout,
                                 home=str(repo_root()), figures=str((course / "figures").resolve())))
    return cfg


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run one nbgrader command in the course folder (its config is read from there)."""
    cmd = [sys.executable, "-m", "nbgrader", *args]  # the environment is set by nbgrader_config.py
    proc = subprocess.run(cmd, cwd=course, capture_output=True, text=True)
    log = course / "nbgrader.log"
    with open(log, "a") as fh:
        fh.write(f"$ nbgrader {' '.join(args)}\n{proc.stdout}{proc.stderr}\n")
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode}); see {log}:\n"
                           + proc.stderr[-3000:])
    return proc


def prepare_course(notebooks_dir: Path, course: Path, timeout: int = 600) -> list[str]:
    """Write the config, put every graded notebook in source/ and run `nbgrader generate_assignment` on it.

    A notebook whose source/ copy is unchanged and already released is not generated again.
    """
    import nbformat

    write_config(course, timeout)
    graded = []
    for src in course_notebooks(notebooks_dir):
        if not is_graded(nbformat.read(src, as_version=4)):
            continue
        dest = course / "source" / src.stem / src.name
        released = course / "release" / src.stem / src.name
        graded.append(src.stem)
        if (course / "gradebook.db").exists() and released.exists() and dest.exists() \
                and dest.read_bytes() == src.read_bytes():
            continue  # released from this very source already
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        nbgrader(course, "generate_assignment", src.stem, "--force")
    return graded


def _ungraded_student_version(src: Path):
    """Solutions cleared by nbgrader's own ClearSolutions (no metadata needed), answers and outputs removed."""
    import nbformat
    from nbconvert.exporters import NotebookExporter
    from nbgrader.preprocessors import ClearOutput, ClearSolutions
    from traitlets.config import Config

    cfg = Config()
    cfg.ClearSolutions.enforce_metadata = False
    exporter = NotebookExporter(config=cfg)
    for pp in (StripAnswers, StudentMetadata, ClearSolutions, ClearOutput):
        exporter.register_preprocessor(pp, enabled=True)
    body, _ = exporter.from_filename(str(src))
    return nbformat.reads(body, as_version=4)


def write_student_versions(notebooks_dir: Path, out: Path, course: Path) -> dict[str, str]:
    """build/student/NN_name.ipynb and .py for every notebook; returns {stem: 'graded' | 'not yet graded'}."""
    import jupytext
    import nbformat

    graded = set(prepare_course(notebooks_dir, course))
    out.mkdir(parents=True, exist_ok=True)
    kinds = {}
    for src in course_notebooks(notebooks_dir):
        if src.stem in graded:
            nb = nbformat.read(course / "release" / src.stem / src.name, as_version=4)
            kinds[src.stem] = "graded"
        else:
            nb = _ungraded_student_version(src)
            kinds[src.stem] = "not yet graded"
        nbformat.write(nb, out / src.name)
        jupytext.write(nb, out / (src.stem + ".py"), fmt="py:percent")
    return kinds


# --------------------------------------------------------------------------------------
# Grading and feedback
# --------------------------------------------------------------------------------------
def collect(submissions: Path, course: Path, graded: list[str]) -> tuple[list[str], list[str]]:
    """Copy SUBMISSIONS/<student>/<NN_name>.ipynb to submitted/<student>/<NN_name>/; return (students, skipped)."""
    students, skipped = [], []
    for sdir in sorted(p for p in Path(submissions).iterdir() if p.is_dir()):
        students.append(sdir.name)
        skipped += [f"{sdir.name}/{nb.name}" for nb in sorted(sdir.glob(NOTEBOOK_GLOB)) if nb.stem not in graded]
        for stem in graded:
            dest = course / "submitted" / sdir.name / stem
            shutil.rmtree(dest, ignore_errors=True)  # a re-run grades what is in SUBMISSIONS now
            if (sdir / f"{stem}.ipynb").exists():
                dest.mkdir(parents=True)
                shutil.copyfile(sdir / f"{stem}.ipynb", dest / f"{stem}.ipynb")
    return students, skipped


def grade(notebooks_dir: Path, submissions: Path, course: Path, out_csv: Path, timeout: int = 600) -> list[dict]:
    """Autograde every submission of a graded notebook with nbgrader and export one CSV row per exercise."""
    graded = prepare_course(notebooks_dir, course, timeout)
    students, skipped = collect(submissions, course, graded)
    if not students:
        raise FileNotFoundError(f"no student folders in {submissions}: expected {submissions}/<student>/<NN_name>.ipynb")
    for name in skipped:
        print(f"skipped {name}: not yet graded (the notebook has no nbgrader metadata)")
    for stem in graded:
        if any((course / "submitted" / s / stem).is_dir() for s in students):
            nbgrader(course, "autograde", stem, "--force", check=False)  # all students of this assignment
    failed = [f"{s}/{stem}" for s in students for stem in graded
              if (course / "submitted" / s / stem).is_dir()
              and not (course / "autograded" / s / stem / f"{stem}.ipynb").exists()]
    for name in failed:
        print(f"WARNING: nbgrader could not autograde {name}; it scores 0 (see {course / 'nbgrader.log'})")
    # one --ExportPlugin.student=... per student: nbgrader's "--student [a,b]" form arrives as one string
    nbgrader(course, "export", "--exporter", "freqlstm_helpers.homework.ExerciseCsvExport",
             "--to", str(out_csv.resolve()), *[f"--ExportPlugin.student={s}" for s in students],
             *[f"--ExportPlugin.assignment={a}" for a in graded])
    with open(out_csv, newline="") as fh:
        return list(csv.DictReader(fh))


def feedback(course: Path) -> list[Path]:
    """nbgrader's HTML feedback for every autograded submission: feedback/<student>/<NN_name>/<NN_name>.html."""
    assignments = sorted({p.name for p in (course / "autograded").glob("*/*") if p.is_dir()})
    if not assignments:
        raise FileNotFoundError(f"nothing autograded in {course}: run `make grade SUBMISSIONS=dir` first")
    for a in assignments:
        nbgrader(course, "generate_feedback", a, "--force")
    return sorted((course / "feedback").glob("*/*/*.html"))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m freqlstm_helpers.homework")
    p.add_argument("--course", default="build/nbgrader", help="the nbgrader course folder")
    p.add_argument("--notebooks", default="notebooks")
    p.add_argument("--timeout", type=int, default=600, help="seconds per cell while autograding")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("student", help="student versions (nbgrader release) in build/student/, .ipynb and .py")
    s.add_argument("--out", default="build/student")
    g = sub.add_parser("grade", help="autograde SUBMISSIONS/<student>/<NN_name>.ipynb; write a per-exercise CSV")
    g.add_argument("submissions")
    g.add_argument("--out", default="grades.csv")
    sub.add_parser("feedback", help="nbgrader's HTML feedback for every autograded submission")
    a = p.parse_args(argv)
    course, notebooks = Path(a.course), Path(a.notebooks)
    if course.exists() and not course.is_dir():
        print(f"error: --course {course} is a file: give the nbgrader course folder (default build/nbgrader)",
              file=sys.stderr)
        return 2
    try:
        if a.cmd == "student":
            for stem, kind in write_student_versions(notebooks, Path(a.out), course).items():
                print(f"wrote {Path(a.out) / stem}.ipynb and .py ({kind})")
        elif a.cmd == "grade":
            if not Path(a.submissions).is_dir():
                raise FileNotFoundError(f"submissions folder {a.submissions!r} does not exist")
            rows = grade(notebooks, Path(a.submissions), course, Path(a.out), a.timeout)
            print(f"graded {len({r['student'] for r in rows})} student(s); wrote {a.out} "
                  f"({len(rows)} rows); gradebook {course / 'gradebook.db'}")
        else:
            for f in feedback(course):
                print(f"wrote {f}")
    except (ValueError, FileNotFoundError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
