"""`make test` on two cores: the course notebooks in one pytest process, the rest in another.

Most of the suite runs one thread at a time (an nbval kernel, a unit test), so on a 2-core
machine two pytest processes side by side take about half the wall time of one. They
share the run cache of this `make test` (FREQLSTM_RUNS): a run both need is trained once
and the other waits on its lock (runs are bit-identical whoever trains them). The notebooks
print live; the other process writes build/test-rest.log, shown when it ends.

    python -m tests.run [--jobs 1] -- NOTEBOOK.ipynb ...
Exit code: 0 when both pass; pytest's "no tests collected" (5) counts as a failure.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _verdict(name: str, rc: int) -> int:
    if rc == 5:
        print(f"make test: the {name} collected no tests: that is a failure here", flush=True)
        return 1
    return rc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2, choices=(1, 2), help="2: side by side; 1: one after the other")
    ap.add_argument("--cell-timeout", type=int, default=1200)
    ap.add_argument("notebooks", nargs="+")
    a = ap.parse_args(argv)
    py = sys.executable
    common = ["-p", "no:cacheprovider", "--durations=15"]
    # tests/conftest.py as a plugin: the notebook process collects nothing under tests/, yet needs its
    # set-up (one torch thread, figures to a scratch folder so the committed ones stay untouched).
    course = [py, "-m", "pytest", "-p", "tests.conftest", *a.notebooks, "--nbval-lax", "--nbval-current-env",
              f"--nbval-cell-timeout={a.cell_timeout}", *common]
    rest = [py, "-m", "pytest", "tests", *common]
    if a.jobs == 1:
        return max(_verdict("unit and homework tests", subprocess.call(rest, cwd=ROOT)),
                   _verdict("notebooks", subprocess.call(course, cwd=ROOT)))
    log = ROOT / "build" / "test-rest.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"== unit and homework tests run alongside, into {log.relative_to(ROOT)}; the notebooks print here",
          flush=True)
    with open(log, "w") as out:
        other = subprocess.Popen(rest, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc_course = subprocess.call(course, cwd=ROOT)
            rc_rest = other.wait()
        except KeyboardInterrupt:
            os.killpg(other.pid, signal.SIGTERM)
            other.wait()
            raise
    print(f"\n== unit and homework tests ({log.relative_to(ROOT)}):", flush=True)
    sys.stdout.write(log.read_text())
    sys.stdout.flush()
    return 1 if (_verdict("notebooks", rc_course) or _verdict("unit and homework tests", rc_rest)) else 0


if __name__ == "__main__":
    sys.exit(main())
