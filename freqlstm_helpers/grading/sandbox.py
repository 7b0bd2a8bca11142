"""One student's solutions run in a bubblewrap sandbox; only data comes back.

The sandbox (`bwrap`, one per student and grading run) sees:

- read-only: the system's /usr, the Python installation and the virtual environment,
  and an *image* with a copy of the course package without `grading/` (no specs, no
  hidden tests, no references) and the course's `configs/`;
- private and writable: /scratch (its home and working folder), /tmp and /dev/shm, each
  a size-limited tmpfs, wiped after every exercise;
- nothing else: not the repository, the instructor's notebooks, the course folder with its
  gradebook, `source/`, `release/` or `submitted/`, nor other students' files.

It has no network and its own pid, ipc, uts and user namespaces; it cannot gain
capabilities. `runner.py` (copied into the image) does the work inside; its docstring
describes the limits each exercise runs under. From outside, the whole sandbox has a
wall-time limit, its output is capped, and it is killed with every process in it when it
ends or overruns (`--die-with-parent` and a new session killed as a group).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..paths import repo_root

PACKAGE = Path(__file__).resolve().parents[1]  # freqlstm_helpers/
RUNNER = Path(__file__).with_name("runner.py")
MAX_OUTPUT = 64 * 2 ** 20  # bytes of frames one sandbox may write
APT_HINT = "bubblewrap (bwrap) is not installed; install it with: sudo apt-get install bubblewrap"


class SandboxUnavailable(RuntimeError):
    """bwrap is missing or cannot create namespaces here."""


class SandboxFailed(RuntimeError):
    """The grader's side of a sandbox failed (not the student's code): the grading run must fail."""


@dataclass(frozen=True)
class Limits:
    """Per exercise unless said otherwise. CPU time decides a timeout; wall time is a backstop for sleeping code."""

    cpu_seconds: float = 20.0
    wall_seconds: float = 60.0
    memory_bytes: int = 2 * 2 ** 30          # address space beyond what the root had, and private memory
    file_bytes: int = 64 * 2 ** 20           # largest file a child may write
    scratch_bytes: int = 256 * 2 ** 20       # each of /scratch, /tmp, /dev/shm
    setup_seconds: float = 120.0             # per notebook, the release's setup cell (trusted)
    startup_seconds: float = 120.0           # python, imports

    def scaled(self, factor: float) -> "Limits":
        return Limits(self.cpu_seconds * factor, self.wall_seconds * factor, self.memory_bytes, self.file_bytes,
                      self.scratch_bytes, self.setup_seconds, self.startup_seconds)


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def require_bwrap() -> str:
    path = bwrap_path()
    if path is None:
        raise SandboxUnavailable(APT_HINT)
    return path


# --------------------------------------------------------------------------------------
# The image: what the sandbox may read of the course
# --------------------------------------------------------------------------------------
def _package_files() -> list[Path]:
    """The release package: what students get (release_package.release_files), nothing of grading/ or website/."""
    from .release_package import release_files
    return release_files()


def _configs_dir() -> Path:
    return repo_root() / "configs"


def image_fingerprint() -> str:
    """Hash of what the image holds: a worker with another course version is refused."""
    h = hashlib.sha256()
    for p in _package_files():
        h.update(str(p.relative_to(PACKAGE)).encode() + b"\0" + p.read_bytes())
    for p in sorted(_configs_dir().glob("*.yaml")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    h.update(RUNNER.read_bytes())
    return h.hexdigest()[:16]


_IMAGE_LOCK = threading.Lock()
_IMAGES: dict[str, Path] = {}


def image() -> Path:
    """Build (once per process) the read-only image: pkg/freqlstm_helpers, course/configs, runner.py."""
    fp = image_fingerprint()
    with _IMAGE_LOCK:
        if fp in _IMAGES and _IMAGES[fp].is_dir():
            return _IMAGES[fp]
        root = Path(tempfile.mkdtemp(prefix=f"freqlstm-sandbox-{fp}-"))
        for src in _package_files():
            dest = root / "pkg" / "freqlstm_helpers" / src.relative_to(PACKAGE)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
        (root / "course" / "configs").mkdir(parents=True)
        for p in _configs_dir().glob("*.yaml"):
            shutil.copyfile(p, root / "course" / "configs" / p.name)
        shutil.copyfile(RUNNER, root / "runner.py")
        _font_cache(root / "mpl")
        import compileall
        compileall.compile_dir(str(root / "pkg"), quiet=1)  # nothing to write at run time
        for p in root.rglob("*"):
            p.chmod(0o755 if p.is_dir() else 0o644)
        root.chmod(0o755)
        _IMAGES[fp] = root
        import atexit
        atexit.register(shutil.rmtree, root, True)
        return root


def _font_cache(folder: Path) -> None:
    """matplotlib's font list, built once here; the runner copies it into each sandbox's config folder."""
    folder.mkdir()
    subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], capture_output=True,
                   env={**os.environ, "MPLCONFIGDIR": str(folder)}, timeout=300)


# --------------------------------------------------------------------------------------
# The bwrap command
# --------------------------------------------------------------------------------------
def _ro_system() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for d in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    for f in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/alternatives", "/etc/localtime"):
        if os.path.exists(f):
            args += ["--ro-bind", f, f]
    return args


def _python_dirs() -> list[str]:
    """The interpreter, its standard library and the environment's packages, each read-only where it lives."""
    dirs = []
    for d in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
              str(Path(os.path.realpath(sys.executable)).parent.parent)}:
        d = os.path.realpath(d)
        if not d.startswith("/usr/") and d != "/usr" and os.path.isdir(d):
            dirs.append(d)
    return sorted(set(dirs))


def bwrap_command(img: Path, limits: Limits) -> list[str]:
    size = str(int(limits.scratch_bytes))
    cmd = [require_bwrap(), "--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
           "--new-session", "--cap-drop", "ALL", "--uid", "1000", "--gid", "1000"]
    cmd += _ro_system()
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--size", size, "--tmpfs", "/scratch", "--size", size, "--tmpfs", "/tmp",
            "--size", size, "--tmpfs", "/dev/shm"]
    # After the tmpfs mounts, so an environment that lives under /tmp (a CI clone's .venv) is
    # bound on top of the private /tmp instead of being hidden by it.
    for d in _python_dirs():
        cmd += ["--ro-bind", d, d]
    cmd += ["--ro-bind", str(img), "/grader", "--chdir", "/scratch", "--clearenv"]
    env = {"HOME": "/scratch", "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1",
           "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1",
           "NUMBA_CACHE_DIR": "/scratch/.numba", "MPLBACKEND": "Agg", "MPLCONFIGDIR": "/scratch/.mpl",
           "FREQLSTM_HOME": "/grader/course", "FREQLSTM_RUNS": "/scratch/runs",
           "FREQLSTM_FIGURES": "/scratch/figures", "FREQLSTM_HEADLESS": "1", "PYTHONHASHSEED": "0"}
    for k, v in env.items():
        cmd += ["--setenv", k, v]
    return cmd + [sys.executable, "-I", "-B", "/grader/runner.py"]


# --------------------------------------------------------------------------------------
# Running one job
# --------------------------------------------------------------------------------------
@dataclass
class SandboxRun:
    """What came back: per (notebook, exercise) the runner's frame; plus how the sandbox ended."""

    results: dict = field(default_factory=dict)      # (stem, exercise id) -> frame
    setups: dict = field(default_factory=dict)       # stem -> setup frame
    ended: str = "done"                              # done | timeout | died | too_large
    seconds: float = 0.0
    startup_seconds: float | None = None


def wall_budget(job: dict, limits: Limits) -> float:
    n = sum(len(nb["exercises"]) for nb in job["notebooks"])
    per_ex = max((float(ex["wall_seconds"]) for nb in job["notebooks"] for ex in nb["exercises"]), default=0.0)
    return limits.startup_seconds + limits.setup_seconds * len(job["notebooks"]) + n * (per_ex + 2.0)


def run_job(job: dict, limits: Limits) -> SandboxRun:
    """Run the runner on `job` in a fresh sandbox; parse its frames. Raises SandboxFailed for the grader's faults."""
    img = image()
    job = {**job, "package_path": "/grader/pkg"}
    run = SandboxRun()
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="freqlstm-job-") as tmp:
        inp, out, err = Path(tmp) / "job.json", Path(tmp) / "out", Path(tmp) / "err"
        inp.write_text(json.dumps(job))
        with open(inp, "rb") as fin, open(out, "wb") as fout, open(err, "wb") as ferr:
            proc = subprocess.Popen(bwrap_command(img, limits), stdin=fin, stdout=fout, stderr=ferr,
                                    start_new_session=True, close_fds=True)
            budget = wall_budget(job, limits)
            while True:
                try:
                    proc.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() - t0 > budget:
                        run.ended = "timeout"
                        break
                    if out.stat().st_size > MAX_OUTPUT:
                        run.ended = "too_large"
                        break
            _kill_group(proc)
        run.seconds = time.monotonic() - t0
        frames = _frames(out)
        stderr = err.read_bytes()[-4000:].decode("utf-8", "replace")
    errors = [f for f in frames if f.get("type") == "error"]
    if errors:
        raise SandboxFailed(f"the grader failed inside the sandbox: {errors[0]['error']}\n{errors[0].get('traceback', '')}")
    hello = [f for f in frames if f.get("type") == "hello"]
    if not hello:
        raise SandboxFailed(f"the sandbox did not start (bwrap exit {proc.returncode}): {stderr.strip()[-1500:]}")
    run.startup_seconds = hello[0].get("seconds")
    for f in frames:
        if f.get("type") == "setup":
            run.setups[f["notebook"]] = f
        elif f.get("type") == "result":
            run.results[(f["notebook"], f["exercise"])] = f
    if run.ended == "done" and not any(f.get("type") == "done" for f in frames):
        run.ended = "died"
    return run


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass


def _frames(path: Path) -> list[dict]:
    frames = []
    with open(path, "rb") as fh:
        data = fh.read(MAX_OUTPUT)
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            f = json.loads(line)
        except ValueError:
            break  # a frame cut short: the sandbox died while writing it
        if isinstance(f, dict):
            frames.append(f)
    return frames


def probe_namespaces() -> bool:
    """True if bwrap can create the namespaces the sandbox needs on this machine."""
    if bwrap_path() is None:
        return False
    p = subprocess.run([require_bwrap(), "--unshare-all", "--unshare-user", "--die-with-parent", *_ro_system(),
                        "--proc", "/proc", "--dev", "/dev", "true"], capture_output=True)
    return p.returncode == 0
