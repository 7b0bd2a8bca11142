"""Files written whole or not at all, with the permissions the umask asks for.

A file is written under a temporary name in its own folder, flushed to disk and
renamed over the target (os.replace is atomic on POSIX), so a reader sees the
old file or the new one, never half of one. Temporary names are created with
os.open(..., 0o666) / os.mkdir(..., 0o777), so the umask decides their mode as
it does for any file (tempfile's 0600/0700 would leak into the run folder).

A process killed mid-write cannot clean up after itself; its temporaries have
recognisable names (`.<file>.<8 chars>.tmp`, `<folder>.tmp-<8 chars>`) and the
next writer of that folder, holding its lock, removes them (`remove_stale`).
"""
from __future__ import annotations

import json
import math
import os
import re
import secrets
import shutil
from pathlib import Path

import numpy as np

_STALE_FILE = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new temporary file beside path (mode 0666 & ~umask); errors name path, not the temporary."""
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666), tmp
        except FileExistsError:
            continue
        except OSError as e:
            raise type(e)(e.errno, e.strerror, str(path)) from None


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Write to a temporary file in the same folder, fsync, then os.replace: all or nothing."""
    path = Path(path)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
    return path


def write_all(files: dict) -> list[Path]:
    """Several files, all or none: every temporary is written and flushed before the first rename.

    What can fail (a full disk, a read-only folder) fails while writing the
    temporaries, and then none of the targets has changed.
    """
    done: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            path = Path(path)
            fd, tmp = _create_temp(path)
            done.append((tmp, path))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for tmp, path in done:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in done:
            if os.path.lexists(tmp):
                os.unlink(tmp)
        raise
    for parent in {path.parent for _, path in done}:
        _fsync_dir(parent)
    return [path for _, path in done]


def write_text(path: str | Path, text: str) -> Path:
    return write_bytes(path, text.encode())


def json_bytes(obj) -> bytes:
    """Strict JSON (NaN/inf become null), indented, one trailing newline."""
    return (json.dumps(json_safe(obj), indent=2, allow_nan=False) + "\n").encode()


def write_json(path: str | Path, obj) -> Path:
    return write_bytes(path, json_bytes(obj))


def json_safe(obj):
    """NaN/inf -> null so the file is strict JSON; numpy scalars -> Python numbers."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def make_temp_dir(parent: Path, name: str) -> Path:
    """A new empty folder `<name>.tmp-<8 hex>` in parent, mode from the umask."""
    while True:
        tmp = parent / f"{name}.tmp-{secrets.token_hex(4)}"
        try:
            os.mkdir(tmp, 0o777)
            return tmp
        except FileExistsError:
            continue


def stale_temporaries(folder: Path) -> list[Path]:
    """What killed writers of `folder` left: `.x.<8>.tmp` files inside, `<name>.tmp-<8>` folders beside it."""
    found = []
    if folder.is_dir():
        found += [p for p in folder.iterdir() if _STALE_FILE.match(p.name)]
    if folder.parent.is_dir():
        pattern = re.compile(re.escape(folder.name) + r"\.tmp-[A-Za-z0-9_]{8}$")
        found += [p for p in folder.parent.iterdir() if pattern.match(p.name)]
    return sorted(found)


def remove_stale(folder: Path) -> list[Path]:
    """Remove stale_temporaries(folder). Call it only while holding the folder's lock."""
    gone = stale_temporaries(folder)
    for p in gone:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            try:
                p.unlink()
            except FileNotFoundError:
                pass
    return gone
