"""The static check on its own (no sandbox): what it refuses, what it flags, and what it leaves alone."""
import jupytext
import pytest

from freqlstm_helpers.grading import specs, static_check
from tests.homework.conftest import NB_DIR

NB01 = specs.NOTEBOOKS["01_signals_and_fft"]
SETUP = ["import numpy as np\nfrom freqlstm_helpers import SignalConfig, build_dataset, predict_zero_mse\n"
         "from freqlstm_helpers import spectrum, check, plotting, widgets\n"]
STUBS = {"noisy_mixture": "def noisy_mixture(t, A, phi, freqs):\n    raise NotImplementedError()\n",
         "predict_zero": "def predict_zero(y):\n    raise NotImplementedError()\n",
         "amplitude_spectrum": "def amplitude_spectrum(x, fs):\n    raise NotImplementedError()\n",
         "peak_present": "def peak_present(S, fs, f, factor=10):\n    raise NotImplementedError()\n"}
CELLS = {"ex01_1_solution": ("noisy_mixture", "predict_zero"), "ex01_2_solution": ("amplitude_spectrum", "peak_present")}


def findings(**functions):
    """The static check's findings on notebook 01, one solution cell per exercise holding both its parts."""
    sols = [(gid, "\n".join(functions.get(f, STUBS[f]) for f in fs)) for gid, fs in CELLS.items()]
    targets = {ex.id: specs.resolved_denials(ex) for ex in NB01.exercises}
    out = static_check.check_notebook(sols, SETUP, list(NB01.exercises), targets)
    return {k: v.as_dict() for k, v in out.items() if v.denied or v.dynamic or v.syntax}


@pytest.mark.parametrize("path", sorted(NB_DIR.glob("0*.py")), ids=lambda p: p.stem)
def test_the_instructors_solutions_are_clean(path):
    nb = jupytext.read(path)
    spec = specs.NOTEBOOKS[path.stem]
    sols = [(c.metadata["nbgrader"]["grade_id"], c.source) for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")]
    setup = [c.source for c in nb.cells if c.cell_type == "code"][:spec.setup_cells]
    targets = {ex.id: specs.resolved_denials(ex) for ex in spec.exercises}
    out = static_check.check_notebook(sols, setup, list(spec.exercises), targets)
    assert {k: v.as_dict() for k, v in out.items() if v.denied or v.dynamic or v.syntax} == {}


def test_a_course_function_used_by_another_exercise_is_allowed_there():
    """01.2b may use the course's spectrum; only 01.2a, whose answer it is, may not."""
    src = "def peak_present(S, fs, f, factor=10):\n    fr, a = spectrum.amplitude_spectrum(S, fs)\n    return True\n"
    assert findings(peak_present=src) == {}


@pytest.mark.parametrize("src", [
    "def amplitude_spectrum(x, fs, _s=spectrum.amplitude_spectrum):\n    return _s(x, fs)\n",
    "from freqlstm_helpers.spectrum import amplitude_spectrum as a\ndef amplitude_spectrum(x, fs):\n    return a(x, fs)\n",
    "def amplitude_spectrum(x, fs):\n    return getattr(spectrum, 'amplitude_spectrum')(x, fs)\n",
    "def amplitude_spectrum(x, fs):\n    return 1\nnp.fft.mine = spectrum.amplitude_spectrum\n",
])
def test_the_answers_course_function_is_refused_under_any_spelling(src):
    assert findings(amplitude_spectrum=src)["01.2a"]["denied"] == ["spectrum.amplitude_spectrum"]


def test_reaching_it_through_another_exercise_is_refused_too():
    peak = ("def peak_present(S, fs, f, factor=10, raw=False):\n    fr, a = spectrum.amplitude_spectrum(S, fs)\n"
            "    return (fr, a) if raw else True\n")
    got = findings(peak_present=peak, amplitude_spectrum="def amplitude_spectrum(x, fs):\n    return peak_present(x, fs, 0, raw=True)\n")
    assert got == {"01.2a": {"syntax": None, "denied": ["spectrum.amplitude_spectrum"], "dynamic": []}}


def test_a_setup_name_that_is_the_answer_is_refused():
    got = findings(predict_zero="def predict_zero(y):\n    return predict_zero_mse(y)\n")
    assert got["01.1b"]["denied"] == ["data.predict_zero_mse"]


@pytest.mark.parametrize("src, why", [
    ("getattr(spectrum, 'amplitude_' + 'spectrum')(x, fs)", "calls getattr with a computed name"),
    ("eval('1')", "calls eval"),
    ("exec('y = 1')", "calls exec"),
    ("compile('1', 'f', 'eval')", "calls compile"),
    ("__import__('os')", "calls __import__"),
    ("vars(spectrum)['a']", "calls vars"),
    ("globals()['spectrum']", "calls globals"),
    ("spectrum.__dict__['a']", "reaches the attribute __dict__"),
    ("check.sys.modules['x']", "reaches .sys"),
    ("spectrum._private", "reaches the private attribute _private"),
    ("(lambda g=getattr: g)()", "passes getattr around"),
])
def test_a_dynamic_reach_is_flagged(src, why):
    got = findings(amplitude_spectrum=f"def amplitude_spectrum(x, fs):\n    return {src}\n")
    assert why in got["01.2a"]["dynamic"], got


@pytest.mark.parametrize("module", ["os", "sys", "importlib", "ctypes", "subprocess", "inspect", "gc", "pickle",
                                    "socket", "builtins", "torch._C", "freqlstm_helpers.grading"])
def test_an_import_off_the_list_is_flagged(module):
    got = findings(amplitude_spectrum=f"import {module}\ndef amplitude_spectrum(x, fs):\n    {module.split('.')[0]}\n    return 1\n")
    assert any(module in d or "reaches" in d for d in got["01.2a"]["dynamic"]), got


def test_ordinary_code_is_left_alone():
    src = ("import math\nfrom collections import defaultdict\nimport torch\n"
           "def amplitude_spectrum(x, fs):\n    '''Uses amplitude_spectrum's idea (a docstring may name it).'''\n"
           "    n = len(x)\n    amp = 2.0 / n * np.abs(np.fft.rfft(x))\n    amp[0] /= 2\n"
           "    d = {'worst': 1, 'grad': 2}\n    return np.fft.rfftfreq(n, d=1.0 / fs), amp\n")
    assert findings(amplitude_spectrum=src) == {}


def test_ipython_syntax_is_read_as_ipython_runs_it():
    src = "%matplotlib inline\ndef amplitude_spectrum(x, fs):\n    return 1\n"
    assert findings(amplitude_spectrum=src) == {}


def test_a_syntax_error_is_named():
    got = findings(amplitude_spectrum="def amplitude_spectrum(x, fs)\n    return 1\n")
    assert got["01.2a"]["syntax"].startswith("line 1")
