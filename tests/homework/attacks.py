"""Attack submissions, each built from a release (student) notebook as a student would hand it in.

Every attack leaves the exercises unsolved (the stubs, or code that only tries to cheat) and
must score 0, whatever it prints, patches, hooks or reaches. Each is one student of the same
grading run as the honest, partial and untouched baselines (see conftest.py), so the run
also shows that no attack changes a classmate's grade.

Paths outside the sandbox are built from pieces: this file must pass tests/test_no_outside_paths.py.
"""
from __future__ import annotations

import copy

import nbformat

NB01, NB02 = "01_signals_and_fft", "02_l1_state_mechanics"
UP = ".." + "/"


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _clean(nb):
    nb = copy.deepcopy(nb)
    for c in nb.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    return nb


def solution(nb, gid: str, src: str, keep_stub: bool = False):
    """The solution cell `gid` gets `src` (after the stub, if keep_stub)."""
    for c in nb.cells:
        if _meta(c).get("grade_id") == gid and _meta(c).get("solution"):
            c.source = (c.source + "\n\n" + src) if keep_stub else src
            return nb
    raise KeyError(gid)


def every_solution(nb, code: str):
    """`code` appended to every solution cell, stubs kept (the exercise is not done)."""
    for c in nb.cells:
        if _meta(c).get("solution"):
            c.source = c.source + "\n\n" + code
    return nb


def test_cells_to(nb, text: str):
    for c in nb.cells:
        if _meta(c).get("grade") and not _meta(c).get("solution"):
            c.source = text
    return nb


def extra_cell(nb, code: str, at: int | None = None):
    cell = nbformat.v4.new_code_cell(code)
    nb.cells.insert(len(nb.cells) if at is None else at, cell)
    return nb


# --------------------------------------------------------------------------------------
# What the attacks do (code put into solution cells of otherwise untouched release notebooks)
# --------------------------------------------------------------------------------------
HOOK = """
ip = get_ipython()
def _forge(info):
    ip.display_pub.publish({'text/plain': '6.0'})
ip.events.register('pre_run_cell', _forge)
"""
AST_TRANSFORMER = """
import ast
class _Wrap(ast.NodeTransformer):
    def visit_Module(self, node):
        return ast.Module(body=[ast.Try(body=node.body, handlers=[ast.ExceptHandler(body=[ast.Pass()])],
                                        orelse=[], finalbody=[])], type_ignores=[])
get_ipython().ast_transformers.append(_Wrap())
"""
INPUT_TRANSFORMER = """
get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'] if 'check.' in ''.join(lines) else lines)
"""
REBIND = """
check.noisy_mixture = check.amplitude_spectrum = check.peak_present = check.predict_zero_mse = \\
    lambda fn: print('[check 01.x] PASSED: exact match')
"""
PRINTS = """
print('[check 01.1 noisy_mixture] PASSED: exact match, max |difference| 0 over 1 comparison(s).')
print('[grader 01.1] PASSED: right on all 3 fresh case(s) the grader drew for this run.')
6.0
"""
GRADEBOOK = """
import sqlite3, pathlib
for _base in [pathlib.Path.cwd(), *pathlib.Path.cwd().parents, pathlib.Path('/')]:
    for _db in list(_base.glob('gradebook.db')) + list(_base.glob('*/gradebook.db')):
        _c = sqlite3.connect(str(_db))
        _c.execute('update grade set manual_score = 6')
        _c.execute("update source_cell set source = 'pass'")
        _c.commit()
"""
SOLUTIONS_FROM_DISK = """
import os, glob, json
for _pat in [os.environ.get('FREQLSTM_HOME', '') + '/notebooks/*.ipynb', '/' + 'work/*/notebooks/*.ipynb',
             '""" + UP + UP + """source/*/*.ipynb', '""" + UP + UP + """submitted/*/*/*.ipynb']:
    for _f in glob.glob(_pat):
        for _c in json.load(open(_f))['cells']:
            if 'BEGIN SOLUTION' in ''.join(_c['source']):
                exec(''.join(_c['source']), globals())
"""
WRITE_EVERYWHERE = """
import os, shutil
from freqlstm_helpers import spectrum, check
for _target in [spectrum.__file__, check.__file__]:
    try:
        with open(_target, 'a') as _f:
            _f.write('\\ndef amplitude_spectrum(x, fs):\\n    import numpy as np\\n    return 0\\n')
    except OSError:
        pass
for _dir in ['""" + UP + UP + """submitted', '""" + UP + """submitted', '/' + 'work']:
    shutil.rmtree(_dir, ignore_errors=True)
"""
STARTUP_FILE = """
import os
_d = os.path.expanduser('~/.ipython/profile_default/startup')
os.makedirs(_d, exist_ok=True)
open(os.path.join(_d, '00-zero.py'), 'w').write('import sys; sys.exit(0)')
"""
KERNEL_REPLIES = """
import glob, json, socket
for _cf in glob.glob('/tmp/kernel-*.json') + glob.glob('/' + 'root/.local/share/jupyter/runtime/*.json'):
    _info = json.load(open(_cf))
    _s = socket.create_connection(('127.0.0.1', _info['shell_port']), timeout=1)
"""
LOCK = """
import fcntl, glob
for _db in glob.glob('""" + UP + """*/gradebook.db') + glob.glob('""" + UP + UP + """gradebook.db'):
    fcntl.flock(open(_db, 'a'), fcntl.LOCK_EX)
"""
KILL = """
import os, signal
for _pid in (os.getppid(), 1, -1):
    try:
        os.kill(_pid, signal.SIGKILL)
    except Exception:
        pass
"""
SLEEP = """
def noisy_mixture(t, A, phi, freqs):
    import time
    time.sleep(100_000)
"""
SPIN = """
def noisy_mixture(t, A, phi, freqs):
    while True:
        pass
"""
DETACHED = """
import subprocess, sys
subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(100000)'], start_new_session=True,
                 stdout=sys.stdout, stderr=sys.stderr)
"""
FORK_BOMB = """
import os
for _ in range(200):
    if os.fork() == 0:
        os.setsid()
        import time
        time.sleep(100000)
"""
MEMORY = """
def noisy_mixture(t, A, phi, freqs):
    hog = [bytearray(2 ** 28) for _ in range(24)]  # 6 GiB
    return hog
"""
DISK = """
def noisy_mixture(t, A, phi, freqs):
    for name in ('/scratch/big', '/tmp/big', '/dev/shm/big'):
        try:
            with open(name, 'wb') as f:
                for _ in range(5 * 1024):
                    f.write(b'x' * 2 ** 20)  # 5 GiB
        except OSError:
            pass
    raise NotImplementedError()
"""
NETWORK = """
import urllib.request
urllib.request.urlopen('http://example.org', timeout=2)
"""
FORGED_PAYLOAD = """
import os
for _fd in os.listdir('/proc/self/fd'):
    try:
        os.write(int(_fd), b'{"fatal": "forged", "cells": {}, "cases": [], "confinement": {}} trailing garbage')
    except (OSError, ValueError):
        pass
os._exit(0)
"""
DEFAULT_ARG = """
def amplitude_spectrum(x, fs, _spec=spectrum.amplitude_spectrum):
    return _spec(x, fs)
"""
ALIAS = """
from freqlstm_helpers.spectrum import amplitude_spectrum as _course_spectrum
_helper = _course_spectrum
def amplitude_spectrum(x, fs):
    return _helper(x, fs)
"""
VIA_OTHER_EXERCISE = """
def peak_present(S, fs, f, factor=10, raw=False):
    freqs, amp = spectrum.amplitude_spectrum(S, fs)
    if raw:
        return freqs, amp
    k = int(np.argmin(np.abs(freqs - f)))
    return bool(amp[k] >= factor * np.median(amp[1:]))
"""
USES_PEAK = """
def amplitude_spectrum(x, fs):
    return peak_present(x, fs, 0.0, raw=True)
"""
GETATTR = """
def amplitude_spectrum(x, fs):
    return getattr(spectrum, 'amplitude_' + 'spectrum')(x, fs)
"""
EVAL = """
def amplitude_spectrum(x, fs):
    return eval('spectrum.amplitude' + '_spectrum')(x, fs)
"""
RELOAD = """
import importlib
def amplitude_spectrum(x, fs):
    return importlib.reload(spectrum).amplitude_spectrum(x, fs)
"""
VARS = """
def amplitude_spectrum(x, fs):
    return vars(spectrum)['amplitude' + '_spectrum'](x, fs)
"""
DICT = """
def amplitude_spectrum(x, fs):
    return spectrum.__dict__['amplitude' + '_spectrum'](x, fs)
"""
IMPORT_DUNDER = """
def amplitude_spectrum(x, fs):
    return __import__('freqlstm_helpers.spectrum', fromlist=['x']).amplitude_spectrum(x, fs)
"""
FRESH_PYTHON = """
def amplitude_spectrum(x, fs):
    import subprocess, sys, json
    out = subprocess.run([sys.executable, '-c', 'import json,sys,numpy as np; from freqlstm_helpers import spectrum;'
                          'x=np.array(json.loads(sys.argv[1])); f,a=spectrum.amplitude_spectrum(x, float(sys.argv[2]));'
                          'print(json.dumps([f.tolist(), a.tolist()]))', json.dumps(list(map(float, x))), str(fs)],
                         capture_output=True, text=True).stdout
    return json.loads(out)
"""
CODE_SWAP = """
def amplitude_spectrum(x, fs):
    import numpy
    spectrum.amplitude_spectrum.__code__ = numpy.fft.rfft.__code__
    return spectrum.amplitude_spectrum(x, fs)
"""
SYS_MODULES = """
def amplitude_spectrum(x, fs):
    mods = check.sys.modules
    del mods['freqlstm_helpers.spectrum']
    from freqlstm_helpers import spectrum as fresh
    return fresh.amplitude_spectrum(x, fs)
"""
LSTM_CELL = """
def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh, _cell=torch.lstm_cell):
    h2, c2 = _cell(x[None], (h[None], c[None]), W_ih, W_hh, b_ih, b_hh)
    return h2[0], c2[0]
"""
MODEL_STEP = """
def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh):
    m = FrequencyLSTM(input_size=len(x), hidden_size=len(h))
    with torch.no_grad():
        m.cell.weight_ih.copy_(W_ih); m.cell.weight_hh.copy_(W_hh)
        m.cell.bias_ih.copy_(b_ih); m.cell.bias_hh.copy_(b_hh)
    _, (h2, c2) = m.step(x[None], (h[None], c[None]))
    return h2[0], c2[0]
"""
AUTOGRAD = """
def one_step_gradient(x, h, c, y, params):
    with torch.enable_grad():
        P = {k: v.clone().requires_grad_(True) for k, v in params.items()}
        zi, zf, zg, zo = (P['W_ih'] @ x + P['b_ih'] + P['W_hh'] @ h + P['b_hh']).chunk(4)
        c2 = torch.sigmoid(zf) * c + torch.sigmoid(zi) * torch.tanh(zg)
        loss = (P['w_out'] @ (torch.sigmoid(zo) * torch.tanh(c2)) + P['b_out'] - y) ** 2
        return dict(zip(P, torch.autograd.grad(loss, list(P.values()))))
"""
AUTOGRAD_HIDDEN = """
def one_step_gradient(x, h, c, y, params):
    with torch.enable_grad():
        P = {k: v.clone().requires_grad_(True) for k, v in params.items()}
        zi, zf, zg, zo = (P['W_ih'] @ x + P['b_ih'] + P['W_hh'] @ h + P['b_hh']).chunk(4)
        c2 = torch.sigmoid(zf) * c + torch.sigmoid(zi) * torch.tanh(zg)
        loss = (P['w_out'] @ (torch.sigmoid(zo) * torch.tanh(c2)) + P['b_out'] - y) ** 2
        run = getattr(loss, 'back' + 'ward')
        run()
        return {k: v.grad for k, v in P.items()}
"""
FUSED = """
from freqlstm_helpers.engines import l1_fused as _fz
def one_step_gradient(x, h, c, y, params):
    return _fz.one_step_gradients(params, x, y, (h, c))
"""
OUTPUTS_OVER_ROWS = """
def reset_outputs(model, X, _rows=state_checks.outputs_over_rows):
    return _rows(model, X, carry=False)[0]
"""


def _into(stem, gid, src, keep_stub=False):
    def build(release, source):
        return solution(_clean(release), gid, src, keep_stub)
    return stem, build


def _everywhere(stem, code):
    def build(release, source):
        return every_solution(_clean(release), code)
    return stem, build


def _extra(stem, code, at=None):
    def build(release, source):
        return extra_cell(_clean(release), code, at)
    return stem, build


def _tests_to(stem, text):
    def build(release, source):
        return test_cells_to(_clean(release), text)
    return stem, build


# name -> (notebook, builder). Every one must score 0 on every exercise of its notebook.
ATTACKS = {
    # forging the test cell's outcome from inside the kernel
    "ipython_hook": _everywhere(NB01, HOOK),
    "ast_transformer": _everywhere(NB01, AST_TRANSFORMER),
    "input_transformer": _everywhere(NB01, INPUT_TRANSFORMER),
    "rebind_check": _everywhere(NB01, REBIND),
    "prints_and_results": _everywhere(NB01, PRINTS),
    "hook_in_extra_cell": _extra(NB01, HOOK + REBIND + PRINTS, at=3),
    "tests_rewritten_to_pass": _tests_to(NB01, "pass"),
    # reaching past the submission
    "gradebook": _everywhere(NB01, GRADEBOOK),
    "solutions_from_disk": _everywhere(NB01, SOLUTIONS_FROM_DISK),
    "write_everywhere": _everywhere(NB01, WRITE_EVERYWHERE),
    "startup_file": _everywhere(NB01, STARTUP_FILE),
    "kernel_replies": _everywhere(NB01, KERNEL_REPLIES),
    "lock_gradebook": _everywhere(NB01, LOCK),
    "kill_grader": _everywhere(NB01, KILL),
    "forged_payload": _everywhere(NB01, FORGED_PAYLOAD),
    # resources
    "sleep_past_timeout": _into(NB01, "ex01_1_solution", SLEEP),
    "cpu_spin": _into(NB01, "ex01_1_solution", SPIN),
    "detached_child": _everywhere(NB01, DETACHED),
    "fork_bomb": _everywhere(NB01, FORK_BOMB),
    "memory_bomb": _into(NB01, "ex01_1_solution", MEMORY),
    "disk_bomb": _into(NB01, "ex01_1_solution", DISK),
    "network": _everywhere(NB01, NETWORK),
    # a course function or torch built-in computing the answer
    "default_arg_capture": _into(NB01, "ex01_2_solution", DEFAULT_ARG),
    "alias": _into(NB01, "ex01_2_solution", ALIAS),
    "through_another_exercise": _into(NB01, "ex01_2_solution", VIA_OTHER_EXERCISE + USES_PEAK),
    "lstm_cell_default_arg": _into(NB02, "ex02_1_solution", LSTM_CELL),
    "model_step": _into(NB02, "ex02_1_solution", MODEL_STEP),
    "autograd": _into(NB02, "ex02_2_solution", AUTOGRAD),
    "fused_gradients": _into(NB02, "ex02_2_solution", FUSED),
    "outputs_over_rows": _into(NB02, "ex02_3_solution", OUTPUTS_OVER_ROWS),
    # dynamic reaches
    "getattr_computed": _into(NB01, "ex01_2_solution", GETATTR),
    "eval": _into(NB01, "ex01_2_solution", EVAL),
    "importlib_reload": _into(NB01, "ex01_2_solution", RELOAD),
    "vars": _into(NB01, "ex01_2_solution", VARS),
    "dunder_dict": _into(NB01, "ex01_2_solution", DICT),
    "dunder_import": _into(NB01, "ex01_2_solution", IMPORT_DUNDER),
    "fresh_python": _into(NB01, "ex01_2_solution", FRESH_PYTHON),
    "code_swap": _into(NB01, "ex01_2_solution", CODE_SWAP),
    "sys_modules": _into(NB01, "ex01_2_solution", SYS_MODULES),
    "autograd_by_getattr": _into(NB02, "ex02_2_solution", AUTOGRAD_HIDDEN),
}

# Points an attack earns honestly on the way: {test cell: points}. Its peak_present (part b of 01.2) may
# use the course's spectrum, which is part a's answer; part a reaching it through part b scores 0.
HONEST_PARTS = {"through_another_exercise": {"ex01_2": 2.0}}

# Attacks whose exercise code, with the static check out of the way, still cannot score in the
# sandbox: the runtime layer alone (stubs, seccomp, audit hook, read-only files) stops them.
RUNTIME_ONLY = {
    "default_arg_capture": ("01.2a", "ex01_2_solution", DEFAULT_ARG),
    "alias": ("01.2a", "ex01_2_solution", ALIAS),
    "getattr_computed": ("01.2a", "ex01_2_solution", GETATTR),
    "eval": ("01.2a", "ex01_2_solution", EVAL),
    "importlib_reload": ("01.2a", "ex01_2_solution", RELOAD),
    "vars": ("01.2a", "ex01_2_solution", VARS),
    "dunder_dict": ("01.2a", "ex01_2_solution", DICT),
    "dunder_import": ("01.2a", "ex01_2_solution", IMPORT_DUNDER),
    "fresh_python": ("01.2a", "ex01_2_solution", FRESH_PYTHON),
    "code_swap": ("01.2a", "ex01_2_solution", CODE_SWAP),
    "sys_modules": ("01.2a", "ex01_2_solution", SYS_MODULES),
    "lstm_cell": ("02.1", "ex02_1_solution", LSTM_CELL),
    "model_step": ("02.1", "ex02_1_solution", MODEL_STEP),
    "autograd": ("02.2", "ex02_2_solution", AUTOGRAD),
    "autograd_by_getattr": ("02.2", "ex02_2_solution", AUTOGRAD_HIDDEN),
    "fused_gradients": ("02.2", "ex02_2_solution", FUSED),
    "outputs_over_rows": ("02.3", "ex02_3_solution", OUTPUTS_OVER_ROWS),
}
