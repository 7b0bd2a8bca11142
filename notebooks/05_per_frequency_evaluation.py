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
# # 05 · Per-frequency evaluation: how good is each model, against honest baselines?
#
# The last notebook scores every model the way the assignment asks, and the way a
# careful engineer would: frozen, per frequency, on train and test, under a named
# protocol, next to baselines that say what "good" means.
#
# **What you will learn**
# 1. That "frozen MSE" needs a protocol: per stream from a zero state, or the
#    assignment's frequency-major rows with the state carried. Every model here is
#    scored both ways.
# 2. To report MSE_train, MSE_test and their ratio, and why "MSE_test ≈ MSE_train"
#    alone does not mean a model learned anything.
# 3. To read per-frequency errors against two baselines, predict-zero and a
#    fitted FIR filter, and to measure how much memory the task needs.
# 4. How the achievable error depends on the phase noise, which explains the whole
#    course in one picture.
# 5. To design a test that a model which only counts time cannot pass.
#
# **Estimated time:** 45 minutes. The models come from the run folders that
# notebooks 03 and 04 made. A missing one is made here through the same cached helper.
#
# **The case:** [the diagnostic report in brief](../docs/the_case.md) ·
# **Terms:** [glossary](../docs/glossary.md) ·
# **Previous:** [04 · the corrected 30-epoch run](04_corrected_30_epoch_run.ipynb)

# %% [markdown]
# ## Setup

# %%
from functools import lru_cache

import numpy as np
import matplotlib.pyplot as plt
import torch
import ipywidgets as W
from IPython.display import Markdown, display

from freqlstm_helpers import SignalConfig, build_dataset, predict_zero_mse, LEARNABLE_PHASE_SCALE
from freqlstm_helpers import baselines, evaluate, metrics, paths, plotting, robustness, runs, tables, trainer, widgets
from freqlstm_helpers.teaching.checks import check05 as check
from freqlstm_helpers.config import load_config
from freqlstm_helpers.teaching import nb05, nb05_figures, predict

plotting.use_course_style()
torch.set_num_threads(1)
PROGRESS = not paths.headless()
print(robustness.describe_machine())  # the last digits below depend on it (notebook 04, "Same seed, another CPU")
FREQS = ("1", "3", "5", "7")
PROTOCOLS = tuple(evaluate.PROTOCOLS)  # ("per-stream", "frequency-major")

# %% [markdown]
# The models come from the run folders that notebooks 03 and 04 made. `runs_for`
# loads them, or trains the missing ones here (side by side), and says which.

# %%
def runs_for(cfgs, made_by):
    """The cached runs for cfgs; missing ones are made here, and we say which notebook normally makes them."""
    cached = [runs.read_run_config(runs.default_run_dir(c)) is not None for c in cfgs]
    results = runs.cached_train_many(cfgs, progress=PROGRESS)
    for cfg, was, r in zip(cfgs, cached, results):
        print(f"{cfg.name:<28} {'loaded from' if was else 'made now (normally made by ' + made_by + '), saved to'} "
              f"{paths.shown(r.run_dir)}")
    return results

v1 = load_config(paths.configs_dir() / "v1_lr1e-3.yaml").replace(engine="fused")
v2 = load_config(paths.configs_dir() / "v2_lr1e-4.yaml").replace(engine="fused")
corrected = load_config(paths.configs_dir() / "corrected.yaml")
MODELS = dict(zip(["v1 (LR 1e-3, spec data)", "v2 prescribed (LR 1e-4, spec data)", "corrected (phase_scale 0.1)"],
                  runs_for([v1, v2, corrected], "notebooks 03 and 04")))
CORRECTED = "corrected (phase_scale 0.1)"

# %% [markdown]
# ## 1 · Two protocols, and the overall numbers
# A frozen model's score depends on how its rows are run, so the course names two
# protocols (see the [glossary](../docs/glossary.md#evaluation)):
#
# - **per-stream frozen MSE**: each frequency is its own stream of 10,000 samples,
#   started from a zero state at t = 0, the state carried through that stream;
# - **frequency-major frozen MSE (state carried)**: the assignment's 40,000 rows in
#   order, f1's block, then f2's, and so on, the state carried across the block
#   boundaries, as the L=1 regime trains.
#
# The L=1 models (v1, v2) were trained frequency-major; the corrected model was
# trained per stream. Each is scored both ways below, on train (seed 1) and test
# (seed 2), each on the data profile it was trained for. The course's target for the
# corrected model, every frequency ≤ 0.01 on test, is a **per-stream** target. The
# assignment reads "MSE_test ≈ MSE_train" as generalising; the course makes "≈"
# concrete as a test/train ratio within 0.8–1.2 (`metrics.GENERALISES_BAND`, our
# choice, not the assignment's), and also asks whether the model beats predict-zero.

# %%
overall, test_pred = {}, {}
for name, r in MODELS.items():
    split = {s: build_dataset(r.config.data, split=s) for s in ("train", "test")}
    for protocol in PROTOCOLS:
        pred_s = {s: evaluate.predict(r.checkpoint_model, r.config, ds, protocol) for s, ds in split.items()}
        m = {s: metrics.per_frequency_mse(pred_s[s], split[s]) for s in split}
        test_pred[(name, protocol)] = (pred_s["test"], split["test"])  # section 2 scores these with your 05.1
        overall[(name, protocol)] = {"train_mse": m["train"]["mse"], "test_mse": m["test"]["mse"],
                                     "test_mse_per_frequency": m["test"]["per_frequency"],
                                     **metrics.generalisation(m["train"]["mse"], m["test"]["mse"]),
                                     "learned": m["test"]["mse"] < 0.49}
display(tables.table({f"{name}, {protocol}": {
    "MSE_train": f"{o['train_mse']:.4f}", "MSE_test": f"{o['test_mse']:.4f}", "test/train": f"{o['ratio']:.2f}",
    f"'generalises' (ratio in {metrics.GENERALISES_BAND})": "yes" if o["generalises"] else "no",
    "beats predict-zero": "yes" if o["learned"] else "no"} for (name, protocol), o in overall.items()}, "model, protocol"))
for p in PROTOCOLS:
    v1_o = overall[("v1 (LR 1e-3, spec data)", p)]
    assert v1_o["generalises"] and not v1_o["learned"], p
    assert overall[(CORRECTED, p)]["learned"], p
assert overall[(CORRECTED, "per-stream")]["generalises"]

# %% [markdown]
# The report's v1 model "generalises" by that reading under both protocols, with
# test ≈ train, and has learned nothing: both sit at 0.5. A ratio near 1 is
# necessary but not sufficient. Always read it next to a baseline.
#
# ## 2 · Per frequency, against two baselines
# - **predict-zero** scores the mean of sin², 0.5.
# - **a fitted FIR filter (N taps)** is a causal linear filter of S's last N
#   samples, one per frequency, fitted by ridge least squares on train. Its ridge
#   strength is chosen per frequency on the validation set (seed 3), and it is
#   scored on test. Here N = 1,000 (one second); section 3 measures how its error
#   depends on N. It has no state to carry, so it has one score, not two.
#
# ### Exercise 5.1 · The score per frequency, and the FIR filter's design matrix
# Two functions, one cell:
# - `per_frequency_mse(pred, target, freqs)` returns a dict keyed by the
#   frequency in Hz as a string (`'1'`, `'3'`, ...), from (K, N) arrays. Every
#   per-frequency number in this notebook's tables from here on is computed by
#   your function.
# - A causal FIR filter predicts y[n] = Σ_j w_j·S[n−j]. `lagged_matrix(S, taps)`
#   returns the matrix whose row n holds S[n], S[n−1], …, S[n−taps+1], with zeros
#   before the start. The notebook fits every filter below from your matrix (its
#   least-squares fit needs XᵀX and Xᵀy), some thirty times on 10,000 samples with
#   1,000 taps, so it should take well under a second on that size.

# %% nbgrader={"grade": false, "grade_id": "ex05_1_solution", "locked": false, "schema_version": 3, "solution": true}
# Exercise 05.1
# Stuck? check.hint("05.1") gives the idea, check.hint("05.1", level=2) a closer hint.
def per_frequency_mse(pred, target, freqs):
    """{'1': mse, '3': mse, ...} from (K, N) predictions and targets."""
    # Hint: one row of the arrays per frequency; the keys are how the course prints Hz ('1', not '1.0').
    ### BEGIN SOLUTION
    err = (np.asarray(pred, dtype=np.float64) - np.asarray(target, dtype=np.float64)) ** 2
    return {f"{f:g}": float(err[k].mean()) for k, f in enumerate(freqs)}
    ### END SOLUTION


def lagged_matrix(S, taps):
    """(len(S), taps) matrix of S delayed by 0..taps-1 samples, zero-padded."""
    # Hint: row n needs S[n], S[n-1], ...; decide first what a sample before the start should be.
    ### BEGIN SOLUTION
    S = np.asarray(S, dtype=np.float64)
    padded = np.concatenate([np.zeros(taps - 1), S])
    n = len(S)
    return np.stack([padded[taps - 1 - j: taps - 1 - j + n] for j in range(taps)], axis=1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex05_1", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Test 05.1 (2 points: 1 for each function). The self-check: PASSED, FAILED (it raises) or NOT DONE (it lets Run All go on).
# The grader tests your function on fresh inputs of its own, in a sandbox.
check.scores_and_design(per_frequency_mse, lagged_matrix)

# %% [markdown]
# From here on the notebook runs **your** functions: `per_frequency_mse` fills the
# tables and `lagged_matrix` builds the design matrix every filter is fitted from. An exercise not done yet
# says so in one line and the course's code stands in for it.

# %%
PER_FREQ = nb05.Source("05.1", per_frequency_mse, nb05.course_per_frequency_mse, "the per-frequency MSE in the tables")
LAGGED = nb05.Source("05.1", lagged_matrix, nb05.course_lagged_matrix, "the FIR filter's design matrix")
score = lambda pred, ds: PER_FREQ(pred, ds.targets, ds.config.frequencies)  # {'1': mse, ...} by your per_frequency_mse

TAPS = baselines.DEFAULT_TAPS
profiles = {"spec": v1.data, "learnable": corrected.data}
data = {p: {s: build_dataset(c, split=s) for s in ("train", "validation", "test")} for p, c in profiles.items()}
stats = {p: {s: nb05.design_stats(LAGGED, ds, TAPS) for s, ds in d.items()} for p, d in data.items()}
fir = {p: baselines.fit_fir_validated(data[p]["train"], data[p]["validation"], TAPS,
                                      stats=(stats[p]["train"], stats[p]["validation"]))[0] for p in profiles}
fir_pred = {p: nb05.fir_predict(LAGGED, fir[p], data[p]["test"]) for p in profiles}
print({p: f"ridge chosen per frequency: {f.ridge}" for p, f in fir.items()})
if LAGGED.mine:
    print("the filters were fitted from your lagged matrix")

# %%
rows = {}
for p in profiles:
    rows[f"predict-zero ({p} data)"] = score(np.zeros_like(data[p]["test"].targets), data[p]["test"])
    rows[f"fitted FIR filter ({TAPS} taps, {p} data)"] = score(fir_pred[p], data[p]["test"])
for (name, protocol), (pred_t, ds_t) in test_pred.items():
    rows[f"{name}, {protocol}"] = score(pred_t, ds_t)
display(nb05.mse_table(rows, FREQS))
if PER_FREQ.mine:
    print("per-frequency MSE by your per_frequency_mse")
fir_test = {p: {"per_frequency": rows[f"fitted FIR filter ({TAPS} taps, {p} data)"]} for p in profiles}
for f in fir_test.values():
    f["mse"] = float(np.mean(list(f["per_frequency"].values())))  # equal samples per frequency
assert abs(fir_test["spec"]["mse"] - 0.5) < 0.01, "a fitted linear filter of the spec's S does no better than zero"
assert fir_test["learnable"]["mse"] < 0.01
per_f = fir_test["learnable"]["per_frequency"].values()
assert max(per_f) < 2 * min(per_f), "the filter's errors should be close across frequencies"

# %%
cs, cf = (overall[(CORRECTED, p)]["test_mse_per_frequency"] for p in PROTOCOLS)
over = [f"{k} Hz" for k in FREQS if cf[k] > 0.01]
display(Markdown(
    f"The corrected model, **per-stream**: worst frequency {max(cs.values()):.4f} "
    f"({'meets' if max(cs.values()) <= 0.01 else 'misses'} the ≤ 0.01 target in this run; notebook 04 judges it over "
    f"seeds). **Frequency-major, state carried**: {', '.join(f'{k} Hz {cf[k]:.4f}' for k in FREQS)}; "
    f"above 0.01: {', '.join(over) if over else 'none'}. Section 7 shows where that error sits."))
assert overall[(CORRECTED, "frequency-major")]["test_mse"] > overall[(CORRECTED, "per-stream")]["test_mse"]
assert abs(cf["1"] - cs["1"]) <= 0.01 * cs["1"] + 1e-6, "the first block starts from a zero state either way"

# %%
groups = {"spec data (phase_scale 1), linear axis": [n for n in rows if "spec" in n],
          "learnable data (phase_scale 0.1), log axis": [n for n in rows if "spec" not in n]}
fig = nb05_figures.per_frequency_dots(rows, groups, FREQS, log_groups=list(groups)[1:])
fig.suptitle("Per-frequency test MSE: models under both protocols, and the baselines", y=1.02)
plotting.save(fig, "05_per_frequency_mse")
plt.show()

# %% [markdown]
# Which frequency is hardest, for the corrected model and for the filter? Split each
# one's error in time first: the first second, where both start from nothing (the
# filter from zero-padded history, the LSTM from a zero state), and the rest. The
# cell below does it for the filter and for the corrected recipe on three seeds
# (the runs notebook 04 made), all scored by your 5.1.

# %%
SEEDS = (0, 1, 2)
seed_runs = runs_for([corrected.replace(seed=s) for s in SEEDS], "notebook 04")
first = int(corrected.data.fs)  # one second of samples
parts = {"first second": slice(0, first), "after it": slice(first, None)}
by_part = lambda pred, ds: {part: PER_FREQ(pred[:, sl], ds.targets[:, sl], ds.config.frequencies)
                            for part, sl in parts.items()}
hard = {"fitted FIR filter": by_part(fir_pred["learnable"], data["learnable"]["test"])}
for s, r in zip(SEEDS, seed_runs):
    hard[f"corrected LSTM, seed {s}"] = by_part(evaluate.predict(r.checkpoint_model, r.config,
                                                                 data["learnable"]["test"], "per-stream"),
                                                data["learnable"]["test"])
hard_rows = {f"{name}, {part}": per for name, h in hard.items() for part, per in h.items()}
hard_table = nb05.mse_table(hard_rows, FREQS, "test MSE (learnable data)")
hard_table["hardest"] = [f"{max(per, key=per.get)} Hz" for per in hard_rows.values()]
hard_table["hardest / easiest"] = [f"{max(per.values()) / min(per.values()):.1f}" for per in hard_rows.values()]
display(hard_table)
for name, h in hard.items():
    assert np.mean(list(h["first second"].values())) > 3 * np.mean(list(h["after it"].values())), name
    assert h["after it"]["7"] >= 2 * h["after it"]["1"], f"{name}: after the first second 7 Hz costs more than 1 Hz"

# %% [markdown]
# **Think!** Which frequency is hardest for the corrected model, and which for the
# fitted FIR filter? The filter sees a fixed 1,000 samples of S. The LSTM must learn
# what to keep in its state. Reason with the table just above.
#
# <details class="answer"><summary>Click for an answer</summary>
#
# The whole-test numbers mix two different things, so read the split. In the
# **first second** each model pays a start-up cost, more than three times its error
# afterwards (checked for the filter and for every seed): the filter's first 999
# rows hold zeros where S's past should be, and the LSTM's state is still filling.
# The "hardest" column says which frequency suffers most there, model by model.
#
# **After the first second** both agree on the extremes: 7 Hz costs at least
# twice what 1 Hz costs, for the filter and for the LSTM on every seed (checked). So the LSTM's hardest frequency is not one its memory
# fails to hold: a linear filter with a full second of S at every frequency finds
# the same order, and 1 Hz, the longest period, the one a short memory would hurt
# most, is the *easiest* once a second of history exists. The honest answer is a
# measurement with its conditions (which part of the stream, which seed), not one
# frequency name.
#
# </details>
#
# ## 3 · How much memory does the task need?
# The corrected recipe gives the LSTM gradients through 0.4 s windows; its chrono
# initialisation starts the units with memory spans of 1 to 99 steps; the course
# used to say the task needs "one second". Which is it? For a linear read-out we can
# measure it. We fit the FIR filter with N taps, N from 25 to 1,000, on the
# learnable data's train set, choose the ridge strength per frequency on the
# validation set, and report the validation MSE per frequency. The test set plays
# no part.

# %%
TAP_GRID = (25, 50, 100, 200, 300, 400, 500, 700, 1000)
st, sv = stats["learnable"]["train"], stats["learnable"]["validation"]
memory = np.array([baselines.fit_fir_validated(data["learnable"]["train"], data["learnable"]["validation"], n,
                                               stats=(st, sv))[1] for n in TAP_GRID])  # (taps, frequencies)
display(tables.table({f"{n} taps ({n / corrected.data.fs:g} s)": {f"{k} Hz": f"{v:.4f}" for k, v in zip(FREQS, row)}
                      for n, row in zip(TAP_GRID, memory)}, "validation MSE, ridge chosen on validation"))
enough = {k: next((n for n, v in zip(TAP_GRID, memory[:, j]) if v <= 0.01), None) for j, k in enumerate(FREQS)}
all_enough = next(n for n, row in zip(TAP_GRID, memory) if row.max() <= 0.01)
print(f"fewest taps with validation MSE <= 0.01: {enough}; every frequency: {all_enough} taps")

# %%
fig, ax = plt.subplots(figsize=(9, 4))
for j, k in enumerate(FREQS):
    ax.plot(TAP_GRID, memory[:, j], "o-", color=plotting.freq_color(float(k)), label=f"{k} Hz")
ax.axhline(0.01, color=plotting.GREY, ls="--", lw=1.5, label="0.01")
ax.axvline(corrected.streams.window, color="k", ls=":", lw=1, label=f"TBPTT window ({corrected.streams.window} samples)")
ax.axvspan(1, corrected.model.chrono_tmax - 1, color=plotting.OKABE_ITO[4], alpha=0.15, label="chrono spans at init (1–99 steps)")
ax.set(xscale="log", yscale="log", xlabel="taps N (samples of S's past; 1,000 = 1 s)", ylabel="validation MSE (log)",
       title="How much of S's past a linear filter needs (learnable data)")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
plotting.save(fig, "05_memory_curve")
plt.show()

# %%
display(Markdown(
    f"A linear filter needs about {all_enough} samples ({all_enough / corrected.data.fs:g} s) of S for every "
    f"frequency to reach 0.01 on validation, and keeps improving up to {TAP_GRID[-1]} ({memory[-1].max():.4f} at worst). "
    f"With {TAP_GRID[2]} samples, the chrono spans' reach, it scores {tables.band(memory[2], 3)}."))
assert 400 <= all_enough <= 700 and np.all(memory[-1] < memory[TAP_GRID.index(200)] / 5), "about half a second"
assert memory[TAP_GRID.index(100)].min() > 0.05, "a tenth of a second of S is far too little for a linear filter"

# %% [markdown]
# So "one second" is what a *linear* filter keeps improving with, and about half
# of that already brings every frequency to 0.01. It is a fact about taps, not
# about the LSTM's windows. The LSTM carries its state beyond its 0.4 s gradient
# window and beyond its initial 1–99-step spans; whether it needs a longer window
# is a separate question, which notebook 04's ablation ladder answers over seeds,
# on validation.
#
# **On the spec's data,** the same filter has nothing to find. With almost no
# ridge (plain least squares), 1,001 numbers are fitted to 10,000 samples of noise:

# %%
spec = stats["spec"]
plain = baselines.ridge_weights(spec["train"], TAPS, [baselines.UNREGULARISED])[0]
plain_mse = {s: baselines.mse_from_stats(spec[s], plain) for s in ("train", "test")}
display(Markdown(
    f"Plain least squares, {TAPS} taps: train MSE {plain_mse['train'].mean():.4f} (below 0.5: it fitted the train "
    f"set's noise), test {plain_mse['test'].mean():.4f} (above 0.5: that noise does not recur; per frequency "
    f"{tables.band(plain_mse['test'])}). With the ridge chosen on validation the filter shrinks towards zero and scores "
    f"{fir_test['spec']['mse']:.4f} on test, the predict-zero baseline."))
assert plain_mse["train"].mean() < 0.49 < 0.51 < plain_mse["test"].mean()
assert abs(fir_test["spec"]["mse"] - 0.5) < 0.01

# %% [markdown]
# That is the overfitting behind a filter that scores *worse* than predicting
# zero. No linear filter can beat 0.5 here on average over noise draws, because
# S's mean is zero at every t. On one draw, though, a filter's score at one
# frequency lands a few hundredths either side of 0.5 by chance (the range above):
# the fitted filter is a narrow band-pass, and ten seconds hold only a few
# independent cycles of its output.
#
# **The s = 0 point.** In section 5 below, the filter does better at phase_scale
# 0.1 than at 0, although s = 0 has less noise. Is that one noise draw? We fit the
# 1,000-tap filter on three draws at each scale, each with its own train,
# validation and test seeds, and score the whole test set and the part after the
# first second, where the filter first has its full 1,000 samples of history.

# %%
DRAWS = ((1, 3, 2), (4, 5, 6), (7, 8, 9))  # (train, validation, test) noise seeds

@lru_cache(maxsize=None)
def fir_at(scale, draw=DRAWS[0], taps=TAPS):
    """Test squared error (K, N) of the validated FIR filter at one phase_scale and one noise draw."""
    cfg = SignalConfig(phase_scale=scale, train_seed=draw[0], validation_seed=draw[1], test_seed=draw[2])
    tr, va, te = (build_dataset(cfg, split=s) for s in ("train", "validation", "test"))
    f = nb05.fit_fir(LAGGED, tr, va, taps)[0]                     # fitted from your lagged matrix
    return (nb05.fir_predict(LAGGED, f, te) - te.targets) ** 2

first_second = int(corrected.data.fs)
s0 = {s: np.array([[e.mean(), e[:, :first_second].mean(), e[:, first_second:].mean()]
                   for e in (fir_at(s, d) for d in DRAWS)]) for s in (0.0, LEARNABLE_PHASE_SCALE)}
display(tables.table({f"phase_scale {s:g}": {"whole test set": tables.band(v[:, 0]), "first second": tables.band(v[:, 1]),
                      "after the first second": tables.band(v[:, 2])} for s, v in s0.items()}, f"test MSE over {len(DRAWS)} draws"))

# %%
a, b = s0[0.0], s0[LEARNABLE_PHASE_SCALE]
assert metrics.bands_differ(a[:, 0], b[:, 0]) and a[:, 0].min() > b[:, 0].max(), "s = 0 worse overall, on every draw"
assert a[:, 1].min() > b[:, 1].max(), "because of the first second"
assert a[:, 2].max() < b[:, 2].min(), "after it, less noise scores better"

# %% [markdown]
# Not one draw: on every draw the filter at s = 0 scores worse over the whole test
# set and worse in the first second, and *better* after the first second (all
# checked). The first second, where the filter runs on zero-padded history, holds
# most of the error, and the least-squares fit at s = 0 handles that start worse.
# Once the filter has its full history, less noise means less error, as it should.
#
# ## 4 · The assignment's graphs
# On the test set: f2 (3 Hz) alone, with the target as a line, the model's
# output as dots and S behind them; then one panel per frequency. First the
# corrected model (per stream), then the report's v1 model on the spec's data
# (frequency-major, as it was trained). Each graph shows the first 2 s of the
# 10 s stream, the start-up included, and each title gives two MSEs: over the
# 2 s shown and over all 10 s.

# %%
graph_rms = {}
for name, tag in ((CORRECTED, "corrected"), ("v1 (LR 1e-3, spec data)", "v1")):
    r = MODELS[name]
    test = build_dataset(r.config.data, split="test")
    pred = evaluate.predict(r.checkpoint_model, r.config, test)   # (4, 10000), the run's own protocol
    graph_rms[tag] = float(np.sqrt(np.mean(pred ** 2)))
    protocol = evaluate.native_protocol(r.config)
    plotting.save(nb05_figures.f2_graph(test, pred, name, protocol=protocol), f"05_f2_{tag}")
    plotting.save(nb05_figures.four_panels(test, pred, name, protocol=protocol), f"05_four_panels_{tag}")
    plt.show()
print(f"rms of the output: corrected {graph_rms['corrected']:.3f} (the targets: {np.sqrt(0.5):.3f}), v1 {graph_rms['v1']:.3f}")
assert graph_rms["v1"] < 0.2 < 0.6 < graph_rms["corrected"]

# %% [markdown]
# The corrected model's dots sit on the target lines. The v1 model's output stays
# close to zero (its rms is small, checked): the best a model can do when S says
# nothing is to predict the mean.
#
# ## 5 · MSE against phase noise
# One picture for the whole course. For `phase_scale` from 0 (no phase noise) to 1
# (the spec), we plot the test MSE the fitted FIR filter reaches (1,000 taps, ridge
# chosen on validation) and the corrected LSTM recipe (per stream) at several
# points. At 0.5, where the two come close, we train three seeds: one run is not
# enough to say which is better. The LSTM runs train side by side and are cached.

# %%
SCALES = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0]
LSTM_SCALES = [0.1, 0.25, 0.5, 1.0]
BAND_SCALE, BAND_SEEDS = 0.5, (0, 1, 2)
fir_err = {s: fir_at(s) for s in SCALES}
fir_curve = {s: float(e.mean()) for s, e in fir_err.items()}
fir_settled = {s: float(e[:, first_second:].mean()) for s, e in fir_err.items()}
lstm_cfgs = {(s, seed): corrected.with_overrides({"data.phase_scale": s}).replace(seed=seed)
             for s in LSTM_SCALES for seed in ((0,) if s != BAND_SCALE else BAND_SEEDS)}
lstm = dict(zip(lstm_cfgs, runs_for(list(lstm_cfgs.values()), "notebook 04 or 05")))
lstm_curve = {s: lstm[(s, 0)].metrics["test_mse"] for s in LSTM_SCALES}
lstm_band = [lstm[(BAND_SCALE, seed)].metrics["test_mse"] for seed in BAND_SEEDS]
display(tables.table({f"{s:g}": {"fitted FIR, whole test": f"{fir_curve[s]:.4f}", "fitted FIR, after 1 s": f"{fir_settled[s]:.4f}",
                      "corrected LSTM, seed 0 (per stream)": f"{lstm_curve[s]:.4f}" if s in lstm_curve else "—"}
                      for s in SCALES}, "phase_scale"))
print(f"corrected LSTM at {BAND_SCALE}, seeds {BAND_SEEDS}: " + ", ".join(f"{v:.4f}" for v in lstm_band))

# %%
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(SCALES, [fir_curve[s] for s in SCALES], "o-", color=plotting.OKABE_ITO[0],
        label=f"fitted FIR filter ({TAPS} taps), whole test set")
ax.plot(SCALES, [fir_settled[s] for s in SCALES], "o--", color=plotting.OKABE_ITO[5],
        label="the same filter, after the first second")
ax.plot(LSTM_SCALES, [lstm_curve[s] for s in LSTM_SCALES], "s", ms=7, color=plotting.OKABE_ITO[3],
        label="corrected LSTM, seed 0 (30 epochs, per stream)")
ax.vlines(BAND_SCALE, min(lstm_band), max(lstm_band), color=plotting.OKABE_ITO[3], lw=3, alpha=0.6,
          label=f"LSTM at {BAND_SCALE}: min–max over seeds {BAND_SEEDS[0]}–{BAND_SEEDS[-1]}")
ax.axhline(0.5, color="k", ls=":", label="predict-zero")
ax.axvline(1.0, color=plotting.GREY, lw=6, alpha=0.3, label="the spec (phase_scale 1.0)")
ax.axvline(LEARNABLE_PHASE_SCALE, color=plotting.OKABE_ITO[2], lw=1, label="learnable profile (0.1)")
ax.set(xlabel="phase_scale  (φ ~ U(0, phase_scale·2π), per sample)", ylabel="test MSE (log)", yscale="log",
       title="What is learnable depends on the phase noise")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
plotting.save(fig, "05_mse_vs_phase_noise")
plt.show()
assert abs(fir_curve[1.0] - 0.5) < 0.02 and fir_curve[0.1] < 0.01
assert lstm_curve[1.0] > 0.48 and lstm_curve[0.1] < 0.01
assert all(fir_curve[s] < fir_curve[t] for s, t in ((0.25, 0.5), (0.5, 0.75), (0.75, 1.0)))

# %%
ratios = np.array(lstm_band) / fir_curve[BAND_SCALE]
wins = int(np.sum(ratios < 1))
verdict = ("beats the filter on every seed" if wins == len(ratios) else
           "loses to the filter on every seed" if wins == 0 else
           f"beats the filter on {wins} of {len(ratios)} seeds: the sign of the comparison depends on the run")
display(Markdown(f"At phase_scale {BAND_SCALE}: LSTM/filter test-MSE ratio {ratios.min():.2f}–{ratios.max():.2f} "
                 f"over seeds {BAND_SEEDS}. Here the LSTM **{verdict}**."))

# %% [markdown]
# From 0.25 upwards the error rises steeply with the phase noise (checked above), up
# to the baseline at s = 1, because the coherent part of each sine shrinks as
# |sin(πs)/(πs)| (notebook 01). Below 0.25 the whole-test curve is flat or even
# dips at 0.1; section 3 showed why: the first second decides it, and after the
# first second (dashed) less noise is better.
#
# The filter is the best *linear* read-out of one second of S, not the best
# possible model. At 0.5 the nonlinear LSTM lands in the filter's neighbourhood,
# and the verdict above says on which side, over three seeds on this machine. The
# course does not assert a winner: with the earlier recipe (a constant forget
# bias), the same seed beat the filter here on one CPU and lost to it on another.
# The spec sits exactly where nothing can be learned. The report tuned the
# learning rate at the one point on this axis where no setting could help.

# %% [markdown]
# ## 6 · A test that counting time cannot pass
# Train and test share the same time grid (t = 0 … 9.999 s) and the same targets.
# A model could score well by generating sin(2πft) from its own step count and
# ignoring S. To expose that, we evaluate on a test set (noise seed 2) whose clock
# starts at t0 instead of 0, with the targets shifted to match. The first 1.0 s of
# each stream is not scored: a fair model needs some history first. The usual test
# is scored with the **same** warm-up mask, so that the two differ only in the clock.
#
# The first control is a **clock**: a model that outputs sin(2πf·n/fs) from its own
# step count n and never looks at S. Not every t0 exposes it.
#
# **Predict, then run.** Three candidate starts: t0 = 2.5 s, 3.7 s and 4.0 s. On
# exactly one of them the clock still passes (MSE below 0.01). Which one? Write
# your prediction in the next cell before you run the one after it.

# %%
my_prediction = None  # one of 2.5, 3.7, 4.0

# %%
WARMUP, CANDIDATES = 1.0, (2.5, 3.7, 4.0)

def clock_scores(cfg, t0):
    """A perfect time-counter on the clock that starts at t0, scored by your 05.1: it outputs sin(2*pi*f*n/fs)."""
    ds = metrics.shifted_test_set(cfg.data, t0)
    keep = metrics.warmup_mask(ds, WARMUP)
    own_clock = np.sin(2 * np.pi * np.asarray(cfg.data.frequencies)[:, None] * np.arange(ds.n_samples) / cfg.data.fs)
    per = PER_FREQ(own_clock[:, keep], ds.targets[:, keep], cfg.data.frequencies)
    return {"mse": float(np.mean(list(per.values()))), "per_frequency": per}

clock = {t0: clock_scores(corrected, t0) for t0 in (0.0,) + CANDIDATES}
display(nb05.mse_table({f"t0 = {t0:g} s": c["per_frequency"] for t0, c in clock.items()}, FREQS,
                       f"the clock's MSE (first {WARMUP:g} s unscored)"))
passing = [t0 for t0 in CANDIDATES if clock[t0]["mse"] < 0.01]
assert passing == [4.0], "the clock passes at a whole second, and only there"
assert all(abs(v - 2) < 1e-6 for v in clock[2.5]["per_frequency"].values()), "half a cycle off at every frequency"
print(predict.compare(my_prediction, passing[0], CANDIDATES))

# %% [markdown]
# At a whole second nothing moves: every frequency is a whole number of hertz, so
# every period 1/f divides 1 s, and sin(2πf(t + 4)) = sin(2πft). The "shifted"
# test is the usual test again, and the clock passes it. At 2.5 s every odd
# frequency is exactly half a cycle off, the clock outputs −target, and it scores
# 2 at every frequency (checked), the most any shift can cost: a test any
# time-counter fails, but only because 1, 3, 5 and 7 happen to be all odd. The
# course uses t0 = 3.7 s, which is special for none of them: it leaves each
# frequency a different part of a cycle off (0.7 of a cycle at 1 Hz, 0.1 at 3 Hz),
# and the table shows what the clock scores there, frequency by frequency. The
# optional experiment after exercise 5.3 asks which t0 is strongest.
#
# The second control is an **input-blind** LSTM: the corrected recipe trained with
# S = 0 everywhere, which could only learn to count time.
#
# ### Exercise 5.2 · The shifted-time test
# Write `shifted_test(model, cfg, t0, warmup)`: build the test split (noise seed 2)
# on a clock that starts at `t0` seconds, with the targets shifted to match; predict
# it with the frozen model, each stream from a zero state; and score only samples at
# least `warmup` seconds after the start. Return `{"mse": ..., "per_frequency":
# {"1": ..., ...}}`. The check compares with `evaluate.shifted_metrics`, which is what
# `python -m freqlstm_helpers eval --time-offset` writes to `metrics_offset.json`.
# Your function scores the models in the table after the check.

# %% nbgrader={"grade": false, "grade_id": "ex05_2_solution", "locked": false, "schema_version": 3, "solution": true}
# Exercise 05.2
def shifted_test(model, cfg, t0, warmup):
    """Test MSE (overall and per frequency) on a clock starting at t0, the first `warmup` s unscored."""
    # Hint: build_dataset takes a time_offset; evaluate.predict gives (K, N) frozen predictions; ds.t is the clock.
    ### BEGIN SOLUTION
    ds = build_dataset(cfg.data, split="test", time_offset=t0)
    pred = evaluate.predict(model, cfg, ds)
    keep = (ds.t - ds.t[0]) >= warmup - 1e-12
    err = (pred[:, keep] - ds.targets[:, keep]) ** 2
    return {"mse": float(err.mean()),
            "per_frequency": {f"{f:g}": float(err[k].mean()) for k, f in enumerate(cfg.data.frequencies)}}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex05_2", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# Test 05.2 (3 points). The self-check: PASSED, FAILED (it raises) or NOT DONE (it lets Run All go on).
# The grader tests your function on fresh inputs of its own, in a sandbox.
check.shifted_test(shifted_test)

# %%
T0 = 3.7
SHIFTED = nb05.Source("05.2", shifted_test, nb05.course_shifted_test, "the shifted test")
blind = runs_for([corrected.with_overrides({"input_blind": True})], "notebook 05")[0]
shift = {name: (SHIFTED(r.checkpoint_model, r.config, 0.0, WARMUP), SHIFTED(r.checkpoint_model, r.config, T0, WARMUP))
         for name, r in ((CORRECTED, MODELS[CORRECTED]), ("input-blind (S = 0), same recipe", blind))}
shift["clock: sin(2πf·n/fs), ignores S"] = (clock[0.0], clock[T0])
COLS = (f"usual test MSE (first {WARMUP:g} s unscored)", f"shifted test MSE (t0 = {T0} s, first {WARMUP:g} s unscored)",
        "worst frequency, shifted")
table = {name: dict(zip(COLS, (u["mse"], m["mse"], max(m["per_frequency"].values())))) for name, (u, m) in shift.items()}
display(tables.table({name: {k: f"{v:.4f}" for k, v in row.items()} for name, row in table.items()}, "model"))
if SHIFTED.mine:
    print("the LSTM rows scored by your shifted_test (t0 = 0: the usual test)")
(corr_usual, corr_moved), (blind_usual, blind_moved), (clock_usual, clock_moved) = shift.values()
assert corr_moved["mse"] < 0.02, "the corrected model reads S, so a shifted clock should not matter"
assert clock_usual["mse"] < 1e-9 and clock_moved["mse"] > 0.3, "a pure time-counter aces the usual test and fails this one"
assert blind_moved["mse"] > 0.3, "a model that cannot see S must fail the shifted test"

# %% [markdown]
# ### Exercise 5.3 · A verdict from two numbers
# Write `classify_model(usual, shifted)` that turns a model's usual and shifted
# test MSE into one of four verdicts:
# - `"learned nothing"`: the usual test is near the predict-zero baseline;
# - `"extracts"`: good on both tests;
# - `"counts time"`: good on the usual test, failed on the shifted one;
# - `"unclear"`: anything else (a middling usual score, or a shifted score between
#   good and failed).
#
# **The thresholds are your decision.** Choose them from the numbers in front of
# you: predict-zero scores 0.5, the course's target for a good model is 0.01 per
# frequency, and the table above shows what a model that reads S, a clock and a
# blind LSTM score. The self-check and the grader only use pairs of numbers that
# sensible thresholds classify alike: 0.5 is near the baseline, 0.003 is good, 0.2
# is neither.

# %% nbgrader={"grade": false, "grade_id": "ex05_3_solution", "locked": false, "schema_version": 3, "solution": true}
# Exercise 05.3
def classify_model(usual, shifted):
    """'extracts', 'counts time', 'learned nothing' or 'unclear'."""
    # Hint: check the baseline case first; the order of your tests matters.
    ### BEGIN SOLUTION
    # Read off the tables: predict-zero is 0.5, a model that reads S scores a few thousandths,
    # a clock on a moved time axis scores near 1. Near the baseline: above 0.4. Good: below 0.05.
    # Failed: above 0.3, more than half the way from good to the baseline.
    if usual > 0.4:
        return "learned nothing"
    if usual < 0.05 and shifted < 0.05:
        return "extracts"
    if usual < 0.05 and shifted > 0.3:
        return "counts time"
    return "unclear"
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex05_3", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Test 05.3 (1 point). The self-check: PASSED, FAILED (it raises) or NOT DONE (it lets Run All go on).
# The grader tests your function on fresh inputs of its own, in a sandbox.
check.classify_model(classify_model)

# %% [markdown]
# **Predict, then run.** The input-blind LSTM was trained with S = 0, so the only
# thing it could have learned is to count time. Which verdict will *your*
# `classify_model`, with your thresholds, give it? Write it down, then run.

# %%
my_prediction = None  # one of "extracts", "counts time", "learned nothing", "unclear"

# %%
VERDICT = nb05.Source("05.3", classify_model, nb05.course_verdict, "each verdict")
VERDICTS = ("extracts", "counts time", "learned nothing", "unclear")
verdicts = {name: VERDICT(row[COLS[0]], row[COLS[1]]) for name, row in table.items()}
display(tables.table({name: {**{c: f"{row[c]:.4f}" for c in COLS[:2]}, "verdict": verdicts[name]}
                      for name, row in table.items()}, f"model (verdicts by {'your' if VERDICT.mine else 'the course' + chr(39) + 's'} thresholds)"))
print(predict.compare(my_prediction, verdicts["input-blind (S = 0), same recipe"], VERDICTS))
# What the prose below says holds for any thresholds the checks accept (good <= 0.008, near the baseline >= 0.45):
assert corr_usual["mse"] <= 0.008 and corr_moved["mse"] <= 0.008, "extracts"
assert blind_usual["mse"] >= 0.45, "learned nothing"
assert clock_usual["mse"] <= 0.008 and clock_moved["mse"] >= 0.45, "counts time"

# %% [markdown]
# The corrected model extracts just as well on the shifted clock: it reads S.
# The clock scores a perfect 0 on the assignment's usual test set, which shows
# that the usual test cannot tell counting from extracting. On the shifted test it
# fails. The input-blind LSTM did not even learn to count: its usual test score is
# at the baseline (checked), so both tests agree that it learned nothing, and a
# prediction of "counts time" confuses what a model *could* learn with what it
# did. The same check is on the command line:
# `python -m freqlstm_helpers eval --run DIR --time-offset 3.7 --warmup 1.0`
# writes `metrics_offset.json` into the run folder.
#
# ### Optional experiment · the strongest t0
# *Optional, not graded by the autograder; your instructor may discuss it.* At
# 3.7 s the clock is only 0.1 of a cycle off at 3 Hz. Which t0 would make the
# test hardest for a clock at **every** frequency? The cell below scores the clock
# on a grid of t0 (your 5.1), picks the t0 whose easiest frequency the clock still
# fails worst, and scores the corrected model there with your 5.2. Change the grid
# or the rule, predict what happens, run it. Can you say, from the periods alone,
# where the best t0 lies and how large the clock's error there can be?

# %%
T0_GRID = np.round(np.arange(0.0, 1.0001, 0.01), 2)   # seconds (the pattern repeats every second); try others
clock_grid = np.array([[clock_scores(corrected, t0)["per_frequency"][k] for k in FREQS] for t0 in T0_GRID])
PICK = float(T0_GRID[np.argmax(clock_grid.min(axis=1))])  # the rule: maximise the clock's smallest error
picked = SHIFTED(MODELS[CORRECTED].checkpoint_model, corrected, PICK, WARMUP)
fig, ax = plt.subplots(figsize=(9, 3.4))
for j, k in enumerate(FREQS):
    ax.plot(T0_GRID, clock_grid[:, j], color=plotting.freq_color(float(k)), lw=1.2, label=f"{k} Hz")
ax.plot(T0_GRID, clock_grid.min(axis=1), color="k", lw=2.5, alpha=0.35, label="smallest of the four")
ax.axvline(PICK, color="k", ls=":", lw=1, label=f"picked t0 = {PICK:g} s")
ax.set(xlabel="t0 (s)", ylabel="the clock's shifted-test MSE", title="How hard is the shifted test for a clock?")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
plt.show()
print(f"t0 = {PICK:g} s: the clock scores at least {clock_grid.min(axis=1).max():.3f} at every frequency; "
      f"the corrected model {picked['mse']:.4f}")

# %% [markdown]
# ## 7 · Where is the corrected model wrong?
# Its squared error over time (a 100 ms moving mean), on the test set, under both
# protocols: per stream, each from a zero state at t = 0, one small panel per
# frequency (the dashed line is that frequency's mean after the first second); and
# frequency-major, all 40,000 rows in order with the state carried across the
# block boundaries.

# %%
r = MODELS[CORRECTED]
test = build_dataset(r.config.data, split="test")
pred = evaluate.predict(r.checkpoint_model, r.config, test, "per-stream")
fm_err = ((evaluate.predict(r.checkpoint_model, r.config, test, "frequency-major") - test.targets) ** 2).reshape(-1)

# %%
fig = nb05_figures.error_over_time(test, (pred - test.targets) ** 2, fm_err, smooth=100, settled_from=1.0)
plotting.save(fig, "05_error_over_time")
plt.show()

# %%
startup = float(np.mean((pred[:, :500] - test.targets[:, :500]) ** 2))
settled = float(np.mean((pred[:, 1000:] - test.targets[:, 1000:]) ** 2))
after_boundary = float(np.mean([fm_err[b * test.n_samples: b * test.n_samples + 300].mean() for b in (1, 2, 3)]))
per_stream = float(np.mean((pred - test.targets) ** 2))
print(f"first 0.5 s of each stream: MSE {startup:.4f}; after 1 s: {settled:.4f}")
settled_k = {f"{f:g} Hz": float(np.mean((pred[k, 1000:] - test.targets[k, 1000:]) ** 2))
             for k, f in enumerate(test.config.frequencies)}
print("after 1 s, per frequency: " + ", ".join(f"{k} {v:.4f}" for k, v in settled_k.items()))
print(f"frequency-major rows: first 0.3 s after each block boundary {after_boundary:.4f}; "
      f"overall {fm_err.mean():.4f} (per-stream evaluation: {per_stream:.4f})")
assert after_boundary > 3 * per_stream, "a carried state from the previous block should cost accuracy"

# %%
display(Markdown(
    f"In this run the first half-second of each stream has an error {startup / settled:.1f} times the error "
    f"after the first second; after that, the easiest frequency is {min(settled_k, key=settled_k.get)} and the "
    f"hardest {max(settled_k, key=settled_k.get)}. The ratio varies from seed to seed and from CPU to CPU, so "
    f"the course states it for this run only; section 2 checked, over three seeds, only that after the first "
    f"second 7 Hz costs at least twice what 1 Hz costs."))

# %% [markdown]
# Read the left panels with that in mind: a stream starts from a zero state and
# must first fill it with S's recent history, and what remains afterwards is a
# small error that rises and falls with the target's own cycle.
#
# The right panel shows the report's row order. After each block boundary the
# carried state still holds the previous frequency's stream, and the error there
# is several times the per-stream error (checked above). That is why the
# frequency-major numbers of section 2 are higher, and why the course's target
# names its protocol: per stream.
#
# ## 8 · Explore
# Pick a model, a frequency and a time window. The plot updates live in JupyterLab.
# Headless runs draw it once with the defaults.

# %%
def explore_model(model="corrected (phase_scale 0.1)", frequency=3.0, start=0.0, width=1.0):
    r = MODELS[model]
    ds = build_dataset(r.config.data, split="test")
    p = evaluate.predict(r.checkpoint_model, r.config, ds)
    k = ds.config.frequencies.index(frequency)
    sl = (ds.t >= start) & (ds.t < start + width)
    err = float(np.mean((p[k, sl] - ds.targets[k, sl]) ** 2))
    fig, ax = plt.subplots(figsize=(10, 3.2))
    ax.plot(ds.t[sl], ds.S[sl], color=plotting.GREY, lw=0.6, alpha=0.6, label="S(t)")
    ax.plot(ds.t[sl], ds.targets[k, sl], color="k", lw=1.5, label="target")
    ax.plot(ds.t[sl], p[k, sl], ".", ms=3, color=plotting.freq_color(frequency), label="output")
    ax.set(xlabel="time t (s)", ylabel="amplitude", ylim=(-1.8, 1.8),
           title=f"{model}, {frequency:g} Hz, {start:.1f}–{start + width:.1f} s: MSE {err:.4f}")
    ax.legend(loc="upper right", fontsize=8)
    plt.show()
    return err

explored = widgets.explore(
    explore_model,
    model=W.Dropdown(options=list(MODELS), value="corrected (phase_scale 0.1)", description="model"),
    frequency=W.Dropdown(options=[1.0, 3.0, 5.0, 7.0], value=3.0, description="f (Hz)"),
    start=W.FloatSlider(value=0.0, min=0.0, max=9.0, step=0.1, description="start (s)"),
    width=W.FloatSlider(value=1.0, min=0.1, max=3.0, step=0.1, description="width (s)"),
)

# %% [markdown]
# ## Summary

# %%
c, cfm = overall[(CORRECTED, "per-stream")], overall[(CORRECTED, "frequency-major")]
print(f"- v1 and v2 (spec data): test MSE {overall[('v1 (LR 1e-3, spec data)', 'frequency-major')]['test_mse']:.4f} and "
      f"{overall[('v2 prescribed (LR 1e-4, spec data)', 'frequency-major')]['test_mse']:.4f}; the fitted FIR filter on the "
      f"same data {fir_test['spec']['mse']:.4f} (plain least squares: {plain_mse['test'].mean():.4f}): nothing is learnable there.")
print(f"- corrected (phase_scale 0.1), per stream: test MSE {c['test_mse']:.4f}, worst frequency "
      f"{max(c['test_mse_per_frequency'].values()):.4f}, ratio {c['ratio']:.2f}; frequency-major, state carried: "
      f"{cfm['test_mse']:.4f}, worst {max(cfm['test_mse_per_frequency'].values()):.4f}; fitted FIR {fir_test['learnable']['mse']:.4f}.")
print(f"- memory: a linear filter needs about {all_enough} samples of S for every frequency to reach 0.01 on validation.")
print(f"- shifted clock (t0 = {T0} s): corrected {corr_moved['mse']:.4f}; a pure time-counter "
      f"{clock_moved['mse']:.4f} (usual test, same mask, {clock_usual['mse']:.4f}); input-blind LSTM {blind_moved['mse']:.4f}.")
print(f"- phase noise: filter {fir_curve[0.1]:.4f} at 0.1, {fir_curve[0.5]:.4f} at 0.5, {fir_curve[1.0]:.4f} at 1.0; "
      f"the LSTM at 0.5 over seeds {BAND_SEEDS}: {min(lstm_band):.4f}–{max(lstm_band):.4f} ({verdict}).")
SOURCES = {src.exercise: src.mine for src in (PER_FREQ, LAGGED, SHIFTED, VERDICT)}  # whose code made the results
print("- made by: " + nb05.sources_line([PER_FREQ, LAGGED, SHIFTED, VERDICT]))

# %% [markdown]
# **The end.** A rising loss curve was blamed on the learning rate. The
# measurements said something else: the specified data carried no signal, and the
# "loss" measured the optimiser chasing the target. The questions that found this
# were simple. Does the input contain the answer? What does the frozen model score?
# What does a blind control score? What does the best simple baseline reach? Ask
# them before you tune anything.
