"""How run folders reach the disk and come back: nothing lost, nothing trusted blindly.

    atomic.py    every file is written whole or not at all, with the umask's permissions;
                 temporary names that a killed process left behind are recognisable and removed
    lock.py      one writer per run folder (fcntl), a second one waits or is told who holds it
    manifest.py  a run folder's SHA-256 per file and config hash, written last, checked on load

The exceptions below are what `runs` raises; each message is one line that says
what is wrong and the command that fixes it (the CLI prints it as `error: ...`).
"""
from __future__ import annotations


class RunError(Exception):
    """A run folder or file is missing, corrupt or not usable; the message says how to fix it."""


class RunConfigMismatch(RunError):
    """The folder was made with a different config."""


class CheckpointError(RunError):
    """A checkpoint file is missing or not a valid FreqLSTM checkpoint."""


class RunCorrupt(RunError):
    """A finished run folder fails its check (manifest, hashes, shapes, config); `problem` names the file."""

    def __init__(self, message: str, file: str | None = None):
        super().__init__(message)
        self.file = file


class RunIncomplete(RunError):
    """The folder holds a run that never finished (interrupted or crashed): nothing to load yet."""


class RunLocked(RunError):
    """Another process is writing the run folder right now."""
