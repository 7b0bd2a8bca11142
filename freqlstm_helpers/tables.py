"""Small tables for the notebooks: seed bands as "min–max" text, rows as a pandas DataFrame.

A notebook computes its numbers, then hands them here to be shown; nothing in
this module decides anything. Bands are written min–max because a claim in the
course is a band over seeds, never one run.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def band(values, digits: int = 4) -> str:
    """'lo–hi' over the values (one value: just it), rounded to `digits` decimals."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        raise ValueError("band() needs at least one value")
    lo, hi = f"{v.min():.{digits}f}", f"{v.max():.{digits}f}"
    return lo if lo == hi else f"{lo}–{hi}"


def table(rows: dict, index_name: str = "") -> pd.DataFrame:
    """{row label: {column: value}} as a DataFrame, rows and columns in insertion order."""
    df = pd.DataFrame.from_dict(rows, orient="index")
    df.index.name = index_name or None
    return df
