"""One process at a time compiles (or loads) a numba kernel into the on-disk cache.

numba's cache keeps an index per function (signature -> data file) next to
the source. Two processes compiling different signatures of one function at
the same moment (a fresh clone, two workers, float32 and float64) can each
rewrite that index and the same data file, and a later load may then get
another signature's machine code. Holding an exclusive file lock around a
kernel's first call in a process serialises compile-and-save: the second
process waits, then finds the first one's entry and only loads it.
After the first call nothing is locked.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import contextmanager

try:
    import fcntl
except ImportError:  # Windows: no flock; numba's own atomic file replacement is all there is
    fcntl = None

_ready: set = set()


def _lock_path(dispatcher) -> str:
    cache = getattr(dispatcher, "_cache", None)
    folder = getattr(cache, "_cache_path", None)
    if folder:
        try:
            os.makedirs(folder, exist_ok=True)
            if os.access(folder, os.W_OK):
                return os.path.join(folder, "freqlstm-compile.lock")
        except OSError:
            pass
    tag = hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    return os.path.join(tempfile.gettempdir(), f"freqlstm-compile-{tag}.lock")


@contextmanager
def first_call(dispatcher, key):
    """Run the body under the cache lock the first time (dispatcher, key) is called in this process."""
    token = (id(dispatcher), key)
    if token in _ready or fcntl is None:
        yield
        _ready.add(token)
        return
    with open(_lock_path(dispatcher), "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
    _ready.add(token)
