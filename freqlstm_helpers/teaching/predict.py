"""Predict, then run: the student writes a prediction before a run; the run's verdict is compared with it.

A prediction cell is a plain code cell, `my_prediction = None  # one of ...`, so a
release notebook still runs top to bottom when it is left empty. The verdict is
always computed by the run; the prediction only decides what is said about it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence


@dataclass(frozen=True)
class Outcome:
    prediction: Any
    actual: Any
    allowed: tuple

    @property
    def made(self) -> bool:
        return self.prediction is not None

    @property
    def right(self) -> bool:
        return self.made and self.prediction == self.actual

    def __str__(self) -> str:
        if not self.made:
            return (f"the run says {self.actual!r}. (No prediction written: next time, set it to one of "
                    f"{', '.join(map(repr, self.allowed))} before running the experiment.)")
        verdict = "your prediction holds" if self.right else "your prediction does not hold"
        return f"you predicted {self.prediction!r}; the run says {self.actual!r}: {verdict}."

    def _repr_pretty_(self, p, cycle):
        p.text(str(self))


def compare(prediction, actual, allowed: Sequence) -> Outcome:
    """Check the prediction is one of `allowed` (or None), then set it against what the run measured."""
    allowed = tuple(allowed)
    if actual not in allowed:
        raise ValueError(f"the run's answer {actual!r} is not one of {allowed}: the experiment's options are wrong")
    if prediction is not None and prediction not in allowed:
        raise ValueError(f"my_prediction = {prediction!r} is not one of {', '.join(map(repr, allowed))} (or None)")
    return Outcome(prediction, actual, allowed)
