"""The trusted exercise specs, one module per notebook (instructor-only: never in the sandbox or a release).

`NOTEBOOKS` maps a notebook's stem to its `Notebook` spec. Adding or changing an exercise is
one `Exercise(...)` entry in its notebook's module (see `base.py` for the fields); a new
notebook is a new module listed here. `registry()` is the single list of what the sandbox
stubs and the static check refuses, per exercise.
"""
from __future__ import annotations

from . import nb01, nb02, nb03, nb04, nb05
from .base import Exercise, Notebook, resolve, resolved_denials

NOTEBOOKS: dict[str, Notebook] = {m.NOTEBOOK.stem: m.NOTEBOOK for m in (nb01, nb02, nb03, nb04, nb05)}


def exercises() -> list[Exercise]:
    return [ex for nb in NOTEBOOKS.values() for ex in nb.exercises]


def registry() -> dict[str, tuple]:
    """{exercise id: the course functions and torch built-ins that compute its answer}."""
    return {ex.id: ex.denied for ex in exercises()}


__all__ = ["Exercise", "Notebook", "NOTEBOOKS", "exercises", "registry", "resolve", "resolved_denials"]
