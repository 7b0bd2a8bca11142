"""The program that runs inside the sandbox: it calls a student's functions on probe inputs and returns data.

This file is copied into the sandbox image and started there as `python -I runner.py`,
with the job (JSON) on stdin and framed results on stdout. It imports nothing from the
grading package (the specs, references and verdicts never enter the sandbox); the
coordinator imports it only for the data codec (`encode`, `decode`).

Process layout inside the sandbox (its own pid namespace, no network, read-only files):

    bwrap's init (pid 1)
      runner root (pid 2): trusted code only. Imports the course package, runs each
        release notebook's setup cell, then for every exercise forks one child and
        waits for it under a wall-time limit. The root is not dumpable, so no child can
        read or write its memory or reach its file descriptors through /proc.
        exercise child: rlimits (CPU, memory, file size, files), a seccomp filter
          (no fork, no exec, no ptrace, no namespaces), an audit hook, then the
          exercise's denied course functions replaced by stubs that raise, then the
          student's solution cells, then the probe: fn(inputs) -> data on a pipe.
      After each child: every other process in the sandbox is killed and the scratch
      folders are wiped, so nothing one exercise did reaches the next.

Frames on stdout, one JSON object per line: hello, setup, result (one per exercise), done.
A result carries the child's JSON text verbatim; the coordinator decodes and judges it.
"""
from __future__ import annotations

import base64
import importlib.abc
import json
import os
import resource
import select
import signal
import sys
import time

GRADER_MARK = "freqlstm-grader:"  # prefix of every exception the sandbox itself raises at a student
MAX_PAYLOAD = 8 * 2 ** 20  # bytes of data one exercise may return
SCRATCH_DIRS = ("/scratch", "/tmp", "/dev/shm")


# --------------------------------------------------------------------------------------
# Data codec: plain JSON plus arrays. Shared with the coordinator, which never unpickles.
# --------------------------------------------------------------------------------------
_DTYPES = {"float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool", "complex128",
           "complex64"}


def encode(x, depth: int = 0):
    """Student output -> JSON-able data: numbers, strings, lists, dicts, arrays; anything else is named."""
    if depth > 20:
        return {"__object__": "structure nested too deeply"}
    if x is None or isinstance(x, (bool, str)):
        return x if not isinstance(x, str) else x[:10_000]
    if isinstance(x, int):
        return x if abs(x) < 2 ** 63 else float(x)
    if isinstance(x, float):
        return x
    mod = type(x).__module__
    if mod == "torch" or mod.startswith("torch."):
        import torch
        if isinstance(x, torch.Tensor):
            x = x.detach().cpu().numpy()
            mod = "numpy"
        elif isinstance(x, torch.Size):
            return [int(v) for v in x]
    if mod == "numpy" or mod.startswith("numpy"):
        import numpy as np
        if isinstance(x, np.bool_):
            return bool(x)
        if isinstance(x, np.integer):
            return int(x)
        if isinstance(x, np.floating):
            return float(x)
        if isinstance(x, np.ndarray):
            if x.dtype.name not in _DTYPES:
                return {"__object__": f"array of dtype {x.dtype}"}
            a = np.ascontiguousarray(x)
            return {"__ndarray__": {"dtype": a.dtype.name, "shape": list(a.shape),
                                    "data": base64.b64encode(a.tobytes()).decode("ascii")}}
    if isinstance(x, dict):
        return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in list(x.items())[:10_000]]}
    if isinstance(x, (list, tuple)):
        return {"__list__" if isinstance(x, list) else "__tuple__": [encode(v, depth + 1) for v in list(x)[:100_000]]}
    return {"__object__": f"{type(x).__module__}.{type(x).__qualname__}"[:200]}


def decode(d, depth: int = 0):
    """Inverse of `encode`. Arrays are rebuilt from bytes with an allowed dtype; nothing is executed."""
    if depth > 25:
        raise ValueError("structure nested too deeply")
    if isinstance(d, list):
        return [decode(v, depth + 1) for v in d]
    if not isinstance(d, dict):
        return d
    if "__ndarray__" in d:
        import numpy as np
        a = d["__ndarray__"]
        if a["dtype"] not in _DTYPES:
            raise ValueError(f"dtype {a['dtype']!r} is not allowed")
        shape = tuple(int(s) for s in a["shape"])
        arr = np.frombuffer(base64.b64decode(a["data"]), dtype=np.dtype(a["dtype"]))
        return arr.reshape(shape).copy()
    if "__dict__" in d:
        return {_key(decode(k, depth + 1)): decode(v, depth + 1) for k, v in d["__dict__"]}
    if "__list__" in d:
        return [decode(v, depth + 1) for v in d["__list__"]]
    if "__tuple__" in d:
        return tuple(decode(v, depth + 1) for v in d["__tuple__"])
    if "__object__" in d:
        return Opaque(str(d["__object__"]))
    return {k: decode(v, depth + 1) for k, v in d.items()}


def _key(k):
    return k if isinstance(k, (str, int, float, bool, type(None), tuple)) else repr(k)


class Opaque:
    """An output that was not data (a function, a model, ...): only its type name crosses the boundary."""

    def __init__(self, what: str):
        self.what = what

    def __repr__(self) -> str:
        return f"<{self.what}>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Opaque) and other.what == self.what

    __hash__ = None


# --------------------------------------------------------------------------------------
# Confinement of an exercise child: seccomp, audit hook, stubs.
# --------------------------------------------------------------------------------------
_SYSCALLS = {  # (arch audit id, {name: nr}); fork/vfork only exist on x86-64
    "x86_64": (0xC000003E, {"fork": 57, "vfork": 58, "execve": 59, "execveat": 322, "ptrace": 101,
                            "process_vm_readv": 310, "process_vm_writev": 311, "unshare": 272, "setns": 308,
                            "mount": 165, "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321,
                            "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425,
                            "clone": 56, "clone3": 435}),
    "aarch64": (0xC00000B7, {"execve": 221, "execveat": 281, "ptrace": 117, "process_vm_readv": 270,
                             "process_vm_writev": 271, "unshare": 97, "setns": 268, "mount": 40, "keyctl": 219,
                             "add_key": 217, "request_key": 218, "bpf": 280, "perf_event_open": 241,
                             "userfaultfd": 282, "io_uring_setup": 425, "clone": 220, "clone3": 435}),
}


def seccomp_filter() -> bool:
    """No new processes (threads only), no exec, no ptrace, no namespaces, no keyrings. True if installed."""
    import ctypes
    import platform
    import struct
    machine = platform.machine()
    if machine not in _SYSCALLS:
        return False
    arch, nr = _SYSCALLS[machine]
    EPERM, ENOSYS, CLONE_THREAD = 1, 38, 0x00010000
    ALLOW, KILL = 0x7FFF0000, 0x80000000
    LD, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06

    def errno(e):
        return 0x00050000 | e
    prog = [(LD, 0, 0, 4), (JEQ, 1, 0, arch), (RET, 0, 0, KILL), (LD, 0, 0, 0)]
    if machine == "x86_64":
        prog += [(JGE, 0, 1, 0x40000000), (RET, 0, 0, errno(EPERM))]  # the x32 ABI
    for name, n in nr.items():
        if name in ("clone", "clone3"):
            continue
        prog += [(JEQ, 0, 1, n), (RET, 0, 0, errno(EPERM))]
    prog += [(JEQ, 0, 1, nr["clone3"]), (RET, 0, 0, errno(ENOSYS))]  # glibc then falls back to clone
    prog += [(JEQ, 0, 4, nr["clone"]), (LD, 0, 0, 16), (JSET, 0, 1, CLONE_THREAD), (RET, 0, 0, ALLOW),
             (RET, 0, 0, errno(EPERM))]
    prog += [(RET, 0, 0, ALLOW)]
    raw = b"".join(struct.pack("HBBI", *ins) for ins in prog)
    buf = ctypes.create_string_buffer(raw, len(raw))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]
    fprog = SockFprog(len(prog), ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS
    if libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:  # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "seccomp filter refused")
    return True


_BLOCKED_EVENTS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                   "os.forkpty", "pty.spawn", "ctypes.call_function",
                   "ctypes.cdata", "ctypes.string_at", "ctypes.wstring_at", "gc.get_objects", "gc.get_referrers",
                   "gc.get_referents",
                   "pickle.find_class", "sys._current_frames", "os.kill", "os.killpg", "signal.pthread_kill"}
_PROTECTED_ATTRS = {"__code__"}  # on a stubbed function only (asyncio's import sets __code__ of its own functions)
_STUBBED: set = set()  # ids of the functions whose code was replaced


_LIBRARY_EVENTS = {"ctypes.dlopen", "ctypes.dlsym", "ctypes.dlsym/handle"}


def audit_hook(event: str, args) -> None:
    if event in _BLOCKED_EVENTS or (event == "object.__setattr__" and len(args) > 1
                                     and args[1] in _PROTECTED_ATTRS and id(args[0]) in _STUBBED) or \
            (event in _LIBRARY_EVENTS and _called_from_submission()):
        if not _grader_installing_stubs():
            raise PermissionError(f"{GRADER_MARK} {event} is not allowed while grading")


def _grader_installing_stubs() -> bool:
    """True inside the runner's own `_install` (stubs for a course module imported after the hook went in)."""
    f = sys._getframe(2)
    for _ in range(40):
        if f is None:
            return False
        if f.f_code is _install.__code__:
            return True
        f = f.f_back
    return False


def _called_from_submission() -> bool:
    """True when the code asking ctypes for a library is the submission's own (not a library importing itself).

    Libraries load their shared objects with ctypes as they are imported (torch, llvmlite): those
    calls come from the library's files. A call whose nearest caller outside ctypes (and numpy's
    ctypeslib) was compiled from a string (a solution cell, exec'd code) is the submission's.
    """
    f = sys._getframe(2)
    while f is not None and ("/ctypes/" in f.f_code.co_filename or "ctypeslib" in f.f_code.co_filename):
        f = f.f_back
    return f is None or f.f_code.co_filename.startswith("<")


def _stub_code(label: str, n_free: int):
    """A code object that raises PermissionError(label), with n_free free variables (so it fits any function)."""
    names = [f"_v{i}" for i in range(n_free)]
    src = "def _outer():\n" + "".join(f"    {n} = None\n" for n in names)
    src += "    def _stub(*args, **kwargs):\n"
    if names:
        src += f"        ({', '.join(names)},)\n"
    src += f"        raise PermissionError({label!r})\n    return _stub\n"
    ns: dict = {}
    exec(compile(src, "<grader stub>", "exec"), ns)
    return ns["_outer"]().__code__


class _Stub:
    """Stands in for a denied object that has no Python code to replace (a builtin, a compiled kernel)."""

    def __init__(self, label: str):
        object.__setattr__(self, "_label", label)

    def __call__(self, *args, **kwargs):
        raise PermissionError(self._label)

    def __getattr__(self, name):
        raise PermissionError(self._label)


class _Shadow:
    """Forwards to `inner` except for the denied names (for objects whose attributes cannot be set)."""

    def __init__(self, inner, denied: dict):
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_denied", denied)

    def __getattr__(self, name):
        if name in self._denied:
            return self._denied[name]
        return getattr(self._inner, name)


def _stub_function(fn, label: str) -> None:
    fn.__code__ = _stub_code(label, len(fn.__code__.co_freevars))
    _STUBBED.add(id(fn))


def _stub_member(owner, name: str, value, label: str) -> None:
    import types
    if isinstance(value, types.FunctionType):
        _stub_function(value, label)
    elif isinstance(value, (staticmethod, classmethod)):
        _stub_function(value.__func__, label)
    elif isinstance(value, property):
        for f in (value.fget, value.fset):
            if isinstance(f, types.FunctionType):
                _stub_function(f, label)
    elif isinstance(value, type):
        for k, v in list(vars(value).items()):
            if isinstance(v, (types.FunctionType, staticmethod, classmethod, property)):
                _stub_member(value, k, v, label)
    else:
        setattr(owner, name, _Stub(label))


def lookup_module(dotted: str):
    """Import a dotted name as far as it is a module, then follow attributes (torch.ops.aten is not a module)."""
    import importlib
    parts = dotted.split(".")
    obj = importlib.import_module(parts[0])
    for i, p in enumerate(parts[1:], 1):
        try:
            obj = importlib.import_module(".".join(parts[:i + 1]))
        except ImportError:
            obj = getattr(obj, p)
    return obj


class _StubOnImport:
    """A meta-path finder: a course module with denied targets gets its stubs whenever it is (re)loaded.

    So the sandbox need not import every denied module up front (numba alone costs seconds), and
    no import route escapes: an import statement, importlib, a course function importing lazily,
    `importlib.reload`, or a fresh import after deleting the module from sys.modules.
    """

    def __init__(self, targets: dict):
        self.targets = targets  # module name -> [targets]

    def find_spec(self, name, path=None, target=None):
        if name not in self.targets:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                loader, targets, failed = spec.loader, self.targets[name], self.failed

                class _Loader(importlib.abc.Loader):
                    def create_module(self, s):
                        return loader.create_module(s)

                    def exec_module(self, module):
                        loader.exec_module(module)
                        failed.extend(_install(targets))
                spec.loader = _Loader()
                return spec
        return None

    failed: list = []


def install_stubs(targets: list[str]) -> list[str]:
    """Replace each "module:attr.path" by a stub that raises; returns the targets that could not be stubbed.

    A Python function keeps its identity and only loses its code, so every alias, wrapper or
    default argument that captured it before now raises too. A class loses the code of all its
    methods. A builtin is replaced where it is looked up; if its owner refuses new attributes, the
    owner itself is replaced by a shadow that refuses the name. A course module not imported yet
    gets its stubs when it is imported (`_StubOnImport`).
    """
    now, course = [], {}
    for target in targets:
        modname = target.partition(":")[0]
        if modname.startswith("freqlstm_helpers."):
            course.setdefault(modname, []).append(target)
        if modname in sys.modules or not modname.startswith("freqlstm_helpers."):
            now.append(target)
    if course:
        sys.meta_path.insert(0, _StubOnImport(course))
    return _install(now)


def _install(targets: list[str]) -> list[str]:
    failed = []
    for target in targets:
        modname, _, path = target.partition(":")
        label = f"{GRADER_MARK} {modname.rsplit('.', 1)[-1] if modname.startswith('freqlstm') else modname}." \
                f"{path} computes this exercise's answer; write your own"
        try:
            parents = [lookup_module(modname)]
            parts = path.split(".")
            for p in parts[:-1]:
                parents.append(getattr(parents[-1], p))
            owner, name = parents[-1], parts[-1]
            try:
                _stub_member(owner, name, getattr(owner, name), label)
            except (AttributeError, TypeError):
                if len(parents) < 2:
                    raise
                setattr(parents[-2], parts[-2], _Shadow(owner, {name: _Stub(label)}))
        except Exception as e:  # noqa: BLE001 - reported to the coordinator, which fails loudly
            failed.append(f"{target}: {type(e).__name__}: {e}")
    return failed


# --------------------------------------------------------------------------------------
# One exercise, in a forked child
# --------------------------------------------------------------------------------------
def _set_limits(ex: dict) -> None:
    cpu = max(1, int(ex["cpu_seconds"]))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    pages = int(open("/proc/self/statm").read().split()[0])
    budget = pages * resource.getpagesize() + int(ex["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (budget, budget))
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(ex["file_bytes"]),) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the file limit fails instead of killing


class _NoIPython:
    """What `get_ipython()` returns while grading: magics do nothing; nothing else exists."""

    def run_line_magic(self, *args, **kwargs):
        return None

    run_cell_magic = system = run_line_magic

    def __getattr__(self, name):
        raise AttributeError(f"{GRADER_MARK} IPython is not running while grading (get_ipython().{name})")


def _error_text(e: BaseException) -> str:
    try:
        msg = str(e)
    except Exception:  # noqa: BLE001 - a student's exception whose __str__ fails
        msg = "<unprintable>"
    return f"{type(e).__name__}: {msg}"[:600]


def _denied_in(e: BaseException) -> str | None:
    """The grader's own PermissionError anywhere in the exception chain (a stub or the audit hook)."""
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, PermissionError) and str(e).startswith(GRADER_MARK):
            return str(e)[len(GRADER_MARK):].strip()[:300]
        e = e.__cause__ or e.__context__
    return None


def run_exercise(ns_setup: dict, nb: dict, ex: dict, out_fd: int) -> None:
    """Child side: confine, run the solution cells, call the probe on every case, write JSON to out_fd."""
    result: dict = {"cells": {}, "cases": [], "confinement": {}}
    _set_limits(ex)
    result["confinement"]["stub_failures"] = install_stubs(ex["denied"])
    probe_ns: dict = {"__name__": "probe"}
    exec(compile(ex["probe_source"], f"<probe {ex['id']}>", "exec"), probe_ns)
    probe = probe_ns[ex["probe_name"]]
    cases = [decode(c) for c in ex["cases"]]
    ns = dict(ns_setup)
    ns["get_ipython"] = lambda: _NoIPython()
    cells = [(gid, compile(src, f"<solution {gid}>", "exec")) for gid, src in nb["solutions"] if src is not None]
    result["confinement"]["seccomp"] = seccomp_filter()
    sys.addaudithook(audit_hook)
    for gid, code in cells:
        try:
            exec(code, ns)
            result["cells"][gid] = "ok"
        except BaseException as e:  # noqa: BLE001 - the student's cell failed: say how, go on
            result["cells"][gid] = _error_text(e)
    fn = ns.get(ex["function"])
    if not callable(fn):
        result["missing_function"] = True
    else:
        for case in cases:
            t = time.monotonic()
            try:
                value = probe(fn, case)
                result["cases"].append({"value": encode(value), "seconds": time.monotonic() - t})
            except NotImplementedError:
                result["cases"].append({"not_done": True})
            except BaseException as e:  # noqa: BLE001
                denied = _denied_in(e)
                result["cases"].append({"denied": denied} if denied else {"error": _error_text(e)})
    result["confinement"]["stub_failures"] += _StubOnImport.failed  # stubs installed on a later import
    data = json.dumps(result, allow_nan=True).encode()
    view = memoryview(data)
    while view:
        n = os.write(out_fd, view[:65536])
        view = view[n:]


# --------------------------------------------------------------------------------------
# The root
# --------------------------------------------------------------------------------------
def _emit(chan, frame: dict) -> None:
    chan.write(json.dumps(frame) + "\n")
    chan.flush()


def _kill_strays(keep: set[int]) -> None:
    """SIGKILL every process of this sandbox but the root and bwrap's init, until none is left."""
    for _ in range(200):
        others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in keep]
        if not others:
            return
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in others:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        time.sleep(0.01)


def _wipe_scratch() -> None:
    import shutil
    for d in SCRATCH_DIRS:
        if os.path.isdir(d):
            for name in os.listdir(d):
                p = os.path.join(d, name)
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    try:
                        os.unlink(p)
                    except OSError:
                        pass


def _private_memory(pid: int) -> int:
    try:
        f = open(f"/proc/{pid}/statm").read().split()
        return (int(f[1]) - int(f[2])) * resource.getpagesize()
    except (OSError, IndexError, ValueError):
        return 0


def run_child(ns: dict, nb: dict, ex: dict, chan_fd: int) -> dict:
    """Fork one exercise child; wait for its data under the wall limit; kill what is left."""
    r, w = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: nothing of the root's channels survives into student code
        try:
            os.close(r)
            os.close(chan_fd)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            os.closerange(3, w)
            os.closerange(w + 1, 4096)
            run_exercise(ns, nb, ex, w)
        except BaseException as e:  # noqa: BLE001 - the grader's side failed in the child: say so
            try:
                os.write(w, json.dumps({"fatal": _error_text(e)}).encode())
            except BaseException:  # noqa: BLE001
                pass
        finally:
            os._exit(0)
    os.close(w)
    chunks, size, status = [], 0, "ok"
    deadline = t0 + float(ex["wall_seconds"])
    mem_limit = int(ex["memory_bytes"])
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            status = "timeout"
            break
        ready, _, _ = select.select([r], [], [], min(left, 0.25))
        if ready:
            buf = os.read(r, 65536)
            if not buf:
                break
            size += len(buf)
            if size > MAX_PAYLOAD:
                status = "too_large"
                break
            chunks.append(buf)
        elif _private_memory(pid) > mem_limit:
            status = "memory"
            break
    os.close(r)
    how = ""
    if status == "ok":  # the pipe closed: the child is exiting, or was killed (CPU limit, a signal)
        try:
            while True:  # bounded: a child that closed its pipe and lingers is killed at the deadline
                done, wstatus = os.waitpid(pid, os.WNOHANG)
                if done or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            if not done:
                status = "timeout"
            elif os.WIFSIGNALED(wstatus):
                sig = os.WTERMSIG(wstatus)
                how = "cpu" if sig == signal.SIGXCPU else signal.Signals(sig).name
            elif os.WEXITSTATUS(wstatus):
                how = f"exit {os.WEXITSTATUS(wstatus)}"
        except ChildProcessError:
            pass
    _kill_strays({os.getpid(), 1})
    _wipe_scratch()
    frame = {"status": status, "seconds": round(time.monotonic() - t0, 3)}
    if status == "ok":
        if not chunks:
            frame["status"] = "cpu" if how == "cpu" else "crashed"
            frame["how"] = how
        else:
            frame["payload"] = b"".join(chunks).decode("utf-8", "replace")
    return frame


def main() -> int:
    job = json.loads(sys.stdin.read())
    chan_fd = os.dup(1)
    chan = os.fdopen(chan_fd, "w", buffering=1)
    try:
        return _serve(job, chan, chan_fd)
    except BaseException as e:  # noqa: BLE001 - the grader's side failed: tell the coordinator
        import traceback
        _emit(chan, {"type": "error", "error": _error_text(e), "traceback": traceback.format_exc()[-3000:]})
        return 1


def _serve(job: dict, chan, chan_fd: int) -> int:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # what the setup cells print goes nowhere
        os.dup2(devnull, fd)
    sys.stdout = sys.stderr = open(os.devnull, "w")
    import ctypes
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no /proc/<root>/mem, fd or ptrace for anyone
    sys.path.insert(0, job["package_path"])
    t0 = time.monotonic()
    mpl = os.environ.get("MPLCONFIGDIR")
    if mpl and os.path.isdir("/grader/mpl"):  # matplotlib's font list, built with the image
        import shutil
        shutil.copytree("/grader/mpl", mpl, dirs_exist_ok=True)
    for name in job.get("preimport", []):
        lookup_module(name)
    if "torch" in sys.modules:  # one thread, and no thread pool to break a fork
        sys.modules["torch"].set_num_threads(1)
    _emit(chan, {"type": "hello", "seconds": round(time.monotonic() - t0, 3), "pid": os.getpid()})
    for nb in job["notebooks"]:
        t = time.monotonic()
        ns: dict = {"__name__": "__main__"}
        try:
            for src in nb["setup"]:
                exec(compile(src, f"<setup {nb['stem']}>", "exec"), ns)
        except BaseException as e:  # noqa: BLE001 - the release's own setup failed: the coordinator fails loudly
            _emit(chan, {"type": "setup", "notebook": nb["stem"], "ok": False, "error": _error_text(e)})
            continue
        _emit(chan, {"type": "setup", "notebook": nb["stem"], "ok": True, "seconds": round(time.monotonic() - t, 3)})
        for ex in nb["exercises"]:
            frame = run_child(ns, nb, ex, chan_fd)
            _emit(chan, {"type": "result", "notebook": nb["stem"], "exercise": ex["id"], **frame})
    _emit(chan, {"type": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
