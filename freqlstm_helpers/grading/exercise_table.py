"""The exercise table of INSTRUCTORS.md and README's counts, generated from the graded specs.

`python -m freqlstm_helpers.grading.exercise_table --write` rewrites the table between
the markers in INSTRUCTORS.md and the count sentence in README.md; `--check` exits 2
naming the first difference. A test runs the check, so the documents cannot drift from
the gradebook (whose points `make grade` checks against the same specs).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from . import specs
from .specs.effort import EFFORT

BEGIN, END = "<!-- exercise-table:begin -->", "<!-- exercise-table:end -->"
COUNTS = re.compile(r"\d+ exercises, \d+ points")


def rows() -> list[dict]:
    """One row per exercise (test cell); an exercise's parts are listed together and their points summed."""
    out = []
    for stem, nb in specs.NOTEBOOKS.items():
        for gid, parts in nb.cells().items():
            number = parts[0].number
            if number not in EFFORT:
                raise KeyError(f"exercise {number} has no (difficulty, minutes) in grading/specs/effort.py")
            difficulty, minutes = EFFORT[number]
            out.append({"id": number, "functions": [ex.function for ex in parts], "grade_id": gid,
                        "points": sum(float(ex.points) for ex in parts), "difficulty": difficulty,
                        "minutes": minutes, "notebook": stem})
    unused = set(EFFORT) - {r["id"] for r in out}
    if unused:
        raise KeyError(f"grading/specs/effort.py lists {sorted(unused)}, which no graded spec has")
    return out


def counts() -> str:
    r = rows()
    return f"{len(r)} exercises, {sum(x['points'] for x in r):g} points"


def table() -> str:
    lines = ["| exercise | solution cell (`grade_id`) | test cell (`grade_id`, locked) | points | difficulty (1-4) | minutes |",
             "|---|---|---|---|---|---|"]
    for r in rows():
        functions = " + ".join(f"`{f}`" for f in r["functions"])
        lines.append(f"| {r['id']} {functions} | `{r['grade_id']}_solution` | `{r['grade_id']}` | {r['points']:g} "
                     f"| {r['difficulty']} | {r['minutes']} |")
    total = rows()
    lines.append(f"| **total** | | | **{sum(x['points'] for x in total):g}** | | **{sum(x['minutes'] for x in total)}** |")
    return "\n".join(lines)


def render(instructors: str, readme: str) -> tuple[str, str]:
    """The two documents with the generated table and counts put in."""
    if BEGIN not in instructors or END not in instructors:
        raise ValueError(f"INSTRUCTORS.md has no {BEGIN} ... {END} block")
    head, rest = instructors.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new_instr = f"{head}{BEGIN}\n{table()}\n{END}{tail}"
    new_instr = COUNTS.sub(counts(), new_instr)
    if not COUNTS.search(readme):
        raise ValueError("README.md states no 'N exercises, P points'")
    return new_instr, COUNTS.sub(counts(), readme)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[2])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--write", action="store_true")
    mode.add_argument("--check", action="store_true")
    a = ap.parse_args(argv)
    paths = [a.root / "INSTRUCTORS.md", a.root / "README.md"]
    old = [p.read_text() for p in paths]
    try:
        new = render(*old)
    except (ValueError, KeyError) as e:
        print(f"exercise table: {e}", file=sys.stderr)
        return 2
    for p, o, n in zip(paths, old, new):
        if o != n:
            if a.check:
                print(f"{p.name} disagrees with the graded specs (run: python -m freqlstm_helpers.grading.exercise_table "
                      f"--write)", file=sys.stderr)
                return 2
            p.write_text(n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
