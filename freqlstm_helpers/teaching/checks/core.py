"""The shared core of the self-checks: verdicts, comparisons, staged hints (one module per notebook uses it).

Every check takes the student's function and calls it on fixed inputs. It prints one
line, `[check 02.1 lstm_step] PASSED|FAILED|NOT DONE: ...`, naming the shape, the sign,
the largest difference and where it occurs, and the idea behind the exercise. On FAILED
it then raises `CheckFailed`, so a wrong solution stops Run All (and the instructor's
notebook fails loudly); on NOT DONE (the stub still raises NotImplementedError) and on
PASSED it returns None, so a student's Run All goes on. The self-check is feedback only:
points come from the sandboxed grader, which tests the function on fresh inputs.

Hints are staged: a failure gives the idea (`CONCEPTS`); the line-level hint, close to
the solution, only comes on request, `check.hint("03.1", level=2)`.
`check.<name>.result(fn)` returns the `CheckResult` without printing or raising.
References come from a different route than the exercise asks for (torch, autograd,
analytic values), so importing a check gives no solution away.
"""
from __future__ import annotations

import functools
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

PASSED, FAILED, NOT_DONE = "PASSED", "FAILED", "NOT DONE"


@dataclass(frozen=True)
class CheckResult:
    exercise: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return f"[check {self.exercise}] {self.status}: {self.message}"

    __repr__ = __str__

    def _repr_pretty_(self, p, cycle):  # IPython shows the sentence, not the dataclass
        p.text(str(self))


class CheckFailed(AssertionError):
    """A self-check whose verdict is FAILED; the printed line above it says why."""


# Staged hints. A first failure says what went wrong and gives the idea (CONCEPTS); the
# line-level hint, which comes close to the solution, is only shown on request:
# `check.hint("03.1", level=2)`. Every check writes its line-level hint as a trailing
# "Hint: ..." sentence; `_stage` moves it out of the failure message.
CONCEPTS: dict[str, str] = {}  # filled by each notebook's module (register_concepts)
_LEVEL2 = "Hint:"
_CHECKS: dict = {}  # "03.1" -> the pure check, so hint() can ask it for its line-level hint
_BY_ID: dict = {}


def _exercise_id(result_or_doc: str) -> str:
    """ "03.1a: ..." -> "03.1a": an exercise ("03.1") or one part of it ("03.1a", "03.1b")."""
    found = re.match(r"\d\d\.\d[a-z]?", str(result_or_doc).strip())
    return found.group(0) if found else str(result_or_doc).strip()[:4]


def _number(exercise_id: str) -> str:
    """The exercise a part belongs to: "03.1a" -> "03.1"; hints and ideas are per exercise."""
    return exercise_id.rstrip("abcdefgh")


def _stage(result: CheckResult) -> CheckResult:
    """A FAILED message: the line-level "Hint: ..." tail is replaced by the conceptual hint and a pointer."""
    if result.status != FAILED:
        return result
    said, _, _ = result.message.partition(_LEVEL2)
    return CheckResult(result.exercise, FAILED,
                       f"{said.rstrip()} {idea(_exercise_id(result.exercise))}".replace("  ", " ").strip())


def idea(exercise_id: str, where: str = "") -> str:
    """What a first failure adds, in the self-check and in the grader's feedback alike: the idea behind
    the exercise and where its closer hint is (never the line-level hint itself)."""
    ex = _number(exercise_id)
    _load(ex)
    return f"{CONCEPTS.get(ex, '')} (A closer hint: check.hint(\"{ex}\", level=2){where}.)".strip()


class _HintRequest(Exception):
    """Raised by the stand-in function hint() passes to a check, to make it state its line-level hint."""


def _ask(*args, **kwargs):
    raise _HintRequest("asked for the hint")


def hint(exercise_id: str, level: int = 1) -> str:
    """The hint for an exercise: level 1 is the idea, level 2 the line-level hint. Prints and returns it."""
    ex = str(exercise_id)
    _load(ex)
    if ex not in CONCEPTS:
        raise ValueError(f"no exercise {ex!r}; known: {', '.join(sorted(CONCEPTS))}")
    if level not in (1, 2):
        raise ValueError(f"level must be 1 (the idea) or 2 (line-level), not {level!r}")
    text = CONCEPTS[ex]
    if level == 2:  # every part's line-level hint, in order ("03.1a", "03.1b")
        parts = []
        for part in sorted(k for k in _CHECKS if _number(k) == ex):
            _, found, tail = _CHECKS[part](_ask).message.partition(_LEVEL2)
            parts += [p.strip() for p in tail.split(_LEVEL2) if p.strip()]
        parts = list(dict.fromkeys(parts))  # some checks repeat it
        text = f"{_LEVEL2} {' '.join(parts)}" if parts else text
    print(f"[hint {ex}, level {level}] {text}", flush=True)
    return text


def register_concepts(concepts: dict) -> None:
    CONCEPTS.update(concepts)


def _load(ex: str) -> None:
    """Import the checks of exercise `ex`'s notebook (check01 ... check05) if not yet imported."""
    import importlib
    if re.fullmatch(r"0[1-5]\.\d[a-z]?", ex):
        importlib.import_module(f"{__package__}.check{ex[:2]}")


def exercise(pure):
    """Turn `pure(fn) -> CheckResult` into the notebook-facing check: print the verdict, raise only on FAILED."""
    _CHECKS[_exercise_id(pure.__doc__)] = pure

    @functools.wraps(pure)
    def staged(fn) -> CheckResult:
        return _stage(pure(fn))

    @functools.wraps(pure)
    def run(fn) -> None:
        result = staged(fn)
        print(result, flush=True)
        if result.status == FAILED:
            raise CheckFailed(f"{result.exercise}: {result.status} (the line above says why)")
    run.result = staged
    _BY_ID[_exercise_id(pure.__doc__)] = run
    return run


def checks() -> dict:
    """{"02.1": the notebook-facing check, "03.1a": ..., "03.1b": ...}: every function's self-check, by id."""
    return dict(_BY_ID)


def together(*pairs) -> None:
    """The test cell of an exercise with several functions: `together((check_a, fn_a), (check_b, fn_b))`.

    Nothing written yet: ONE NOT DONE line for the exercise (Run All goes on). Otherwise one line per
    part; a FAILED part raises CheckFailed, as a single check does.
    """
    results = [chk.result(fn) for chk, fn in pairs]
    if all(r.status == NOT_DONE for r in results):
        names = " + ".join(r.exercise.split(" ", 1)[-1] for r in results)
        print(CheckResult(f"{_number(_exercise_id(results[0].exercise))} {names}", NOT_DONE,
                          "the stubs still raise NotImplementedError; fill in the exercise and run this cell again."),
              flush=True)
        return
    for r in results:
        print(r, flush=True)
    failed = [r.exercise for r in results if r.status == FAILED]
    if failed:
        raise CheckFailed(f"{', '.join(failed)}: FAILED (the line above says why)")


def cmp(name: str, mine, reference, atol: float = 1e-6, rtol: float = 1e-5) -> dict:
    """Karpathy-style comparison: exact?, approximately equal?, largest difference and where."""
    a = np.asarray(_to_numpy(mine), dtype=np.float64)
    b = np.asarray(_to_numpy(reference), dtype=np.float64)
    if a.shape != b.shape:
        return {"name": name, "shape_ok": False, "shape": a.shape, "expected_shape": b.shape,
                "exact": False, "approx": False, "maxdiff": float("inf"), "where": None}
    diff = np.abs(a - b)
    where = tuple(int(i) for i in np.unravel_index(np.argmax(diff), diff.shape)) if diff.size else ()
    return {"name": name, "shape_ok": True, "shape": a.shape, "expected_shape": b.shape,
            "exact": bool(np.array_equal(a, b)), "approx": bool(np.allclose(a, b, atol=atol, rtol=rtol)),
            "maxdiff": float(diff.max()) if diff.size else 0.0, "where": where,
            "negated": bool(a.size and np.allclose(a, -b, atol=atol, rtol=rtol) and not np.allclose(b, 0, atol=atol))}


def cmp_line(c: dict) -> str:
    return f"{c['name']:>12s} | exact: {str(c['exact']):5s} | approx: {str(c['approx']):5s} | maxdiff: {c['maxdiff']:.3g}"


def _to_numpy(x):
    # A tensor can only exist once torch is imported: don't pay torch's import (seconds) for numpy answers.
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return x


def _explain(c: dict, hint: str) -> str:
    if not c["shape_ok"]:
        return f"{c['name']} has shape {c['shape']}, expected {c['expected_shape']}. {hint}"
    if c["negated"]:
        return f"{c['name']} has the wrong sign everywhere (it equals minus the reference). {hint}"
    return (f"{c['name']} differs from the reference: largest |difference| {c['maxdiff']:.3g} "
            f"at index {c['where']}. {hint}")


class CourseHelperUsed(Exception):
    """Raised inside a check when the student's function called the course helper the exercise asks them to write."""


HELPER_MESSAGE = "that is the course's own helper; write your own"


def is_course_helper(fn) -> bool:
    """True when `fn` is defined in the freqlstm_helpers package (passed in instead of the student's own)."""
    return str(getattr(fn, "__module__", "") or "").startswith("freqlstm_helpers")


@contextmanager
def forbid_helper(module, name: str):
    """While the student's function runs, calling `module.name` raises CourseHelperUsed."""
    real = getattr(module, name)

    def trap(*args, **kwargs):
        raise CourseHelperUsed(f"{module.__name__}.{name}")
    setattr(module, name, trap)
    try:
        yield
    finally:
        setattr(module, name, real)


def run_check(exercise: str, fn, comparisons, hint: str) -> CheckResult:
    """Call `comparisons(fn)` -> list of cmp dicts; turn them into one verdict."""
    if is_course_helper(fn):
        return CheckResult(exercise, FAILED, f"{HELPER_MESSAGE} (you passed {fn.__module__}."
                           f"{getattr(fn, '__qualname__', fn)}). {hint}".rstrip())
    try:
        results = comparisons(fn)
    except NotImplementedError:
        return CheckResult(exercise, NOT_DONE, "the stub still raises NotImplementedError; fill in the exercise and run this cell again.")
    except CourseHelperUsed as e:
        return CheckResult(exercise, FAILED, f"your function calls {e}: {HELPER_MESSAGE}. {hint}".rstrip())
    except Exception as e:  # the student's code crashed: say how, not a traceback wall
        return CheckResult(exercise, FAILED, f"your function raised {type(e).__name__}: {e}. {hint}")
    for c in results:
        if not c["approx"]:
            return CheckResult(exercise, FAILED, _explain(c, hint))
    worst = max(c["maxdiff"] for c in results)
    exact = all(c["exact"] for c in results)
    return CheckResult(exercise, PASSED, f"{'exact' if exact else 'approx'} match, max |difference| {worst:.3g} "
                       f"over {len(results)} comparison(s).")


def run_verdict(exercise: str, fn, judge, hint: str) -> CheckResult:
    """For answers that are a choice, not an array: judge(answer) -> (ok, sentence)."""
    try:
        answer = fn()
    except NotImplementedError:
        return CheckResult(exercise, NOT_DONE, "the stub still raises NotImplementedError; fill in the exercise and run this cell again.")
    except Exception as e:
        return CheckResult(exercise, FAILED, f"your function raised {type(e).__name__}: {e}. {hint}")
    ok, sentence = judge(answer)
    return CheckResult(exercise, PASSED if ok else FAILED, sentence if ok else f"{sentence} {hint}")




def _case(name: str, ok: bool, detail: str) -> dict:
    """A cmp-style record for an answer that is right or wrong as a whole (a list, an epoch)."""
    return {"name": name, "shape_ok": True, "shape": (), "expected_shape": (), "exact": ok, "approx": ok,
            "maxdiff": 0.0 if ok else float("inf"), "where": None, "negated": False, "detail": detail}


def _with_detail(result: CheckResult, fn, comparisons, hint: str) -> CheckResult:
    """For list-valued answers: name the first failing case in words instead of a max difference."""
    if result.status != FAILED or "raised" in result.message or HELPER_MESSAGE in result.message:
        return CheckResult(result.exercise, result.status, result.message + (f" {hint}" if result.status == FAILED else ""))
    first = next(c for c in comparisons(fn) if not c["approx"])
    detail = first.get("detail") or _explain(first, "").strip().rstrip(".")  # a wrong shape has no case sentence
    return CheckResult(result.exercise, FAILED, f"{detail}. {hint}")




def _run_student_loop(exercise: str, run, hint: str, graph_sentence: str):
    """(None, value) if the student's loop finished; else (a CheckResult that says why, None).

    A second backward through a freed graph is the classic sign of a state that was never detached.
    """
    try:
        return None, run()
    except NotImplementedError:
        return CheckResult(exercise, NOT_DONE, "the stub still raises NotImplementedError; fill in the exercise "
                           "and run this cell again."), None
    except RuntimeError as e:
        if "second time" in str(e) or "already been freed" in str(e):
            return CheckResult(exercise, FAILED, graph_sentence), None
        return CheckResult(exercise, FAILED, f"your function raised RuntimeError: {e}. {hint}"), None
    except Exception as e:
        return CheckResult(exercise, FAILED, f"your function raised {type(e).__name__}: {e}. {hint}"), None




# What `from .core import *` gives each notebook's module: the verdicts, comparisons and hints,
# and the private helpers the checks share (the underscore keeps them out of a student's way).
__all__ = ["FAILED", "NOT_DONE", "PASSED", "CONCEPTS", "CheckFailed", "CheckResult", "CourseHelperUsed",
           "checks", "cmp", "cmp_line", "exercise", "forbid_helper", "hint", "is_course_helper",
           "register_concepts", "run_check", "run_verdict", "together",
           "_case", "_explain", "_run_student_loop", "_to_numpy", "_with_detail"]
