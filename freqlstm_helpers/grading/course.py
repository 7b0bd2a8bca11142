"""The nbgrader course folder: its configuration, the release (student) versions, feedback.

nbgrader stays the workflow and the gradebook: `generate_assignment`, `release`, `collect`,
`generate_feedback`, `export` are nbgrader's own, run in the course folder (default
`build/nbgrader/`):

    nbgrader_config.py       the instructor's: created once, never rewritten; it loads
    freqlstm_config.py       the course's settings, rewritten on every run
    gradebook.db             nbgrader's SQLite gradebook (only the grading coordinator writes it)
    source/<NN_name>/        the instructor's notebook (one assignment per notebook)
    release/<NN_name>/       what students get
    submitted/<student>/<NN_name>/   what they handed in, as handed in
    verdicts/<student>/<NN_name>.json  the trusted grader's verdicts (see grade.py)
    autograded/, feedback/   nbgrader's, from those verdicts
    grades.csv               one row per student and exercise (make grade)

Only `autograde` is replaced: `freqlstm_config.py` points nbgrader's Autograde at the
preprocessors of `preprocessors.py`, which take a submission's solution cells into the
release notebook and write the trusted verdicts instead of executing anything.
"""
from __future__ import annotations

import glob
import shutil
import subprocess
import sys
from pathlib import Path

from ..paths import repo_root

COURSE_ID = "freqlstm"
NOTEBOOK_GLOB = "0*.ipynb"
COURSE_CONFIG = "freqlstm_config.py"
INCLUDE = f'load_subconfig("{COURSE_CONFIG}")  # noqa: F821  the course\'s settings (rewritten by the grader)'

INSTRUCTOR_CONFIG = f'''\
# nbgrader configuration of this FreqLSTM course folder: yours to edit.
# The course's own settings live in {COURSE_CONFIG}, which `python -m freqlstm_helpers.grading`
# rewrites on every run; this file is created once and never rewritten. Lines below the
# include override the course's (e.g. c.Exchange.root = "/srv/nbgrader/exchange").
{INCLUDE}
c = get_config()  # noqa: F821
'''

COURSE_SETTINGS = '''\
# The FreqLSTM course's nbgrader settings. Rewritten by `python -m freqlstm_helpers.grading` on every
# run: put your own settings in nbgrader_config.py, which loads this file first.
import os, sys  # noqa: E401
c = get_config()  # noqa: F821
# Processes nbgrader starts (the formgrader's server) inherit these: headless widgets, this course's
# configs/, figures kept out of the course's figures/, and `alembic`, which nbgrader runs from PATH
# to check the gradebook, found next to this Python.
os.environ.setdefault("FREQLSTM_HEADLESS", "1")
os.environ.setdefault("FREQLSTM_HOME", {home!r})
os.environ.setdefault("FREQLSTM_FIGURES", {figures!r})
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.db_url = "sqlite:///" + {db!r}
# "Think!" answers (<details class="answer"> blocks) and execution metadata leave the student version too.
from nbgrader.converters import GenerateAssignment  # noqa: E402
c.GenerateAssignment.preprocessors = ["freqlstm_helpers.grading.preprocessors.StripAnswers",
                                      "freqlstm_helpers.grading.preprocessors.StudentMetadata"] + \\
    GenerateAssignment.class_traits()["preprocessors"].default()
# Autograde never executes a submission here. The sandboxed grader (`make grade`) writes verdicts/;
# these preprocessors put each submission's solution cells into the release notebook and record those
# verdicts in the gradebook and the autograded notebook. Run by hand without verdicts, autograde stops.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput", "nbgrader.preprocessors.DeduplicateIds",
    "freqlstm_helpers.grading.preprocessors.UseReleaseCells", "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.CheckCellMetadata"]
c.Autograde.autograde_preprocessors = [
    "freqlstm_helpers.grading.preprocessors.InjectVerdicts", "nbgrader.preprocessors.LimitOutput",
    "freqlstm_helpers.grading.preprocessors.SaveVerdicts", "nbgrader.preprocessors.AssignLatePenalties"]
'''


def is_graded(nb) -> bool:
    """True when the notebook has at least one nbgrader test (grade) cell."""
    return any(c.metadata.get("nbgrader", {}).get("grade") for c in nb.cells)


def course_notebooks(notebooks_dir: Path) -> list[Path]:
    return sorted(Path(notebooks_dir).glob(NOTEBOOK_GLOB))


def write_config(course: Path) -> Path:
    """Rewrite the course's settings; create the instructor's nbgrader_config.py only if it is missing.

    An nbgrader_config.py from before this split (written whole by the grader) is kept beside
    as nbgrader_config.py.old and replaced; any other one without the include gets it added on top.
    """
    course.mkdir(parents=True, exist_ok=True)
    (course / COURSE_CONFIG).write_text(COURSE_SETTINGS.format(
        course_id=COURSE_ID, db=str((course / "gradebook.db").resolve()), home=str(repo_root()),
        figures=str((course / "figures").resolve())))
    cfg = course / "nbgrader_config.py"
    if not cfg.exists():
        cfg.write_text(INSTRUCTOR_CONFIG)
    else:
        text = cfg.read_text()
        if "python -m freqlstm_helpers.homework" in text:  # the old generated file: nothing of the instructor's
            shutil.copyfile(cfg, course / "nbgrader_config.py.old")
            cfg.write_text(INSTRUCTOR_CONFIG)
            print(f"note: {cfg} was the old generated config; kept as nbgrader_config.py.old, replaced")
        elif COURSE_CONFIG not in text:
            cfg.write_text(INCLUDE + "\n" + text)
            print(f"note: added the course's include line at the top of {cfg}; your lines are kept")
    return cfg


def nbgrader(course: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run one nbgrader command in the course folder (its config is read from there)."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    proc = subprocess.run(cmd, cwd=course, capture_output=True, text=True)
    log = course / "nbgrader.log"
    with open(log, "a") as fh:
        fh.write(f"$ nbgrader {' '.join(args)}\n{proc.stdout}{proc.stderr}\n")
    if check and proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed (exit {proc.returncode}); see {log}:\n"
                           + proc.stderr[-3000:])
    return proc


def prepare_course(notebooks_dir: Path, course: Path) -> list[str]:
    """Write the config, put every graded notebook in source/ and run `nbgrader generate_assignment` on it.

    A notebook whose source/ copy is unchanged and already released is not generated again.
    """
    import nbformat

    write_config(course)
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

    from .preprocessors import StripAnswers, StudentMetadata

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


def run_converter(converter_class, course: Path, student: str, stem: str | None = None) -> None:
    """An nbgrader converter (Autograde, GenerateFeedback) for one student, in this process, with the course's config.

    The student id and the assignment are glob-escaped, and so is each assignment folder found
    (nbgrader 0.9.6 globs it again unescaped), so any folder name works: `.x`, `a[b] c`.
    """
    import logging
    import os
    import warnings

    from nbgrader.converters.base import NbGraderException
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    class Escaped(converter_class):
        def init_notebooks(self) -> None:
            self.assignments, self.notebooks = {}, []
            for assignment in glob.glob(self._format_source(self.coursedir.assignment_id, self.coursedir.student_id)):
                found = glob.glob(os.path.join(glob.escape(assignment), self.coursedir.notebook_id + ".ipynb"))
                if found:
                    self.assignments[assignment] = found
            if not self.assignments:
                raise NbGraderException(f"nothing to convert for {student!r} in {course}")

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    cfg.CourseDirectory.root = str(Path(course).resolve())
    cd = CourseDirectory(config=cfg)
    cd.assignment_id = glob.escape(stem) if stem else "*"
    cd.student_id = glob.escape(student)
    conv = Escaped(coursedir=cd, config=cfg)
    conv.force = True
    conv.log.setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's session warnings from nbgrader's own bookkeeping
        conv.start()


def feedback(course: Path, students: list[str] | None = None) -> tuple[list[Path], list[str]]:
    """nbgrader's HTML feedback for every autograded submission (or those of `students`).

    Returns (HTML files, a sentence per submission left without feedback).
    """
    from nbgrader.converters import GenerateFeedback

    auto = course / "autograded"
    found = sorted(p.name for p in auto.iterdir() if p.is_dir()) if auto.is_dir() else []
    if not found:
        raise FileNotFoundError(f"nothing autograded in {course}: run `make grade SUBMISSIONS=dir` first")
    failed = []
    for student in (students if students is not None else found):
        try:
            run_converter(GenerateFeedback, course, student)
        except Exception as e:  # noqa: BLE001 - one student's feedback failing must not hide the others'
            failed.append(f"{student}: {type(e).__name__}: {e}")
    if failed:
        with open(course / "nbgrader.log", "a") as fh:
            fh.write("generate_feedback failed for:\n" + "\n".join(failed) + "\n")
    made = sorted((course / "feedback").glob("*/*/*.html")) + sorted((course / "feedback").glob(".*/*/*.html"))
    missing = []
    subs = sorted(p for p in (course / "submitted").iterdir() if p.is_dir()) if (course / "submitted").is_dir() else []
    for sub in subs:
        if students is not None and sub.name not in students:
            continue
        for nb_dir in sorted(p for p in sub.iterdir() if p.is_dir()):
            if not (course / "feedback" / sub.name / nb_dir.name / f"{nb_dir.name}.html").exists():
                why = ("feedback failed (see nbgrader.log)" if (auto / sub.name / nb_dir.name).is_dir()
                       else "never autograded (make grade named why)")
                missing.append(f"{sub.name}/{nb_dir.name}: {why}")
    return made, missing

