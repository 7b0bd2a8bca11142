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
# # 04 · The corrected 30-epoch run: does the prescribed fix work? What does?
#
# The diagnostic report prescribed a fix (its `config_v2`): LR 1e-4, 30 epochs,
# early stopping (patience 10, min_delta 0.001), a target stop at 0.005,
# divergence detection, clipping at 1.0 and gradient-norm logging. It predicted
# a loss below 0.2 by epoch 5, below 0.05 by epoch 15 and below 0.01 by epoch 25,
# with train MSE 0.001–0.01 and test MSE 0.002–0.015. Part A runs the
# prescription exactly and checks each prediction. Part B builds a correction the
# way the course teaches: one change at a time, over seeds, judged on a
# validation set. Part C scores the chosen recipe on the test set, once.
#
# **What you will learn**
# 1. To check a predicted timeline against a measured one, with verdicts computed
#    from the numbers.
# 2. Why a fix must target the cause. No optimiser setting creates information
#    that the input does not carry.
# 3. An ablation ladder: add one ingredient per rung, and the reverse, remove one
#    ingredient from the final recipe (leave-one-out), each over three seeds at the
#    same budget.
# 4. To call an effect only when the seed bands do not overlap, to weigh its size
#    against the seed spread, to make every choice on validation data, and to look
#    at the test set once, at the end.
# 5. To train the chosen recipe with **your own** truncated-BPTT window (exercise
#    4.2) and check that your run lands in the course's seed band.
#
# **Estimated time:** 60 minutes. Part A uses the compiled L=1 engine; Part B
# trains about forty short runs of the stream trainer side by side on all cores;
# Part C trains one run with your window function (about 15 s of CPU). All are
# cached under `runs/`.
#
# **The case:** [the diagnostic report in brief](../docs/the_case.md) ·
# **Terms:** [glossary](../docs/glossary.md) ·
# **Previous:** [03 · divergence at LR 1e-3](03_divergence_at_lr_1e-3.ipynb) ·
# **Next:** [05 · per-frequency evaluation](05_per_frequency_evaluation.ipynb)

# %% [markdown]
# ## Setup

# %%
import textwrap

import numpy as np
import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display

from freqlstm_helpers import SignalConfig, build_dataset, predict_zero_mse, LEARNABLE_PHASE_SCALE
from freqlstm_helpers import evaluate, ladder, paths, plotting, robustness, runs, spectrum, stream_trainer, tables, trainer
from freqlstm_helpers.teaching.checks import check04 as check
from freqlstm_helpers.config import load_config
from freqlstm_helpers.teaching import fallback, nb04, predict

plotting.use_course_style()
torch.set_num_threads(1)
PROGRESS = not paths.headless()
print(robustness.describe_machine())  # results depend on it in the last digits: see "Same seed, another CPU"

v2 = load_config(paths.configs_dir() / "v2_lr1e-4.yaml").replace(engine="fused")
spec_train, spec_test = trainer.datasets(v2)
BASELINE = predict_zero_mse(spec_test)
print(f"{v2.name}: LR {v2.optimizer.learning_rate:g}, up to {v2.training.num_epochs} epochs, "
      f"early stopping patience {v2.early_stopping.patience} / min_delta {v2.early_stopping.min_delta}, "
      f"target stop {v2.target_stop.threshold}, divergence factor {v2.divergence.factor}, clip {v2.training.clip_grad_norm}")

# %% [markdown]
# # Part A · The prescription, exactly
# Every mechanism the report asks for is switched on. The trainer records which
# one ended the run. We also freeze the weights after every epoch and score train
# and test, which the report did not do.

# %%
presc = runs.cached_train(v2, eval_every_epoch=True, progress=PROGRESS)
print(f"stopped by: {presc.stopped_by} after {presc.epochs_run} epochs "
      f"(best online epoch {presc.best_epoch}); seconds per epoch {np.median(presc.seconds):.2f}")
print(f"gradient norm (mean of logged rows) per epoch: "
      + " ".join(f"{np.mean(g):.2f}" for g in presc.grad_norms[:10]) + (" ..." if presc.epochs_run > 10 else ""))

# %% [markdown]
# The early stopping watches the online loss, as prescribed. To see the whole
# predicted timeline we also run the same configuration with every stopping rule
# switched off, so that all 30 epochs run.

# %%
v2_full = v2.with_overrides({"early_stopping.enabled": False, "target_stop.enabled": False,
                             "divergence.enabled": False})
full = runs.cached_train(v2_full, eval_every_epoch=True, progress=PROGRESS)

PREDICTED = {5: 0.2, 15: 0.05, 25: 0.01}   # the report's predicted loss ceilings
display(nb04.timeline_table(full, presc, PREDICTED))

# %%
ep = np.arange(1, full.epochs_run + 1)
fig, (ax, zoom) = plt.subplots(1, 2, figsize=(13, 4), gridspec_kw={"width_ratios": [1, 1.3]})
ax.step([1, 5, 15, 25, 30], [0.5, 0.2, 0.05, 0.01, 0.01], where="post", color=plotting.GREY, lw=2.5,
        label="report's predicted ceiling")
ax.plot(ep, full.epoch_losses, "o-", ms=3, color=plotting.OKABE_ITO[0], label="online loss")
ax.plot(ep, full.frozen_test_mse, "x", ms=5, color=plotting.OKABE_ITO[3], label="frozen test MSE")
ax.set(xlabel="epoch", ylabel="MSE (log scale)", yscale="log", ylim=(5e-3, 1), title="Measured against the predicted timeline")
ax.legend(fontsize=8, loc="lower left")
zoom.axhline(BASELINE, color="k", lw=0.8, alpha=0.5, label=f"predict-zero baseline ({BASELINE:.3f})")
zoom.plot(ep, full.epoch_losses, "o-", ms=4, color=plotting.OKABE_ITO[0], label="online loss (the rows it trains on)")
zoom.plot(ep, full.frozen_train_mse, "s", ms=7, mfc="none", color=plotting.OKABE_ITO[2], label="frozen train MSE")
zoom.plot(ep, full.frozen_test_mse, "x", ms=6, color=plotting.OKABE_ITO[3], label="frozen test MSE (same as train)")
zoom.axvline(presc.epochs_run, color="k", ls=":", lw=1, label=f"prescribed run stops ({presc.stopped_by})")
low = min(full.epoch_losses.min(), full.frozen_test_mse.min())
zoom.set(xlabel="epoch", ylabel="MSE (linear)", ylim=(low - 0.03, BASELINE + 0.03),
         title="The same curves, zoomed: the frozen error never leaves 0.5")
zoom.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
plotting.save(fig, "04_prescribed_timeline")
plt.show()

# %%
final_train, final_test = float(full.frozen_train_mse[-1]), float(full.frozen_test_mse[-1])
reaches_target = final_test < 0.01
beats_baseline = final_test < BASELINE - 0.01
spec_has_signal = not spectrum.fft_verdict(spec_train)["none_present"]
print(f"after {full.epochs_run} epochs: frozen train {final_train:.4f}, test {final_test:.4f} "
      f"(report predicted train 0.001–0.01, test 0.002–0.015)")
print(f"reaches MSE < 0.01: {reaches_target};  beats the 0.5 baseline: {beats_baseline}")
print(f"notebook 01's FFT check, run here on the same data: peaks present = {spec_has_signal}, "
      f"so no model that reads only S can beat the baseline, whatever its optimiser")
assert not reaches_target and not beats_baseline
assert np.all(np.abs(full.frozen_test_mse - 0.5) < 0.01)

# %% [markdown]
# The prescription fails every prediction. The learning rate was never the
# problem: the input carries no information about the targets, so the frozen error
# of a model that reads S stays at the predict-zero baseline whatever the optimiser
# does. (A model that ignores S and counts time could still score well, because
# train and test share the time grid. Notebook 05 builds a test that exposes it.) Early stopping
# also watched the wrong number. It stopped on the online loss, which measures
# chasing (notebook 03), not learning.
#
# **Think!** The report's decision tree says: if the loss plateaus between 0.05 and
# 0.2, raise the LR to 3e-4; if it stays above 0.2, stop tuning and debug, by
# checking the data and the implementation. Where on that tree does this run land,
# and which branch should have been taken first?
#
# <details class="answer"><summary>Click for an answer</summary>
#
# Every epoch's online loss stays above 0.2 and the frozen error sits at 0.5
# (both in the table above), so the run lands on the "debug" branch, the one the
# report's own tree sends a loss above 0.2 to. That branch should have come first,
# before any learning-rate change. Checking the data is what it asks for: notebook
# 01's spectrum of S shows no peak at the four frequencies and no correlation with
# any target (the cell above repeats the FFT check on this run's data), and
# notebook 05 fits the best linear filter from S to each target, which does no
# better than predicting zero on this noise.
#
# </details>

# %% [markdown]
# # Part B · The ablation ladder, on validation only
# A correction has several ingredients. To know which of them matters, we change
# **one thing per rung**, from the report's regime up to the final recipe
# (`configs/corrected.yaml`), and then go back down the other way: the final
# recipe with **one ingredient removed** (leave-one-out). The rules:
#
# - every rung runs **three model seeds** at the **same budget** as the recipe
#   (its 30 epochs, its early stopping on validation), on informative data
#   (`phase_scale` 0.1, φ ~ U(0, 0.2π));
# - every rung is scored by its **per-stream frozen validation MSE** (noise seed 3)
#   at the epoch its validation MSE selects (the recipe's rule, given to every
#   rung), per frequency. The test set (seed 2) is not read in Part B at all;
# - a rung is **lower** or **higher** than another only when their seed bands
#   (min–max over the seeds) do not overlap; otherwise the notebook says
#   **"no difference measured"**;
# - the recipe keeps a setting unless validation shows an alternative lower. Where
#   no difference is measured, it keeps what it had, and says that this setting is
#   a convenience, not a finding.
#
# The architecture stays the report's throughout: one layer, hidden 64.
#
# ## Step 1 · Informative data, in the report's regime (rung 1)
# Only `data.phase_scale` changes, and the run gets the recipe's 30 epochs: the
# same L=1 trainer, rows frequency-major, LR 1e-3. The trainer records the frozen
# validation MSE (per stream) after every epoch, so validation can select the
# epoch, as for every other rung.

# %%
corrected = load_config(paths.configs_dir() / "corrected.yaml")
BUDGET, SEEDS = corrected.training.num_epochs, (0, 1, 2)
v1 = load_config(paths.configs_dir() / "v1_lr1e-3.yaml").replace(engine="fused")
rung1_cfg = v1.with_overrides({"data.phase_scale": corrected.data.phase_scale, "training.num_epochs": BUDGET})
rung1 = runs.cached_train_many([rung1_cfg.replace(seed=s) for s in SEEDS], eval_every_epoch=True, progress=PROGRESS)
bands = {"1 · L=1, the report's regime": ladder.band(rung1)}
b1 = bands["1 · L=1, the report's regime"]
print(f"rung 1, per-stream validation MSE at the selected epoch: {tables.band(b1['overall'])} "
      f"(worst frequency {tables.band(b1['worst'])}); predict-zero scores 0.5")
assert b1["overall"].max() < 0.49, "with information in S, the frozen error should leave the baseline"
assert b1["overall"].min() > 0.05, "but one-step L=1 training should stay far from extracting"

# %% [markdown]
# With information in the input, the frozen error finally moves below 0.5 on every
# seed. It is still far from extracting anything (both checked).
#
# ## Step 2 · The right metric
# The report's early stopping watches the online loss, which notebook 03 showed
# measures the optimiser chasing the targets row by row, not learning. The
# alternative is the frozen validation MSE (noise seed 3): the weights fixed, a
# fresh noise draw. First write the rule itself; then you will apply it to rung 1's
# runs and see which epoch each metric would keep.
#
# ### Exercise 4.1 · Early stopping, written out
# Write `early_stop_epoch(history, patience, min_delta)`: given the per-epoch
# validation MSEs, return the 1-based epoch at which patience-based early stopping
# ends the run, or `None` if it never fires. An epoch improves only if it beats
# the best so far by more than `min_delta`.

# %% nbgrader={"grade": false, "grade_id": "ex04_1_solution", "locked": false, "schema_version": 3, "solution": true}
# Exercise 04.1
def early_stop_epoch(history, patience, min_delta):
    """1-based epoch at which training stops, or None."""
    # Hint: keep the best value and a counter of epochs since the last real improvement.
    ### BEGIN SOLUTION
    best, waited = float("inf"), 0
    for epoch, value in enumerate(history, start=1):
        if value < best - min_delta:
            best, waited = value, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch
    return None
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04_1", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Test 04.1 (1 point). The self-check: PASSED, FAILED (it raises) or NOT DONE (it lets Run All go on).
# The grader tests your function on fresh inputs of its own, in a sandbox.
check.early_stop_epoch(early_stop_epoch)

# %% [markdown]
# **Predict, then run.** Rung 1's three runs trained for all 30 epochs, recording
# both numbers after every epoch. Apply the recipe's rule (patience 10, min_delta
# 1e-4) to each run's validation curve with your `early_stop_epoch`, and keep the
# epoch with the lowest validation MSE up to the stop. Is the epoch kept this way
# *earlier* than, *the same* as, or *later* than the epoch with the lowest online
# loss? Write your prediction before you run the cell after it.

# %%
my_prediction = None  # one of "earlier", "the same", "later", "depends on the seed"

# %%
es = corrected.early_stopping
stops = fallback.mine_or_course(
    "04.1", lambda: [early_stop_epoch(list(r.frozen_val_mse), es.patience, es.min_delta) for r in rung1],
    lambda: [nb04.course_early_stop_epoch(r.frozen_val_mse, es.patience, es.min_delta) for r in rung1],
    "the stopping epochs")
rows, sides = {}, []
for seed, r, stop in zip(SEEDS, rung1, stops.value):
    val = r.frozen_val_mse[:stop or len(r.frozen_val_mse)]
    kept, online = int(np.argmin(val)) + 1, int(np.argmin(r.epoch_losses)) + 1
    sides.append("earlier" if kept < online else "later" if kept > online else "the same")
    rows[f"seed {seed}"] = {"stops at epoch": stop or "never", "keeps epoch": kept,
                         "its validation MSE": f"{val[kept - 1]:.4f}", "lowest online loss at epoch": online,
                         "validation MSE there": f"{r.frozen_val_mse[online - 1]:.4f}"}
display(tables.table(rows, f"rung 1 ({stops.source})"))
verdict_es = sides[0] if len(set(sides)) == 1 else "depends on the seed"
predict.compare(my_prediction, verdict_es, ("earlier", "the same", "later", "depends on the seed"))

# %% [markdown]
# The table says where the two metrics part on these runs, and by how much the
# validation MSE differs at the two epochs. From here on, every run keeps the
# epoch with the lowest **frozen validation MSE** (seed 3) and stops early on it
# by this rule. This is also the report's own mitigation for
# overfitting (early stopping on validation loss), which its prescribed
# configuration did not use.

# %% [markdown]
# ## Step 3 · Parallel streams and truncated BPTT: the stream trainer
# The stream trainer (`freqlstm_helpers.stream_trainer`) still steps one sample at
# a time and carries the state across all 10,000 samples. The four frequencies run
# side by side as a batch of four streams. Every `stride` samples it takes one
# optimiser step on those samples' loss, with the gradient flowing back through
# the last `window` samples: truncated BPTT. The state is detached at each window
# boundary, exactly as in notebook 02, but a window can hold many steps instead of
# one. With window 1 it is notebook 02's one-step gradient again, state carried.
#
# ### Exercise 4.2 · Truncated BPTT: where the windows fall, and one window
# Two functions, one cell. First, `tbptt_windows(n, k)` returns the
# `(start, stop)` pairs that split `n` steps into consecutive windows of `k`:
# no step lost or repeated. The ladder below counts optimiser steps per epoch with it.
#
# Then the heart of the stream trainer, one window:
# `window_step(model, optimizer, x_win, y_scored, state, max_norm)`:
# - `x_win` has shape (W, 4, 5): W samples of the four streams, run from the
#   carried `state` (a pair (h, c), each (4, 64));
# - only the last `len(y_scored)` outputs are scored (shape (len(y_scored), 4));
# - one optimiser step on their mean squared error, gradients clipped to `max_norm`;
# - return `(loss, new_state)`: the loss as a float, and the state the next
#   window will start from. What must be true of that state, so that the next
#   window's backward pass stops at its own start?
#
# The self-check drives your `window_step` through the trainer's own bookkeeping
# for the first six windows of `corrected.yaml` and compares every loss and, at
# the end, every weight with the trainer's. Then it does real work: in Part C
# your function trains the chosen recipe, and that run is the model this notebook
# scores in detail.

# %% nbgrader={"grade": false, "grade_id": "ex04_2_solution", "locked": false, "schema_version": 3, "solution": true}
# Exercise 04.2
# Stuck? check.hint("04.2") gives the idea, check.hint("04.2", level=2) a closer hint.
def tbptt_windows(n, k):
    """Consecutive (start, stop) windows of k steps covering range(n)."""
    ### BEGIN SOLUTION
    return [(start, min(start + k, n)) for start in range(0, n, k)]
    ### END SOLUTION


def window_step(model, optimizer, x_win, y_scored, state, max_norm):
    """One TBPTT window: run from the carried state, score the tail, one clipped step."""
    # Hint: help(model.sequence) shows how to run a whole window from a state in one call.
    ### BEGIN SOLUTION
    out, new_state = model.sequence(x_win, state)
    loss = ((out[len(x_win) - len(y_scored):] - y_scored) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item(), model.detach(new_state)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04_2", "locked": true, "points": 4, "schema_version": 3, "solution": false}
# Test 04.2 (4 points: 1 for the windows, 3 for the window step). The self-check: PASSED, FAILED (it raises) or NOT DONE (it lets Run All go on).
# The grader tests your function on fresh inputs of its own, in a sandbox.
check.windows_and_step(tbptt_windows, window_step)

# %% [markdown]
# The stream trainer calls a function like yours once per window. Here is the
# loop that drives it over the first windows of an epoch (the self-check ran your
# function through it), printed from the helpers. Note the one reset
# (`initial_state`, at the epoch's start) and the `saved` states: with window 400
# and a step every 200, each window starts from the state saved 200 samples
# before its scored part, so consecutive windows overlap.

# %%
import inspect
print(inspect.getsource(stream_trainer.first_windows))

# %% [markdown]
# **The ladder's runs.** Rungs 2 to 7 change one setting each, starting from the
# stream trainer with the report's optimiser (LR 1e-3, constant), PyTorch's
# initialisation and no input gain. The assignment allows a *sliding input window*
# of L = 10 or 50 as an alternative to L = 1; a truncated-BPTT window is a
# different thing (the state is still carried; only the gradient is cut), but 50
# is a natural first length. The leave-one-out runs and two shorter budgets of the
# recipe come in the same batch. Everything is `corrected.yaml` plus overrides, and
# every run trains for the recipe's budget. About forty runs train side by side;
# the window-1 runs take the longest. Your `tbptt_windows` (exercise 4.2) counts
# the optimiser steps per epoch that each stride means.

# %%
PLAIN = {"model.chrono_tmax": None, "streams.input_gain": 1.0, "optimizer.learning_rate": 1e-3,
         "streams.schedule": "constant"}
W400 = {"streams.window": 400, "streams.stride": 200}
m, o, s_ = corrected.model, corrected.optimizer, corrected.streams
RUNGS = {
    "2 · stream trainer, window 1": {**PLAIN, "streams.window": 1, "streams.stride": 1},
    "3 · TBPTT window 50": {**PLAIN, "streams.window": 50, "streams.stride": 50},
    "4 · TBPTT 400, step every 200": {**PLAIN, **W400},
    f"5 · + chrono initialisation (spans up to {m.chrono_tmax:g})": {**PLAIN, **W400, "model.chrono_tmax": m.chrono_tmax},
    f"6 · + input gain {s_.input_gain:g}": {**W400, "optimizer.learning_rate": 1e-3, "streams.schedule": "constant"},
    f"7 · + LR {o.learning_rate:.0e}, {s_.schedule} (the recipe)".replace("e-0", "e-"): W400,
}
LOO = {
    "spec noise (phase_scale 1) instead of 0.1": {"data.phase_scale": 1.0},
    "one frequency-major stream instead of four": {"streams.parallel": False},
    "TBPTT 50 instead of 400/200": {"streams.window": 50, "streams.stride": 50},
    "PyTorch's gate-bias init instead of chrono": {"model.chrono_tmax": None},
    "input gain 1 instead of 4": {"streams.input_gain": 1.0},
    "LR 1e-3 constant instead of 2e-3 cosine": {"optimizer.learning_rate": 1e-3, "streams.schedule": "constant"},
}
EPOCHS = {f"{e} epochs instead of {BUDGET}": {"training.num_epochs": e} for e in (10, 20)}

# %%
n_samples = int(corrected.data.duration * corrected.data.fs)
strides = sorted({ov.get("streams.stride", s_.stride) for ov in RUNGS.values()})
n_steps = fallback.mine_or_course("04.2", lambda: {k: len(tbptt_windows(n_samples, k)) for k in strides},
                                  lambda: {k: len(range(0, n_samples, k)) for k in strides}, "the step counts")
print(f"optimiser steps per epoch ({n_steps.source}): "
      + ", ".join(f"stride {k}: {n:,}" for k, n in n_steps.value.items()))
assert n_steps.value[1] == n_samples and n_steps.value[s_.stride] == n_samples // s_.stride

# %% [markdown]
# **Predict, then run.** The batch below also trains the leave-one-out rows
# (`LOO` and `EPOCHS` above): the recipe with one thing changed. Leave aside the
# spec's noise, which erases the signal (Part A). Which single change will raise
# the recipe's validation MSE the most? Write it down before the runs.

# %%
my_prediction = None  # one of "one stream", "TBPTT 50", "no chrono", "gain 1", "LR 1e-3 constant", "10 epochs", "20 epochs"

# %%
groups = {"rung": RUNGS, "leave-one-out": LOO, "budget": EPOCHS}
cfgs = {(g, name, s): corrected.with_overrides(ov).replace(seed=s)
        for g, table_ in groups.items() for name, ov in table_.items() for s in SEEDS}
order = sorted(cfgs, key=lambda k: cfgs[k].streams.window > 1)  # the slow window-1 runs first
results = dict(zip(order, runs.cached_train_many([cfgs[k] for k in order], progress=PROGRESS)))
band_of = lambda g, name: ladder.band([results[(g, name, s)] for s in SEEDS])
bands.update({name: band_of("rung", name) for name in RUNGS})
print(f"{len(cfgs)} runs; {len({runs.default_run_dir(c) for c in cfgs.values()})} distinct configs "
      f"(a leave-one-out row that equals a rung shares its runs)")

# %%
names = list(bands)
step_verdicts = {n: ladder.verdict(bands[n], bands[p]) for p, n in zip(names, names[1:])}
display(nb04.ladder_table(bands, step_verdicts))

# %%
fig, ax = plt.subplots(figsize=(11, 4))
for i, n in enumerate(names):
    b = bands[n]
    ax.vlines(i, b["overall"].min(), b["overall"].max(), color=plotting.OKABE_ITO[0], lw=8, alpha=0.6,
              label="validation MSE, min–max over seeds" if i == 0 else None)
    ax.plot([i] * len(b["overall"]), b["overall"], "_", color="k", ms=14, label="validation MSE, each seed" if i == 0 else None)
    ax.plot([i] * len(b["worst"]), b["worst"], "v", color=plotting.OKABE_ITO[3], ms=6,
            label="worst frequency, each seed" if i == 0 else None)
ax.axhline(0.01, color=plotting.GREY, ls="--", lw=1.5, label="0.01")
ax.axhline(0.5, color="k", ls=":", lw=1, label="predict-zero (0.5)")
ax.set(xticks=range(len(names)), xticklabels=[n.split(" · ")[0] for n in names], yscale="log",
       xlabel="rung (1: L=1 · 2: window 1 · 3: TBPTT 50 · 4: TBPTT 400/200 · 5: + chrono · 6: + gain · 7: + LR, cosine)",
       ylabel="per-stream validation MSE (log)", title=f"The ablation ladder: one change per rung, {len(SEEDS)} seeds, {BUDGET} epochs")
ax.legend(fontsize=8, loc="lower left")
plotting.save(fig, "04_ablation_ladder")
plt.show()

# %%
up = [n for n in names[1:] if step_verdicts[n] == "lower"]
flat = [n for n in names[1:] if step_verdicts[n] == ladder.NO_DIFFERENCE]
display(Markdown("Rungs that lower the validation band, bands apart: " + "; ".join(f"**{n}**" for n in up)
                 + ". No difference measured: " + ("; ".join(f"**{n}**" for n in flat) or "none") + "."))
rung_names = list(RUNGS)
assert step_verdicts[rung_names[1]] == "lower", "TBPTT 50 should beat the one-step gradient (window 1)"
assert all(step_verdicts[n] == "lower" for n in rung_names[3:]), "chrono, gain and LR/cosine should each lower the band"
assert bands[rung_names[0]]["overall"].min() > 0.1 and bands[rung_names[-1]]["worst"].max() < 0.01

# %% [markdown]
# Read the ladder with its rule. A one-step gradient, whether the L=1 trainer's or
# the stream trainer's with window 1, leaves the model far from the targets, and
# truncated BPTT over 50 samples lowers the band clearly against window 1 (all
# checked). Whether the window is 50 or 400 samples makes a difference only if the
# verdict above says so; notebook 05 (*3 · How much memory does the task need?*)
# shows that a linear filter needs about half a second of S, but the LSTM carries
# its state beyond its gradient window, so only runs can tell.
# The gate-bias initialisation, the input gain and the learning-rate schedule each
# move the band down with the bands apart (all three checked). Every rung adds its
# ingredient on top of the ones before, so the table says what each adds *here*,
# not what it would add alone.
#
# ## Step 4 · Leave one out
# The reverse question: does the final recipe still need each ingredient? Each row
# removes one from `corrected.yaml`, same seeds, same budget.

# %%
recipe = bands[list(RUNGS)[-1]]
loo = {name: band_of("leave-one-out", name) for name in LOO}
loo.update({name: band_of("budget", name) for name in EPOCHS})
loo_verdicts = {name: ladder.verdict(b, recipe, lower="lower: the recipe should change", higher="higher: needed")
                for name, b in loo.items()}
display(nb04.leave_one_out_table(recipe, loo, loo_verdicts))

# %%
SPEC_NOISE = "spec noise (phase_scale 1) instead of 0.1"
assert list(LOO)[0] == SPEC_NOISE
SHORT = dict(zip(list(LOO)[1:] + list(EPOCHS),
                 ("one stream", "TBPTT 50", "no chrono", "gain 1", "LR 1e-3 constant", "10 epochs", "20 epochs")))
hurts_most = max(SHORT, key=lambda n: np.median(loo[n]["overall"]))
print(f"raises the validation MSE most (median over seeds): {hurts_most}, "
      f"{tables.band(loo[hurts_most]['overall'])} against the recipe's {tables.band(recipe['overall'])}")
predict.compare(my_prediction, SHORT[hurts_most], tuple(SHORT.values()))

# %%
fig, ax = plt.subplots(figsize=(12, 4.2))
ax.axhspan(recipe["overall"].min(), recipe["overall"].max(), color=plotting.OKABE_ITO[2], alpha=0.3,
           label="the recipe: validation MSE, min–max over seeds")
for i, (n, b) in enumerate(loo.items()):
    ax.vlines(i, b["overall"].min(), b["overall"].max(), color=plotting.OKABE_ITO[3], lw=8, alpha=0.6,
              label="one thing changed: min–max over seeds" if i == 0 else None)
    ax.plot([i] * len(b["overall"]), b["overall"], "_", color="k", ms=14, label="each seed" if i == 0 else None)
ax.axhline(0.5, color="k", ls=":", lw=1, label="predict-zero (0.5)")
ax.set(xticks=range(len(loo)), xticklabels=[textwrap.fill(n, 16) for n in loo], yscale="log", ylim=(5e-4, 1.5),
       ylabel="per-stream validation MSE (log)", title="Leave one out: the final recipe with one ingredient changed")
ax.tick_params(axis="x", labelsize=7)
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
plotting.save(fig, "04_leave_one_out")
plt.show()

# %%
needed = [n for n, v in loo_verdicts.items() if v.startswith("higher")]
tied = [n for n, v in loo_verdicts.items() if v == ladder.NO_DIFFERENCE]
display(Markdown("Needed (removing it raises the band, bands apart): " + "; ".join(needed)
                 + ". No difference measured: " + ("; ".join(tied) or "none") + "."))
assert not any(v.startswith("lower") for v in loo_verdicts.values()), "no change should beat the recipe on validation"
must = ["spec noise (phase_scale 1) instead of 0.1", "PyTorch's gate-bias init instead of chrono", "input gain 1 instead of 4",
        "LR 1e-3 constant instead of 2e-3 cosine", f"10 epochs instead of {BUDGET}"]
assert all(loo_verdicts[n].startswith("higher") for n in must), {n: loo_verdicts[n] for n in must}
assert loo["spec noise (phase_scale 1) instead of 0.1"]["overall"].min() > 0.45

# %% [markdown]
# **Think!** Each row ran three seeds on one machine, a small sample. Would you
# trust "the chrono initialisation is needed" on another CPU, with other seeds?
# Which of the "needed" verdicts would you trust least, and why?
#
# <details class="answer"><summary>Click for an answer</summary>
#
# Weigh the size of the effect against the spread between seeds. Without chrono the
# band sits far above the recipe's: the factor between the two bands is many
# times the factor that separates the best and worst seed within either row (the
# cell below computes both). Another seed, or another CPU's rounding, gives another
# run of the same kind (the appendix trains one under another instruction set);
# to close a gap that wide a run would have to land far outside everything the
# seeds have shown. So three seeds already carry that claim; more seeds would
# narrow the bands, not reverse the verdict. The verdict to trust least is the
# one whose gap is about as large as its spread, or smaller: there a fourth seed
# could land inside the recipe's band and turn "needed" into "no difference
# measured". The cell below names it. That row needs more seeds (and the CPU
# profiles, as `make robustness` runs them for the recipe) before the claim stands.
#
# </details>

# %%
apart = lambda b: b["overall"].min() / recipe["overall"].max()  # how far above the recipe's band, as a factor
spread = lambda b: b["overall"].max() / b["overall"].min()        # best to worst seed within a row, as a factor
display(tables.table({n: {"bands apart by (factor)": f"{apart(loo[n]):.2f}", "row's seed spread": f"{spread(loo[n]):.2f}",
                          "recipe's seed spread": f"{spread(recipe):.2f}"} for n in needed}, "needed, by leave-one-out"))
margin = {n: np.log(apart(loo[n])) / np.log(max(spread(loo[n]), spread(recipe))) for n in needed}
closest = min(margin, key=margin.get)
chrono = "PyTorch's gate-bias init instead of chrono"
display(Markdown(f"Without chrono the bands are apart by a factor {apart(loo[chrono]):.0f}, against seed spreads of "
                 f"at most {max(spread(loo[chrono]), spread(recipe)):.2f}. The closest call: **{closest}**, apart by "
                 f"{apart(loo[closest]):.2f} with a seed spread of {max(spread(loo[closest]), spread(recipe)):.2f}."))
assert apart(loo[chrono]) > 10 * max(spread(loo[chrono]), spread(recipe)), "chrono's effect should dwarf the spread"

# %% [markdown]
# ## Step 5 · The choices, made on validation
# Each setting of `configs/corrected.yaml`, with the evidence for it. "Needed"
# means a leave-one-out band above the recipe's, bands apart. A setting whose
# alternative shows no difference is kept by the rule above: it is a convenience,
# and the course does not claim it is needed. The table is computed from the two
# tables above.

# %%
assert s_.window == 400 and s_.stride == 200 and BUDGET == 30, "the rows below were written for this recipe"
SETTINGS = {  # setting of corrected.yaml: (its value, the leave-one-out row that tests it)
    "data.phase_scale": (corrected.data.phase_scale, "spec noise (phase_scale 1) instead of 0.1"),
    "streams.parallel": (s_.parallel, "one frequency-major stream instead of four"),
    "streams.window / stride": (f"{s_.window} / {s_.stride}", "TBPTT 50 instead of 400/200"),
    "model.chrono_tmax": (m.chrono_tmax, "PyTorch's gate-bias init instead of chrono"),
    "streams.input_gain": (s_.input_gain, "input gain 1 instead of 4"),
    "optimizer.learning_rate, streams.schedule": (f"{o.learning_rate:g}, {s_.schedule}", "LR 1e-3 constant instead of 2e-3 cosine"),
    "training.num_epochs": (BUDGET, "20 epochs instead of 30"),
}
display(nb04.settings_table(SETTINGS, loo_verdicts))

# %% [markdown]
# Every setting of the recipe is either needed, by its leave-one-out band, or
# shows no difference against the alternative tried, and no alternative beat it
# (checked in Step 4). "Needed" is not equally sure for every row: Step 4's
# closest call is a verdict to re-run with more seeds before anyone builds on it.
# The ratio test/train plays no part in any choice.
#
# # Part C · The chosen recipe, scored once
# Only now do we open the test set (noise seed 2), for the chosen recipe and no
# other run. Its three seeds are the runs of rung 7, trained by the course's
# compiled engine. One more run joins them: **your** `window_step` (exercise 4.2)
# trains seed 0 of the same recipe. A Python function cannot run inside the
# compiled engine, so your run uses the torch stream engine (about 15 s of CPU,
# once: it is cached under a hash of your function's source, so it never shares a
# folder with the course's runs, and editing your function trains it afresh).
# Each model is the epoch its validation MSE selected, scored per stream, the
# protocol of the target: every frequency ≤ 0.01 on test.

# %%
print(f"model: hidden {m.hidden_size}, forget_bias {m.forget_bias}, chrono_tmax {m.chrono_tmax}")
print(f"optimizer: {o.type}, peak LR {o.learning_rate:g}, schedule {s_.schedule}, "
      f"clip {corrected.training.clip_grad_norm}, {corrected.training.num_epochs} epochs")
print(f"streams: parallel {s_.parallel}, window {s_.window}, stride {s_.stride}, input gain {s_.input_gain:g}")
print(f"data: phase_scale {corrected.data.phase_scale}, seeds train/validation/test "
      f"{corrected.data.train_seed}/{corrected.data.validation_seed}/{corrected.data.test_seed}")
band = {seed: results[("rung", list(RUNGS)[-1], seed)] for seed in SEEDS}
assert all(r.config == corrected.replace(seed=seed) for seed, r in band.items()), "rung 7 is the recipe"

# %%
yours = corrected.replace(engine="torch")  # the same recipe; a Python window function runs on the torch engine
mine = fallback.mine_or_course("04.2", lambda: runs.cached_train(yours, step=window_step, progress=PROGRESS),
                               lambda: band[0], "the recipe's seed-0 run")
fix = mine.value  # the model the rest of this notebook scores in detail
print(f"the key run comes from {mine.source}: run folder {fix.run_dir.name}, "
      f"{fix.epochs_run} epochs, engine {fix.config.engine}")

# %% [markdown]
# Is your run a run of the recipe? One seed cannot make a band, but it can be set
# against the course's: its validation MSE (at the epoch it selects) should land
# in the band of the course's three seeds, widened by a factor of two each way,
# because another engine's arithmetic, like another CPU's, makes another run
# (never the same digits).

# %%
your_val = float(ladder.band([fix])["overall"][0])
lo, hi = recipe["overall"].min(), recipe["overall"].max()
print(f"validation MSE: {mine.source} {your_val:.4f}; the course's seeds {SEEDS}: {tables.band(recipe['overall'])}")
assert lo / 2 <= your_val <= 2 * hi, "one more seed of the recipe should land near the course's band"

# %%
def summary(r):
    m_ = evaluate.frozen_metrics(r.checkpoint_model, r.config, "per-stream")  # the test set, read here once
    return {"test": m_["test_mse"], "train": m_["train_mse"], "per": m_["test_mse_per_frequency"],
            "worst": max(m_["test_mse_per_frequency"].values()), "ratio": m_["test_mse"] / m_["train_mse"],
            "epochs": r.epochs_run, "best": r.best_epoch, "cpu": r.history[-1]["cpu_seconds"]}

S = {seed: summary(r) for seed, r in band.items()}
S_yours = summary(fix)
YOURS = f"seed 0, {'your window_step (torch engine)' if mine.mine else 'course fallback'}"
display(nb04.test_scores_table({**{f"seed {seed} (course)": x for seed, x in S.items()}, YOURS: S_yours}))

# %% [markdown]
# The targets are every frequency ≤ 0.01 on test, and test/train ≤ 1.2. Each is
# judged on the run that does worst on *it* (the worst seed can differ per target),
# over the course's seeds and yours:

# %%
scored = [*S.values(), S_yours]
verdict = nb04.course_targets(scored)
targets = {"every frequency ≤ 0.01 (test, per stream), worst run": bool(verdict["frequency"]),
           "test/train ≤ 1.2, worst run": bool(verdict["ratio"]),
           "≤ 30 epochs": all(x["epochs"] <= 30 for x in scored)}
for name, ok in targets.items():
    print(f"target {name}: {'met' if ok else 'NOT met'}")
worst_freq, worst_ratio = max(x["worst"] for x in scored), max(x["ratio"] for x in scored)
print(f"over the {len(scored)} runs: worst frequency {worst_freq:.4f}, test/train "
      f"{min(x['ratio'] for x in scored):.3f}–{worst_ratio:.3f}")
assert verdict == {"frequency": worst_freq <= 0.01, "ratio": worst_ratio <= 1.2}, "the verdict and the numbers above agree"
assert all(targets.values()), targets
assert max(x["test"] for x in scored) < 3 * min(x["test"] for x in scored), "the seed band should be narrow"

# %%
fig, axes = plt.subplots(1, 4, figsize=(13, 3.4), sharey=True)
ep = np.arange(1, corrected.training.num_epochs + 1)
for ax, k in zip(axes, ("1", "3", "5", "7")):
    curves = np.array([[h["frozen_val_mse_per_frequency"][k] for h in r.history] for r in band.values()])
    n = curves.shape[1]
    ax.fill_between(ep[:n], curves.min(0), curves.max(0), color=plotting.freq_color(float(k)), alpha=0.3,
                    label=f"validation, min–max over the course's seeds {SEEDS[0]}–{SEEDS[-1]}")
    ax.plot(ep[:n], np.median(curves, 0), color=plotting.freq_color(float(k)), label="validation, median")
    ax.plot(ep[:fix.epochs_run], [h["frozen_val_mse_per_frequency"][k] for h in fix.history], "k--", lw=1,
            label=f"validation, {YOURS}")
    ax.plot([r.best_epoch for r in band.values()], [S[s]["per"][k] for s in band], "kx", ms=7, label="test, the course's seeds")
    ax.plot([fix.best_epoch], [S_yours["per"][k]], "o", mfc="none", color="k", ms=8, label=f"test, {YOURS}")
    ax.axhline(0.01, color=plotting.GREY, lw=1.5, ls="--", label="target 0.01")
    ax.set(title=f"{k} Hz", xlabel="epoch", yscale="log")
axes[0].set_ylabel("per-stream frozen MSE")
fig.legend(*axes[0].get_legend_handles_labels(), fontsize=8, loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.22))
fig.suptitle("The chosen recipe, per frequency: the course's seeds as a band, your run dashed; test once", y=1.02)
plotting.save(fig, "04_corrected_band")
plt.show()

# %% [markdown]
# Every run meets every target, and the test MSEs stay within a factor of three
# of each other (both checked). The curves below show the key run in detail:
# the online loss of the training windows against the frozen validation MSE that
# selects the model, and the test MSE of the selected model, read once.

# %%
ep = np.arange(1, fix.epochs_run + 1)
fig, ax = plt.subplots(figsize=(9, 3.8))
ax.plot(ep, [h["online_loss"] for h in fix.history], "o-", ms=3, label="online loss (training windows)")
ax.plot(ep, [h["frozen_val_mse"] for h in fix.history], "-", label="frozen validation MSE (selects the model)")
ax.plot([fix.best_epoch], [S_yours["test"]], "kx", ms=9, label=f"test MSE of the selected model ({S_yours['test']:.4f})")
ax.axvline(fix.best_epoch, color="k", ls=":", lw=1, label=f"selected epoch {fix.best_epoch}")
ax.axhline(0.01, color=plotting.GREY, lw=2, label="target 0.01")
ax.set(xlabel="epoch", ylabel="MSE (log)", yscale="log", title=f"The key run ({'yours' if mine.mine else 'course fallback'}): losses, and the test read once")
ax.legend(fontsize=8)
plotting.save(fig, "04_corrected_run")
plt.show()

# %% [markdown]
# **Think!** The corrected model is evaluated from a zero state at t = 0, like
# the assignment's test. Train and test share the same time grid. Could a model
# score well by counting samples instead of reading S? Notebook 05 tests exactly that.
#
# <details class="answer"><summary>Click for an answer</summary>
#
# Yes. The targets are sin(2πft) on the same grid t = 0 … 9.999 s in train and
# test, and every stream starts at t = 0 from a zero state. A model that ignores S
# and counts its own steps can output sin(2πf·n/fs) exactly and score 0 on the
# usual test set. The usual test cannot tell counting from extracting. A test set
# whose clock starts elsewhere (notebook 05, section 6) can.
#
# </details>
#
# ## Optional experiment · One more setting, judged like the others
# *Optional; your instructor grades it by hand.* The ladder tried one alternative
# per setting. Pick a setting it did not try (the stride, a longer window,
# `streams.warmup_steps`, `training.clip_grad_norm`, `model.hidden_size`, ...),
# write down what you expect and why, then run it. The default below runs in
# seconds: a step every 100 samples instead of 200 (twice the optimiser steps per
# epoch), at the 10-epoch budget, for one seed, set against the course's three
# seeds at the same budget. Then change `EXPERIMENT`, use three seeds before you
# call a difference, and say in a few sentences what you measured and what it does
# and does not show. The cell reads validation only, never the test set.

# %%
EXPERIMENT = {"streams.stride": 100}     # one change to corrected.yaml
EXPERIMENT_SEEDS = (0,)                  # one seed takes seconds; three make a band
BASE = f"10 epochs instead of {BUDGET}"  # the course's band at the same (short) budget
x_runs = runs.cached_train_many([corrected.with_overrides({**EPOCHS[BASE], **EXPERIMENT}).replace(seed=seed)
                                 for seed in EXPERIMENT_SEEDS], progress=PROGRESS)
x_band = ladder.band(x_runs)
x_verdict = ladder.verdict(x_band, loo[BASE])
display(tables.table({f"course, seeds {SEEDS}": nb04.band_row(loo[BASE], "—", "against the course"),
                      f"{EXPERIMENT}, seeds {EXPERIMENT_SEEDS}": nb04.band_row(x_band, x_verdict, "against the course")},
                     f"{BASE}: validation MSE"))
if len(EXPERIMENT_SEEDS) < 3:
    print("one or two seeds make no band: read the verdict as a first look, not a finding")

# %% [markdown]
# ## Summary

# %%
print(f"- Part A, the prescription: stopped by {presc.stopped_by} at epoch {presc.epochs_run}; after 30 epochs "
      f"frozen test MSE {final_test:.4f}; reaches < 0.01: {reaches_target}; beats 0.5: {beats_baseline}.")
print(f"- The ladder ({len(SEEDS)} seeds, {BUDGET} epochs, validation only): rung 1 (L=1, informative data) "
      f"{tables.band(b1['overall'])}; the recipe {tables.band(recipe['overall'])}.")
print(f"- Bands apart, one change each: {', '.join(n.split(' · ')[1] for n in up)}.")
print(f"- Needed by leave-one-out: {'; '.join(needed)}. No difference measured: {'; '.join(tied) or 'none'}.")
print(f"- Seed 0 of the recipe trained by {mine.source}: validation {your_val:.4f} (the course's seeds "
      f"{tables.band(recipe['overall'])}), test {S_yours['test']:.4f}, worst frequency {S_yours['worst']:.4f}.")
print(f"- The recipe on test, scored once, {len(scored)} runs: test MSE {min(x['test'] for x in scored):.4f}–"
      f"{max(x['test'] for x in scored):.4f}, worst frequency {worst_freq:.4f}, test/train ≤ {worst_ratio:.3f}.")
print("- Targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in targets.items()))

# %% [markdown]
# **Next:** [05 · per-frequency evaluation](05_per_frequency_evaluation.ipynb):
# every model, per frequency, against honest baselines and a test that a
# time-counting model cannot pass.
#
# # Appendix · Same seed, another CPU: why every claim here is a band
# The runs above used this machine's instruction set. A CPU with another one
# (AVX-512, AVX2 or plain x86-64) rounds some sums differently in the last bit.
# Training amplifies that bit into a different run. We can watch it happen: the
# cell below trains the course's seed 0 again in a fresh Python process whose
# torch is told to use an older instruction set (`ATEN_CPU_CAPABILITY`,
# `MKL_ENABLE_INSTRUCTIONS`, `ONEDNN_MAX_CPU_ISA`). It takes about half a minute,
# and is cached.

# %%
native_cap = torch.backends.cpu.get_cpu_capability()
other = robustness.other_profile(native_cap)
if other is None:
    print(f"this CPU runs torch at capability {native_cap}: there is no older profile to compare with")
else:
    alt = robustness.cached_profile_run(other, seed=0)
    alt_per, alt_cap = alt["test_mse_per_frequency"], alt["machine"]["cpu_capability"]
    display(nb04.profile_table({"this process": (native_cap, S[0]["per"], S[0]["ratio"]),
                                f"profile '{other}'": (alt_cap, alt_per, alt["ratio"])}))
    diff = max(abs(alt_per[k] - S[0]["per"][k]) for k in nb04.FREQS)
    display(Markdown(f"Same seed, same code, {native_cap} against {alt_cap}: the per-frequency errors differ "
                     f"by up to {diff:.4f} ({'a different run' if diff > 0 else 'identical here'}). Both meet the "
                     f"targets: worst frequency {max(alt_per.values()):.4f}, test/train {alt['ratio']:.3f}."))
    assert max(alt_per.values()) <= 0.01 and alt["ratio"] <= 1.2

# %% [markdown]
# This is why the course asserts only what holds over several seeds and over
# instruction sets, with a margin: "every frequency ≤ 0.01 on the worst seed", never
# "seed 0 scores 0.0024". Your numbers will differ from the committed outputs in
# the last digits. `make robustness` runs the recipe for three seeds under three
# CPU profiles and writes the spread to `benchmarks/robustness.json`.
