# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: nbgrader,-all
#     formats: ipynb,py:percent
#     notebook_metadata_filter: kernelspec,jupytext
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Signals and FFT: what is in the data?
#
# The diagnostic report this course is built on trained a tiny LSTM to pull one
# frequency out of a noisy mix. Before we look at any training curve, we ask the
# question every diagnosis should start with: **does the input contain the
# answer?**
#
# **What you will learn**
# 1. The exact dataset of the assignment: 40,000 rows, frequency-major, one
#    5-vector `[S(t), C1..C4]` per row and one scalar target.
# 2. How to read a one-sided amplitude spectrum, and how to tell a peak from the
#    noise floor with a number rather than by eye.
# 3. Why the spec's per-sample phase noise φ ~ U(0, 2π) erases every peak, from
#    E[sin(θ + φ)] = 0, and the evidence computed here.
# 4. The honest baseline every model must beat: predicting 0 scores MSE 0.5.
# 5. The `phase_scale` knob that brings the signal back.
#
# **Estimated time:** 30–40 minutes. Every cell runs in a second or two on a laptop CPU.

# %% [markdown]
# ## Setup
# One cell imports the course helpers and fixes every source of randomness. All
# random draws in this course take an explicit seed or generator.

# %%
import numpy as np
import matplotlib.pyplot as plt
import ipywidgets as W

from freqlstm_helpers import SignalConfig, build_dataset, predict_zero_mse, LEARNABLE_PHASE_SCALE
from freqlstm_helpers import spectrum, check, plotting, widgets

plotting.use_course_style()
rng = np.random.default_rng(2024)  # for the few draws this notebook makes itself

spec_cfg = SignalConfig()  # the assignment's values
print(spec_cfg)

# %% [markdown]
# ## 1 · What exactly are the rows?
#
# The assignment fixes four frequencies (1, 3, 5, 7 Hz), a sampling rate of
# 1000 Hz and ten seconds, so t = n/1000 for n = 0..9999. At **every** sample
# and for **every** frequency it draws a fresh amplitude A_i(t) ~ U(0.8, 1.2)
# and a fresh phase φ_i(t) ~ U(0, 2π), and mixes
#
# $$S(t) = \tfrac14 \sum_{i=1}^{4} A_i(t)\,\sin\!\big(2\pi f_i t + \varphi_i(t)\big).$$
#
# The target for frequency i is the clean `sin(2π f_i t)`: unit amplitude, no
# phase. A row is `[S(t), C1, C2, C3, C4]` where C is one-hot for the frequency
# to extract. Rows are frequency-major: the first 10,000 rows ask for f1 over
# the whole ten seconds, the next 10,000 for f2, and so on, reusing the same
# S(t) in every block. The training set uses noise seed 1 and the test set seed 2.

# %%
train = build_dataset(spec_cfg, split="train")
test = build_dataset(spec_cfg, split="test")
N, K = train.n_samples, len(spec_cfg.frequencies)
print(f"X: {train.X.shape}  y: {train.y.shape}  ({K} frequencies x {N} samples)")

def show_rows(ds, rows):
    print(f"{'row':>6} {'t (s)':>7} {'f (Hz)':>6} {'S(t)':>8}   C            target")
    for r in rows:
        k, n = divmod(r, ds.n_samples)
        c = " ".join(str(int(v)) for v in ds.X[r, 1:])
        print(f"{r + 1:>6} {ds.t[n]:>7.3f} {ds.config.frequencies[k]:>6g} {ds.X[r, 0]:>8.4f}   [{c}]    {ds.y[r]:>8.4f}")

show_rows(train, [0, 1, 2, N - 1, N, N + 1, 2 * N, 3 * N, 4 * N - 1])

# %% [markdown]
# Rows 1 and 10,001 share the same S(t) but ask for different frequencies. The
# builder checks its own output (shapes, S reused per block, one-hot rows), so
# running this notebook is already a test. Two more checks of what the prose above claims:

# %%
assert np.array_equal(train.X[:N, 0], train.X[N:2 * N, 0]), "every block must reuse the same S(t)"
assert np.array_equal(train.targets, test.targets), "train and test share targets; only the noise differs"
assert not np.allclose(train.S, test.S)
print("same S in every block: True;  same targets in train and test: True;  same noise: False")

# %% [markdown]
# ## 2 · What does S(t) look like next to its ingredients?

# %%
sl = slice(0, 1000)  # the first second
fig, ax = plt.subplots(figsize=(10, 3.8))
ax.plot(train.t[sl], train.S[sl], color=plotting.GREY, lw=0.8, label="S(t), the input")
for k, f in enumerate(spec_cfg.frequencies):
    ax.plot(train.t[sl], train.targets[k, sl] / 4, color=plotting.freq_color(f), lw=2,
            label=f"sin(2π·{f:g}·t)/4, clean component")
ax.set(xlabel="time t (s)", ylabel="amplitude", title="Spec data (phase_scale 1.0): the first second")
ax.legend(loc="upper right", fontsize=8, ncol=2)
plt.show()

# %% [markdown]
# The grey trace does not look like a sum of four smooth sines. It looks like
# noise. Looks can deceive, so we measure.
#
# ### Exercise 1.1 · Build the noisy mixture
# Write `noisy_mixture(t, A, phi, freqs)` that returns S at the times `t`, given
# amplitudes `A` and phases `phi` of shape (K, len(t)) and `freqs` of shape (K,).

# %% nbgrader={"grade": false, "grade_id": "ex01_1_solution", "locked": false, "schema_version": 3, "solution": true}
# Exercise 01.1
def noisy_mixture(t, A, phi, freqs):
    """S(t) for every t: the mean over frequencies of A*sin(2*pi*f*t + phi)."""
    # Hint: broadcast freqs[:, None] against t[None, :], then average over axis 0.
    ### BEGIN SOLUTION
    return np.mean(A * np.sin(2 * np.pi * np.asarray(freqs)[:, None] * np.asarray(t)[None, :] + phi), axis=0)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex01_1", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Test 01.1 (1 point). Runs the self-check; the grader runs this cell again with hidden cases.
check.noisy_mixture(noisy_mixture)
### BEGIN HIDDEN TESTS
import importlib, math
import numpy as _np
import freqlstm_helpers.check as _check
_r = importlib.reload(_check).noisy_mixture.result(noisy_mixture)  # the real check, even if check.* was rebound
assert _r.passed, str(_r)
_g = _np.random.default_rng(1101)
_f, _t = [2.0, 11.0, 0.5], [n / 250.0 for n in range(37)]
_A, _phi = _g.uniform(0.5, 1.5, (3, 37)), _g.uniform(0.0, 2 * math.pi, (3, 37))
_ref = [sum(float(_A[i, n]) * math.sin(2 * math.pi * _f[i] * _t[n] + float(_phi[i, n])) for i in range(3)) / 3
        for n in range(37)]
_got = [float(v) for v in _np.asarray(noisy_mixture(_np.array(_t), _A, _phi, _np.array(_f))).reshape(-1)]
assert len(_got) == 37, f"hidden case (3 frequencies, 37 samples): {len(_got)} values, expected 37"
assert max(abs(a - b) for a, b in zip(_got, _ref)) < 1e-9, "hidden case (3 frequencies, 37 samples): wrong values"
### END HIDDEN TESTS

# %% [markdown]
# ## 3 · Does the spectrum of S show the four frequencies?
#
# The one-sided amplitude spectrum scales |FFT| by 2/N so that a unit sine shows
# as a bar of height 1 at its frequency. With ten seconds of data the bins are
# 0.1 Hz apart, so 1, 3, 5 and 7 Hz each fall exactly on a bin. We call a peak
# *present* when its bin stands at least 10× above the median bin (the noise
# floor).
#
# ### Exercise 1.2 · The amplitude spectrum
# Write `amplitude_spectrum(x, fs)` returning `(freqs, amp)`: the bin
# frequencies in Hz and the one-sided amplitudes.

# %% nbgrader={"grade": false, "grade_id": "ex01_2_solution", "locked": false, "schema_version": 3, "solution": true}
# Exercise 01.2
def amplitude_spectrum(x, fs):
    """One-sided amplitude spectrum: a unit sine gives height 1 at its frequency."""
    # Hint: np.fft.rfft and np.fft.rfftfreq; scale by 2/N except the 0 Hz bin (1/N).
    ### BEGIN SOLUTION
    n = len(x)
    amp = 2.0 / n * np.abs(np.fft.rfft(x))
    amp[0] /= 2.0
    return np.fft.rfftfreq(n, d=1.0 / fs), amp
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex01_2", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Test 01.2 (2 points). Runs the self-check; the grader runs this cell again with hidden cases.
check.amplitude_spectrum(amplitude_spectrum)
### BEGIN HIDDEN TESTS
import importlib, math
import numpy as _np
import freqlstm_helpers.check as _check
_r = importlib.reload(_check).amplitude_spectrum.result(amplitude_spectrum)  # the real check, even if check.* was rebound
assert _r.passed, str(_r)
for _n, _fs, _parts in ((400, 200.0, {0: 0.3, 25: 0.8, 100: 0.1}), (201, 100.5, {0: -0.2, 20: 1.0, 7: 0.45})):
    # bin k of an n-sample signal at fs sits at k*fs/n Hz; each part is a whole number of periods
    _x = [sum((a if k == 0 else a * math.sin(2 * math.pi * k * m / _n)) for k, a in _parts.items()) for m in range(_n)]
    _freqs, _amp = amplitude_spectrum(_np.array(_x), _fs)
    _freqs, _amp = [float(v) for v in _freqs], [float(v) for v in _amp]
    assert len(_freqs) == len(_amp) == _n // 2 + 1, f"hidden case n={_n}: {len(_amp)} bins, expected {_n // 2 + 1}"
    assert max(abs(f - k * _fs / _n) for k, f in enumerate(_freqs)) < 1e-9, f"hidden case n={_n}: wrong bin frequencies"
    assert max(abs(a - abs(_parts.get(k, 0.0))) for k, a in enumerate(_amp)) < 1e-9, f"hidden case n={_n}: wrong heights"
### END HIDDEN TESTS

# %% [markdown]
# Now the three profiles side by side: **no noise** (A = 1, φ = 0), the
# **spec's noise** (`phase_scale` 1.0, φ ~ U(0, 2π)) and the **learnable**
# profile (`phase_scale` 0.1, φ ~ U(0, 0.2π)). The course's own
# `spectrum.detect_peaks` does the counting.

# %%
profiles = {
    "no noise": SignalConfig(amplitude_range=(1.0, 1.0), phase_scale=0.0),
    "spec (phase_scale 1.0)": spec_cfg,
    f"learnable (phase_scale {LEARNABLE_PHASE_SCALE})": SignalConfig(phase_scale=LEARNABLE_PHASE_SCALE),
}
verdicts = {name: spectrum.fft_verdict(build_dataset(cfg, split="train")) for name, cfg in profiles.items()}

print(f"{'profile':<28}" + "".join(f"{f:>9g} Hz" for f in spec_cfg.frequencies) + "   verdict")
for name, v in verdicts.items():
    ratios = "".join(f"{'>10^4' if p.over_median > 1e4 else f'{p.over_median:.1f}':>10}" + ("x " if p.present else "x-")
                     for p in v["peaks"])
    found = ", ".join(f"{f:g}" for f in v["present"]) or "none"
    print(f"{name:<28}{ratios}   peaks present: {found}")
print("(height of the bin over the median bin; '-' marks a bin below the 10x threshold)")

# %%
fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), sharey=True)
for ax, (name, cfg) in zip(axes, profiles.items()):
    ds = build_dataset(cfg, split="train")
    freqs, amp = spectrum.amplitude_spectrum(ds.S, cfg.fs)
    ax.semilogy(freqs, amp, color=plotting.GREY, lw=0.7, label="|S| spectrum")
    ax.axhline(np.median(amp[1:]), color="k", ls=":", lw=1, label="median bin (noise floor)")
    for f in cfg.frequencies:
        ax.axvline(f, color=plotting.freq_color(f), ls="--", lw=1)
    ax.set(xlim=(0, 12), xlabel="frequency (Hz)", title=name)
axes[0].set_ylabel("amplitude (one-sided)")
axes[0].legend(loc="lower left", fontsize=8)
fig.suptitle("Dashed lines: 1, 3, 5, 7 Hz. Only the spec's profile shows nothing there.")
plotting.save(fig, "01_fft_three_profiles")
plt.show()

# %% [markdown]
# The printed table is the verdict. These checks make it a fact the course rests
# on; if the data ever changed so that it stopped holding, this notebook would fail:

# %%
spec_v = verdicts["spec (phase_scale 1.0)"]
assert verdicts["no noise"]["all_present"]
assert verdicts[f"learnable (phase_scale {LEARNABLE_PHASE_SCALE})"]["all_present"]
assert spec_v["none_present"], "the spec's noise should leave no peak at 1, 3, 5 or 7 Hz"
top = spectrum.largest_bins(train.S, spec_cfg.fs, k=5)
print("spec profile, the five tallest bins (Hz, x median):", [(round(f, 1), round(r, 1)) for f, r in top])
assert max(r for _, r in top) < 10, "even the tallest bin of the spec's S should sit near the floor"

# %% [markdown]
# ### Why the peaks vanish
# For a fixed t, the expected value of one noisy component is
#
# $$\mathbb{E}\big[A\,\sin(\theta+\varphi)\big] = \mathbb{E}[A]\;\mathrm{Im}\!\left(e^{i\theta}\,\mathbb{E}[e^{i\varphi}]\right),\qquad
# \mathbb{E}[e^{i\varphi}] = \frac{e^{i2\pi s}-1}{i2\pi s}\ \text{ for } \varphi\sim U(0, 2\pi s),$$
#
# whose magnitude is |sin(πs)/(πs)|. At s = `phase_scale` = 1 it is exactly
# zero: averaged over the phase draw, every component is 0 at every t. What is
# left in S is zero-mean noise whose samples are independent from one t to the
# next, which is white noise, flat across the spectrum. At s = 0.1 it is 0.98:
# almost all of each sine survives. So a peak in S should have height about
# ¼ · E[A] · |sinc| = 0.25 · 1.0 · |sin(πs)/(πs)|. The theory and the measurement:

# %%
def coherent_fraction(s):
    return 1.0 if s == 0 else abs(np.sin(np.pi * s) / (np.pi * s))

print(f"{'phase_scale':>11} {'theory peak':>12} {'measured (mean of 4 bins)':>26}")
for s in (0.0, 0.1, 0.25, 0.5, 1.0):
    ds = build_dataset(SignalConfig(phase_scale=s), split="train")
    measured = np.mean([p.height for p in spectrum.detect_peaks(ds.S, ds.config.fs, ds.config.frequencies)])
    theory = 0.25 * coherent_fraction(s)
    print(f"{s:>11.2f} {theory:>12.4f} {measured:>26.4f}")
    assert abs(measured - theory) < 0.01, f"phase_scale {s}: measured peak {measured:.4f} vs theory {theory:.4f}"

# %% [markdown]
# **Set beside the report.** The diagnostic report says an FFT confirmed the
# correct frequencies and that all data checks passed. On the data the
# assignment specifies, the FFT computed above shows no peak at any of the four
# frequencies. The report's FFT must have looked at something else: the clean
# components, the targets, or data made with milder phase noise. "The FFT
# confirms the frequencies" is a claim you can test in three lines, and here the
# test says no.
#
# **Think!** If an FFT of S shows nothing at 3 Hz, can *any* model that sees only S
# output a 3 Hz sine with the right phase? What else would it have to use?

# %% [markdown]
# ## 4 · Is S correlated with the targets? And what does "doing nothing" score?
# A second, simpler lens: the Pearson correlation of S with each clean target.

# %%
corr = {name: spectrum.correlations(build_dataset(cfg, split="train")) for name, cfg in profiles.items()}
for name, c in corr.items():
    print(f"{name:<26} corr(S, target_i) = " + "  ".join(f"{v:+.3f}" for v in c))
assert np.all(np.abs(corr["spec (phase_scale 1.0)"]) < 0.03), "spec S should be uncorrelated with every target"
assert np.all(corr[f"learnable (phase_scale {LEARNABLE_PHASE_SCALE})"] > 0.4)

# %% [markdown]
# On the spec's data the correlations are zero to within sampling noise (about
# ±1/√10000 = ±0.01). A linear read-out of S cannot beat a model that ignores S.
#
# ### Exercise 1.3 · The predict-zero baseline
# A model that always outputs 0 makes error y² on every row. Write
# `predict_zero(y)` returning its MSE over a vector of targets.

# %% nbgrader={"grade": false, "grade_id": "ex01_3_solution", "locked": false, "schema_version": 3, "solution": true}
# Exercise 01.3
def predict_zero(y):
    """MSE of the constant prediction 0."""
    # Hint: the squared error of predicting 0 for target y is y**2.
    ### BEGIN SOLUTION
    return float(np.mean(np.asarray(y, dtype=np.float64) ** 2))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex01_3", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Test 01.3 (1 point). Runs the self-check; the grader runs this cell again with hidden cases.
check.predict_zero_mse(predict_zero)
### BEGIN HIDDEN TESTS
import importlib
import numpy as _np
import freqlstm_helpers.check as _check
_r = importlib.reload(_check).predict_zero_mse.result(predict_zero)  # the real check, even if check.* was rebound
assert _r.passed, str(_r)
_z = [float(v) for v in _np.random.default_rng(1301).normal(2.0, 3.0, size=11)]
for _y, _ref in (([3.0, -4.0], 12.5), (_z, sum(v * v for v in _z) / len(_z))):
    _got = float(predict_zero(_np.array(_y)))
    assert abs(_got - _ref) < 1e-9 * max(1.0, _ref), f"hidden case {len(_y)} targets: got {_got}, expected {_ref}"
### END HIDDEN TESTS

# %%
baseline_train, baseline_test = predict_zero_mse(train), predict_zero_mse(test)
print(f"predict-zero MSE: train {baseline_train:.4f}, test {baseline_test:.4f}")
assert abs(baseline_train - 0.5) < 1e-3 and abs(baseline_test - 0.5) < 1e-3

# %% [markdown]
# The mean of sin² over whole periods is exactly ½, so **0.5 is the score of
# doing nothing**. Every loss in the rest of the course is read against it. The
# report's "best" epoch loss of 0.2847 looks like learning. Notebook 03 asks
# whether it is.
#
# **Think!** The report's training loss is well below 0.5. If S carries no
# information, how could a *training* loss fall below 0.5 at all? (Hint: what does
# the model see between row r and row r+1?)

# %% [markdown]
# ## 5 · Explore: how much phase noise can the signal take?
# Move the slider. The spectrum, the correlations and the first half-second of S
# update live in JupyterLab. In headless runs (CI, `make course`) the same
# function runs once with its default.

# %%
def phase_noise_explorer(phase_scale=0.1, frequency=3.0):
    cfg = SignalConfig(phase_scale=phase_scale)
    ds = build_dataset(cfg, split="train")
    k = cfg.frequencies.index(frequency)
    v = spectrum.fft_verdict(ds)
    c = spectrum.correlations(ds)
    freqs, amp = spectrum.amplitude_spectrum(ds.S, cfg.fs)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 3.2))
    a1.semilogy(freqs, amp, color=plotting.GREY, lw=0.7)
    for f in cfg.frequencies:
        a1.axvline(f, color=plotting.freq_color(f), ls="--", lw=1)
    a1.set(xlim=(0, 12), ylim=(1e-4, 0.5), xlabel="frequency (Hz)", ylabel="amplitude",
           title=f"phase_scale {phase_scale:.2f}: peaks at {', '.join(f'{f:g}' for f in v['present']) or 'none'}")
    sl = slice(0, 500)
    a2.plot(ds.t[sl], ds.S[sl], color=plotting.GREY, lw=0.8, label="S(t)")
    a2.plot(ds.t[sl], ds.targets[k, sl] / 4, color=plotting.freq_color(frequency), lw=2,
            label=f"target {frequency:g} Hz / 4")
    a2.set(xlabel="time t (s)", ylabel="amplitude", title=f"corr(S, target {frequency:g} Hz) = {c[k]:+.3f}")
    a2.legend(loc="upper right", fontsize=8)
    plt.show()
    return {"present": v["present"], "correlation": float(c[k])}

explorer_result = widgets.explore(
    phase_noise_explorer,
    phase_scale=W.FloatSlider(value=0.1, min=0.0, max=1.0, step=0.05, description="phase_scale"),
    frequency=W.Dropdown(options=[1.0, 3.0, 5.0, 7.0], value=3.0, description="f (Hz)"),
)

# %% [markdown]
# **Think!** Somewhere between `phase_scale` 0.5 and 1.0 the peaks sink into the
# floor. Using |sin(πs)/(πs)|, at which `phase_scale` does the coherent part fall to
# a tenth of its noise-free height?

# %% [markdown]
# ## Summary
# The verdicts below are computed from the cells above, not typed in.

# %%
summary = {
    "rows": f"{train.X.shape[0]:,} rows of 5 inputs, frequency-major, S reused per block",
    "spec FFT: peaks present": spec_v["present"] or "none",
    "learnable FFT: peaks present": verdicts[f"learnable (phase_scale {LEARNABLE_PHASE_SCALE})"]["present"],
    "spec max |corr(S, target)|": round(float(np.abs(corr["spec (phase_scale 1.0)"]).max()), 3),
    "predict-zero MSE (test)": round(baseline_test, 4),
    "report's 'FFT confirms frequencies' holds on spec data": not spec_v["none_present"],
}
for k_, v_ in summary.items():
    print(f"- {k_}: {v_}")

# %% [markdown]
# **Next:** [02 · L=1 state mechanics](02_l1_state_mechanics.ipynb): what does
# "L=1 with state preservation" do, step by step?
