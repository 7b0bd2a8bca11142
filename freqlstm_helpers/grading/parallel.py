"""Where the students' sandboxes run: N local workers, or an existing Dask cluster.

Both are `concurrent.futures` executors running the same function, `worker.grade_student`:

- `make grade JOBS=N`: N threads of the coordinator, each waiting on one bwrap sandbox;
- `DASK_SCHEDULER=tcp://host:8786 make grade`: `dask.distributed`'s executor on that cluster.
  Every worker needs bubblewrap and the same course version (checked per job) and venv.

The tests run the Dask path on a `distributed.LocalCluster`.
"""
from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import contextmanager


@contextmanager
def executor(jobs: int = 1, scheduler: str | None = None):
    """Yield (executor, description). A scheduler address means Dask; otherwise `jobs` local workers."""
    if scheduler:
        from distributed import Client
        client = Client(scheduler, timeout="30s")
        try:
            n = len(client.scheduler_info().get("workers", {}))
            yield client.get_executor(pure=False), f"the Dask cluster at {scheduler} ({n} workers)"
        finally:
            client.close()
    else:
        jobs = max(1, int(jobs))
        with ThreadPoolExecutor(jobs, thread_name_prefix="grader") as pool:
            yield pool, f"{jobs} local worker(s)"


__all__ = ["executor", "Executor"]
