"""Self-checks for the exercises: compare with a reference and say what is wrong, in words.

Every check takes the student's function and calls it on fixed inputs. It
prints one line, `[check 02.1 lstm_step] PASSED|FAILED|NOT DONE: ...`, naming
the shape, the sign, the largest difference and where it occurs, and a hint.
On FAILED it then raises `CheckFailed`, so a wrong solution stops Run All (and
the instructor's notebook fails loudly); on NOT DONE (the stub still raises
NotImplementedError) and on PASSED it returns None, so a student's Run All
goes on past an exercise not done yet. The self-check is feedback only: points
come from the sandboxed grader (freqlstm_helpers/grading), which tests the
function on fresh inputs of its own.

Hints are staged: a failure names what is wrong and gives the idea behind the
exercise; the line-level hint, which is close to the solution, only comes on
request, `check.hint("03.1", level=2)`.

`check.<name>.result(fn)` returns the `CheckResult` without printing or
raising (for tests and summaries). There is no hidden state: the verdict
depends only on the function passed in. References come from a different
route than the exercise asks for (torch, autograd, analytic values), so
importing this module gives no solution away.
"""
from __future__ import annotations

import functools
import sys
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

PASSED, FAILED, NOT_DONE = "PASSED", "FAILED", "NOT DONE"


@dataclass(frozen=True)
class CheckResult:
    exercise: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == PASSED

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return f"[check {self.exercise}] {self.status}: {self.message}"

    __repr__ = __str__

    def _repr_pretty_(self, p, cycle):  # IPython shows the sentence, not the dataclass
        p.text(str(self))


class CheckFailed(AssertionError):
    """A self-check whose verdict is FAILED; the printed line above it says why."""


# Staged hints. A first failure says what went wrong and gives the idea (CONCEPTS); the
# line-level hint, which comes close to the solution, is only shown on request:
# `check.hint("03.1", level=2)`. Every check writes its line-level hint as a trailing
# "Hint: ..." sentence; `_stage` moves it out of the failure message.
CONCEPTS = {
    "01.1": "Think of S as the average of K sine waves, each with its own amplitude and phase at every instant.",
    "01.2": "An amplitude spectrum should read 1 for a unit sine: think about how the FFT scales with N, "
            "and which bin has no mirror image.",
    "01.3": "Write the MSE for a model whose prediction is always the same number.",
    "01.4": "A peak is a bin that stands far above a typical bin. Which statistic of the bins is not moved "
            "by a few tall ones?",
    "02.1": "An LSTM step is four gates computed from the same input and state, then two updates: "
            "first the cell, then the output.",
    "02.2": "Go backwards from the loss one operation at a time, the chain rule at each; the incoming "
            "state is a constant here.",
    "02.3": "The control must differ from the carried-state run in one thing only: where each row's state comes from.",
    "03.1": "One row is one step, one loss and one optimiser step; what you carry to the next row must "
            "not drag the old graph with it.",
    "03.2": "Rows are frequency-major: the losses come in equal consecutive blocks, one per frequency.",
    "03.3": "The blind control removes the signal and nothing else, and must leave the caller's data untouched.",
    "03.4": "Frozen means no learning at all while scoring, but the state still flows from row to row.",
    "03.5": "The predictor may only use targets it has already seen.",
    "04.1": "Early stopping counts epochs since the last real improvement; small gains below min_delta do not count.",
    "04.2": "Cover every step exactly once, in order, with windows of k steps.",
    "04.3": "A window runs from the carried state, scores only the steps it is asked to, "
            "and hands a state on with no graph attached.",
    "04.4": "A target must hold on every seed, so judge the seed that does worst.",
    "05.1": "One number per frequency: each row of the arrays belongs to one frequency.",
    "05.2": "A causal filter at sample n may only see S at n, n-1, n-2, ...; nothing before the start exists.",
    "05.3": "Only the clock changes: same frequencies, noise and model, a test set that starts at t0.",
    "05.4": "Two numbers answer two questions: does the model beat the baseline at all, and does that "
            "survive when the clock moves?",
}
_LEVEL2 = "Hint:"
_CHECKS: dict = {}  # "03.1" -> the pure check, so hint() can ask it for its line-level hint
_BY_ID: dict = {}


def _exercise_id(result_or_doc: str) -> str:
    return str(result_or_doc).strip()[:4]


def _stage(result: CheckResult) -> CheckResult:
    """A FAILED message: the line-level "Hint: ..." tail is replaced by the conceptual hint and a pointer."""
    if result.status != FAILED:
        return result
    ex = _exercise_id(result.exercise)
    said, _, _ = result.message.partition(_LEVEL2)
    said = said.rstrip()
    concept = CONCEPTS.get(ex, "")
    return CheckResult(result.exercise, FAILED,
                       f"{said} {concept} (A closer hint: check.hint(\"{ex}\", level=2).)".replace("  ", " ").strip())


class _HintRequest(Exception):
    """Raised by the stand-in function hint() passes to a check, to make it state its line-level hint."""


def _ask(*args, **kwargs):
    raise _HintRequest("asked for the hint")


def hint(exercise_id: str, level: int = 1) -> str:
    """The hint for an exercise: level 1 is the idea, level 2 the line-level hint. Prints and returns it."""
    ex = str(exercise_id)
    if ex not in CONCEPTS:
        raise ValueError(f"no exercise {ex!r}; known: {', '.join(sorted(CONCEPTS))}")
    if level not in (1, 2):
        raise ValueError(f"level must be 1 (the idea) or 2 (line-level), not {level!r}")
    text = CONCEPTS[ex]
    if level == 2:
        raw = _CHECKS[ex](_ask).message if ex in _CHECKS else ""
        _, found, tail = raw.partition(_LEVEL2)
        parts = list(dict.fromkeys(p.strip() for p in tail.split(_LEVEL2) if p.strip()))  # some checks repeat it
        text = f"{_LEVEL2} {' '.join(parts)}" if found else text
    print(f"[hint {ex}, level {level}] {text}", flush=True)
    return text


def exercise(pure):
    """Turn `pure(fn) -> CheckResult` into the notebook-facing check: print the verdict, raise only on FAILED."""
    _CHECKS[_exercise_id(pure.__doc__)] = pure

    @functools.wraps(pure)
    def staged(fn) -> CheckResult:
        return _stage(pure(fn))

    @functools.wraps(pure)
    def run(fn) -> None:
        result = staged(fn)
        print(result, flush=True)
        if result.status == FAILED:
            raise CheckFailed(f"{result.exercise}: {result.status} (the line above says why)")
    run.result = staged
    _BY_ID[_exercise_id(pure.__doc__)] = run
    return run


def checks() -> dict:
    """{"03.1": the notebook-facing check, ...}: every exercise's self-check, by id."""
    return dict(_BY_ID)


def cmp(name: str, mine, reference, atol: float = 1e-6, rtol: float = 1e-5) -> dict:
    """Karpathy-style comparison: exact?, approximately equal?, largest difference and where."""
    a = np.asarray(_to_numpy(mine), dtype=np.float64)
    b = np.asarray(_to_numpy(reference), dtype=np.float64)
    if a.shape != b.shape:
        return {"name": name, "shape_ok": False, "shape": a.shape, "expected_shape": b.shape,
                "exact": False, "approx": False, "maxdiff": float("inf"), "where": None}
    diff = np.abs(a - b)
    where = tuple(int(i) for i in np.unravel_index(np.argmax(diff), diff.shape)) if diff.size else ()
    return {"name": name, "shape_ok": True, "shape": a.shape, "expected_shape": b.shape,
            "exact": bool(np.array_equal(a, b)), "approx": bool(np.allclose(a, b, atol=atol, rtol=rtol)),
            "maxdiff": float(diff.max()) if diff.size else 0.0, "where": where,
            "negated": bool(a.size and np.allclose(a, -b, atol=atol, rtol=rtol) and not np.allclose(b, 0, atol=atol))}


def cmp_line(c: dict) -> str:
    return f"{c['name']:>12s} | exact: {str(c['exact']):5s} | approx: {str(c['approx']):5s} | maxdiff: {c['maxdiff']:.3g}"


def _to_numpy(x):
    # A tensor can only exist once torch is imported: don't pay torch's import (seconds) for numpy answers.
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return x


def _explain(c: dict, hint: str) -> str:
    if not c["shape_ok"]:
        return f"{c['name']} has shape {c['shape']}, expected {c['expected_shape']}. {hint}"
    if c["negated"]:
        return f"{c['name']} has the wrong sign everywhere (it equals minus the reference). {hint}"
    return (f"{c['name']} differs from the reference: largest |difference| {c['maxdiff']:.3g} "
            f"at index {c['where']}. {hint}")


class CourseHelperUsed(Exception):
    """Raised inside a check when the student's function called the course helper the exercise asks them to write."""


HELPER_MESSAGE = "that is the course's own helper; write your own"


def is_course_helper(fn) -> bool:
    """True when `fn` is defined in the freqlstm_helpers package (passed in instead of the student's own)."""
    return str(getattr(fn, "__module__", "") or "").startswith("freqlstm_helpers")


@contextmanager
def forbid_helper(module, name: str):
    """While the student's function runs, calling `module.name` raises CourseHelperUsed."""
    real = getattr(module, name)

    def trap(*args, **kwargs):
        raise CourseHelperUsed(f"{module.__name__}.{name}")
    setattr(module, name, trap)
    try:
        yield
    finally:
        setattr(module, name, real)


def run_check(exercise: str, fn, comparisons, hint: str) -> CheckResult:
    """Call `comparisons(fn)` -> list of cmp dicts; turn them into one verdict."""
    if is_course_helper(fn):
        return CheckResult(exercise, FAILED, f"{HELPER_MESSAGE} (you passed {fn.__module__}."
                           f"{getattr(fn, '__qualname__', fn)}). {hint}".rstrip())
    try:
        results = comparisons(fn)
    except NotImplementedError:
        return CheckResult(exercise, NOT_DONE, "the stub still raises NotImplementedError; fill in the exercise and run this cell again.")
    except CourseHelperUsed as e:
        return CheckResult(exercise, FAILED, f"your function calls {e}: {HELPER_MESSAGE}. {hint}".rstrip())
    except Exception as e:  # the student's code crashed: say how, not a traceback wall
        return CheckResult(exercise, FAILED, f"your function raised {type(e).__name__}: {e}. {hint}")
    for c in results:
        if not c["approx"]:
            return CheckResult(exercise, FAILED, _explain(c, hint))
    worst = max(c["maxdiff"] for c in results)
    exact = all(c["exact"] for c in results)
    return CheckResult(exercise, PASSED, f"{'exact' if exact else 'approx'} match, max |difference| {worst:.3g} "
                       f"over {len(results)} comparison(s).")


def run_verdict(exercise: str, fn, judge, hint: str) -> CheckResult:
    """For answers that are a choice, not an array: judge(answer) -> (ok, sentence)."""
    try:
        answer = fn()
    except NotImplementedError:
        return CheckResult(exercise, NOT_DONE, "the stub still raises NotImplementedError; fill in the exercise and run this cell again.")
    except Exception as e:
        return CheckResult(exercise, FAILED, f"your function raised {type(e).__name__}: {e}. {hint}")
    ok, sentence = judge(answer)
    return CheckResult(exercise, PASSED if ok else FAILED, sentence if ok else f"{sentence} {hint}")


# --------------------------------------------------------------------------------------
# Notebook 01
# --------------------------------------------------------------------------------------
@exercise
def noisy_mixture(fn) -> CheckResult:
    """01.1: S(t) = (1/K) sum_i A_i(t) sin(2 pi f_i t + phi_i(t)), vectorised over t."""
    def comparisons(fn):
        rng = np.random.default_rng(123)
        freqs = np.array([1.0, 3.0, 5.0, 7.0])
        t = np.arange(50) / 1000.0
        A = rng.uniform(0.8, 1.2, size=(4, 50))
        phi = rng.uniform(0, 2 * np.pi, size=(4, 50))
        ref = np.zeros(50)
        for i in range(4):  # the slow, obvious loop as reference
            for n in range(50):
                ref[n] += A[i, n] * np.sin(2 * np.pi * freqs[i] * t[n] + phi[i, n]) / 4
        return [cmp("S", fn(t, A, phi, freqs), ref)]
    return run_check("01.1 noisy_mixture", fn, comparisons,
                     "Hint: average (not sum) A*sin(2*pi*f*t + phi) over the frequency axis (axis 0).")


@exercise
def amplitude_spectrum(fn) -> CheckResult:
    """01.2: a unit sine at f must show height 1 at f; a constant c shows c at 0 Hz."""
    def comparisons(fn):
        fs, n = 1000.0, 2000
        t = np.arange(n) / fs
        x = 0.5 + 1.0 * np.sin(2 * np.pi * 5 * t) + 0.25 * np.cos(2 * np.pi * 40 * t)
        from . import spectrum
        with forbid_helper(spectrum, "amplitude_spectrum"):  # the exercise is to write it, not to call it
            freqs, amp = fn(x, fs)
        ref_freqs = np.arange(n // 2 + 1) * fs / n
        ref_amp = np.zeros(n // 2 + 1)
        ref_amp[0], ref_amp[10], ref_amp[80] = 0.5, 1.0, 0.25
        return [cmp("freqs", freqs, ref_freqs), cmp("amplitude", amp, ref_amp, atol=1e-9)]
    return run_check("01.2 amplitude_spectrum", fn, comparisons,
                     "Hint: use np.fft.rfft and np.fft.rfftfreq; scale |X| by 2/N, but the 0 Hz bin only by 1/N.")


@exercise
def predict_zero_mse(fn) -> CheckResult:
    """01.3: the MSE of always answering 0 is the mean of the squared targets."""
    def comparisons(fn):
        t = np.arange(10_000) / 1000.0
        y = np.concatenate([np.sin(2 * np.pi * f * t) for f in (1, 3, 5, 7)])
        rng = np.random.default_rng(7)
        z = rng.normal(size=300)
        return [cmp("mse(sines)", fn(y), 0.5, atol=1e-6),
                cmp("mse(random)", fn(z), float(np.dot(z, z) / z.size))]
    return run_check("01.3 predict_zero_mse", fn, comparisons,
                     "Hint: start from the definition, MSE = mean over rows of (prediction - target)^2, "
                     "with this model's prediction put in; return one number.")


def spectrum_signal(heights, n: int, seed: int, floor=(0.5, 1.5)):
    """A signal of n samples (n even) whose one-sided amplitude spectrum is known bin by bin.

    Every bin gets a height drawn from U(floor); `heights` {bin: height} overrides some.
    Returns (signal, the heights it was built from), so a reference needs no FFT.
    """
    rng = np.random.default_rng(seed)
    amp = rng.uniform(*floor, size=n // 2 + 1)
    for k, h in heights.items():
        amp[k] = h
    X = amp * (n / 2) * np.exp(1j * rng.uniform(0, 2 * np.pi, size=amp.size))
    X[0], X[-1] = amp[0] * n, amp[-1] * (n / 2)  # 0 Hz and Nyquist bins are real
    return np.fft.irfft(X, n), amp


def _peak_cases():
    """(description, signal, fs, f, factor, expected) with the median bin (0 Hz left out) known by construction."""
    fs, n = 100.0, 1000  # bins 0.1 Hz apart: 3 Hz is bin 30, 7 Hz bin 70
    cases = []

    def add(what, heights, f, factor, seed, fs=fs, n=n):
        base = np.random.default_rng(seed).uniform(0.5, 1.5, size=n // 2 + 1)
        med = float(np.median(base[1:]))  # what the rule measures against (the overrides move it slightly)
        x, amp = spectrum_signal({k: r * med for k, r in heights.items()}, n, seed)
        k = int(round(f * n / fs))
        truth = bool(amp[k] >= factor * np.median(amp[1:]))
        cases.append((what, x, fs, f, factor, truth))

    add("a 3 Hz bin 20x the median bin", {30: 20}, 3.0, 10, 1)
    add("no peak at 3 Hz (a typical noise bin)", {}, 3.0, 10, 2)
    add("a near miss: the 3 Hz bin 9.5x the median bin", {30: 9.5}, 3.0, 10, 3)
    add("just over: the 3 Hz bin 10.5x the median bin", {30: 10.5}, 3.0, 10, 4)
    add("the 3 Hz bin 7x the median bin, factor 5", {30: 7}, 3.0, 5, 5)
    add("the 3 Hz bin 7x the median bin, factor 10", {30: 7}, 3.0, 10, 5)
    add("a 50x peak at 3.1 Hz, nothing at 3 Hz", {31: 50}, 3.0, 10, 6)
    add("a 12x peak at 3 Hz next to a taller 100x peak at 7 Hz", {30: 12, 70: 100}, 3.0, 10, 7)
    add("a 15x peak at 3 Hz, and 10 bins at 1000x elsewhere (they lift the mean, not the median)",
        {30: 15, **{100 + 20 * j: 1000 for j in range(10)}}, 3.0, 10, 8)
    add("a 20x peak at 7 Hz asked for at f = 6.98 Hz (the nearest bin is 7.0 Hz)", {70: 20}, 6.98, 10, 9)
    add("fs 250 Hz, 500 samples: a 20x peak at 12.5 Hz", {25: 20}, 12.5, 10, 10, fs=250.0, n=500)
    return cases


@exercise
def peak_present(fn) -> CheckResult:
    """01.4: the course's rule: the bin nearest f stands at least `factor` x the median bin (0 Hz left out)."""
    def comparisons(fn):
        out = []
        for what, x, fs, f, factor, want in _peak_cases():
            got = fn(x.copy(), fs, f, factor=factor)
            ok = isinstance(got, (bool, np.bool_)) and bool(got) == want
            said = f"you returned {got!r}" if not isinstance(got, (bool, np.bool_)) else f"you said {bool(got)}"
            out.append(_case(what, ok, f"{what} (f = {f:g} Hz, factor {factor:g}): {said}, expected {want}"))
        return out
    hint = ("Hint: compute the spectrum, pick the bin nearest f, and compare its height with factor times "
            "the median over all bins except 0 Hz; return True or False.")
    return _with_detail(run_check("01.4 peak_present", fn, comparisons, ""), fn, comparisons, hint)


# --------------------------------------------------------------------------------------
# Notebook 02
# --------------------------------------------------------------------------------------
def _cell_and_inputs(seed: int, hidden: int = 64, batch_free: bool = True):
    import torch
    g = torch.Generator().manual_seed(seed)
    cell = torch.nn.LSTMCell(5, hidden)
    head = torch.nn.Linear(hidden, 1)
    with torch.no_grad():
        for p in list(cell.parameters()) + list(head.parameters()):
            p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    x = torch.randn(5, generator=g)
    h = torch.randn(hidden, generator=g) * 0.5
    c = torch.randn(hidden, generator=g) * 0.5
    y = torch.randn((), generator=g)
    return cell, head, x, h, c, y


@exercise
def lstm_step(fn) -> CheckResult:
    """02.1: one LSTM step by hand, against nn.LSTMCell on the same weights."""
    def comparisons(fn):
        import torch
        out = []
        for seed in (0, 1):
            cell, _, x, h, c, _ = _cell_and_inputs(seed)
            with torch.no_grad():
                h_ref, c_ref = cell(x[None], (h[None], c[None]))
                h_mine, c_mine = fn(x, h, c, cell.weight_ih.detach(), cell.weight_hh.detach(),
                                    cell.bias_ih.detach(), cell.bias_hh.detach())
            out += [cmp("h_new", h_mine, h_ref[0], atol=1e-5), cmp("c_new", c_mine, c_ref[0], atol=1e-5)]
        return out
    return run_check("02.1 lstm_step", fn, comparisons,
                     "Hint: gates = W_ih@x + b_ih + W_hh@h + b_hh, split in order i, f, g, o; "
                     "sigmoid for i, f, o and tanh for g; c_new = f*c + i*g; h_new = o*tanh(c_new).")


@exercise
def one_step_gradient(fn) -> CheckResult:
    """02.2: the gradient of one row's loss through one cell (state detached), against autograd."""
    def comparisons(fn):
        import torch
        cell, head, x, h, c, y = _cell_and_inputs(3)
        params = {"W_ih": cell.weight_ih, "W_hh": cell.weight_hh, "b_ih": cell.bias_ih, "b_hh": cell.bias_hh,
                  "w_out": head.weight[0], "b_out": head.bias[0]}
        h_new, _ = cell(x[None], (h[None], c[None]))  # h, c carry no graph: they are detached state
        loss = (h_new[0] @ params["w_out"] + params["b_out"] - y) ** 2
        ref = dict(zip(params, torch.autograd.grad(loss, list(params.values()))))
        with torch.no_grad():
            mine = fn(x, h, c, y, {k: v.detach().clone() for k, v in params.items()})
        if not isinstance(mine, dict) or set(mine) != set(params):
            raise TypeError(f"return a dict with keys {sorted(params)}")
        return [cmp(k, mine[k], ref[k], atol=1e-5) for k in params]
    return run_check("02.2 one_step_gradient", fn, comparisons,
                     "Hint: start from dL/dpred = 2*(pred - y); dh = dL/dpred * w_out; then "
                     "dc = dh*o*(1 - tanh(c_new)^2); each gate's pre-activation gradient times x (or h) "
                     "gives the weight gradient; b_ih and b_hh get the same gradient.")


def _floats(x) -> np.ndarray:
    """The student's outputs as a flat float64 array: a tensor, an array, or a list of numbers or tensors."""
    if isinstance(x, (list, tuple)):
        return np.array([float(np.asarray(_to_numpy(v)).reshape(-1)[0]) for v in x], dtype=np.float64)
    return np.asarray(_to_numpy(x), dtype=np.float64).reshape(-1)


@exercise
def reset_outputs(fn) -> CheckResult:
    """02.3: the reset control: every row from a zero state, weights unchanged; against one batched call."""
    def comparisons(fn):
        import torch
        from .model import FrequencyLSTM
        out = []
        for seed, n in ((4, 40), (5, 90)):
            X = np.random.default_rng(seed).normal(size=(n, 5)).astype(np.float32)
            model = FrequencyLSTM.seeded(seed)
            before = {k: v.clone() for k, v in model.state_dict().items()}
            with torch.no_grad():  # reference: all n rows side by side as one batch, each from zeros
                ref = model.step(torch.from_numpy(X), model.initial_state(n))[0].numpy()
                state, carried = model.initial_state(1), []
                for i in range(n):  # the state carried instead: what the control must not do
                    pred, state = model.step(torch.from_numpy(X[i:i + 1]), state)
                    carried.append(float(pred))
            got = _floats(fn(model, X.copy()))
            c = cmp(f"outputs (seed {seed}, {n} rows)", got, ref, atol=1e-5, rtol=0)
            if not c["approx"] and c["shape_ok"] and np.allclose(got, carried, atol=1e-5):
                c["detail"] = "your outputs match a run that carries the state from row to row: reset it before every row"
            elif not c["approx"] and c["shape_ok"]:
                k = int(np.argmax(np.abs(got - ref) > 1e-5))
                c["detail"] = (f"row {k} differs ({got[k]:.6g} vs {ref[k]:.6g})" + (
                    ": the first row already differs, so check the step itself" if k == 0 else
                    f": rows 0-{k - 1} agree, so check what state row {k} starts from"))
            elif not c["approx"]:
                c["detail"] = f"you returned {got.size} outputs for {n} rows: one output per row"
            out.append(c)
            out.append(_case("weights unchanged", all(torch.equal(v, model.state_dict()[k]) for k, v in before.items()),
                             "your function changed the model's weights: the control only runs the model"))
        return out
    hint = ("Hint: under torch.no_grad(), give every row a fresh zero state (model.initial_state(), which "
            "model.reset() also returns), step the model on that one row, and collect the predictions as floats.")
    return _with_detail(run_check("02.3 reset_outputs", fn, comparisons, ""), fn, comparisons, hint)


# --------------------------------------------------------------------------------------
# Notebook 03
# --------------------------------------------------------------------------------------
@exercise
def block_means(fn) -> CheckResult:
    """03.2: per-frequency-block means of per-row losses (rows are frequency-major)."""
    def comparisons(fn):
        rng = np.random.default_rng(31)
        out = []
        for n_blocks, n in ((4, 10), (4, 2500), (3, 7)):
            losses = rng.random(n_blocks * n)
            ref = [sum(losses[b * n:(b + 1) * n]) / n for b in range(n_blocks)]
            out.append(cmp(f"{n_blocks}x{n}", fn(losses, n_blocks), np.array(ref)))
        return out
    return run_check("03.2 block_means", fn, comparisons,
                     "Hint: block b holds rows b*n ... (b+1)*n - 1 with n = len(losses) // n_blocks; "
                     "a reshape to (n_blocks, n) does it.")


@exercise
def last_target_mse(fn) -> CheckResult:
    """03.5: the online MSE of a predictor that answers each row with the previous row's target."""
    def comparisons(fn):
        out = []
        for f in (1.0, 7.0):
            y = np.sin(2 * np.pi * f * np.arange(2000) / 1000.0)
            prev = 0.0
            total = 0.0
            for v in y:  # the predictor has seen rows up to r-1 only
                total += (v - prev) ** 2
                prev = v
            out.append(cmp(f"{f:g} Hz", fn(y), total / len(y), atol=1e-12))
        return out
    return run_check("03.5 last_target_mse", fn, comparisons,
                     "Hint: the prediction for row r is y[r-1] (and 0 for the first row); "
                     "average the squared errors over all rows.")


# --------------------------------------------------------------------------------------
# Notebook 04
# --------------------------------------------------------------------------------------
# (history, patience, min_delta) -> 1-based epoch at which training stops, or None.
# Worked out by hand: stop after `patience` epochs in a row that fail to beat the
# best so far by more than min_delta.
_EARLY_STOP_CASES = [
    ([0.5, 0.4, 0.3, 0.2], 2, 0.0, None),
    ([0.5, 0.4, 0.41, 0.42], 2, 0.0, 4),
    ([0.5, 0.4, 0.41, 0.39, 0.395, 0.396], 2, 0.0, 6),
    ([0.5, 0.4995, 0.4992, 0.4991], 3, 0.001, 4),  # improvements smaller than min_delta don't count
    ([0.3, 0.3, 0.3], 1, 0.0, 2),
    ([0.1, 0.2, 0.05, 0.2, 0.2, 0.2], 3, 0.0, 6),
]


@exercise
def early_stop_epoch(fn) -> CheckResult:
    """04.1: the epoch at which patience-based early stopping ends a run."""
    def comparisons(fn):
        out = []
        for i, (hist, patience, min_delta, expected) in enumerate(_EARLY_STOP_CASES):
            got = fn(list(hist), patience, min_delta)
            out.append(_case(f"case {i}", got == expected,
                             f"history {hist}, patience {patience}, min_delta {min_delta}: "
                             f"you returned {got!r}, expected {expected!r}"))
        return out
    result = run_check("04.1 early_stop_epoch", fn, comparisons, "")
    return _with_detail(result, fn, comparisons,
                        "Hint: track the best value; an epoch improves only if it beats best - min_delta; "
                        "count epochs since the last improvement and stop when the count reaches patience.")


@exercise
def tbptt_windows(fn) -> CheckResult:
    """04.2: split n steps into consecutive truncated-BPTT windows of k steps (the last may be shorter)."""
    cases = [(10, 5, [(0, 5), (5, 10)]), (10, 4, [(0, 4), (4, 8), (8, 10)]), (3, 50, [(0, 3)]),
             (10_000, 50, [(i, i + 50) for i in range(0, 10_000, 50)])]

    def comparisons(fn):
        out = []
        for n, k, expected in cases:
            got = [tuple(int(v) for v in w) for w in fn(n, k)]
            out.append(_case(f"n={n}, k={k}", got == expected,
                             f"n={n}, k={k}: you returned {got[:4]}{' ...' if len(got) > 4 else ''}, "
                             f"expected {expected[:4]}{' ...' if len(expected) > 4 else ''}"))
        return out
    result = run_check("04.2 tbptt_windows", fn, comparisons, "")
    return _with_detail(result, fn, comparisons,
                        "Hint: windows start at 0, k, 2k, ... and stop at min(start + k, n).")


def _case(name: str, ok: bool, detail: str) -> dict:
    """A cmp-style record for an answer that is right or wrong as a whole (a list, an epoch)."""
    return {"name": name, "shape_ok": True, "shape": (), "expected_shape": (), "exact": ok, "approx": ok,
            "maxdiff": 0.0 if ok else float("inf"), "where": None, "negated": False, "detail": detail}


def _with_detail(result: CheckResult, fn, comparisons, hint: str) -> CheckResult:
    """For list-valued answers: name the first failing case in words instead of a max difference."""
    if result.status != FAILED or "raised" in result.message or HELPER_MESSAGE in result.message:
        return CheckResult(result.exercise, result.status, result.message + (f" {hint}" if result.status == FAILED else ""))
    first = next(c for c in comparisons(fn) if not c["approx"])
    detail = first.get("detail") or _explain(first, "").strip().rstrip(".")  # a wrong shape has no case sentence
    return CheckResult(result.exercise, FAILED, f"{detail}. {hint}")


# --------------------------------------------------------------------------------------
# Notebook 05
# --------------------------------------------------------------------------------------
@exercise
def per_frequency_mse(fn) -> CheckResult:
    """05.1: MSE per frequency from (K, N) predictions and targets, keyed '1', '3', ..."""
    def comparisons(fn):
        rng = np.random.default_rng(51)
        freqs = (1.0, 3.0, 5.0, 7.0)
        target = rng.normal(size=(4, 300))
        pred = target + rng.normal(size=(4, 300)) * np.array([0.1, 0.2, 0.3, 0.4])[:, None]
        got = fn(pred, target, freqs)
        if not isinstance(got, dict) or sorted(got) != ["1", "3", "5", "7"]:
            raise TypeError("return a dict keyed by the frequency in Hz as a string: '1', '3', '5', '7'")
        ref = {}
        for k, f in enumerate(freqs):
            ref[f"{f:g}"] = sum((pred[k, n] - target[k, n]) ** 2 for n in range(300)) / 300
        return [cmp(key, got[key], ref[key]) for key in ref]
    return run_check("05.1 per_frequency_mse", fn, comparisons,
                     "Hint: row k of pred and target belongs to freqs[k]; average (pred - target)**2 along axis 1.")


@exercise
def lagged_matrix(fn) -> CheckResult:
    """05.2: the causal design matrix of a FIR filter: row n = S[n], S[n-1], ..., zeros before the start."""
    def comparisons(fn):
        rng = np.random.default_rng(52)
        out = []
        for n, taps in ((12, 4), (30, 30), (5, 1)):
            S = rng.normal(size=n)
            ref = np.zeros((n, taps))
            for i in range(n):
                for j in range(taps):
                    if i - j >= 0:
                        ref[i, j] = S[i - j]
            out.append(cmp(f"n={n}, taps={taps}", fn(S, taps), ref))
        return out
    return run_check("05.2 lagged_matrix", fn, comparisons,
                     "Hint: column j holds S shifted down by j samples, with zeros where n - j < 0 "
                     "(the filter may not look into the future or before the start).")


# --------------------------------------------------------------------------------------
# Loops the students write (issue 12): the reference is the helpers' own loop, run
# from the same weights, so "PASSED" means row for row the same numbers.
# --------------------------------------------------------------------------------------
def _run_student_loop(exercise: str, run, hint: str, graph_sentence: str):
    """(None, value) if the student's loop finished; else (a CheckResult that says why, None).

    A second backward through a freed graph is the classic sign of a state that was never detached.
    """
    try:
        return None, run()
    except NotImplementedError:
        return CheckResult(exercise, NOT_DONE, "the stub still raises NotImplementedError; fill in the exercise "
                           "and run this cell again."), None
    except RuntimeError as e:
        if "second time" in str(e) or "already been freed" in str(e):
            return CheckResult(exercise, FAILED, graph_sentence), None
        return CheckResult(exercise, FAILED, f"your function raised RuntimeError: {e}. {hint}"), None
    except Exception as e:
        return CheckResult(exercise, FAILED, f"your function raised {type(e).__name__}: {e}. {hint}"), None


def _l1_reference(n_rows: int, seed: int = 0, reset_every_row: bool = False):
    """Per-row online losses of the reference engine (TorchEngine: fused Adam, clip 1.0) on the report's rows."""
    import torch
    from .config import TrainConfig
    from .data import SignalConfig, build_dataset
    from .model import FrequencyLSTM
    from .trainer import TorchEngine
    ds = build_dataset(SignalConfig(), split="train")
    X, y = ds.X[:n_rows], ds.y[:n_rows]
    engine = TorchEngine(FrequencyLSTM.seeded(seed), TrainConfig())
    if not reset_every_row:
        return X, y, engine.train_rows(X, y)[0].astype(np.float64)
    out = []
    for i in range(n_rows):  # the classic mistake: a fresh zero state for every row
        engine.reset_state()
        out.append(engine.train_rows(X[i:i + 1], y[i:i + 1])[0][0])
    return X, y, np.array(out, np.float64)


def _students_l1(fn, X, y, seed: int = 0):
    import torch
    from .model import FrequencyLSTM, one_thread
    model = FrequencyLSTM.seeded(seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    with one_thread():  # as the reference engine runs
        losses = fn(model, opt, X, y, 1.0)
    return np.asarray(_to_numpy(losses), dtype=np.float64).reshape(-1)


@exercise
def l1_epoch(fn) -> CheckResult:
    """03.1: the L=1 loop, row for row against the reference engine from the same weights (2,000 rows)."""
    n = 2000
    hint = ("Hint: per row: step the model from the carried state, take the squared error, clear the old "
            "gradients, backward, clip the global norm, step the optimiser, then detach the state you carry on.")
    X, y, ref = _l1_reference(n)
    stopped, mine = _run_student_loop("03.1 l1_epoch", lambda: _students_l1(fn, X, y), hint,
                                      "backward ran into the previous row's graph: the state you carry still "
                                      "holds it. Detach the state after each step (model.detach).")
    if stopped is not None:  # a CheckResult is falsy unless it passed
        return stopped
    c = cmp("losses", mine, ref, atol=1e-6, rtol=0)
    if c["approx"]:
        return CheckResult("03.1 l1_epoch", PASSED, f"{'exact' if c['exact'] else 'approx'} match with the reference "
                           f"engine over {n} rows, max |difference| {c['maxdiff']:.3g}.")
    if not c["shape_ok"]:
        return CheckResult("03.1 l1_epoch", FAILED, f"you returned shape {c['shape']}, expected ({n},): one "
                           f"online loss per row. {hint}")
    first = int(np.argmax(np.abs(mine - ref) > 1e-6))
    _, _, reset = _l1_reference(min(n, 50), reset_every_row=True)
    if np.allclose(mine[:50], reset, atol=1e-6):
        why = "your losses match a loop that resets the state to zeros on every row: carry it instead."
    elif first == 0:
        why = "the very first row's loss differs, before any update: check the forward step and the loss."
    else:
        why = (f"rows 0-{first - 1} agree, row {first} differs ({mine[first]:.6g} vs {ref[first]:.6g}): "
               f"the update itself (zero_grad, clip, step order) or the carried state is off.")
    return CheckResult("03.1 l1_epoch", FAILED, f"{why} {hint}")


@exercise
def blind_rows(fn) -> CheckResult:
    """03.3: the input-blind rows: S zeroed, the one-hot kept, the original rows untouched."""
    def comparisons(fn):
        rng = np.random.default_rng(34)
        X = rng.normal(size=(12, 5)).astype(np.float32)
        before = X.copy()
        got = np.asarray(fn(X))
        want = before.copy()
        want[:, 0] = 0.0
        return [cmp("blind rows", got, want, atol=0), _case("input untouched", np.array_equal(X, before),
                                                            "your function changed the rows it was given")]
    return _with_detail(run_check("03.3 blind_rows", fn, comparisons,
                                  "Hint: work on a copy; column 0 is S, columns 1-4 are the one-hot."),
                        fn, comparisons, "Hint: work on a copy; only column 0 (S) changes.")


@exercise
def frozen_mse(fn) -> CheckResult:
    """03.4: frozen MSE: weights fixed, state carried from zeros through all rows, no gradients."""
    def comparisons(fn):
        import torch
        from .model import FrequencyLSTM
        from .trainer import frozen_predict
        out = []
        for seed, n in ((1, 300), (2, 700)):
            rng = np.random.default_rng(seed)
            X = rng.normal(size=(n, 5)).astype(np.float32)
            y = rng.normal(size=n).astype(np.float32)
            model = FrequencyLSTM.seeded(seed)
            before = {k: v.clone() for k, v in model.state_dict().items()}
            pred, _ = frozen_predict(model, X)
            got = float(fn(model, X, y))
            out.append(cmp(f"seed {seed}", got, float(np.mean((pred - y) ** 2)), atol=1e-6, rtol=1e-5))
            out.append(_case("weights unchanged", all(torch.equal(v, model.state_dict()[k]) for k, v in before.items()),
                             "your function changed the model's weights: frozen means no optimiser step"))
        return out
    hint = ("Hint: under torch.no_grad(), step through every row from a zero state, carrying the state "
            "(no reset, no update), collect the predictions, then average the squared errors.")
    return _with_detail(run_check("03.4 frozen_mse", fn, comparisons, hint), fn, comparisons, hint)


@exercise
def window_step(fn) -> CheckResult:
    """04.3: one truncated-BPTT window, driven through the stream trainer's own bookkeeping, window by window."""
    from .config import load_config
    from .paths import configs_dir
    from . import stream_trainer
    cfg = load_config(configs_dir() / "corrected.yaml")
    hint = ("Hint: run the whole window from the carried state with model.sequence, score only its last "
            "len(y_scored) outputs, then zero_grad, backward, clip, step, and return the loss with the "
            "final state detached.")
    stopped, mine = _run_student_loop("04.3 window_step", lambda: stream_trainer.first_windows(cfg, 6, step=fn), hint,
                                      "backward reached into the previous window's graph: return the final "
                                      "state detached.")
    if stopped is not None:  # a CheckResult is falsy unless it passed
        return stopped
    ref = stream_trainer.first_windows(cfg, 6)
    c = cmp("window losses", mine["losses"], ref["losses"], atol=1e-6, rtol=0)
    w = max(float((mine["state_dict"][k] - v).abs().max()) for k, v in ref["state_dict"].items())
    if c["approx"] and w <= 1e-6:
        return CheckResult("04.3 window_step", PASSED, f"the first 6 windows match the stream trainer: max |loss "
                           f"difference| {c['maxdiff']:.3g}, max |weight difference| {w:.3g}.")
    if not c["approx"]:
        k = int(np.argmax(np.abs(mine["losses"] - ref["losses"]) > 1e-6))
        why = (f"window {k}'s loss differs ({mine['losses'][k]:.6g} vs {ref['losses'][k]:.6g})"
               + (": the first window already differs, so check which outputs you score." if k == 0 else
                  ": the first windows agree, so check the update and the state you return."))
    else:
        why = f"the losses agree but the weights after 6 windows differ by up to {w:.3g}: check clip and step."
    return CheckResult("04.3 window_step", FAILED, f"{why} {hint}")


_TARGET_CASES = [  # (per-seed summaries, expected verdicts), worked out by hand
    ([{"worst": 0.004, "ratio": 1.05}, {"worst": 0.006, "ratio": 1.10}], {"frequency": True, "ratio": True}),
    ([{"worst": 0.004, "ratio": 1.05}, {"worst": 0.012, "ratio": 1.10}], {"frequency": False, "ratio": True}),
    ([{"worst": 0.009, "ratio": 1.25}, {"worst": 0.002, "ratio": 0.90}], {"frequency": True, "ratio": False}),
    ([{"worst": 0.010, "ratio": 1.20}], {"frequency": True, "ratio": True}),
]


@exercise
def targets_on_worst_seed(fn) -> CheckResult:
    """04.4: a verdict: the targets judged on the worst seed, not the average one."""
    def comparisons(fn):
        out = []
        for runs_, want in _TARGET_CASES:
            got = fn(runs_)
            ok = isinstance(got, dict) and {k: bool(got.get(k)) for k in want} == want
            out.append(_case(f"{runs_}", ok, f"for seeds {runs_} you said {got}, expected {want}"))
        return out
    hint = "Hint: take the largest worst-frequency error and the largest ratio over the seeds; ≤ is allowed."
    return _with_detail(run_check("04.4 targets_on_worst_seed", fn, comparisons, hint), fn, comparisons, hint)


@exercise
def shifted_test(fn) -> CheckResult:
    """05.3: the shifted-time test, against evaluate.shifted_metrics (what `eval --time-offset` writes)."""
    def comparisons(fn):
        from . import evaluate
        from .config import load_config
        from .paths import configs_dir
        from .trainer import new_model
        cfg = load_config(configs_dir() / "corrected.yaml")
        model = new_model(cfg.replace(seed=7))
        out = []
        for t0, warmup in ((3.7, 1.0), (1.25, 0.5)):
            ref = evaluate.shifted_metrics(model, cfg, t0, warmup)
            got = fn(model, cfg, t0, warmup)
            out.append(cmp(f"t0={t0} mse", got["mse"], ref["test_mse"], atol=1e-9, rtol=1e-7))
            out.append(cmp(f"t0={t0} per frequency", [got["per_frequency"][k] for k in ("1", "3", "5", "7")],
                           [ref["test_mse_per_frequency"][k] for k in ("1", "3", "5", "7")], atol=1e-9, rtol=1e-7))
        return out
    return run_check("05.3 shifted_test", fn, comparisons,
                     "Hint: build the test split with its clock starting at t0, predict every stream from a "
                     "zero state, and leave out the samples less than `warmup` seconds after t0.")


# The thresholds are the student's choice, so every case sits far from any sensible one: good is <= 0.008,
# near the baseline >= 0.45, middling 0.1-0.3 (usual) or 0.12-0.2 (shifted, after a good usual score).
_CLASSIFY_CASES = [((0.0012, 0.0011), "extracts"), ((0.0000, 0.92), "counts time"), ((0.50, 0.50), "learned nothing"),
                   ((0.003, 0.006), "extracts"), ((0.008, 0.7), "counts time"), ((0.2, 0.1), "unclear"),
                   ((0.005, 0.15), "unclear"), ((0.48, 0.02), "learned nothing"), ((0.25, 0.6), "unclear")]


@exercise
def classify_model(fn) -> CheckResult:
    """05.4: a verdict from two numbers: extracts, counts time, learned nothing, or unclear."""
    def comparisons(fn):
        return [_case(f"{u}, {s}", fn(u, s) == want, f"usual {u}, shifted {s}: you said {fn(u, s)!r}, expected {want!r}")
                for (u, s), want in _CLASSIFY_CASES]
    hint = ("Hint: first ask whether the usual test beats the baseline at all (well below 0.5); then whether "
            "the shifted test stays as good; a score between good and failed is neither. Take your thresholds "
            "from the tables above: predict-zero 0.5, the course's target 0.01.")
    return _with_detail(run_check("05.4 classify_model", fn, comparisons, hint), fn, comparisons, hint)
