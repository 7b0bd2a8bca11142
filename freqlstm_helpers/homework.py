"""Homework mode: student notebooks without solutions, and a grader that reads the self-checks.

Exercise cells follow nbgrader's markers, so nbgrader users can take the course
unchanged:

    # Exercise 02.1
    def lstm_step(...):
        # Hint: one line that tells the student where to start.
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

`make student` replaces each solution region with
`raise NotImplementedError("Exercise 02.1: <hint>")` at the same indentation and
strips every output, so nothing of a solution survives in the student files.
The self-checks (freqlstm_helpers.check) print one line per exercise,
`[check 02.1 lstm_step] PASSED|FAILED|NOT DONE: ...`; the grader executes a
submission and reads those lines, so a student and a grader see the same verdict.

    python -m freqlstm_helpers.homework student --out build/student
    python -m freqlstm_helpers.homework grade SUBMISSIONS_DIR --out grades.csv
"""
from __future__ import annotations

import argparse
import csv
import re
import sys
from dataclasses import dataclass
from pathlib import Path

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
EXERCISE_RE = re.compile(r"^#\s*Exercise\s+(\d\d\.\d+)\s*$", re.M)
HINT_RE = re.compile(r"^\s*#\s*Hint:\s*(.+)$")
CHECK_RE = re.compile(r"\[check (\d\d\.\d+) ([^\]]+)\] (PASSED|FAILED|NOT DONE)")


@dataclass(frozen=True)
class Exercise:
    notebook: str
    exercise_id: str
    cell_index: int
    hint: str
    solution: str  # the lines between the markers


def _regions(lines):
    """Yield (begin, end) line indices of each solution region; refuse unbalanced markers."""
    begin = None
    for i, line in enumerate(lines):
        s = line.strip()
        if s == BEGIN:
            if begin is not None:
                raise ValueError(f"line {i + 1}: '{BEGIN}' inside another solution region")
            begin = i
        elif s == END:
            if begin is None:
                raise ValueError(f"line {i + 1}: '{END}' without a '{BEGIN}'")
            yield begin, i
            begin = None
    if begin is not None:
        raise ValueError(f"line {begin + 1}: '{BEGIN}' is never closed")


def _hint(lines, begin):
    for line in reversed(lines[:begin]):
        m = HINT_RE.match(line)
        if m:
            return m.group(1).strip()
    return "fill in this part."


def exercises(nb, name: str = "") -> list[Exercise]:
    found = []
    for idx, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or BEGIN not in cell.source:
            continue
        m = EXERCISE_RE.search(cell.source)
        if not m:
            raise ValueError(f"{name} cell {idx}: a solution region needs an '# Exercise NN.M' line in its cell")
        lines = cell.source.split("\n")
        for b, e in _regions(lines):
            found.append(Exercise(name, m.group(1), idx, _hint(lines, b), "\n".join(lines[b + 1:e])))
    return found


def strip_solutions(source: str, exercise_id: str) -> str:
    lines = source.split("\n")
    out, last = [], 0
    for b, e in _regions(lines):
        indent = lines[b][: len(lines[b]) - len(lines[b].lstrip())]
        msg = f"Exercise {exercise_id}: {_hint(lines, b)}"
        out += lines[last:b] + [f"{indent}raise NotImplementedError({msg!r})"]
        last = e + 1
    return "\n".join(out + lines[last:])


def student_version(nb, name: str = ""):
    """A copy with every solution replaced by a stub and every output and execution count removed."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.metadata = {}
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        if BEGIN in cell.source:
            m = EXERCISE_RE.search(cell.source)
            if not m:
                raise ValueError(f"{name}: a solution region needs an '# Exercise NN.M' line in its cell")
            cell.source = strip_solutions(cell.source, m.group(1))
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in ("kernelspec", "language_info")}
    return nb


def write_student_versions(notebooks_dir: Path, out: Path) -> list[Path]:
    import jupytext
    import nbformat

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sorted(Path(notebooks_dir).glob("0*.ipynb")):
        nb = student_version(nbformat.read(src, as_version=4), src.name)
        nbformat.write(nb, out / src.name)
        jupytext.write(nb, out / (src.stem + ".py"), fmt="py:percent")
        written += [out / src.name, out / (src.stem + ".py")]
    return written


def check_verdicts(nb) -> dict:
    """{exercise id: status} from the check lines in a notebook's outputs (the last one wins)."""
    verdicts = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            text = o.get("text") or o.get("data", {}).get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            for m in CHECK_RE.finditer(text):
                verdicts[m.group(1)] = m.group(3)
    return verdicts


def grade(submissions: Path, out_csv: Path, timeout: int = 600) -> list[dict]:
    """Execute every submitted notebook (errors allowed) and tabulate each exercise's verdict."""
    import nbformat
    from nbclient import NotebookClient

    rows = []
    for path in sorted(Path(submissions).rglob("0*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(nb, timeout=timeout, allow_errors=True, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})
        client.execute()
        got = check_verdicts(nb)
        ids = sorted(set(got) | _ids_in_source(nb))
        student = path.parent.name if path.parent != Path(submissions) else path.stem
        for ex in ids:
            status = got.get(ex, "NOT RUN")
            rows.append({"student": student, "notebook": path.stem, "exercise": ex,
                         "status": status, "passed": int(status == "PASSED")})
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with open(out_csv, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["student", "notebook", "exercise", "status", "passed"])
        w.writeheader()
        w.writerows(rows)
    return rows


def _ids_in_source(nb) -> set:
    return {m.group(1) for c in nb.cells if c.cell_type == "code" for m in EXERCISE_RE.finditer(c.source)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m freqlstm_helpers.homework")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("student", help="write student notebooks (.ipynb and .py) without solutions")
    s.add_argument("--notebooks", default="notebooks")
    s.add_argument("--out", default="build/student")
    g = sub.add_parser("grade", help="execute submissions and write a CSV of exercise x pass/fail")
    g.add_argument("submissions")
    g.add_argument("--out", default="grades.csv")
    g.add_argument("--timeout", type=int, default=600)
    a = p.parse_args(argv)
    try:
        if a.cmd == "student":
            for f in write_student_versions(Path(a.notebooks), Path(a.out)):
                print(f"wrote {f}")
        else:
            if not Path(a.submissions).is_dir():
                raise FileNotFoundError(f"submissions folder {a.submissions!r} does not exist")
            rows = grade(Path(a.submissions), Path(a.out), a.timeout)
            print(f"graded {len({(r['student'], r['notebook']) for r in rows})} notebook(s); wrote {a.out}")
    except (ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
