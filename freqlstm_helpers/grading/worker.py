"""What a grading worker does for one student: run the sandbox, compute the references, return data.

A worker is trusted (a thread of the coordinator, a `dask.distributed` worker process on
this machine or on the instructor's cluster). It never writes the gradebook: it returns
the sandbox's frames and the references, both plain data, and the coordinator judges.
References are computed on the worker, next to the sandbox, so a reference that depends
on the CPU's instruction set (a training loop) comes from the same CPU as the student's
numbers; each worker process computes them once per grading run.
"""
from __future__ import annotations

import threading

from . import runner, sandbox
from .runner import decode, encode

_REFS: dict = {}
_LOCKS: dict = {}
_LOCK = threading.Lock()


def public(case: dict) -> dict:
    """What the sandbox may see of a case: keys starting with '_' (an expected answer) stay on the trusted side."""
    return {k: v for k, v in case.items() if not k.startswith("_")}


def references(run: dict, ex_id: str) -> list:
    """The exercise's references for this run's cases (encoded), computed once per worker process."""
    from .specs import exercises
    key = (run["id"], ex_id)
    with _LOCK:
        lock = _LOCKS.setdefault(key, threading.Lock())
    with lock:  # one exercise at a time; workers needing other exercises go on meanwhile
        if key not in _REFS:
            ex = next(e for e in exercises() if e.id == ex_id)
            import torch
            torch.set_num_threads(1)
            _REFS[key] = [encode(ex.reference(decode(c))) for c in run["cases"][ex_id]]
        return _REFS[key]


def sandbox_job(job: dict, run: dict) -> dict:
    notebooks = []
    for nb in job["notebooks"]:
        spec = run["notebooks"][nb["stem"]]
        notebooks.append({"stem": nb["stem"], "setup": spec["setup"], "solutions": nb["solutions"],
                          "exercises": spec["exercises"]})
    preimport = sorted({m for nb in job["notebooks"] for m in run["notebooks"][nb["stem"]]["preimport"]})
    return {"preimport": preimport, "notebooks": notebooks}


def grade_student(job: dict, run: dict) -> dict:
    """Run one student's sandbox and return {frames, references, how it ended} (all plain data)."""
    fp = sandbox.image_fingerprint()
    if fp != run["fingerprint"]:
        raise sandbox.SandboxFailed(f"this worker's course package ({fp}) differs from the coordinator's "
                                    f"({run['fingerprint']}): install the same version on every worker")
    limits = sandbox.Limits(**run["limits"])
    result = sandbox.run_job(sandbox_job(job, run), limits)
    for stem, setup in result.setups.items():
        if not setup.get("ok"):
            raise sandbox.SandboxFailed(f"the release setup cell of {stem} failed in the sandbox: {setup.get('error')}")
    refs = {ex["id"]: references(run, ex["id"]) for nb in job["notebooks"]  # after the sandbox: never seen by it
            for ex in run["notebooks"][nb["stem"]]["exercises"]}
    return {"student": job["student"], "frames": {f"{s}|{e}": f for (s, e), f in result.results.items()},
            "references": refs, "ended": result.ended, "seconds": round(result.seconds, 2),
            "startup_seconds": result.startup_seconds}


__all__ = ["grade_student", "references", "public", "runner"]
