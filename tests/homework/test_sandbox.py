"""The sandbox on its own: what a student's code can see, reach and leave behind (runner jobs built by hand)."""
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from freqlstm_helpers.grading import runner, sandbox
from freqlstm_helpers.grading.specs import probes
from tests.homework.conftest import ROOT, need_bwrap

LIMITS = sandbox.Limits(cpu_seconds=5, wall_seconds=10, startup_seconds=60)
PROBE = "def call(fn, case):\n    return fn(*case['args'])\n"


def exercise(ex_id, function, **kw):
    return {"id": ex_id, "function": function, "probe_source": PROBE, "probe_name": "call",
            "cases": [runner.encode({"args": [0]})], "denied": [], "cpu_seconds": kw.get("cpu", 5),
            "wall_seconds": kw.get("wall", 10), "memory_bytes": 2 ** 30, "file_bytes": 2 ** 20}


def run(solutions: dict, exercises: list) -> dict:
    need_bwrap()
    job = {"preimport": ["numpy"], "notebooks": [{"stem": "nb", "setup": ["import numpy as np"],
                                                  "solutions": list(solutions.items()), "exercises": exercises}]}
    res = sandbox.run_job(job, LIMITS)
    out = {}
    for (_, ex_id), frame in res.results.items():
        data = json.loads(frame["payload"]) if frame.get("payload") else {}
        case = (data.get("cases") or [{}])[0]
        out[ex_id] = (frame["status"], runner.decode(case["value"]) if "value" in case else case, data)
    return out


LOOK = f'''
import os
def look(_):
    def can_write(p):
        try:
            open(p, "w").write("x")
            return True
        except OSError:
            return False
    def can_read(p):
        try:
            open(p, "rb").read(1)
            return True
        except OSError:
            return False
    return {{"root": sorted(os.listdir("/")), "grader": sorted(os.listdir("/grader")),
            "package": sorted(os.listdir("/grader/pkg/freqlstm_helpers")),
            "course": sorted(os.listdir(os.environ["FREQLSTM_HOME"])),
            "repo_visible": os.path.exists({str(ROOT / "notebooks")!r}),
            "write_package": can_write("/grader/pkg/freqlstm_helpers/spectrum.py"),
            "write_scratch": can_write("/scratch/note"), "home": os.environ.get("HOME"),
            "root_mem": can_read("/proc/2/mem"), "root_environ": can_read("/proc/2/environ"),
            "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit())}}
'''


def test_what_a_submission_sees():
    status, seen, data = run({"a": LOOK}, [exercise("look", "look")])["look"]
    assert status == "ok", data
    assert "grading" not in seen["package"] and "spectrum.py" in seen["package"]
    assert seen["course"] == ["configs"], "no notebooks, no gradebook, no submissions: only the configs"
    assert not seen["repo_visible"], "the repository is not in the sandbox"
    assert not seen["write_package"] and seen["write_scratch"]
    assert seen["home"] == "/scratch"
    assert not seen["root_mem"] and not seen["root_environ"], "the grader's root process is not readable"
    assert max(seen["pids"]) < 50, "its own pid namespace"
    assert data["confinement"]["seccomp"] is True


def test_no_network_no_processes_and_nothing_carried_to_the_next_exercise():
    src = '''
import socket, os
def net(_):
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=2)
        return "connected"
    except OSError as e:
        return type(e).__name__
def spawn(_):
    try:
        return os.fork()
    except Exception as e:
        return type(e).__name__ + ": " + str(e)
def leave(_):
    open("/scratch/left", "w").write("x")
    open("/tmp/left", "w").write("x")
    return True
def find(_):
    return [os.path.exists("/scratch/left"), os.path.exists("/tmp/left")]
'''
    out = run({"a": src}, [exercise("net", "net"), exercise("spawn", "spawn"), exercise("leave", "leave"),
                           exercise("find", "find")])
    assert out["net"][1] == "OSError" or out["net"][1].endswith("Error")
    assert "os.fork is not allowed while grading" in out["spawn"][1]
    assert out["leave"][1] is True and out["find"][1] == [False, False]


def test_limits_end_an_exercise_and_the_next_one_still_runs():
    src = '''
def sleeper(_):
    import time
    time.sleep(1000)
def spinner(_):
    while True:
        pass
def hog(_):
    return len(bytearray(3 * 2 ** 30))
def huge(_):
    import numpy as np
    return np.zeros(20 * 2 ** 20)
def fine(_):
    return 42
'''
    t = time.monotonic()
    out = run({"a": src}, [exercise("sleep", "sleeper", wall=3), exercise("spin", "spinner", cpu=2),
                           exercise("hog", "hog"), exercise("huge", "huge"), exercise("fine", "fine")])
    assert out["sleep"][0] == "timeout" and out["spin"][0] == "cpu"
    assert "MemoryError" in out["hog"][1].get("error", "")
    assert out["huge"][0] == "too_large"
    assert out["fine"][1] == 42
    assert time.monotonic() - t < LIMITS.startup_seconds + 30


def test_every_process_is_gone_when_the_sandbox_ends(tmp_path):
    """The pid namespace: a detached grandchild dies with the sandbox (here without the runner's seccomp)."""
    need_bwrap()
    marker = f"freqlstm-orphan-{os.getpid()}"
    script = ("import os, subprocess, sys\n"
              f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)', '{marker}'], "
              "start_new_session=True)\nprint('spawned')\n")
    cmd = sandbox.bwrap_command(sandbox.image(), LIMITS)[:-4] + [os.path.realpath(os.sys.executable), "-c", script]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert "spawned" in p.stdout, p.stderr
    time.sleep(0.5)
    alive = [d for d in Path("/proc").iterdir() if d.name.isdigit() and marker.encode() in _cmdline(d)]
    assert not alive, "a process started in the sandbox outlived it"


def test_the_submission_cannot_load_a_library_itself():
    src = '''
def lib(_):
    import ctypes
    try:
        ctypes.CDLL("libc.so.6").getpid()
        return "loaded"
    except PermissionError as e:
        return str(e)
'''
    out = run({"a": src}, [exercise("lib", "lib")])
    assert "ctypes.dlopen is not allowed" in out["lib"][1]


def _cmdline(d: Path) -> bytes:
    try:
        return (d / "cmdline").read_bytes()
    except OSError:
        return b""


def test_denied_functions_raise_under_every_alias():
    src = '''
from freqlstm_helpers import spectrum
import torch  # imported here, in the exercise's child: a library may load its shared objects
early = spectrum.amplitude_spectrum
def aliased(_, f=spectrum.amplitude_spectrum):
    try:
        f([1.0, 2.0], 1.0)
        return "computed"
    except PermissionError as e:
        return "denied"
def builtin(_):
    try:
        torch.lstm_cell
        torch._C._VariableFunctions.lstm_cell(torch.zeros(1, 1), (torch.zeros(1, 1), torch.zeros(1, 1)),
                                              torch.zeros(4, 1), torch.zeros(4, 1))
        return "computed"
    except PermissionError:
        return "denied"
'''
    ex1 = exercise("alias", "aliased")
    ex1["denied"] = ["freqlstm_helpers.spectrum:amplitude_spectrum"]
    ex2 = exercise("builtin", "builtin")
    ex2["denied"] = ["torch:lstm_cell", "torch._C:_VariableFunctions.lstm_cell"]
    out = run({"a": src}, [ex1, ex2])
    assert out["alias"][1] == "denied" and out["builtin"][1] == "denied"
    assert out["alias"][2]["confinement"]["stub_failures"] == []


def test_probes_are_plain_functions_of_the_probes_module():
    assert all(callable(getattr(probes, n)) for n in ("call", "call_torch", "model_rows", "l1_rows",
                                                      "stream_windows", "shifted"))
