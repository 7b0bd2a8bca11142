"""The grading coordinator: the only process that decides points and writes the gradebook.

    make grade SUBMISSIONS=dir [JOBS=N]     (python -m freqlstm_helpers.grading grade dir --jobs N)

1. nbgrader generates the release from source/ (as before) and the specs are checked against it
   (the same exercises, the same points).
2. SUBMISSIONS/<student>/<NN_name>.ipynb is read (collect.py); from each notebook only the
   *solution cells* are taken, matched to the release by nbgrader grade_id.
3. The static check reads those cells (static_check.py).
4. Fresh probe inputs are drawn from a secret seed of this run (specs/), and every student's
   solutions go to a worker (parallel.py, worker.py), which runs them in a bubblewrap sandbox
   (sandbox.py, runner.py) and computes the references.
5. The coordinator compares what came back with the references (verdicts.py) and writes
   verdicts/<student>/<NN_name>.json, then runs nbgrader's Autograde in-process, whose
   preprocessors (preprocessors.py) record those verdicts in the gradebook and in the
   autograded notebook for feedback.
6. grades.csv (export.py), written only when the whole run succeeded; the old one is removed
   first, so a failed run never leaves an older CSV looking current.
"""
from __future__ import annotations

import inspect
import json
import secrets
import shutil
import time
import uuid
from concurrent.futures import as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
import numpy as np

from . import collect, course as course_mod, export, sandbox, specs, static_check, worker
from .parallel import executor
from .preprocessors import solution_sources, test_cell_changes, test_cells, verdicts_path
from .runner import decode, encode
from .specs import probes
from .verdicts import MANUAL, PASSED, judge, merge_parts


class GradingError(RuntimeError):
    """The grader's side failed (not a student's code): the run exits non-zero and writes no CSV."""


@dataclass
class Report:
    students: list = field(default_factory=list)
    rows: list = field(default_factory=list)
    refused: list = field(default_factory=list)
    failures: list = field(default_factory=list)   # grader-side failures
    manual: list = field(default_factory=list)     # "student/notebook exercise: why"
    seconds: float = 0.0
    sandbox_seconds: dict = field(default_factory=dict)
    csv: Path | None = None
    seed: int = 0


# --------------------------------------------------------------------------------------
# The run's shared part: exercises, probes, cases
# --------------------------------------------------------------------------------------
def check_specs(course: Path, graded: list[str]) -> None:
    """Every graded notebook has a spec with the release's exercises and points."""
    for stem in graded:
        if stem not in specs.NOTEBOOKS:
            raise GradingError(f"notebook {stem} is graded but has no spec in freqlstm_helpers/grading/specs/")
        release = nbformat.read(course / "release" / stem / f"{stem}.ipynb", as_version=4)
        spec = specs.NOTEBOOKS[stem]
        tests = {gid: c.metadata["nbgrader"].get("points") for gid, c in test_cells(release).items()}
        want = {gid: sum(float(ex.points) for ex in parts) for gid, parts in spec.cells().items()}
        if tests.keys() != want.keys():
            raise GradingError(f"{stem}: the release's test cells {sorted(tests)} and the spec's exercises "
                               f"{sorted(want)} differ")
        for gid, pts in want.items():
            if float(tests[gid]) != float(pts):
                raise GradingError(f"{stem} {gid}: the test cell gives {tests[gid]} points, the spec {pts}")
        sols = set(solution_sources(release, release))
        missing = {ex.solution_id for ex in spec.exercises} - sols
        if missing:
            raise GradingError(f"{stem}: no solution cell {sorted(missing)} in the release")


def release_setup(course: Path, stem: str, n: int) -> list[str]:
    release = nbformat.read(course / "release" / stem / f"{stem}.ipynb", as_version=4)
    code = [c.source for c in release.cells if c.cell_type == "code"]
    return [static_check.to_python(s) for s in code[:n]]


def build_run(course: Path, graded: list[str], seed: int, limits: sandbox.Limits) -> dict:
    probe_source = inspect.getsource(probes)
    run = {"id": uuid.uuid4().hex, "fingerprint": sandbox.image_fingerprint(), "limits": asdict(limits),
           "notebooks": {}, "cases": {}}
    for n_idx, stem in enumerate(graded):
        spec = specs.NOTEBOOKS[stem]
        exercises = []
        for e_idx, ex in enumerate(spec.exercises):
            rng = np.random.default_rng([seed, n_idx, e_idx])
            cases = ex.cases(rng)
            run["cases"][ex.id] = [encode(c) for c in cases]
            cpu = ex.cpu_seconds * limits.cpu_seconds / sandbox.Limits().cpu_seconds
            wall = ex.wall() * limits.wall_seconds / sandbox.Limits().wall_seconds
            exercises.append({"id": ex.id, "function": ex.function, "probe_source": probe_source,
                              "probe_name": ex.probe_name, "cases": [encode(worker.public(c)) for c in cases],
                              "denied": specs.resolved_denials(ex), "cpu_seconds": cpu, "wall_seconds": wall,
                              "memory_bytes": limits.memory_bytes, "file_bytes": limits.file_bytes})
        run["notebooks"][stem] = {"setup": release_setup(course, stem, spec.setup_cells),
                                  "preimport": list(spec.preimport) + sorted({t.split(":")[0] for ex in exercises
                                                                              for t in ex["denied"]
                                                                              if not t.startswith("freqlstm_helpers")}),
                                  "exercises": exercises}
    return run


# --------------------------------------------------------------------------------------
# nbgrader's autograde, in this process, from the verdicts
# --------------------------------------------------------------------------------------
def autograde(course: Path, student: str, stem: str | None = None) -> None:
    """nbgrader's Autograde for one student (every handed-in notebook, or `stem`), as configured in the course."""
    from nbgrader.converters import Autograde
    course_mod.run_converter(Autograde, course, student, stem)


def forget_submission(course: Path, stem: str, student: str) -> None:
    """A notebook not handed in this time: no verdicts, no autograded copy, no gradebook entry from before."""
    import warnings

    from nbgrader.api import Gradebook, MissingEntry
    if not (verdicts_path(course, student, stem).exists() or (course / "autograded" / student / stem).exists()):
        return  # never graded here: nothing to forget
    verdicts_path(course, student, stem).unlink(missing_ok=True)
    shutil.rmtree(course / "autograded" / student / stem, ignore_errors=True)
    db = course / "gradebook.db"
    with Gradebook(f"sqlite:///{db}", course_mod.COURSE_ID) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            gb.remove_submission(stem, student)
        except MissingEntry:
            pass


# --------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------
def grade(notebooks_dir: Path, submissions: Path, course: Path, out_csv: Path, jobs: int = 1,
          scheduler: str | None = None, limits: sandbox.Limits | None = None, seed: int | None = None,
          say=print) -> Report:
    t0 = time.monotonic()
    limits = limits or sandbox.Limits()
    sandbox.require_bwrap()
    course, out_csv = Path(course), Path(out_csv)
    if out_csv.exists():
        out_csv.unlink()
        say(f"removed the previous {out_csv}: it is written again only if this run succeeds")
    graded = course_mod.prepare_course(notebooks_dir, course)
    check_specs(course, graded)
    subs, refused = collect.read_submissions(submissions, graded)
    report = Report(refused=list(refused), seed=seed if seed is not None else secrets.randbits(63))
    for line in refused:
        say(line)
    if not subs:
        raise FileNotFoundError(f"no student folders in {submissions}: expected {submissions}/<student>/<NN_name>.ipynb")
    releases = {s: nbformat.read(course / "release" / s / f"{s}.ipynb", as_version=4) for s in graded}
    for sub in subs:
        collect.store(sub, course, graded)
        for stem in graded:
            if stem not in sub.notebooks:
                forget_submission(course, stem, sub.student)
        for name in sub.skipped:
            say(f"skipped {sub.student}/{name}: not a graded notebook")
    run = build_run(course, graded, report.seed, limits)
    targets = {ex.id: specs.resolved_denials(ex) for ex in specs.exercises() if any(
        ex in specs.NOTEBOOKS[s].exercises for s in graded)}

    jobs_by_student, static = {}, {}
    for sub in subs:
        nbs = []
        for stem in graded:
            if stem in sub.unreadable:
                say(f"{sub.student}/{stem}.ipynb is not a readable notebook ({sub.unreadable[stem]}): it scores 0")
                _unreadable_verdicts(course, sub.student, stem, sub.unreadable[stem], report.seed)
            if stem not in sub.notebooks:
                continue
            sols = solution_sources(sub.notebooks[stem], releases[stem])
            spec = specs.NOTEBOOKS[stem]
            static[(sub.student, stem)] = {k: v.as_dict() for k, v in static_check.check_notebook(
                list(sols.items()), run["notebooks"][stem]["setup"], list(spec.exercises), targets).items()}
            nbs.append({"stem": stem, "solutions": [[gid, _python(src)] for gid, src in sols.items()]})
        if nbs:
            jobs_by_student[sub.student] = {"student": sub.student, "notebooks": nbs}

    done = {}
    with executor(jobs, scheduler) as (pool, where):
        say(f"grading {len(jobs_by_student)} student(s) on {where}; probe seed of this run: {report.seed}")
        futures = {pool.submit(worker.grade_student, job, run): s for s, job in jobs_by_student.items()}
        for fut in as_completed(futures):
            student = futures[fut]
            try:
                result = fut.result()
            except Exception as e:  # noqa: BLE001 - a grader-side failure: report it, go on with the others
                report.failures.append(f"{student}: {type(e).__name__}: {e}")
                say(f"FAILED to grade {student}: {type(e).__name__}: {e}")
                continue
            done[student] = result
            report.sandbox_seconds[student] = result["seconds"]
            try:
                line = _record(course, next(s for s in subs if s.student == student), result, releases, static,
                               run, report)
            except Exception as e:  # noqa: BLE001
                report.failures.append(f"{student}: recording the verdicts failed: {type(e).__name__}: {e}")
                say(f"FAILED to record {student}: {type(e).__name__}: {e}")
                continue
            say(line)
    report.students = [s.student for s in subs]
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_mod.COURSE_ID) as gb:
        for s in report.students:
            gb.update_or_create_student(s)
        report.rows = export.exercise_rows(gb, course, graded, report.students)
    report.seconds = time.monotonic() - t0
    if report.manual:
        say(f"FLAGGED FOR MANUAL GRADING ({len(report.manual)}): automatic score 0, needs_manual_grade set "
            "in the gradebook (review them in the formgrader):")
        for m in report.manual:
            say(f"  {m}")
    if report.failures:
        say(f"grading FAILED for {len(report.failures)} student(s); no {out_csv} written")
        return report
    export.write_csv(report.rows, out_csv)
    report.csv = out_csv
    return report


def _unreadable_verdicts(course: Path, student: str, stem: str, why: str, seed: int) -> None:
    """Verdicts for a notebook nbgrader cannot read either: every exercise FAILED, saying why (no gradebook entry)."""
    from .verdicts import FAILED, Verdict
    vs = [Verdict(parts[0].number, gid, FAILED, f"the notebook handed in is not readable ({why}).", 0.0,
                  sum(float(ex.points) for ex in parts)).to_dict()
          for gid, parts in specs.NOTEBOOKS[stem].cells().items()]
    path = verdicts_path(course, student, stem)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"student": student, "notebook": stem, "seed": seed, "notes": [], "verdicts": vs}))


def _python(src):
    if src is None:
        return None
    try:
        return static_check.to_python(src)
    except Exception:  # noqa: BLE001 - left as it is; the static check reports the syntax error
        return src


def _record(course: Path, sub, result: dict, releases: dict, static: dict, run: dict, report: Report) -> str:
    """Judge one student's notebooks, write their verdicts, autograde them with nbgrader; one summary line."""
    parts = []
    for stem in releases:
        if stem not in sub.notebooks:
            parts.append(f"{stem[:2]} not handed in")
            continue
        spec = specs.NOTEBOOKS[stem]
        sols = solution_sources(sub.notebooks[stem], releases[stem])
        notes = test_cell_changes(sub.notebooks[stem], releases[stem])
        verdicts = []
        for gid, members in spec.cells().items():  # one verdict per test cell: an exercise's parts merged
            judged = []
            for ex in members:
                frame = result["frames"].get(f"{stem}|{ex.id}")
                refs = [decode(r) for r in result["references"][ex.id]]
                cases = [decode(c) for c in run["cases"][ex.id]]
                judged.append(judge(ex, frame, refs, cases, float(ex.points), sols.get(ex.solution_id) is not None,
                                    static[(sub.student, stem)][ex.id]))
                judged[-1].notes = [n for n in notes if gid in n.split()]
            v = merge_parts(judged, [ex.function for ex in members])
            if v.status == MANUAL:
                report.manual.append(f"{sub.student}/{stem} {v.exercise}: {v.message[:200]}")
            verdicts.append(v.to_dict())
        path = verdicts_path(course, sub.student, stem)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"student": sub.student, "notebook": stem, "seed": report.seed,
                                    "notes": notes, "verdicts": verdicts}, indent=1))
        got = sum(v["points"] for v in verdicts)
        most = sum(v["max_points"] for v in verdicts)
        flags = [v["exercise"] for v in verdicts if v["status"] == MANUAL]
        parts.append(f"{stem[:2]} {got:g}/{most:g}" + (f" (manual: {', '.join(flags)})" if flags else "")
                     + (f" ({len(notes)} test cell(s) changed: ignored)" if notes else ""))
    if any(stem in sub.notebooks for stem in releases):
        autograde(course, sub.student)
    ended = "" if result["ended"] == "done" else f"; its sandbox ended early ({result['ended']})"
    return f"graded {sub.student} in {result['seconds']:.1f} s: " + ", ".join(parts) + ended


__all__ = ["grade", "Report", "GradingError", "PASSED"]
