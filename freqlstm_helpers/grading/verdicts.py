"""Verdicts: the trusted side compares what came back from the sandbox with its own references.

Nothing a submission prints or patches reaches this module: its only inputs are the
data the probe returned (decoded without executing anything), the references computed
here, and the static check's findings. A verdict is PASSED (full points), FAILED,
NOT DONE (the stub still raises NotImplementedError) or MANUAL (flagged for manual
grading: automatic score 0, `needs_manual_grade` in the gradebook).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from .runner import Opaque, decode

PASSED, FAILED, NOT_DONE, MANUAL = "PASSED", "FAILED", "NOT DONE", "MANUAL"


@dataclass
class Verdict:
    exercise: str                 # "01.2"
    grade_id: str                 # "ex01_2"
    status: str
    message: str
    points: float
    max_points: float
    notes: list = field(default_factory=list)   # static findings, test-cell changes, ...

    @property
    def line(self) -> str:
        return f"[grader {self.exercise}] {self.status}: {self.message}"

    def to_dict(self) -> dict:
        return {"exercise": self.exercise, "grade_id": self.grade_id, "status": self.status, "message": self.message,
                "points": self.points, "max_points": self.max_points, "notes": list(self.notes)}


# --------------------------------------------------------------------------------------
# Comparisons: (got, want) -> (ok, sentence)
# --------------------------------------------------------------------------------------
def _what(x) -> str:
    if isinstance(x, Opaque):
        return f"an object {x!r}"
    if isinstance(x, bool):
        return f"the bool {x}"
    if isinstance(x, (int, float)):
        return f"the number {x!r}"
    if isinstance(x, np.ndarray):
        return f"an array of shape {x.shape}"
    if isinstance(x, (list, tuple)):
        return f"a {type(x).__name__} of length {len(x)}"
    if isinstance(x, dict):
        return f"a dict with keys {sorted(map(str, x))[:8]}"
    return f"{type(x).__name__} {str(x)[:60]!r}"


def _numeric(x):
    """A number, an array, or a (nested) list of numbers as a float64 array; None if it is not numeric."""
    if isinstance(x, bool) or isinstance(x, (Opaque, str, dict)) or x is None:
        return None
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return a


def floats_of(got):
    """A list or tuple of per-row outputs (floats, 1-element arrays or tensors) as a float array; else unchanged."""
    if isinstance(got, (list, tuple)):
        try:
            return np.array([float(np.asarray(v).reshape(-1)[0]) for v in got])
        except (TypeError, ValueError, IndexError):
            pass
    return got


def close(atol: float = 1e-9, rtol: float = 0.0):
    """Numbers and arrays within atol + rtol*|want| (shape must match); dicts key by key; bools and strings exactly."""
    def compare(got, want, path: str = "the result"):
        if isinstance(want, dict):
            if not isinstance(got, dict):
                return False, f"{path} should be a dict with keys {sorted(want)}, you returned {_what(got)}"
            if set(map(str, got)) != set(map(str, want)):
                return False, f"{path} has keys {sorted(map(str, got))}, expected {sorted(map(str, want))}"
            gs = {str(k): v for k, v in got.items()}
            for k in sorted(want, key=str):
                ok, msg = compare(gs[str(k)], want[k], f"{path}[{k!r}]" if path != "the result" else repr(k))
                if not ok:
                    return ok, msg
            return True, ""
        if isinstance(want, bool) or isinstance(want, str) or want is None:
            ok = (got is want) if isinstance(want, bool) or want is None else got == want
            return ok, "" if ok else f"{path} is {_what(got)}, expected {want!r}"
        g, w = _numeric(got), np.asarray(want, dtype=np.float64)
        if g is None:
            return False, f"{path} should be numbers of shape {w.shape}, you returned {_what(got)}"
        if g.shape != w.shape and not (w.ndim == 0 and g.size == 1):
            return False, f"{path} has shape {g.shape}, expected {w.shape}"
        g = g.reshape(w.shape)
        if not np.all(np.isfinite(g)) and np.all(np.isfinite(w)):
            return False, f"{path} contains nan or inf"
        diff = np.abs(g - w)
        bad = diff > atol + rtol * np.abs(w)
        if not bad.any():
            return True, ""
        if w.size > 1 and np.allclose(g, -w, atol=atol, rtol=rtol) and not np.allclose(w, 0, atol=atol):
            return False, f"{path} has the wrong sign everywhere"
        where = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), diff.shape)) if diff.ndim else ()
        at = f" at index {where}" if where else ""
        return False, (f"{path} differs: largest |difference| {float(diff.max()):.3g}{at} "
                       f"(you: {float(g[where] if where else g):.6g}, expected: {float(w[where] if where else w):.6g})")
    return compare


def exact():
    """Equality after tuples become lists and numpy scalars plain numbers (lists of windows, verdict strings)."""
    def norm(x):
        if isinstance(x, (list, tuple)):
            return [norm(v) for v in x]
        if isinstance(x, np.ndarray):
            return norm(x.tolist())
        if isinstance(x, dict):
            return {str(k): norm(v) for k, v in x.items()}
        return x

    def compare(got, want):
        g, w = norm(got), norm(want)
        if g == w and type(g) is type(w):
            return True, ""
        shown = json.dumps(g, default=repr)[:160] if not isinstance(got, Opaque) else repr(got)
        return False, f"you returned {shown}, expected {json.dumps(w, default=repr)[:160]}"
    return compare


def fields(**comparisons):
    """A dict result compared field by field, each with its own comparison (a side effect flag, an output)."""
    def compare(got, want):
        if not isinstance(got, dict):
            return False, f"the probe got {_what(got)}"
        for name, cmp in comparisons.items():
            ok, msg = cmp(got.get(name), want[name])
            if not ok:
                return False, msg
        return True, ""
    return compare


def flag(sentence: str):
    """A side-effect flag the probe reported (weights unchanged, input untouched): must be True."""
    def compare(got, want):
        return (got is True), ("" if got is True else sentence)
    return compare


# --------------------------------------------------------------------------------------
# From sandbox frames to a verdict
# --------------------------------------------------------------------------------------
_LIMITS = {"timeout": "it ran past its time limit", "cpu": "it used more than its CPU time limit",
           "memory": "it used more memory than allowed", "too_large": "it returned more data than allowed",
           "crashed": "the process running it died", "missing": "the sandbox ended before it ran"}


def judge(ex, frame: dict | None, references: list, cases: list, max_points: float, solution_present: bool,
          static: dict) -> Verdict:
    """One exercise's verdict from its sandbox frame, the references and the static check's findings."""
    def verdict(status, message):
        pts = max_points if status == PASSED else 0.0
        return Verdict(ex.id, ex.grade_id, status, message, pts, max_points)

    if not solution_present:
        v = verdict(NOT_DONE, f"your notebook has no solution cell {ex.solution_id} (deleted?); "
                              "this exercise scores 0, the others are graded as usual.")
    elif static.get("syntax"):
        v = verdict(FAILED, f"your solution cell does not parse: {static['syntax']}")
    elif static.get("denied"):
        v = verdict(FAILED, f"it uses {', '.join(static['denied'])}, which computes this exercise's answer; "
                            f"write your own. {_idea(ex)}")
    else:
        v = _from_frame(ex, frame, references, cases, verdict)
    if static.get("dynamic"):  # a stub with an attempt around it is flagged too: the instructor should see it
        auto = f"{v.status}: {v.message}"
        v = verdict(MANUAL, f"flagged for manual grading, because it {'; '.join(static['dynamic'])}. "
                            f"Automatic score 0. (The automatic check said: {auto})")
    return v


def _from_frame(ex, frame, references, cases, verdict) -> Verdict:
    if frame is None:
        return verdict(FAILED, _LIMITS["missing"] + ".")
    if frame["status"] != "ok":
        return verdict(FAILED, f"{_LIMITS.get(frame['status'], frame['status'])} "
                               f"({frame.get('seconds', 0):.1f} s); score 0.")
    # Everything below came out of a process that ran student code: malformed data is the student's
    # problem (FAILED), and what claims to be a grader problem is shown to a human (MANUAL), never a crash.
    try:
        data = json.loads(frame["payload"])
        cell_errors = {str(g): str(m) for g, m in data["cells"].items() if m != "ok"}
        confinement, results = data["confinement"], list(data["cases"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return verdict(FAILED, "its result could not be read (the process was tampered with, or died writing it).")
    if "fatal" in data or confinement.get("stub_failures") or confinement.get("seccomp") is not True:
        why = data.get("fatal") or confinement.get("stub_failures") or "no seccomp filter"
        return verdict(MANUAL, f"the sandbox reported a grader problem ({str(why)[:300]}); check this one by hand.")
    if data.get("missing_function"):
        why = f" ({ex.solution_id} raised {cell_errors[ex.solution_id]})" if ex.solution_id in cell_errors else ""
        return verdict(FAILED, f"your solution cells do not define `{ex.function}`{why}.")
    if not all(isinstance(r, dict) for r in results):
        return verdict(FAILED, "its result could not be read.")
    if any(r.get("not_done") for r in results):
        return verdict(NOT_DONE, "the stub still raises NotImplementedError.")
    for i, (r, case, want) in enumerate(zip(results, cases, references)):
        where = f"case {i + 1} of {len(cases)}" + (f" ({ex.describe(case)})" if ex.describe(case) else "")
        if "denied" in r:
            return verdict(FAILED, f"{where}: {r['denied']}.")
        if "error" in r:
            hint = _name_error_hint(r["error"])
            return verdict(FAILED, f"{where}: your function raised {r['error']}.{hint} {_idea(ex)}")
        try:
            got = decode(r["value"])
        except (ValueError, KeyError, TypeError) as e:
            return verdict(FAILED, f"{where}: the result could not be read ({e}).")
        try:
            ok, msg = ex.compare(got, want)
        except Exception as e:  # noqa: BLE001 - an odd result the comparison cannot take
            ok, msg = False, f"the result could not be compared ({type(e).__name__}: {str(e)[:120]})"
        if not ok:
            return verdict(FAILED, f"{where}: {msg}. {_idea(ex)}")
    if len(results) != len(cases):
        return verdict(FAILED, "not every case returned a result.")
    return verdict(PASSED, f"right on all {len(cases)} fresh case(s) the grader drew for this run.")


def _idea(ex) -> str:
    """Feedback is staged as in the self-checks: the idea behind the exercise, and where the closer hint is.

    The line-level hint (close to the solution) stays in the notebook, on request:
    `check.hint("01.2", level=2)`; a grading report never spells it out.
    """
    from ..teaching.checks.core import idea
    return idea(ex.number, where=" in your notebook")


_SEVERITY = [PASSED, NOT_DONE, FAILED, MANUAL]


def merge_parts(parts: list, functions: list) -> Verdict:
    """One verdict per test cell: an exercise with several functions scores the sum of its parts.

    The status is the worst part's (MANUAL > FAILED > NOT DONE > PASSED), the message names every part.
    """
    if len(parts) == 1:
        return parts[0]
    worst = max(parts, key=lambda v: _SEVERITY.index(v.status)).status
    points, most = sum(v.points for v in parts), sum(v.max_points for v in parts)
    message = " | ".join(f"part {v.exercise[-1]} `{fn}` ({v.points:g}/{v.max_points:g}): {v.status}: {v.message}"
                         for v, fn in zip(parts, functions))
    notes = list(dict.fromkeys(n for v in parts for n in v.notes))
    return Verdict(parts[0].exercise.rstrip("abcdefgh"), parts[0].grade_id, worst, message, points, most, notes)


def _name_error_hint(error: str) -> str:
    if error.startswith("NameError"):
        return (" (The grader runs the notebook's setup cell and your solution cells only: define or import "
                "what your function needs in its own cell.)")
    return ""


def finite(x) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)
