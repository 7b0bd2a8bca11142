"""Run the student's function where the story needs its result; with the stub still in place, go on.

A release notebook must execute top to bottom with every exercise unfinished
(Run All shows the whole story), yet in the instructor's version and in CI the
student's function is what produces the result. Only NotImplementedError, the
stub's signal, falls back: any other error in the student's code propagates,
so a wrong solution still fails loudly.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class Sourced:
    value: Any
    mine: bool  # True: the student's function made it; False: the course's fallback did

    @property
    def source(self) -> str:
        return "your code" if self.mine else "the course's code (your exercise is not done yet)"


def mine_or_course(exercise: str, mine: Callable[[], Any], course: Callable[[], Any], what: str) -> Sourced:
    """`mine()`, or, if it raises NotImplementedError, one line naming the exercise and `course()`."""
    try:
        return Sourced(mine(), True)
    except NotImplementedError:
        print(f"[exercise {exercise} not done yet] {what} comes from the course's code, so the rest of the "
              f"notebook still runs; finish exercise {exercise} and run this cell again to use yours.", flush=True)
        return Sourced(course(), False)
