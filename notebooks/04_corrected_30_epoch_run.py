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
# prescription exactly and checks each prediction. Part B changes what the
# evidence says must change, one step at a time, until the model really extracts
# the frequencies.
#
# **What you will learn**
# 1. To check a predicted timeline against a measured one, with verdicts computed
#    from the numbers.
# 2. Why a fix must target the cause. No optimiser setting creates information
#    that the input does not carry.
# 3. The ingredients of a regime that can learn about one second of memory:
#    informative data, a frozen validation metric, state carried over the whole
#    sequence, parallel frequency streams and truncated backpropagation through time.
# 4. To measure each change on its own rather than change everything at once.
#
# **Estimated time:** 60 minutes. The runs use the compiled L=1 engine (Part A)
# and a windowed torch trainer (Part B). All are cached under `runs/`.
#
# **The case:** [the diagnostic report in brief](../docs/the_case.md) ·
# **Terms:** [glossary](../docs/glossary.md) ·
# **Previous:** [03 · divergence at LR 1e-3](03_divergence_at_lr_1e-3.ipynb) ·
# **Next:** [05 · per-frequency evaluation](05_per_frequency_evaluation.ipynb)

# %% [markdown]
# ## Setup

# %%
import numpy as np
import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display

from freqlstm_helpers import SignalConfig, build_dataset, predict_zero_mse, LEARNABLE_PHASE_SCALE
from freqlstm_helpers import check, paths, plotting, robustness, runs, spectrum, stream_trainer, trainer
from freqlstm_helpers.config import load_config

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
def at(result, epoch, series):
    return float(series[epoch - 1]) if epoch <= result.epochs_run else None

rows = []
for epoch, ceiling in list(PREDICTED.items()) + [(full.epochs_run, 0.01)]:
    online, ftr, fte = (at(full, epoch, s) for s in (full.epoch_losses, full.frozen_train_mse, full.frozen_test_mse))
    rows.append((epoch, ceiling, online, ftr, fte, presc.epochs_run >= epoch))
fmt = lambda v: "—" if v is None else f"{v:.4f}"
table = ["| epoch | report predicts loss < | online loss | frozen train MSE | frozen test MSE | prediction holds? | reached by the prescribed run? |",
         "|---|---|---|---|---|---|---|"]
for epoch, ceiling, online, ftr, fte, reached in rows:
    holds = online is not None and online < ceiling and fte < ceiling
    table.append(f"| {epoch} | {ceiling} | {fmt(online)} | {fmt(ftr)} | {fmt(fte)} | {'yes' if holds else 'no'} | "
                 f"{'yes' if reached else f'no, stopped at epoch {presc.epochs_run} ({presc.stopped_by})'} |")
display(Markdown("\n".join(table)))

# %%
ep = np.arange(1, full.epochs_run + 1)
fig, ax = plt.subplots(figsize=(9, 3.8))
ax.plot(ep, full.epoch_losses, "o-", ms=3, color=plotting.OKABE_ITO[0], label="online loss (all 30 epochs)")
ax.axhline(BASELINE, color="k", lw=0.8, alpha=0.5, label=f"predict-zero baseline ({BASELINE:.2f})")
ax.plot(ep, full.frozen_train_mse, "s-", ms=4, lw=2, color=plotting.OKABE_ITO[2], label="frozen train MSE", zorder=3)
ax.plot(ep, full.frozen_test_mse, "x--", ms=5, lw=1.5, color=plotting.OKABE_ITO[3], label="frozen test MSE (on top of train)",
        zorder=4)
ax.step([1, 5, 15, 25, 30], [0.5, 0.2, 0.05, 0.01, 0.01], where="post", color=plotting.GREY, lw=2,
        label="report's predicted ceiling")
ax.axvline(presc.epochs_run, color="k", ls=":", lw=1, label=f"prescribed run stops ({presc.stopped_by})")
ax.set(xlabel="epoch", ylabel="MSE (log scale)", yscale="log", ylim=(5e-3, 1),
       title="The prescribed fix against its predicted timeline")
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
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
print(f"notebook 01's information check on the same data: FFT peaks present = {spec_has_signal}, "
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
# Every epoch's online loss stays above 0.2 and the frozen error sits at 0.5, so
# the run lands on the "debug" branch, the one the report's own tree sends a loss
# above 0.2 to. That branch should have come first, before any learning-rate
# change. Notebook 01's information check (no FFT peak, zero correlation, the
# linear oracle at 0.5) is exactly the data check it asks for.
#
# </details>

# %% [markdown]
# # Part B · A correction that works
# We change what the evidence says must change, one step at a time, and measure
# each step on frozen data:
#
# 1. **Informative data.** The learnable profile, `phase_scale` 0.1: φ ~ U(0, 0.2π)
#    instead of U(0, 2π). The spec's amplitude noise, the frequencies, the sampling
#    and the seeds stay.
# 2. **The right metric.** Model selection and early stopping on the frozen MSE of
#    a validation set with its own seed (3). Never the online loss, never the test set.
# 3. **A regime that can learn about one second of memory.** The state is still carried over all
#    10,000 samples, one sample per step. The four frequencies now train as
#    parallel streams, and gradients flow back through a truncated window.
# 4. **Whatever else the measurements call for.** Here: a gate-bias
#    initialisation (measured in the controls at the end), plus an input gain of 4,
#    a peak learning rate of 2e-3 and a cosine schedule. Those last three were
#    chosen so that 30 epochs suffice and are not swept here: changing them is a
#    good experiment (`corrected.with_overrides({...})`).
#
# The architecture stays the report's: one layer, hidden 64.
#
# ## Step 1 · Informative data, in the report's regime
# Only `data.phase_scale` changes. Same L=1 trainer, LR 1e-3, five epochs.

# %%
v1 = load_config(paths.configs_dir() / "v1_lr1e-3.yaml").replace(engine="fused")
step1 = runs.cached_train(v1.with_overrides({"data.phase_scale": LEARNABLE_PHASE_SCALE}),
                          eval_every_epoch=True, progress=PROGRESS)
print("epoch   online loss   frozen train   frozen test")
for e in range(step1.epochs_run):
    print(f"{e + 1:>5} {step1.epoch_losses[e]:>13.4f} {step1.frozen_train_mse[e]:>14.4f} {step1.frozen_test_mse[e]:>13.4f}")
print(f"best frozen test MSE: {np.min(step1.frozen_test_mse):.3f}")
assert np.min(step1.frozen_test_mse) < 0.49, "with information in S, the frozen error should leave the baseline"
assert np.min(step1.frozen_test_mse) > 0.05, "but one-step L=1 training should stay far from extracting"

# %% [markdown]
# With information in the input, the frozen error finally moves below 0.5. It
# is still far from extracting anything. One-step gradients cannot teach the
# model to keep a second of history (notebook 02, Think!).
#
# ## Step 2 · The right metric
# Which epoch would each metric pick? The report's early stopping watches the
# online loss. Here is what that choice costs, on the same run. The L=1 trainer
# records frozen train and test MSE per epoch; we compare the online loss with the
# frozen train MSE, so the test set still plays no part in the choice.

# %%
by_online = int(np.argmin(step1.epoch_losses)) + 1
by_frozen = int(np.argmin(step1.frozen_train_mse)) + 1
print(f"lowest online loss: epoch {by_online} (frozen test MSE {step1.frozen_test_mse[by_online - 1]:.3f})")
print(f"lowest frozen train MSE: epoch {by_frozen} (frozen test MSE {step1.frozen_test_mse[by_frozen - 1]:.3f})")

# %% [markdown]
# From here on, every run keeps the epoch with the lowest **frozen validation MSE**
# (seed 3) and stops early on it. The test set (seed 2) is looked at only to
# report the result.
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
# ## Step 3 · A regime that can learn a second of memory
# The stream trainer (`freqlstm_helpers.stream_trainer`, config `configs/corrected.yaml`)
# still steps one sample at a time and carries the state across all 10,000
# samples. Every `stride` samples it takes one optimiser step on those samples'
# loss, with the gradient flowing back through the last `window` samples:
# truncated BPTT. The state is detached at each window boundary, exactly as in
# notebook 02, but now a window holds hundreds of steps instead of one.
#
# ### Exercise 4.2 · Truncated-BPTT windows
# Write `tbptt_windows(n, k)` returning the `(start, stop)` pairs that split `n`
# steps into consecutive windows of `k` (the last may be shorter).

# %% nbgrader={"grade": false, "grade_id": "ex04_2_solution", "locked": false, "schema_version": 3, "solution": true}
# Exercise 04.2
def tbptt_windows(n, k):
    """Consecutive (start, stop) windows of k steps covering range(n)."""
    # Hint: where does window j start? Where must the last one stop so that no step is lost or repeated?
    ### BEGIN SOLUTION
    return [(start, min(start + k, n)) for start in range(0, n, k)]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04_2", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Test 04.2 (1 point). The self-check: PASSED, FAILED (it raises) or NOT DONE (it lets Run All go on).
# The grader tests your function on fresh inputs of its own, in a sandbox.
check.tbptt_windows(tbptt_windows)

# %% [markdown]
# ### Exercise 4.3 · One truncated-BPTT window over the four streams
# The heart of the stream trainer is one window. Write
# `window_step(model, optimizer, x_win, y_scored, state, max_norm)`:
# - `x_win` has shape (W, 4, 5): W samples of the four streams, run from the
#   carried `state` (a pair (h, c), each (4, 64));
# - only the last `len(y_scored)` outputs are scored (shape (len(y_scored), 4));
# - one optimiser step on their mean squared error, gradients clipped to `max_norm`;
# - return `(loss, new_state)`, with the final state detached for the next window.
#
# The self-check drives your function through the trainer's own bookkeeping for
# the first six windows of `corrected.yaml` and compares every loss and, at the
# end, every weight with the trainer's.

# %% nbgrader={"grade": false, "grade_id": "ex04_3_solution", "locked": false, "schema_version": 3, "solution": true}
# Exercise 04.3
def window_step(model, optimizer, x_win, y_scored, state, max_norm):
    """One TBPTT window: run from the carried state, score the tail, one clipped step, detach."""
    # Hint: model.sequence runs many steps at once (notebook 02); the scored outputs are the last ones.
    ### BEGIN SOLUTION
    out, new_state = model.sequence(x_win, state)
    loss = ((out[len(x_win) - len(y_scored):] - y_scored) ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss.item(), model.detach(new_state)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04_3", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# Test 04.3 (3 points). The self-check: PASSED, FAILED (it raises) or NOT DONE (it lets Run All go on).
# The grader tests your function on fresh inputs of its own, in a sandbox.
check.window_step(window_step)

# %% [markdown]
# The stream trainer runs exactly this. Here is its window and the loop that
# drives it over the first windows of an epoch, printed from the helpers. Note
# the one reset (`initial_state`, at the epoch's start) and the `saved` states:
# with window 400 and a step every 200, each window starts from the state saved
# 200 samples before its scored part, so consecutive windows overlap.

# %%
import inspect
print(inspect.getsource(stream_trainer.window_step))
print(inspect.getsource(stream_trainer.first_windows))

# %% [markdown]
# **Which window?** The assignment allows a *sliding input window* of L = 10 or 50
# as an alternative to L = 1. That is a different thing from the truncated-BPTT
# window here (the state is still carried; only the gradient is cut), but the
# same two lengths make a natural first try. We compare windows at an equal
# budget of 10 epochs, four parallel streams and everything else as in
# `corrected.yaml`. Then we compare one
# frequency-major stream (the report's row order) against the four parallel
# streams. Each run takes seconds to a minute and is cached.

# %%
corrected = load_config(paths.configs_dir() / "corrected.yaml")
COMPARE_EPOCHS = 10
variants = {
    "TBPTT window 10": {"streams.window": 10, "streams.stride": 10},
    "TBPTT window 50": {"streams.window": 50, "streams.stride": 50},
    "TBPTT window 200": {"streams.window": 200, "streams.stride": 200},
    "TBPTT window 400, step every 200 (shipped)": {},
    "one frequency-major stream, TBPTT 400/200": {"streams.parallel": False},
}
compare = {}
for label, changes in variants.items():
    cfg = corrected.with_overrides({"training.num_epochs": COMPARE_EPOCHS, "early_stopping.enabled": False, **changes})
    compare[label] = runs.cached_train(cfg, eval_every_epoch=True, progress=PROGRESS)

def best_val(r):
    h = r.history[r.best_epoch - 1]
    return h["frozen_val_mse"], max(h["frozen_val_mse_per_frequency"].values()), h["cpu_seconds"]

table = [f"| variant ({COMPARE_EPOCHS} epochs) | best frozen val MSE | worst frequency (val) | CPU s |", "|---|---|---|---|"]
for label, r in compare.items():
    v, worst, cpu = best_val(r)
    table.append(f"| {label} | {v:.4f} | {worst:.4f} | {cpu:.0f} |")
display(Markdown("\n".join(table)))
ranked = sorted(compare, key=lambda label: best_val(compare[label])[0])
print("ranked by best validation MSE at 10 epochs, this seed, this CPU: " + " < ".join(ranked))

# %% [markdown]
# Read this table as one noisy measurement, not a ranking. Ten epochs of one seed
# is a single run of a chaotic process: with another seed, or on a CPU with
# another instruction set, the order of the close entries changes. What it does
# show is the spread: the choice of window moves the error by a large factor.
#
# With the chrono initialisation of Step 4, the short windows can look competitive
# at 10 epochs. So we put the strongest short window, 50, against the shipped 400/200 where it counts: the full 30
# epochs, over three seeds, judged by the targets on the worst seed.

# %%
SEEDS = (0, 1, 2)
w50 = corrected.with_overrides({"streams.window": 50, "streams.stride": 50})
window_bands = {"TBPTT 400, step every 200 (shipped)": [runs.cached_train(corrected.replace(seed=s_), progress=PROGRESS,
                                                                         eval_every_epoch=True) for s_ in SEEDS],
                "TBPTT 50, step every 50": [runs.cached_train(w50.replace(seed=s_), progress=PROGRESS,
                                                              eval_every_epoch=True) for s_ in SEEDS]}
table = ["| 30 epochs, seeds 0–2 | test MSE | worst frequency | test/train | meets both targets on the worst seed? |",
         "|---|---|---|---|---|"]
for label, rs in window_bands.items():
    worst = [max(r.metrics["test_mse_per_frequency"].values()) for r in rs]
    ratio = [r.metrics["test_mse"] / r.metrics["train_mse"] for r in rs]
    tests = [r.metrics["test_mse"] for r in rs]
    table.append(f"| {label} | {min(tests):.4f}–{max(tests):.4f} | {min(worst):.4f}–{max(worst):.4f} | "
                 f"{min(ratio):.3f}–{max(ratio):.3f} | {'yes' if max(worst) <= 0.01 and max(ratio) <= 1.2 else 'no'} |")
    assert max(worst) < 0.02, f"{label}: every seed should extract all four frequencies"
display(Markdown("\n".join(table)))

# %% [markdown]
# Both windows extract all four frequencies on every seed (checked). The
# difference is in the margins. Over three seeds under each of three CPU profiles
# (`make robustness`, run when the recipe was chosen) it broke the 1.2 target on
# some runs, while 400/200 stayed inside it on all. We ship 400/200: the gradient
# reaches back 0.4 s, it takes a step every 0.2 s, and its worst run still meets
# every target. The table above is your machine's view of the same comparison.
#
# ## Step 4 · The full 30-epoch corrected run, over seeds
# Everything in `configs/corrected.yaml`: learnable data, four parallel streams,
# truncated BPTT 400/200, chrono gate-bias initialisation, input gain 4, Adam
# with a cosine schedule, and selection and early stopping on frozen validation
# MSE. Training is chaotic, so one run proves little: we train the recipe from
# three seeds and judge the targets on the **worst** seed.

# %%
m_cfg, o_cfg, s_cfg = corrected.model, corrected.optimizer, corrected.streams
print(f"model: hidden {m_cfg.hidden_size}, forget_bias {m_cfg.forget_bias}, chrono_tmax {m_cfg.chrono_tmax}")
print(f"optimizer: {o_cfg.type}, peak LR {o_cfg.learning_rate:g}, schedule {s_cfg.schedule}, "
      f"clip {corrected.training.clip_grad_norm}, {corrected.training.num_epochs} epochs")
print(f"streams: parallel {s_cfg.parallel}, window {s_cfg.window}, stride {s_cfg.stride}, input gain {s_cfg.input_gain:g}")
print(f"data: phase_scale {corrected.data.phase_scale}, seeds train/validation/test "
      f"{corrected.data.train_seed}/{corrected.data.validation_seed}/{corrected.data.test_seed}")

# %%
band = {seed: runs.cached_train(corrected.replace(seed=seed), eval_every_epoch=True, progress=PROGRESS)
        for seed in SEEDS}
fix = band[0]  # seed 0 is the run notebook 05 evaluates

def summary(r):
    m = r.metrics
    return {"test": m["test_mse"], "train": m["train_mse"], "per": m["test_mse_per_frequency"],
            "worst": max(m["test_mse_per_frequency"].values()), "ratio": m["test_mse"] / m["train_mse"],
            "epochs": r.epochs_run, "best": r.best_epoch, "cpu": r.history[-1]["cpu_seconds"]}

S = {seed: summary(r) for seed, r in band.items()}
table = ["| seed | 1 Hz | 3 Hz | 5 Hz | 7 Hz | test MSE | worst frequency | test/train | epochs (best) | CPU s |",
         "|---|---|---|---|---|---|---|---|---|---|"]
for seed, x in S.items():
    table.append(f"| {seed} | " + " | ".join(f"{x['per'][k]:.4f}" for k in ("1", "3", "5", "7"))
                 + f" | {x['test']:.4f} | {x['worst']:.4f} | {x['ratio']:.3f} | {x['epochs']} ({x['best']}) | {x['cpu']:.0f} |")
display(Markdown("\n".join(table)))

# %% [markdown]
# ### Exercise 4.4 · A verdict on the worst seed
# The targets are every frequency ≤ 0.01 on test, and test/train ≤ 1.2. Write
# `targets_on_worst_seed(seeds)`: given one summary per seed, each a dict with
# `"worst"` (that seed's worst per-frequency test MSE) and `"ratio"` (test/train),
# return `{"frequency": bool, "ratio": bool}`, each target judged on the worst seed.

# %% nbgrader={"grade": false, "grade_id": "ex04_4_solution", "locked": false, "schema_version": 3, "solution": true}
# Exercise 04.4
def targets_on_worst_seed(seeds):
    """{"frequency": ..., "ratio": ...}: does every seed, the worst included, meet each target?"""
    # Hint: "the worst seed" is a different seed for each target.
    ### BEGIN SOLUTION
    return {"frequency": max(x["worst"] for x in seeds) <= 0.01,
            "ratio": max(x["ratio"] for x in seeds) <= 1.2}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex04_4", "locked": true, "points": 1, "schema_version": 3, "solution": false}
# Test 04.4 (1 point). The self-check: PASSED, FAILED (it raises) or NOT DONE (it lets Run All go on).
# The grader tests your function on fresh inputs of its own, in a sandbox.
check.targets_on_worst_seed(targets_on_worst_seed)

# %%
worst_freq = max(x["worst"] for x in S.values())
worst_ratio = max(x["ratio"] for x in S.values())
targets = {"every frequency ≤ 0.01 (test), worst seed": worst_freq <= 0.01,
           "test/train ≤ 1.2, worst seed": worst_ratio <= 1.2,
           "≤ 30 epochs": all(x["epochs"] <= 30 for x in S.values())}
for name, ok in targets.items():
    print(f"target {name}: {'met' if ok else 'NOT met'}")
print(f"over seeds {SEEDS}: worst frequency {worst_freq:.4f}, test/train "
      f"{min(x['ratio'] for x in S.values()):.3f}–{worst_ratio:.3f}")
assert all(targets.values()), targets
assert max(x["test"] for x in S.values()) < 3 * min(x["test"] for x in S.values()), "the seed band should be narrow"

# %%
fig, axes = plt.subplots(1, 4, figsize=(13, 3.4), sharey=True)
ep = np.arange(1, corrected.training.num_epochs + 1)
for ax, k in zip(axes, ("1", "3", "5", "7")):
    curves = np.array([[h["frozen_test_mse_per_frequency"][k] for h in r.history] for r in band.values()])
    n = curves.shape[1]
    ax.fill_between(ep[:n], curves.min(0), curves.max(0), color=plotting.freq_color(float(k)), alpha=0.3,
                    label=f"min–max over seeds {SEEDS[0]}–{SEEDS[-1]}")
    ax.plot(ep[:n], np.median(curves, 0), color=plotting.freq_color(float(k)), label="median")
    ax.axhline(0.01, color=plotting.GREY, lw=1.5, ls="--", label="target 0.01")
    ax.set(title=f"{k} Hz", xlabel="epoch", yscale="log")
axes[0].set_ylabel("frozen test MSE")
axes[0].legend(fontsize=7, loc="upper right")
fig.suptitle("The corrected recipe, per frequency, over seeds", y=1.02)
plotting.save(fig, "04_corrected_band")
plt.show()

# %% [markdown]
# Every seed meets every target, and the seeds' test MSEs stay within a factor of
# three of each other (checked below): the recipe, not a lucky seed, does the work. The curves below show seed 0 in detail: online loss
# against the frozen metrics, and the epoch that validation selects.

# %%
ep = np.arange(1, fix.epochs_run + 1)
fig, ax = plt.subplots(figsize=(9, 3.8))
ax.plot(ep, [h["online_loss"] for h in fix.history], "o-", ms=3, label="online loss (training windows)")
ax.plot(ep, [h["frozen_val_mse"] for h in fix.history], "-", label="frozen validation MSE (selects the model)")
ax.plot(ep, [h["frozen_test_mse"] for h in fix.history], "--", label="frozen test MSE (reported only)")
ax.axvline(fix.best_epoch, color="k", ls=":", lw=1, label=f"selected epoch {fix.best_epoch}")
ax.axhline(0.01, color=plotting.GREY, lw=2, label="target 0.01")
ax.set(xlabel="epoch", ylabel="MSE", yscale="log", title="Seed 0: online loss, frozen validation and test MSE")
ax.legend(fontsize=8)
plotting.save(fig, "04_corrected_run")
plt.show()

# %% [markdown]
# ## Same seed, another CPU: why every claim here is a band
# The runs above used this machine's instruction set. A CPU with another one
# (AVX-512, AVX2 or plain x86-64) rounds some sums differently in the last bit.
# Training amplifies that bit into a different run. We can watch it happen: the
# cell below trains seed 0 again in a fresh Python process whose torch is told to
# use an older instruction set (`ATEN_CPU_CAPABILITY`, `MKL_ENABLE_INSTRUCTIONS`,
# `ONEDNN_MAX_CPU_ISA`). It takes about half a minute, and is cached.

# %%
native_cap = torch.backends.cpu.get_cpu_capability()
other = robustness.other_profile(native_cap)
if other is None:
    print(f"this CPU runs torch at capability {native_cap}: there is no older profile to compare with")
else:
    alt = robustness.cached_profile_run(other, seed=0)
    table = ["| seed 0 | capability | 1 Hz | 3 Hz | 5 Hz | 7 Hz | test/train |", "|---|---|---|---|---|---|---|"]
    for label, cap, per, ratio in (("this process", native_cap, S[0]["per"], S[0]["ratio"]),
                                   (f"profile '{other}'", alt["machine"]["cpu_capability"],
                                    alt["test_mse_per_frequency"], alt["ratio"])):
        table.append(f"| {label} | {cap} | " + " | ".join(f"{per[k]:.4f}" for k in ("1", "3", "5", "7"))
                     + f" | {ratio:.3f} |")
    display(Markdown("\n".join(table)))
    diff = max(abs(alt["test_mse_per_frequency"][k] - S[0]["per"][k]) for k in ("1", "3", "5", "7"))
    display(Markdown(f"Same seed, same code, {native_cap} against {alt['machine']['cpu_capability']}: "
                     f"the per-frequency errors differ by up to {diff:.4f} "
                     f"({'a different run' if diff > 0 else 'identical here'}). "
                     f"Both meet the targets: worst frequency {max(alt['test_mse_per_frequency'].values()):.4f}, "
                     f"test/train {alt['ratio']:.3f}."))
    assert max(alt["test_mse_per_frequency"].values()) <= 0.01 and alt["ratio"] <= 1.2

# %% [markdown]
# This is why the course asserts only what holds over several seeds and over
# instruction sets, with a margin: "every frequency ≤ 0.01 on the worst seed", never
# "seed 0 scores 0.0024". Your numbers will differ from the committed outputs in
# the last digits. `make robustness` runs the recipe for three seeds under three
# CPU profiles and writes the spread to `benchmarks/robustness.json`.

# %% [markdown]
# ## Does the gate-bias initialisation matter? And is the fix the information or the optimiser?
# Three controls, each changing one thing of the corrected run:
# - the gate biases left at PyTorch's initialisation (seed 0);
# - the previous recipe's constant forget-gate bias +2 instead of chrono (seeds 0–2);
# - the spec's noise (`phase_scale` 1.0) instead of the learnable profile (seed 0).

# %%
no_init = runs.cached_train(corrected.with_overrides({"model.chrono_tmax": None}), eval_every_epoch=True,
                            progress=PROGRESS)
constant_fb = corrected.with_overrides({"model.chrono_tmax": None, "model.forget_bias": 2.0})
plus2 = {seed: runs.cached_train(constant_fb.replace(seed=seed), eval_every_epoch=True, progress=PROGRESS)
         for seed in SEEDS}
spec_fix = runs.cached_train(corrected.with_overrides({"data.phase_scale": 1.0}), eval_every_epoch=True,
                             progress=PROGRESS)

# %%
P2 = {seed: summary(r) for seed, r in plus2.items()}
def band_line(label, xs):
    w, rt = [x["worst"] for x in xs], [x["ratio"] for x in xs]
    return (f"| {label} | {len(xs)} | {min(x['test'] for x in xs):.4f}–{max(x['test'] for x in xs):.4f} | "
            f"{min(w):.4f}–{max(w):.4f} | {min(rt):.3f}–{max(rt):.3f} |")
table = ["| variant | seeds | test MSE | worst frequency | test/train |", "|---|---|---|---|---|",
         band_line("corrected (chrono)", list(S.values())), band_line("constant forget bias +2", list(P2.values())),
         band_line("PyTorch's gate-bias initialisation", [summary(no_init)]),
         band_line("corrected regime, spec noise", [summary(spec_fix)])]
display(Markdown("\n".join(table)))
assert abs(spec_fix.metrics["test_mse"] - 0.5) < 0.02, "on the spec's noise the corrected regime stays at the baseline"
assert no_init.metrics["test_mse"] > 10 * worst_freq, "without a gate-bias initialisation 30 epochs fall short"

# %% [markdown]
# On the spec's noise the same regime, with the same optimiser and the same
# budget, stays at the predict-zero baseline. The fix is the information, not the
# optimiser. The gate-bias initialisation matters too. At PyTorch's initialisation
# the forget gates start near σ(0) = 0.5, so the cell state halves at every step,
# and 30 epochs fall far short. A constant forget bias of +2 (σ(2) ≈ 0.88) lets
# memory survive inside a window. The chrono initialisation (Tallec & Ollivier,
# 2018) goes further: each unit gets its own forget bias log(u), u ~ U(1, 99),
# and the opposite input bias, so the units start out covering memory spans from
# one to about a hundred steps. The table gives both bands as measured here.
#
# **Think!** Three seeds on one machine is a small sample. What would you run
# before you trusted "chrono is more robust than +2" on any CPU?
#
# <details class="answer"><summary>Click for an answer</summary>
#
# More seeds, and the same seeds under other instruction sets, judged on the worst
# run rather than the mean. `make robustness` does this for the shipped recipe:
# three seeds under three CPU profiles. To compare, copy `configs/corrected.yaml`,
# set `forget_bias: 2.0` and `chrono_tmax: null`, and run
# `python -m freqlstm_helpers.robustness --config your_copy.yaml --out build/plus2.json`.
#
# </details>
#
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
# whose clock starts elsewhere (notebook 05, section 5) can.
#
# </details>

# %% [markdown]
# ## Summary

# %%
print(f"- Part A, the prescription: stopped by {presc.stopped_by} at epoch {presc.epochs_run}; after 30 epochs "
      f"frozen test MSE {final_test:.4f}; reaches < 0.01: {reaches_target}; beats 0.5: {beats_baseline}.")
print(f"- Informative data alone (L=1, 5 epochs): best frozen test MSE {np.min(step1.frozen_test_mse):.3f}.")
print(f"- Corrected regime over seeds {SEEDS}: test MSE {min(x['test'] for x in S.values()):.4f}–"
      f"{max(x['test'] for x in S.values()):.4f}, worst frequency {worst_freq:.4f}, test/train ≤ {worst_ratio:.3f}, "
      f"≤ {max(x['epochs'] for x in S.values())} epochs, ≤ {max(x['cpu'] for x in S.values()):.0f} s CPU each.")
print(f"- Same regime on the spec's noise: test MSE {spec_fix.metrics['test_mse']:.4f}.")
print("- Targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in targets.items()))

# %% [markdown]
# **Next:** [05 · per-frequency evaluation](05_per_frequency_evaluation.ipynb):
# every model, per frequency, against honest baselines and a test that a
# time-counting model cannot pass.
