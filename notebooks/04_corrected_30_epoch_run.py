# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: -all
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

# %% [markdown]
# ## Setup

# %%
import numpy as np
import matplotlib.pyplot as plt
import torch
from IPython.display import Markdown, display

from freqlstm_helpers import SignalConfig, build_dataset, predict_zero_mse, LEARNABLE_PHASE_SCALE
from freqlstm_helpers import check, paths, plotting, runs, spectrum, trainer
from freqlstm_helpers.config import load_config

plotting.use_course_style()
torch.set_num_threads(1)
PROGRESS = not paths.headless()

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
ax.plot(ep, full.frozen_train_mse, "-", color=plotting.OKABE_ITO[2], label="frozen train MSE")
ax.plot(ep, full.frozen_test_mse, "--", color=plotting.OKABE_ITO[3], label="frozen test MSE")
ax.step([1, 5, 15, 25, 30], [0.5, 0.2, 0.05, 0.01, 0.01], where="post", color=plotting.GREY, lw=2,
        label="report's predicted ceiling")
ax.axvline(presc.epochs_run, color="k", ls=":", lw=1, label=f"prescribed run stops ({presc.stopped_by})")
ax.axhline(BASELINE, color="k", lw=0.8, alpha=0.5)
ax.set(xlabel="epoch", ylabel="MSE", yscale="log", ylim=(5e-3, 1), title="The prescribed fix against its predicted timeline")
ax.legend(fontsize=8, loc="lower left")
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
      f"so no setting of the optimiser can beat the baseline")
assert not reaches_target and not beats_baseline
assert np.all(np.abs(full.frozen_test_mse - 0.5) < 0.01)

# %% [markdown]
# The prescription fails every prediction. The learning rate was never the
# problem: the input carries no information about the targets, so the frozen error
# stays at the predict-zero baseline whatever the optimiser does. Early stopping
# also watched the wrong number. It stopped on the online loss, which measures
# chasing (notebook 03), not learning.
#
# **Think!** The report's decision tree says: if the loss plateaus at 0.05–0.2,
# raise the LR to 3e-4; if it stays above 0.2, "debug the data". Where on that tree
# does this run land, and which branch should have been taken first?

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
# 4. **Whatever else the measurements call for.** Here: a forget-gate bias, an
#    input gain and a cosine learning-rate schedule.
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
# online loss. Here is what that choice costs, on the same run:

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

# %%
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


# %%
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

# %%
# Exercise 04.2
def tbptt_windows(n, k):
    """Consecutive (start, stop) windows of k steps covering range(n)."""
    # Hint: starts are range(0, n, k); each window stops k later, but never past n.
    ### BEGIN SOLUTION
    return [(start, min(start + k, n)) for start in range(0, n, k)]
    ### END SOLUTION


# %%
check.tbptt_windows(tbptt_windows)

# %% [markdown]
# **Which window?** The assignment allows windows of 10 or 50 and asks for a
# justification. We compare windows at an equal budget of 10 epochs, four parallel
# streams and everything else as in `corrected.yaml`. Then we compare one
# frequency-major stream (the report's row order) against the four parallel
# streams. Each run takes seconds to a minute and is cached.

# %%
corrected = load_config(paths.configs_dir() / "corrected.yaml")
COMPARE_EPOCHS = 10
variants = {
    "window 10 (assignment)": {"streams.window": 10, "streams.stride": 10},
    "window 50 (assignment)": {"streams.window": 50, "streams.stride": 50},
    "window 200": {"streams.window": 200, "streams.stride": 200},
    "window 400, step every 200 (shipped)": {},
    "one frequency-major stream, window 400/200": {"streams.parallel": False},
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
shipped = best_val(compare["window 400, step every 200 (shipped)"])[0]
for label in ("window 10 (assignment)", "window 50 (assignment)", "one frequency-major stream, window 400/200"):
    assert shipped < best_val(compare[label])[0], f"the shipped window should beat '{label}'"

# %% [markdown]
# Longer windows learn more per epoch. Separating 1 Hz from 3 Hz takes about a
# second of history, and a 10-step window lets the gradient see 10 ms of it. The
# windows of 10 and 50 steps that the assignment allows are measurably worse at
# the same budget. Windows of 200, and of 400 with a step every 200, come out
# close at 10 epochs. We ship the overlapping one because its gradient reaches
# back twice as far for the same number of updates. Parallel streams beat one
# frequency-major stream, which spends whole blocks on one frequency, so each
# block pulls the weights away from the others.
#
# ## Step 4 · The full 30-epoch corrected run
# Everything in `configs/corrected.yaml`: learnable data, four parallel streams,
# truncated BPTT 400/200, forget-gate bias +2, input gain 4, Adam at 2e-3 with a
# cosine schedule, and selection and early stopping on frozen validation MSE.

# %%
print(corrected.to_yaml().split("streams:")[1].split("data:")[0].strip())
fix = runs.cached_train(corrected, eval_every_epoch=True, progress=PROGRESS)
m = fix.metrics
ratio = m["test_mse"] / m["train_mse"]
cpu = fix.history[-1]["cpu_seconds"]
print(f"stopped by {fix.stopped_by} after {fix.epochs_run} epochs; best on validation: epoch {fix.best_epoch}; "
      f"CPU {cpu:.0f} s")
table = ["| | 1 Hz | 3 Hz | 5 Hz | 7 Hz | all |", "|---|---|---|---|---|---|"]
for split in ("train", "test"):
    per = m[f"{split}_mse_per_frequency"]
    table.append(f"| frozen {split} MSE | " + " | ".join(f"{per[k]:.4f}" for k in ("1", "3", "5", "7"))
                 + f" | {m[f'{split}_mse']:.4f} |")
display(Markdown("\n".join(table)))
targets = {"every frequency ≤ 0.01 (test)": max(m["test_mse_per_frequency"].values()) <= 0.01,
           "test/train ≤ 1.2": ratio <= 1.2, "≤ 30 epochs": fix.epochs_run <= 30, "≤ 90 s CPU": cpu <= 90}
for name, ok in targets.items():
    print(f"target {name}: {'met' if ok else 'NOT met'}")
print(f"generalisation ratio test/train: {ratio:.2f}")
assert targets["every frequency ≤ 0.01 (test)"] and targets["test/train ≤ 1.2"]

# %%
ep = np.arange(1, fix.epochs_run + 1)
fig, ax = plt.subplots(figsize=(9, 3.8))
ax.plot(ep, [h["online_loss"] for h in fix.history], "o-", ms=3, label="online loss (training windows)")
ax.plot(ep, [h["frozen_val_mse"] for h in fix.history], "-", label="frozen validation MSE (selects the model)")
ax.plot(ep, [h["frozen_test_mse"] for h in fix.history], "--", label="frozen test MSE (reported only)")
ax.axvline(fix.best_epoch, color="k", ls=":", lw=1, label=f"selected epoch {fix.best_epoch}")
ax.axhline(0.01, color=plotting.GREY, lw=2, label="target 0.01")
ax.set(xlabel="epoch", ylabel="MSE", yscale="log", title="The corrected regime learns, and the frozen metrics agree")
ax.legend(fontsize=8)
plotting.save(fig, "04_corrected_run")
plt.show()

# %% [markdown]
# ## Does the forget-gate bias matter? And is the fix the information or the optimiser?
# Two controls, each changing one thing of the corrected run:
# - the forget-gate bias left at PyTorch's initialisation;
# - the spec's noise (`phase_scale` 1.0) instead of the learnable profile.

# %%
no_fb = runs.cached_train(corrected.with_overrides({"model.forget_bias": None}), eval_every_epoch=True,
                          progress=PROGRESS)
spec_fix = runs.cached_train(corrected.with_overrides({"data.phase_scale": 1.0}), eval_every_epoch=True,
                             progress=PROGRESS)
for label, r in (("corrected", fix), ("without forget-gate bias", no_fb), ("corrected regime, spec noise", spec_fix)):
    print(f"{label:<30} test MSE {r.metrics['test_mse']:.4f}  worst frequency "
          f"{max(r.metrics['test_mse_per_frequency'].values()):.4f}  ({r.epochs_run} epochs, {r.stopped_by})")
assert abs(spec_fix.metrics["test_mse"] - 0.5) < 0.02, "on the spec's noise the corrected regime stays at the baseline"
assert no_fb.metrics["test_mse"] > 10 * fix.metrics["test_mse"], "without the forget-gate bias 30 epochs fall short"

# %% [markdown]
# On the spec's noise the same regime, with the same optimiser and the same
# budget, stays at the predict-zero baseline. The fix is the information, not the
# optimiser. The forget-gate bias matters too. At PyTorch's initialisation the
# forget gates start near σ(0) = 0.5, so the cell state halves at every step.
# With a bias of +2 they start near σ(2) ≈ 0.88, so memory and gradients survive
# far longer inside a window, and 30 epochs are then enough.
#
# **Think!** The corrected model is evaluated from a zero state at t = 0, like
# the assignment's test. Train and test share the same time grid. Could a model
# score well by counting samples instead of reading S? Notebook 05 tests exactly that.

# %% [markdown]
# ## Summary

# %%
print(f"- Part A, the prescription: stopped by {presc.stopped_by} at epoch {presc.epochs_run}; after 30 epochs "
      f"frozen test MSE {final_test:.4f}; reaches < 0.01: {reaches_target}; beats 0.5: {beats_baseline}.")
print(f"- Informative data alone (L=1, 5 epochs): best frozen test MSE {np.min(step1.frozen_test_mse):.3f}.")
print(f"- Corrected regime: test MSE {m['test_mse']:.4f}, worst frequency "
      f"{max(m['test_mse_per_frequency'].values()):.4f}, ratio {ratio:.2f}, {fix.epochs_run} epochs, {cpu:.0f} s CPU.")
print(f"- Same regime on the spec's noise: test MSE {spec_fix.metrics['test_mse']:.4f}.")
print("- Targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in targets.items()))

# %% [markdown]
# **Next:** [05 · per-frequency evaluation](05_per_frequency_evaluation.ipynb):
# every model, per frequency, against honest baselines and a test that a
# time-counting model cannot pass.
