"""Synthetic submissions made from a release (student) notebook and the instructor's source.

Each builder takes the release notebook and the source notebook (nbformat nodes)
and returns what a student would hand in:

    solved     every solution cell as in the instructor's notebook
    untouched  the release version as handed out
    partly     only the exercises named in `solve`
    prints     stubs `return None`, plus a last cell printing a PASSED line per exercise
    deleted    stubs `return None`, every test cell deleted
    emptied    stubs `return None`, every test cell emptied
    passed     stubs `return None`, every test cell rewritten to `pass`
    rebound    stubs `return None`, a cell after the setup rebinding check.<exercise> to always pass

    python -m tests.homework.synthetic --course build/nbgrader --class-size 30 --out build/class30
writes a class of N students x every released notebook (a fixed, seeded mix of the kinds above)
for timing `make grade`. The attack submissions are in attacks.py.
"""
from __future__ import annotations

import argparse
import copy
import random
import re
from pathlib import Path

import nbformat

STUB = "raise NotImplementedError()"
CHECK_CALL = re.compile(r"^check\.(\w+)\(([\w, ]+)\)", re.M)
EXERCISE = re.compile(r"^# Exercise (\d\d\.\d+)", re.M)


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _is_solution(cell) -> bool:
    return bool(_meta(cell).get("solution"))


def _is_test(cell) -> bool:
    return bool(_meta(cell).get("grade")) and not _meta(cell).get("solution")


def exercise_id(cell) -> str:
    m = EXERCISE.search(cell.source)
    return m.group(1) if m else ""


def _strip(nb):
    nb = copy.deepcopy(nb)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    return nb


def partly(release, source, solve=()):
    """Fill the solution cells of the exercises in `solve` ('01.1', ...) from the instructor's notebook."""
    nb = _strip(release)
    answers = {_meta(c)["grade_id"]: c.source for c in source.cells if _is_solution(c)}
    for c in nb.cells:
        if _is_solution(c) and exercise_id(c) in solve:
            c.source = answers[_meta(c)["grade_id"]]
    return nb


def solved(release, source):
    return partly(release, source, solve={exercise_id(c) for c in release.cells if _is_solution(c)})


def untouched(release, source):
    return _strip(release)


def _return_none(release):
    nb = _strip(release)
    for c in nb.cells:
        if _is_solution(c):
            c.source = c.source.replace(STUB, "return None")
    return nb


def prints(release, source):
    nb = _return_none(release)
    lines = [f"print('[check {exercise_id(c)} {m.group(1)}] PASSED: exact match, max |difference| 0 over 1 comparison(s).')"
             for c, m in _solution_and_check(nb)]
    nb.cells.append(nbformat.v4.new_code_cell("\n".join(lines)))
    return nb


def deleted(release, source):
    nb = _return_none(release)
    nb.cells = [c for c in nb.cells if not _is_test(c)]
    return nb


def _tests_rewritten_to(text):
    """A tampering: every stub returns None and every test cell's source becomes `text`."""
    def tamper(release, source):
        nb = _return_none(release)
        for c in nb.cells:
            if _is_test(c):
                c.source = text
        return nb
    return tamper


emptied = _tests_rewritten_to("")
passed = _tests_rewritten_to("pass")


def deleted_exercise(release, source, exercise: str):
    """Every exercise solved, then one exercise's solution cell and test cell deleted."""
    nb = solved(release, source)
    gid = "ex" + exercise.replace(".", "_")
    nb.cells = [c for c in nb.cells if _meta(c).get("grade_id") not in (gid, gid + "_solution")]
    return nb


def tests_rewritten(nb, text):
    """The same notebook with every test cell's source replaced by `text`."""
    nb = copy.deepcopy(nb)
    for c in nb.cells:
        if _is_test(c):
            c.source = text
    return nb


def rebound(release, source):
    nb = _return_none(release)
    names = sorted({m.group(1) for _, m in _solution_and_check(nb)})
    cell = nbformat.v4.new_code_cell("\n".join(f"check.{n} = lambda fn, *a, **k: print('[check] PASSED')" for n in names))
    setup = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells.insert(setup + 1, cell)
    return nb


def _solution_and_check(nb):
    """(solution cell, match of `check.<name>(<fn>)` in the test cell after it) for every exercise."""
    out = []
    for i, c in enumerate(nb.cells):
        if _is_solution(c):
            test = next(t for t in nb.cells[i + 1:] if _is_test(t))
            out.append((c, CHECK_CALL.search(test.source)))
    return out


KINDS = {"solved": solved, "untouched": untouched, "prints": prints, "deleted": deleted,
         "emptied": emptied, "passed": passed, "rebound": rebound}


def write_class(release_dir: Path, source_dir: Path, out: Path, size: int, seed: int = 30) -> dict[str, str]:
    """A class of `size` students: a seeded mix of solved, partly solved, untouched and tampered notebooks."""
    rng = random.Random(seed)
    kinds = {}
    for i in range(size):
        student = f"s{i + 1:02d}"
        kind = rng.choice(["solved", "solved", "solved", "partly", "partly", "untouched", "prints", "rebound"])
        kinds[student] = kind
        for rel in sorted(Path(release_dir).glob("*/*.ipynb")):
            release = nbformat.read(rel, as_version=4)
            source = nbformat.read(Path(source_dir) / rel.parent.name / rel.name, as_version=4)
            if kind == "partly":
                ids = sorted(exercise_id(c) for c in release.cells if _is_solution(c))
                nb = partly(release, source, solve=set(rng.sample(ids, k=max(1, len(ids) // 2))))
            else:
                nb = KINDS[kind](release, source)
            (out / student).mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, out / student / rel.name)
    return kinds


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="python -m tests.homework.synthetic")
    p.add_argument("--course", default="build/nbgrader", help="course folder with source/ and release/")
    p.add_argument("--class-size", type=int, default=30)
    p.add_argument("--out", default="build/class")
    a = p.parse_args()
    course = Path(a.course)
    for student, kind in write_class(course / "release", course / "source", Path(a.out), a.class_size).items():
        print(student, kind)
