"""Two processes compiling a kernel at once, into one empty numba cache, both get correct code.

numba's cache index maps each signature to a data file; two processes that
compile different signatures of one kernel at the same moment could each
rewrite the index and the same data file, and a later load could get the other
signature's machine code. engines/_compile_lock.py serialises every engine
kernel's first call in a process. Here an empty NUMBA_CACHE_DIR stands for a
fresh clone: a float32 and a float64 process start together, then a third
process loads both from the cache and must compute the same numbers. The
kernel is the L=1 engine's frozen forward: the lock is the same for every
kernel, and this one compiles in seconds.
"""
import json
import os
import subprocess
import sys

from freqlstm_helpers.paths import repo_root

SCRIPT = """
import json, sys
import numpy as np
from freqlstm_helpers.engines.l1_fused import FusedParams, predict_params
from freqlstm_helpers.model import FrequencyLSTM
X = np.random.default_rng(0).normal(size=(50, 5))
print(json.dumps({d: predict_params(FusedParams.from_model(FrequencyLSTM.seeded(0), d), X)[0].tolist()
                  for d in sys.argv[1:]}))
"""


def test_concurrent_first_compiles_share_one_cache_safely(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    cmd = [sys.executable, "-c", SCRIPT]
    procs = [subprocess.Popen(cmd + [d], env=env, cwd=repo_root(), stdout=subprocess.PIPE, text=True)
             for d in ("float32", "float64")]
    first = {}
    for p in procs:
        out, _ = p.communicate(timeout=600)
        assert p.returncode == 0
        first.update(json.loads(out.strip().splitlines()[-1]))
    again = subprocess.run(cmd + ["float64", "float32"], env=env, cwd=repo_root(), capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads(again.stdout.strip().splitlines()[-1]) == first
    assert first["float32"] != first["float64"], "the two signatures computed identical numbers"
    index = list((tmp_path / "numba").rglob("*_predict_kernel*.nbi"))
    assert index, "nothing was cached"
