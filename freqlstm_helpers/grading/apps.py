"""Command line: student versions, sandboxed grading, feedback.

    python -m freqlstm_helpers.grading student  [--out build/student]   (notebooks, and the package wheel in OUT/wheel)
    python -m freqlstm_helpers.grading grade    SUBMISSIONS [--out COURSE/grades.csv] [--jobs N] [--scheduler tcp://...]
    python -m freqlstm_helpers.grading feedback

Exit codes: 0 done; 1 the grader failed (no CSV written); 2 bad input (a missing folder, bwrap
not installed, a student folder refused), with one line saying which.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import course as course_mod
from . import sandbox


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m freqlstm_helpers.grading")
    p.add_argument("--course", default="build/nbgrader", help="the nbgrader course folder")
    p.add_argument("--notebooks", default="notebooks")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("student", help="student versions (nbgrader release) in build/student/, .ipynb and .py")
    s.add_argument("--out", default="build/student")
    g = sub.add_parser("grade", help="grade SUBMISSIONS/<student>/<NN_name>.ipynb in sandboxes; per-exercise CSV")
    g.add_argument("submissions")
    g.add_argument("--out", default=None, help="the CSV (default: COURSE/grades.csv)")
    g.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "1") or 1),
                   help="students graded at once on this machine")
    g.add_argument("--scheduler", default=os.environ.get("DASK_SCHEDULER") or None,
                   help="a Dask scheduler address (tcp://host:8786): grade on that cluster instead")
    g.add_argument("--time-scale", type=float, default=1.0, help="multiply every exercise's time limits")
    g.add_argument("--seed", type=int, default=None, help="the probe seed (default: a fresh secret one)")
    sub.add_parser("feedback", help="nbgrader's HTML feedback for every autograded submission")
    a = p.parse_args(argv)
    course, notebooks = Path(a.course), Path(a.notebooks)
    if course.exists() and not course.is_dir():
        print(f"error: --course {course} is a file: give the nbgrader course folder (default build/nbgrader)",
              file=sys.stderr)
        return 2
    try:
        if a.cmd == "student":
            for stem, kind in course_mod.write_student_versions(notebooks, Path(a.out), course).items():
                print(f"wrote {Path(a.out) / stem}.ipynb and .py ({kind})")
            from .student_docs import localise
            for doc in localise(Path(a.out), notebooks.parent / "docs"):
                print(f"wrote {doc} (linked from the notebooks)")
            from .release_package import build_wheel
            print(f"wrote {build_wheel(Path(a.out) / 'wheel')} (the course package without grading/ and website/)")
        elif a.cmd == "grade":
            return _grade(a, course, notebooks)
        else:
            files, missing = course_mod.feedback(course)
            for f in files:
                print(f"wrote {f}")
            if missing:
                print(f"NO FEEDBACK for {len(missing)} submission(s):")
                for m in missing:
                    print(f"  {m}")
                if any("feedback failed" in m for m in missing):
                    return 1
    except sandbox.SandboxUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


def _grade(a, course: Path, notebooks: Path) -> int:
    from .grade import grade
    if not Path(a.submissions).is_dir():
        raise FileNotFoundError(f"submissions folder {a.submissions!r} does not exist")
    out = Path(a.out) if a.out else course / "grades.csv"
    limits = sandbox.Limits().scaled(a.time_scale)
    r = grade(notebooks, Path(a.submissions), course, out, jobs=a.jobs, scheduler=a.scheduler, limits=limits,
              seed=a.seed)
    if r.failures:
        print(f"error: grading failed for {len(r.failures)} student(s): " + "; ".join(r.failures), file=sys.stderr)
        return 1
    print(f"graded {len(r.students)} student(s) in {r.seconds:.0f} s; wrote {out} ({len(r.rows)} rows); "
          f"gradebook {course / 'gradebook.db'}")
    if r.refused:
        print(f"error: {len(r.refused)} thing(s) in {a.submissions} refused (listed above)", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
