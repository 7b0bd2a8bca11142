"""One writer per run folder, from the check that the folder may be written to its final rename.

Two trainings into one folder used to both print "run saved" while only one
survived. Now every writer (the CLI's train, eval and viz, `cached_train`,
the workers of `cached_train_many`) holds the folder's lock:

- the lock is the file `.<folder name>.lock` beside the folder (a new run folder
  does not exist until its temporary folder is renamed into place), locked with
  fcntl.flock. The kernel drops a flock when its holder dies, however it dies,
  so a killed process never leaves a lock that blocks anyone;
- the holder writes who it is into the file (pid, host, command, start), so a
  second writer can be told in one line, or waits (`wait=True`) and says once
  whom it waits for;
- on release the file is unlinked. A waiter that wins the flock of the unlinked
  file sees that the path now names another file (or none) and tries again;
- re-entrant per thread: `cached_train` holds the lock and the trainer it
  calls takes it again.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from . import RunLocked

POLL_SECONDS = 0.2
_held: dict[tuple[str, int], list] = {}  # (lock path, thread id) -> [fd, depth]
_guard = threading.Lock()
os.register_at_fork(after_in_child=_held.clear)  # a forked child holds nothing of its own


def lock_path(run_dir: str | Path) -> Path:
    run_dir = Path(run_dir)
    return run_dir.parent / f".{run_dir.name}.lock"


def _me() -> dict:
    cmd = " ".join(Path(sys.argv[0]).name if i == 0 else a for i, a in enumerate(sys.argv)) or "python"
    return {"pid": os.getpid(), "host": socket.gethostname(), "command": cmd[:120],
            "since": time.strftime("%Y-%m-%d %H:%M:%S")}


def _holder(fd: int) -> dict:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode("utf-8", "replace") or "{}")
        return info if isinstance(info, dict) else {}
    except (OSError, ValueError):
        return {}


def describe(holder: dict) -> str:
    """'process 123 on host (python -m ..., since 2025-01-01 12:00:00)', or what is known of it."""
    if not holder.get("pid"):
        return "another process"
    return (f"process {holder.get('pid')} on {holder.get('host', '?')} "
            f"({str(holder.get('command', '?'))[:120]}, since {holder.get('since', '?')})")


def _try_acquire(path: Path):
    """(fd, None) when this process now holds the lock, (None, holder) when another one does."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                os.close(fd)
                raise
            holder = _holder(fd)
            os.close(fd)
            return None, holder
        try:
            same = os.stat(path)
        except FileNotFoundError:
            same = None
        mine = os.fstat(fd)
        if same is None or (same.st_dev, same.st_ino) != (mine.st_dev, mine.st_ino):
            os.close(fd)  # the holder unlinked it as we opened it: take the new one
            continue
        data = json.dumps(_me()).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
        return fd, None


_READ_ONLY = (errno.EACCES, errno.EPERM, errno.EROFS)


@contextmanager
def locked(run_dir: str | Path, *, wait: bool, on_wait=None, what: str = "--run-dir", readonly_ok: bool = False):
    """Hold run_dir's lock for the `with` block (yields the lock file's path).

    wait=False raises RunLocked naming the holder; wait=True polls until it is
    free, calling on_wait(description) once. OSError from creating the lock file
    (a read-only parent folder...) propagates, unless readonly_ok: then the
    block runs without a lock (yields None): fine for reading a finished run from
    a read-only cache, and anything that tries to write there fails by itself.
    """
    path = lock_path(run_dir)
    key = (str(path.absolute()), threading.get_ident())
    with _guard:
        entry = _held.get(key)
        if entry is not None:
            entry[1] += 1
    if entry is None:
        told = False
        while True:
            try:
                fd, holder = _try_acquire(path)
            except OSError as e:
                if readonly_ok and e.errno in _READ_ONLY:
                    yield None
                    return
                raise
            if fd is not None:
                break
            if not wait:
                raise RunLocked(f"run dir {run_dir} is being written by {describe(holder)}: wait until it "
                                f"finishes, or choose another {what}")
            if not told and on_wait is not None:
                on_wait(describe(holder))
                told = True
            time.sleep(POLL_SECONDS)
        entry = [fd, 1]
        with _guard:
            _held[key] = entry
    try:
        yield path
    finally:
        with _guard:
            entry[1] -= 1
            last = entry[1] == 0
            if last:
                del _held[key]
        if last:
            try:
                now, mine = os.stat(path), os.fstat(entry[0])
                if (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
                    os.unlink(path)  # still ours: nobody can have taken it while we held it
            except OSError:
                pass
            os.close(entry[0])


def holds(run_dir: str | Path) -> bool:
    """True if this thread holds run_dir's lock."""
    return (str(lock_path(run_dir).absolute()), threading.get_ident()) in _held
