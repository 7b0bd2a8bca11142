"""Self-checks for the exercises: compare with a reference and say what is wrong, in words.

Every check takes the student's function, calls it on fixed inputs, and
returns a `CheckResult` whose text looks the same in a notebook and in a
grader's script: `[check 02.1 lstm_step] PASSED ...`. There is no hidden state:
the verdict depends only on the function passed in. References come from a
different route than the exercise asks for (torch, autograd, analytic values),
so importing this module gives no solution away.
"""
from __future__ import annotations

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
    try:
        import torch
        if isinstance(x, torch.Tensor):
            return x.detach().cpu().numpy()
    except ImportError:  # pragma: no cover
        pass
    return x


def _explain(c: dict, hint: str) -> str:
    if not c["shape_ok"]:
        return f"{c['name']} has shape {c['shape']}, expected {c['expected_shape']}. {hint}"
    if c["negated"]:
        return f"{c['name']} has the wrong sign everywhere (it equals minus the reference). {hint}"
    return (f"{c['name']} differs from the reference: largest |difference| {c['maxdiff']:.3g} "
            f"at index {c['where']}. {hint}")


def run_check(exercise: str, fn, comparisons, hint: str) -> CheckResult:
    """Call `comparisons(fn)` -> list of cmp dicts; turn them into one verdict."""
    try:
        results = comparisons(fn)
    except NotImplementedError:
        return CheckResult(exercise, NOT_DONE, "not done yet: the stub still raises NotImplementedError.")
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
        return CheckResult(exercise, NOT_DONE, "not done yet: the stub still raises NotImplementedError.")
    except Exception as e:
        return CheckResult(exercise, FAILED, f"your function raised {type(e).__name__}: {e}. {hint}")
    ok, sentence = judge(answer)
    return CheckResult(exercise, PASSED if ok else FAILED, sentence if ok else f"{sentence} {hint}")


# --------------------------------------------------------------------------------------
# Notebook 01
# --------------------------------------------------------------------------------------
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


def amplitude_spectrum(fn) -> CheckResult:
    """01.2: a unit sine at f must show height 1 at f; a constant c shows c at 0 Hz."""
    def comparisons(fn):
        fs, n = 1000.0, 2000
        t = np.arange(n) / fs
        x = 0.5 + 1.0 * np.sin(2 * np.pi * 5 * t) + 0.25 * np.cos(2 * np.pi * 40 * t)
        freqs, amp = fn(x, fs)
        ref_freqs = np.arange(n // 2 + 1) * fs / n
        ref_amp = np.zeros(n // 2 + 1)
        ref_amp[0], ref_amp[10], ref_amp[80] = 0.5, 1.0, 0.25
        return [cmp("freqs", freqs, ref_freqs), cmp("amplitude", amp, ref_amp, atol=1e-9)]
    return run_check("01.2 amplitude_spectrum", fn, comparisons,
                     "Hint: use np.fft.rfft and np.fft.rfftfreq; scale |X| by 2/N, but the 0 Hz bin only by 1/N.")


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
                     "Hint: the error of predicting 0 on row r is (0 - y_r)^2; average it over rows.")


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
