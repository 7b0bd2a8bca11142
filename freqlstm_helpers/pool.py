"""Worker processes that stay up: a seed band trains on every core, the next band starts at once.

Why not multiprocessing: its "spawn" start re-imports the caller's __main__,
so a plain script without an `if __name__ == "__main__":` guard would start
the band again inside every worker. These workers are `python -m
freqlstm_helpers.pool` subprocesses instead: they import only the course
package, read one job per line on stdin and answer one line on their own
protocol pipe (anything the job prints goes to stderr). Starting one costs an
import of torch (2-3 s), so the pool is kept for the life of the process and
reused by every call; it restarts only if the environment that decides the
arithmetic (CPU profile, thread and numba variables) has changed.

    results = pool.run_jobs([("freqlstm_helpers.runs:_train_in_worker", (cfg_dict, run_dir, False)), ...])
"""
from __future__ import annotations

import atexit
import importlib
import json
import os
import queue
import subprocess
import sys
import threading
import traceback

from . import paths

# Environment variables that change results or how they are computed; the rest
# (FREQLSTM_RUNS included: jobs carry absolute run folders) do not restart the pool.
_ENV_PREFIXES = ("ATEN_", "MKL_", "ONEDNN_", "NUMBA_", "OMP_", "OPENBLAS_", "PYTHONHASHSEED", "FREQLSTM_HOME")


class WorkerError(RuntimeError):
    """A job raised in a worker; the message carries the worker's traceback."""


def _env_key() -> tuple:
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES)))


class _Worker:
    def __init__(self):
        r, w = os.pipe()  # the protocol pipe: the worker's stdout stays free for whatever a job prints
        env = {**os.environ, "FREQLSTM_POOL_FD": str(w)}
        self.proc = subprocess.Popen([sys.executable, "-m", "freqlstm_helpers.pool"], stdin=subprocess.PIPE,
                                     env=env, cwd=str(paths.repo_root()), pass_fds=(w,), text=True)
        os.close(w)
        self.replies = os.fdopen(r, "r")

    def call(self, target: str, args) -> object:
        self.proc.stdin.write(json.dumps({"target": target, "args": list(args)}) + "\n")
        self.proc.stdin.flush()
        line = self.replies.readline()
        if not line:
            raise WorkerError(f"worker {self.proc.pid} exited (code {self.proc.poll()}) while running {target}")
        reply = json.loads(line)
        if "error" in reply:
            raise WorkerError(reply["error"])
        return reply["result"]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
        self.replies.close()


class Pool:
    """`size` persistent workers; run_jobs hands them jobs and returns the results in job order."""

    def __init__(self, size: int):
        self.size, self.env = size, _env_key()
        self.workers = [_Worker() for _ in range(size)]

    def usable(self, size: int) -> bool:
        return self.size >= size and self.env == _env_key() and all(w.alive() for w in self.workers)

    def run_jobs(self, jobs, on_done=None) -> list:
        todo = queue.Queue()
        for i, job in enumerate(jobs):
            todo.put((i, job))
        results, errors, lock = [None] * len(jobs), [], threading.Lock()

        def feed(worker):
            while not errors:
                try:
                    i, (target, args) = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    results[i] = worker.call(target, args)
                except Exception as e:  # noqa: BLE001 - reported below, after every thread stopped
                    errors.append(e)
                    return
                if on_done is not None:
                    with lock:
                        on_done(i, results[i])

        threads = [threading.Thread(target=feed, args=(w,), daemon=True) for w in self.workers[:len(jobs)]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return results

    def close(self):
        for w in self.workers:
            w.close()


_pool: Pool | None = None


def get_pool(size: int) -> Pool:
    """The process's pool, started (or restarted) as needed."""
    global _pool
    if _pool is not None and not _pool.usable(size):
        _pool.close()
        _pool = None
    if _pool is None:
        _pool = Pool(size)
    return _pool


def run_jobs(jobs, workers: int, on_done=None) -> list:
    return get_pool(workers).run_jobs(jobs, on_done)


@atexit.register
def shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.close()
        _pool = None


def _serve() -> int:
    """The worker: jobs from stdin, replies on the protocol pipe, until stdin closes."""
    out = os.fdopen(int(os.environ.pop("FREQLSTM_POOL_FD")), "w")
    from . import runs  # noqa: F401 - torch and the trainers, imported once per worker before the first job
    for line in sys.stdin:
        try:
            job = json.loads(line)
            module, func = job["target"].split(":")
            result = getattr(importlib.import_module(module), func)(*job["args"])
            reply = {"result": result}
        except BaseException:  # noqa: BLE001 - the parent re-raises it with this traceback
            reply = {"error": traceback.format_exc()}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_serve())
