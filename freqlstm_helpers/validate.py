"""Checking one config value: one rule for every number, and messages that stay one short line.

Every checker takes the key path ("optimizer.learning_rate"), the value and
what is allowed, and returns the normalised value or raises ConfigError whose
message reads `path=value is not allowed: what is allowed`. The rule for numbers
is the same everywhere: a number is an unquoted YAML number (never a string, never
true/false); an integer key takes only whole numbers written without a decimal
point; every float must be finite and inside the stated range.

`shown(value)` is how a value appears in any message: bounded, whatever the
value is (a 10**400 integer, a megabyte string, a deeply nested list), so an
error message never costs more than the mistake.
"""
from __future__ import annotations

import math
import numbers
import reprlib

SHOWN_CHARS = 80  # a value in a message is cut to this many characters


class ConfigError(ValueError):
    """A config key or value that is not allowed; the message names the key path."""


_repr = reprlib.Repr()
_repr.maxstring, _repr.maxother, _repr.maxlist, _repr.maxtuple = 40, 40, 6, 6
_repr.maxdict, _repr.maxset, _repr.maxlevel = 4, 4, 2


def shown(value, limit: int = SHOWN_CHARS) -> str:
    """repr(value), bounded in time and length (huge integers, strings and nests included)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and abs(int(value)) >= 10 ** 30:
        return f"<an integer of about {int(int(value).bit_length() * math.log10(2)) + 1:,} digits>"
    try:
        text = _repr.repr(value)
    except Exception:  # a broken __repr__ must not turn a config error into a crash
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def fail(path: str, value, allowed: str):
    raise ConfigError(f"{path}={shown(value)} is not allowed: {allowed}")


def _fmt(b) -> str:
    if isinstance(b, int) or (isinstance(b, float) and b.is_integer() and abs(b) < 1e15):
        return f"{int(b):,}" if abs(b) >= 100_000 else str(int(b)) if isinstance(b, int) else f"{b:g}"
    return f"{b:g}"


def _range_text(gt, ge, lt, le) -> str:
    parts = [f"{w} {_fmt(b)}" for w, b in ((">", gt), (">=", ge), ("<", lt), ("<=", le)) if b is not None]
    return " and ".join(parts)


def number(path: str, v, *, gt=None, ge=None, lt=None, le=None, integer: bool = False):
    """A finite int/float (integer=True: a whole number without a decimal point) within the bounds."""
    bounds = _range_text(gt, ge, lt, le)
    kind = "an integer (a whole number, no decimal point)" if integer else "a finite number"
    allowed = f"must be {kind}" + (f" {bounds}" if bounds else "")
    if isinstance(v, str):
        fail(path, v, f"{allowed}, written without quotes (this is text)")
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        fail(path, v, allowed)
    if integer:
        if not isinstance(v, numbers.Integral):
            fail(path, v, allowed)
        x = int(v)
    else:
        try:
            x = float(v)
        except OverflowError:  # an integer beyond float range
            fail(path, v, allowed)
        if not math.isfinite(x):
            fail(path, v, allowed)
    for bound, ok in ((gt, lambda a, b: a > b), (ge, lambda a, b: a >= b),
                      (lt, lambda a, b: a < b), (le, lambda a, b: a <= b)):
        if bound is not None and not ok(x, bound):
            fail(path, v, f"must be {bounds}" if not integer else f"must be an integer {bounds}")
    return x


def boolean(path: str, v) -> bool:
    if not isinstance(v, bool):
        fail(path, v, "must be true or false")
    return v


def choice(path: str, v, choices, what: str = "values"):
    if not isinstance(v, str) or v not in choices:
        fail(path, v, f"allowed {what} are " + ", ".join(repr(c) for c in choices))
    return v


def number_list(path: str, v, *, min_len: int, max_len: int, what: str) -> list:
    """A YAML list (or tuple) of plain numbers, min_len..max_len long; each element checked finite."""
    if hasattr(v, "tolist") and not isinstance(v, (str, bytes)):  # a numpy array
        v = v.tolist()
    if isinstance(v, (str, bytes)) or not isinstance(v, (list, tuple)):
        fail(path, v, f"must be a list of {what}")
    if not (min_len <= len(v) <= max_len):
        n = f"exactly {min_len}" if min_len == max_len else f"{min_len} to {max_len}"
        fail(path, v, f"must be a list of {n} {what}")
    return [number(path, x) for x in v]
