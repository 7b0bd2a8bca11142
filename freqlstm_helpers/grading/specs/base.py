"""What an exercise spec holds, and the registry built from all of them.

One `Exercise` entry is everything the grader knows about one function a student writes.
An exercise with two functions (one solution cell, one test cell) is two entries, its
parts, with ids "01.1a" and "01.1b"; the grader scores each part and the test cell gets
their sum, with one verdict that names every part.


- `cases(rng)`: fresh probe inputs, drawn from the run's secret seed (trusted side);
- `probe`: a function of `probes.py`, run in the sandbox: `probe(fn, case) -> data`;
- `reference(case)`: the expected data, computed by the trusted grader, by another route;
- `compare(got, want)`: `(ok, sentence)`; see `verdicts.py` for the stock comparisons;
- `points`: this function's share; the points of the notebook's locked test cell are the sum
  over the exercise's parts (checked at grading time);
- `denied`: the registry entry: the course functions and torch built-ins that compute this
  exercise's answer. In the sandbox each one is replaced by a stub that raises (so no alias,
  wrapper or default argument can compute with it), and the static check refuses their names.
  Course entries are `module.attribute` with the module's last name (`spectrum.amplitude_spectrum`,
  `trainer.TorchEngine`, `l1_fused.one_step_gradients`), found wherever the module lives in the
  package; anything else is `importable.module:attribute.path` (`torch.nn:LSTMCell.forward`).
- `static_names`: extra names the static check refuses without a runtime stub (spellings of
  the same answer that have no single object to replace, e.g. `jacrev`).
"""
from __future__ import annotations

import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

from ..runner import lookup_module
from ..sandbox import PACKAGE

PACKAGE_NAME = "freqlstm_helpers"


@dataclass(frozen=True)
class Exercise:
    id: str                                   # "01.2", or "01.2a", "01.2b": the parts of one exercise
    function: str                             # the name the solution cell defines
    points: float
    cases: Callable[[Any], list]              # rng -> [case dict, ...]
    probe: Callable                           # probes.<name>; runs in the sandbox
    reference: Callable[[dict], Any]          # case -> expected data
    compare: Callable[[Any, Any], tuple]      # (got, want) -> (ok, sentence)
    denied: tuple = ()
    static_names: tuple = ()
    describe: Callable[[dict], str] = lambda case: ""
    cpu_seconds: float = 20.0                 # per case set, in the sandbox
    wall_seconds: float | None = None         # default: 3 x cpu + 10 s

    @property
    def number(self) -> str:
        """The exercise this function belongs to: "01.2" for "01.2" and for its parts "01.2a", "01.2b"."""
        return self.id.rstrip("abcdefgh")

    @property
    def grade_id(self) -> str:
        """The parts of one exercise share its solution cell and its test cell (whose points are their sum)."""
        return "ex" + self.number.replace(".", "_")

    @property
    def solution_id(self) -> str:
        return self.grade_id + "_solution"

    @property
    def probe_name(self) -> str:
        return self.probe.__name__

    def wall(self) -> float:
        return self.wall_seconds if self.wall_seconds is not None else 3 * self.cpu_seconds + 10


@dataclass(frozen=True)
class Notebook:
    stem: str                                 # "01_signals_and_fft"
    exercises: tuple
    setup_cells: int = 1                      # how many leading code cells of the release are its setup
    preimport: tuple = field(default=())      # modules the sandbox imports before forking (speed)

    def cells(self) -> dict[str, tuple]:
        """{test cell grade_id: its exercise's parts, in order}: what one test cell (and its points) covers."""
        out: dict[str, tuple] = {}
        for ex in self.exercises:
            out[ex.grade_id] = out.get(ex.grade_id, ()) + (ex,)
        return out


# --------------------------------------------------------------------------------------
# The registry: denied names resolved to "module:attr.path" targets
# --------------------------------------------------------------------------------------
_MODULES: dict[str, str] | None = None


def course_modules() -> dict[str, str]:
    """{last name: dotted module} for every module of the release package (l1_fused -> freqlstm_helpers.engines.l1_fused).

    The instructor-only subpackages (grading/, website/) are not in the sandbox, so they are left out.
    """
    from ..release_package import INSTRUCTOR_ONLY
    global _MODULES
    if _MODULES is None:
        found: dict[str, str] = {}
        for info in pkgutil.walk_packages([str(PACKAGE)], prefix=PACKAGE_NAME + "."):
            if info.name.split(".")[1] in INSTRUCTOR_ONLY:
                continue
            last = info.name.rsplit(".", 1)[-1]
            if last in found:
                raise RuntimeError(f"two course modules are named {last!r}: {found[last]} and {info.name}")
            found[last] = info.name
        _MODULES = found
    return _MODULES


def resolve(entry: str) -> str:
    """A registry entry -> "module:attr.path". Raises ValueError naming the entry if it does not exist."""
    if ":" in entry:
        target = entry
    else:
        mod, _, path = entry.partition(".")
        modules = course_modules()
        if mod not in modules or not path:
            raise ValueError(f"denied entry {entry!r}: no course module {mod!r} (known: {', '.join(sorted(modules))})")
        target = f"{modules[mod]}:{path}"
    modname, _, path = target.partition(":")
    try:
        obj = lookup_module(modname)
        for part in path.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise ValueError(f"denied entry {entry!r} ({target}) does not exist: {e}") from None
    return target


def resolved_denials(ex: Exercise) -> list[str]:
    return [resolve(e) for e in ex.denied]
