"""One nbgrader course folder per test session; one sandboxed grading run of a whole synthetic class.

The class holds the baselines (honest: the instructor's notebooks, all five; untouched: the
release versions; partial; odd folder names; a deleted exercise; tampered test cells) and
every attack of attacks.py, one student each, graded together in ONE run, as `make grade`
would grade them. Tests that need bubblewrap fail under CI (CI=true: .ci/run installs it)
and are skipped with the reason elsewhere.
"""
import contextlib
import io
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from freqlstm_helpers.grading import course as course_mod
from freqlstm_helpers.grading import sandbox
from tests.homework import attacks, synthetic

ROOT = Path(__file__).resolve().parents[2]
NB_DIR = ROOT / "notebooks"
NB01, NB02 = attacks.NB01, attacks.NB02
TEST_LIMITS = sandbox.Limits(cpu_seconds=5.0, wall_seconds=15.0, startup_seconds=90.0)
PARTIAL = {NB01: {"01.1"}, NB02: {"02.2"}}


def need_bwrap():
    """Fail in CI, skip elsewhere, when bubblewrap cannot run the sandbox here."""
    if sandbox.probe_namespaces():
        return
    why = ("bubblewrap (bwrap) is not installed or cannot create namespaces here: "
           "sudo apt-get install bubblewrap")
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


@pytest.fixture(scope="session", autouse=True)
def _figures_elsewhere(tmp_path_factory):
    """Executed student notebooks save their figures here, never over the course's figures/."""
    old = os.environ.get("FREQLSTM_FIGURES")
    os.environ["FREQLSTM_FIGURES"] = str(tmp_path_factory.mktemp("figures"))
    yield
    if old is None:
        os.environ.pop("FREQLSTM_FIGURES", None)
    else:
        os.environ["FREQLSTM_FIGURES"] = old


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """(course folder, student folder, {stem: 'graded' | 'not yet graded'}) after `grading student`."""
    base = tmp_path_factory.mktemp("homework")
    course, student = base / "course", base / "student"
    kinds = course_mod.write_student_versions(NB_DIR, student, course)
    return course, student, kinds


def notebooks(course_dir, stem):
    release = nbformat.read(course_dir / "release" / stem / f"{stem}.ipynb", as_version=4)
    source = nbformat.read(course_dir / "source" / stem / f"{stem}.ipynb", as_version=4)
    return release, source


def write_class(course_dir: Path, subs: Path) -> None:
    stems = sorted(p.name for p in (course_dir / "release").iterdir())

    def put(student, stem, nb):
        (subs / student).mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, subs / student / f"{stem}.ipynb")

    for stem in stems:
        release, source = notebooks(course_dir, stem)
        put("honest", stem, synthetic.solved(release, source))
        put("untouched", stem, synthetic.untouched(release, source))
    for stem in (NB01, NB02):
        release, source = notebooks(course_dir, stem)
        put("partial", stem, synthetic.partly(release, source, PARTIAL[stem]))
        put("zz_honest_last", stem, synthetic.solved(release, source))
    release, source = notebooks(course_dir, NB01)
    put(".dotname", NB01, synthetic.solved(release, source))
    put("a[b] c", NB01, synthetic.solved(release, source))
    put("deleted_exercise", NB01, synthetic.deleted_exercise(release, source, "01.2"))
    put("tampered_tests", NB01, synthetic.tests_rewritten(synthetic.solved(release, source), "pass"))
    (subs / "unreadable").mkdir()
    (subs / "unreadable" / f"{NB01}.ipynb").write_text("{ this is not a notebook")
    (subs / "linked").symlink_to(subs / "honest", target_is_directory=True)
    for name, (stem, build) in attacks.ATTACKS.items():
        release, source = notebooks(course_dir, stem)
        put(f"attack_{name}", stem, build(release, source))


@pytest.fixture(scope="session")
def graded_class(course, tmp_path_factory):
    """(course folder, CSV rows, what the run printed, report, folder): the whole class graded once."""
    need_bwrap()
    from freqlstm_helpers.grading import grade
    src, _, _ = course
    base = tmp_path_factory.mktemp("class")
    course_dir = base / "course"
    shutil.copytree(src, course_dir, symlinks=True)
    subs = base / "submissions"
    subs.mkdir()
    write_class(course_dir, subs)
    out = course_dir / "grades.csv"
    out.write_text("student,notebook,exercise,points,max_points\nold,01_signals_and_fft,ex01_1,1,1\n")
    printed = io.StringIO()
    before = package_hashes()
    with contextlib.redirect_stdout(printed):
        report = grade.grade(NB_DIR, subs, course_dir, out, jobs=3, limits=TEST_LIMITS,
                             say=lambda line: print(line, flush=True))
    report.package_unchanged = before == package_hashes()
    import csv
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    return course_dir, rows, printed.getvalue(), report, subs


def package_hashes() -> dict:
    import hashlib
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (ROOT / "freqlstm_helpers").rglob("*.py")}


def points(rows, student, notebook):
    sel = [r for r in rows if r["student"] == student and r["notebook"] == notebook]
    assert sel, f"no rows for {student} {notebook}"
    return sum(float(r["points"]) for r in sel), sum(float(r["max_points"]) for r in sel)


def by_exercise(rows, student, notebook):
    return {r["exercise"]: r for r in rows if r["student"] == student and r["notebook"] == notebook}
