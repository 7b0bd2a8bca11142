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
# # 02 · L=1 state mechanics: what does "state preservation" do, step by step?
#
# The diagnostic report's model reads one row at a time (sequence length L = 1,
# batch 1). It carries the LSTM state (h, c) from each row to the next, detaches
# it, and never resets it inside an epoch. This notebook takes that sentence
# apart.
#
# The case this course is built on is summed up in [the case file](../docs/the_case.md);
# terms such as online loss, frozen MSE and L=1 are in the [glossary](../docs/glossary.md).
#
# **Previous:** [01 · signals and FFT](01_signals_and_fft.ipynb) · **Next:**
# [03 · divergence at LR 1e-3](03_divergence_at_lr_1e-3.ipynb)
#
# **What you will learn**
# 1. One LSTM step by hand, checked against `nn.LSTMCell` on the same weights.
# 2. What the state holds when it is carried, and what is lost when it is reset.
# 3. Why the state must be **detached**: what breaks, and what grows, without it.
# 4. The one-step gradient: with a detached state, each row's gradient is the
#    backprop through a single cell. You will derive it by hand and check it
#    against autograd.
# 5. The report's "nine state checks", written as code that runs against the
#    course's reference trainer, and a first look at the gap between the online
#    training loss and the frozen error.
# 6. To run the carried-versus-reset control yourself, and read a verdict from it.
#
# Your functions carry the story: your `lstm_step` runs the model in section 2,
# your gradient is the yardstick of section 4, and your reset control gives the
# verdict of section 7. Until an exercise is done, the cells after it say so in
# one line and use the course's code, so Run All still shows the whole notebook.
# Two cells ask you to **predict** an outcome before the run that decides it.
#
# **Estimated time:** 45–60 minutes. The cells run in under a minute in all.

# %% [markdown]
# ## Setup
# The model's weights come from `FrequencyLSTM.seeded(0)`, which draws from its own
# seeded generator, and the data from notebook 01's seeded builder; nothing below
# draws from global random state. The numbers that come out of training (sections
# 3 and 6) also depend on the CPU's instruction set, so the setup prints the machine.

# %%
import copy
import inspect
import time
import numpy as np
import matplotlib.pyplot as plt
import torch

from freqlstm_helpers import SignalConfig, build_dataset
from freqlstm_helpers import plotting, robustness, state_checks
from freqlstm_helpers.model import FrequencyLSTM, count_parameters
from freqlstm_helpers.teaching import predict
from freqlstm_helpers.teaching.checks import check02 as check
from freqlstm_helpers.teaching.fallback import mine_or_course

plotting.use_course_style()
torch.set_num_threads(1)           # these ops are tiny: one thread is fastest and reproducible
print(robustness.describe_machine())  # the last digits of everything trained below depend on it

train = build_dataset(SignalConfig(), split="train")
X, y = torch.from_numpy(train.X), torch.from_numpy(train.y)
N = train.n_samples
model = FrequencyLSTM.seeded(0)
print(model)
print(f"parameters: {count_parameters(model):,}")
assert count_parameters(model) == 18_241, "the report's model has 18,241 parameters"

# %% [markdown]
# The count matches the report: 4 gates × 64 units × (5 inputs + 64 recurrent
# weights) = 17,664, plus two bias vectors of 256 = 512 (PyTorch keeps `b_ih` and
# `b_hh` separately), plus a 64 → 1 head with its bias = 65. That makes 18,241.
#
# ## 1 · One LSTM step, by hand
# For input x and state (h, c), with the weights stacked in PyTorch's gate order
# **i, f, g, o**:
#
# $$z = W_{ih}x + b_{ih} + W_{hh}h + b_{hh},\quad
# i=\sigma(z_i),\ f=\sigma(z_f),\ g=\tanh(z_g),\ o=\sigma(z_o)$$
# $$c' = f\odot c + i\odot g,\qquad h' = o\odot\tanh(c').$$
#
# ### Exercise 2.1 · `lstm_step`
# Implement the step with plain tensor operations (no `nn.LSTMCell`). Shapes:
# x (5,), h and c (64,), W_ih (256, 5), W_hh (256, 64), biases (256,).

# %% nbgrader={"grade": false, "grade_id": "ex02_1_solution", "locked": false, "schema_version": 3, "solution": true}
# Exercise 02.1
def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh):
    """Return (h_new, c_new) for one LSTM step."""
    # Stuck? check.hint("02.1") gives the idea, check.hint("02.1", level=2) a closer hint.
    ### BEGIN SOLUTION
    z = W_ih @ x + b_ih + W_hh @ h + b_hh
    zi, zf, zg, zo = z.chunk(4)
    i, f, g, o = torch.sigmoid(zi), torch.sigmoid(zf), torch.tanh(zg), torch.sigmoid(zo)
    c_new = f * c + i * g
    h_new = o * torch.tanh(c_new)
    return h_new, c_new
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex02_1", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Test 02.1 (2 points). The self-check: PASSED, FAILED (it raises) or NOT DONE (it lets Run All go on).
# The grader tests your function on fresh inputs of its own, in a sandbox.
check.lstm_step(lstm_step)

# %% [markdown]
# ## 2 · What does the carried state hold?
# Run the (untrained) model over the first second of the f1 block twice: once the
# L=1 way, carrying the state from row to row, and once resetting it to zeros
# before every row. With a reset, the output can only depend on the current row,
# so the model becomes a fixed function of `[S(t), C]`. With the state carried,
# the output depends on the whole history.
#
#
# The carried run goes through **your** `lstm_step`: the loop below hands it the
# model's weights row after row and reads the output through the model's head.
# The reset run uses the course's helper `state_checks.outputs_over_rows` (you
# will write that one yourself in Exercise 2.3, and see the helper's code after it).

# %%
def carried_with(step, model, X):
    """Outputs and ‖h‖ over the rows in order, state carried, every step taken by `step`."""
    cell, head = model.cell, model.head
    h = c = torch.zeros(model.hidden_size)
    outs, norms = [], []
    with torch.no_grad():
        for x in torch.as_tensor(X, dtype=torch.float32):
            h, c = step(x, h, c, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
            outs.append(float(head.weight[0] @ h + head.bias[0]))
            norms.append(float(h.norm()))
    return np.array(outs), np.array(norms)

rows = train.X[:1000]  # the first second of the f1 block
course_c = state_checks.outputs_over_rows(model, rows, carry=True)
carried = mine_or_course("02.1", lambda: carried_with(lstm_step, model, rows), lambda: course_c, "the carried run")
(out_c, h_c), (out_r, h_r) = carried.value, state_checks.outputs_over_rows(model, rows, carry=False)
print(check.cmp_line(check.cmp("carried", out_c, course_c[0], atol=1e-5)), f"({carried.source} vs the course's helper)")
assert np.allclose(out_c, course_c[0], atol=1e-5), "your step, carried over 1,000 rows, should match the model's"
print(f"{len(out_c)} rows run twice: output sd carried {out_c.std():.2e}, reset {out_r.std():.2e}")

# %%
fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 3.4))
a1.plot(train.t[:1000], h_c, label="state carried (L=1 regime)", color=plotting.OKABE_ITO[0])
a1.plot(train.t[:1000], h_r, label="state reset every row", color=plotting.OKABE_ITO[1])
a1.set(xlabel="time t (s)", ylabel="‖h‖ after the row", title="What the state holds over the f1 block")
a1.legend()
a2.scatter(train.X[:1000, 0], out_r, s=4, label="reset: output vs S(t) of the same row", color=plotting.OKABE_ITO[1])
a2.scatter(train.X[:1000, 0], out_c, s=4, label="carried: output vs S(t)", color=plotting.OKABE_ITO[0], alpha=0.5)
a2.set(xlabel="S(t) of the row", ylabel="model output", title="Reset makes the output a function of the row")
a2.legend(fontsize=8)
plt.show()

# %% [markdown]
# Is the output a function of the row alone? Fit it as a degree-5 polynomial of
# the row's S(t) and look at what is left over.

# %%
def residual_after_S(out, S=train.X[:1000, 0]):
    """Standard deviation of what is left of the output after the best degree-5 polynomial of S(t)."""
    return float(np.std(out - np.polyval(np.polyfit(S, out, 5), S)))

res_reset, res_carry = residual_after_S(out_r), residual_after_S(out_c)
print(f"residual std after explaining the output by S(t) alone: reset {res_reset:.2e}, carried {res_carry:.2e}")
assert res_reset < 1e-6, "with a reset, the output is a function of the row alone"
assert res_carry > 100 * res_reset, "with the state carried, the output depends on the history too"

# %% [markdown]
# With a reset, S(t) of the row explains the output completely: a curve through
# the orange points leaves essentially no residual. With the state carried, the
# same S(t) gives different outputs at different times, because h and c remember
# earlier rows. That memory is the only way an L=1 model can see more than one
# sample.
#
# **Think!** Notebook 01 showed that a single sample of S says nothing about the
# targets. What does that imply for a model whose state is reset every row?
#
# <details class="answer"><summary>Click for an answer</summary>
#
# With a reset, the output is a fixed function of the row `[S(t), C]`. S(t) is
# independent of the target, and C is the same on every row of a block, so the
# output carries no information about where the sine is. The best such a model
# can do is a constant per block, the target's mean, 0: the predict-zero score of
# 0.5. Whatever an L=1 model achieves beyond that must come through the state.
#
# </details>

# %% [markdown]
# ## 3 · Why detach?
# Detaching keeps the *values* of (h, c) but cuts the autograd graph, so the
# next row's backward pass stops at this row. What happens without it?
#
# **First: an optimiser step breaks the graph.** The loss at row t depends, through the
# carried state, on the weights as they were at every earlier row. Those weights
# were changed in place by `optimizer.step()`, so autograd refuses to go back:

# %%
def undetached_steps(n_rows, with_optimizer):
    m = FrequencyLSTM.seeded(0)
    opt = torch.optim.Adam(m.parameters(), lr=1e-3)
    state = m.initial_state()
    for r in range(n_rows):
        pred, state = m.step(X[r:r + 1], state)          # no detach: the graph keeps growing
        loss = (pred - y[r:r + 1]).pow(2).mean()
        opt.zero_grad()
        loss.backward(retain_graph=True)
        if with_optimizer:
            opt.step()

try:
    undetached_steps(3, with_optimizer=True)
    error = None
except RuntimeError as e:
    error = str(e).split(":")[0]
print("without detach, with Adam steps ->", error)
assert error is not None and "inplace" in error

# %% [markdown]
# **Second: even without stepping, the graph and the cost grow with every row.**
# We backpropagate each row's loss with the state *not* detached, and count the
# autograd nodes the loss depends on and the time of its backward pass. We do the
# same with the state detached. The run is bounded at 400 rows so it stays fast.
#
#
# Counting the nodes is a walk back through the graph from the loss. The course
# keeps the walk in `state_checks` (its state checks in section 5 use it too):

# %%
from freqlstm_helpers.state_checks import graph_nodes
print(inspect.getsource(graph_nodes))

# %%
def growth(n_rows, detach):
    m = FrequencyLSTM.seeded(0)
    state = m.initial_state()
    nodes, secs = [], []
    for r in range(n_rows):
        pred, state = m.step(X[r:r + 1], state)
        loss = (pred - y[r:r + 1]).pow(2).mean()
        nodes.append(graph_nodes(loss))
        t0 = time.perf_counter()
        loss.backward(retain_graph=not detach)
        secs.append(time.perf_counter() - t0)
        if detach:
            state = m.detach(state)
    return np.array(nodes), np.array(secs)

n_rows = 400
nodes_keep, secs_keep = growth(n_rows, detach=False)
nodes_det, secs_det = growth(n_rows, detach=True)

# %%
fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 3.4))
a1.plot(nodes_keep, label="not detached", color=plotting.OKABE_ITO[3])
a1.plot(nodes_det, label="detached", color=plotting.OKABE_ITO[0])
a1.set(xlabel="row", ylabel="autograd nodes behind the loss", title="Graph size per row")
a1.legend()
smooth = lambda v: np.convolve(v, np.ones(20) / 20, mode="valid")
a2.plot(1e3 * smooth(secs_keep), label="not detached", color=plotting.OKABE_ITO[3])
a2.plot(1e3 * smooth(secs_det), label="detached", color=plotting.OKABE_ITO[0])
a2.set(xlabel="row", ylabel="backward time (ms, 20-row mean)", title="Cost of one row's backward")
a2.legend()
plotting.save(fig, "02_why_detach")
plt.show()

# %%
growth_ratio = secs_keep[-50:].mean() / secs_keep[:50].mean()
print(f"graph nodes at row 1 / row {n_rows}: not detached {nodes_keep[0]} / {nodes_keep[-1]}, "
      f"detached {nodes_det[0]} / {nodes_det[-1]}")
print(f"backward time, last 50 rows vs first 50: not detached x{growth_ratio:.1f}, "
      f"detached x{secs_det[-50:].mean() / secs_det[:50].mean():.1f}")
assert nodes_det.max() == nodes_det.min(), "with detach the graph behind each loss has a fixed size"
assert nodes_keep[-1] > 100 * nodes_keep[0] / 2, "without detach the graph grows with every row"
assert growth_ratio > 3, "without detach each backward costs more and more"

# %% [markdown]
# Without detach, the graph behind row r holds all r rows, so the total cost of
# an epoch grows with the square of its length. A 40,000-row epoch would be
# hopeless. With detach, every row costs the same. The price is that **no
# gradient crosses a row boundary**: the model is trained as if each row's loss
# depended only on the current step.
#
# ## 4 · The one-step gradient
# Because (h, c) arrive detached, the gradient of the row's loss
# L = (w_out·h' + b_out − y)² reaches the weights through **one** cell only:
#
# $$\frac{\partial L}{\partial \hat y} = 2(\hat y - y),\quad
# \delta h' = \frac{\partial L}{\partial \hat y}\,w_{out},\quad
# \delta o = \delta h' \odot \tanh(c'),\quad
# \delta c' = \delta h' \odot o \odot (1-\tanh^2 c'),$$
# $$\delta i = \delta c' \odot g,\quad \delta f = \delta c' \odot c,\quad \delta g = \delta c' \odot i,$$
# then through each gate's nonlinearity (σ' = σ(1−σ), tanh' = 1 − tanh²) to the
# pre-activations δz. Finally ∂L/∂W_ih = δz xᵀ, ∂L/∂W_hh = δz hᵀ, and
# ∂L/∂b_ih = ∂L/∂b_hh = δz.
#
# ### Exercise 2.2 · `one_step_gradient`
# Return a dict with the gradients for keys `W_ih, W_hh, b_ih, b_hh, w_out, b_out`.
# `params` holds tensors with those names (`w_out` has shape (64,), `b_out` is a scalar).

# %% nbgrader={"grade": false, "grade_id": "ex02_2_solution", "locked": false, "schema_version": 3, "solution": true}
# Exercise 02.2
def one_step_gradient(x, h, c, y, params):
    """Gradients of (pred - y)^2 for one row, with h and c treated as constants."""
    # Stuck? check.hint("02.2") gives the idea, check.hint("02.2", level=2) a closer hint.
    ### BEGIN SOLUTION
    P = params
    z = P["W_ih"] @ x + P["b_ih"] + P["W_hh"] @ h + P["b_hh"]
    zi, zf, zg, zo = z.chunk(4)
    i, f, g, o = torch.sigmoid(zi), torch.sigmoid(zf), torch.tanh(zg), torch.sigmoid(zo)
    c_new = f * c + i * g
    tc = torch.tanh(c_new)
    h_new = o * tc
    pred = P["w_out"] @ h_new + P["b_out"]
    dpred = 2 * (pred - y)
    dh = dpred * P["w_out"]
    do = dh * tc
    dc = dh * o * (1 - tc ** 2)
    di, df, dg = dc * g, dc * c, dc * i
    dz = torch.cat([di * i * (1 - i), df * f * (1 - f), dg * (1 - g ** 2), do * o * (1 - o)])
    return {"W_ih": torch.outer(dz, x), "W_hh": torch.outer(dz, h), "b_ih": dz, "b_hh": dz.clone(),
            "w_out": dpred * h_new, "b_out": dpred}
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex02_2", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# Test 02.2 (3 points). The self-check: PASSED, FAILED (it raises) or NOT DONE (it lets Run All go on).
# The grader tests your function on fresh inputs of its own, in a sandbox.
check.one_step_gradient(one_step_gradient)

# %% [markdown]
# The self-check compared your gradients with autograd on a cell whose state
# carries no graph. Does the L=1 trainer compute exactly that? Your gradient is
# now the yardstick. Take row 300 of the f1 block and let autograd compute that
# row's gradient in two runs of the untrained model from row 1: **(a)** the state
# detached after every row, as the L=1 trainer does, and **(b)** never detached,
# so the graph reaches back to row 1 (no optimiser steps, so autograd can go back).
# **Predict:** which of the two equals your one-step gradient, fed the state that
# row 300 starts from?

# %%
my_prediction = None  # one of "(a) only", "(b) only", "both", "neither"

# %%
NAMES = ("W_ih", "W_hh", "b_ih", "b_hh", "w_out", "b_out")

def row_gradient(row, detach):
    """Autograd's gradient of row `row`'s loss after rows 0..row-1, and the state that row starts from."""
    m = FrequencyLSTM.seeded(0)
    state = m.initial_state()
    for r in range(row):
        _, state = m.step(X[r:r + 1], state)
        state = m.detach(state) if detach else state
    pred, _ = m.step(X[row:row + 1], state)
    params = (m.cell.weight_ih, m.cell.weight_hh, m.cell.bias_ih, m.cell.bias_hh, m.head.weight, m.head.bias)
    grads = torch.autograd.grad((pred - y[row:row + 1]).pow(2).sum(), params)
    values = {k: p.detach().reshape(-1) if k == "w_out" else p.detach() for k, p in zip(NAMES, params)}
    values["b_out"] = values["b_out"][0]
    return {k: g.reshape(values[k].shape) for k, g in zip(NAMES, grads)}, [s.detach()[0] for s in state], values

# %%
grad_a, (h300, c300), params300 = row_gradient(300, detach=True)
grad_b, _, _ = row_gradient(300, detach=False)
yours = mine_or_course("02.2", lambda: one_step_gradient(X[300], h300, c300, y[300], params300),
                       lambda: grad_a, "the one-step gradient")  # the fallback: (a) itself
def rel_gap(g):
    return max(float((g[k] - torch.as_tensor(yours.value[k])).norm() / g[k].norm()) for k in NAMES)
gap_a, gap_b = rel_gap(grad_a), rel_gap(grad_b)
print(f"largest relative difference from the one-step gradient ({yours.source}): (a) {gap_a:.1e}, (b) {gap_b:.1e}")
same_a, same_b = gap_a < 1e-4, gap_b < 1e-4
print(predict.compare(my_prediction, {(True, False): "(a) only", (False, True): "(b) only", (True, True): "both"}
                      .get((same_a, same_b), "neither"), ("(a) only", "(b) only", "both", "neither")))
assert same_a and gap_b > 0.1, "detached: one cell's gradient; not detached: the history adds to it"

# %% [markdown]
# With the state detached, the trainer's gradient at row 300 is your one-step
# gradient to float precision: one cell, nothing more. Without detach, the
# history adds a part that your formula leaves out, and not a small one: the
# cell above measures a relative difference of more than a tenth. The detached
# computation is what the L=1 trainer repeats 40,000 times per epoch. Notebook 03
# uses a compiled engine built on these formulas.
#
# **Think!** ∂L/∂W_hh = δz hᵀ uses the carried h, but no gradient flows *into* h.
# What can the recurrent weights learn from one-step gradients, and what can't
# they learn?
#
# <details class="answer"><summary>Click for an answer</summary>
#
# They can learn to *use* the state they are handed: to map the carried h to a
# better output at this very row. They cannot learn to *shape* the state for
# later: no gradient tells an earlier step that keeping something in h would help
# a row further on, because the graph is cut after every row. Memory that spans
# many rows, such as the phase of a 1 Hz sine (1,000 rows per period), is never
# trained for; it can only arise by accident. Truncated backpropagation through
# time, in notebook 04, lets the gradient cross row boundaries.
#
# </details>

# %% [markdown]
# ## 5 · The report's state checks, as code that runs
# The report says a state debugger passed nine checks, but it does not list
# them. Here are the nine the course believes they were, each run against the
# course's reference trainer (`trainer.TorchEngine`) while it trains on 200 real
# rows across the f1 → f2 block boundary.

# %%
from IPython.display import Markdown, display

results = state_checks.run_state_checks(train)
display(Markdown("\n".join(["| check | result | evidence |", "|---|---|---|"] +
                           [f"| {c.name} | {'pass' if c.passed else '**FAIL**'} | {c.evidence} |" for c in results])))
assert all(c.passed for c in results), [c.name for c in results if not c.passed]

# %% [markdown]
# All nine pass: the implementation does exactly what the L=1 regime says.
# Notice what none of them asks: *can this regime learn the task?* A correct
# implementation of a specification that cannot work still fails.
#
# ## 6 · A first look: online loss vs frozen MSE
# The training below runs through an **engine**: the report's L=1 loop, packaged.
# For each row it steps the model once from the carried state, takes the squared
# error, backpropagates, clips the gradient norm at 1.0, takes an Adam step and
# detaches the state. `trainer.make_engine("torch", ...)` is the readable one
# (`trainer.TorchEngine`), and `"fused"` is the same loop compiled; you write the
# loop yourself in notebook 03 (Exercise 3.1).
#
# The engine records the **online loss**: each row's error just before the
# model updates on it. That is what the report calls "loss". The **frozen MSE**
# fixes the weights and scores every row, state carried. We train on the first
# 4,000 rows (the start of the f1 block) with the report's settings. Every 500
# rows we freeze a copy and score it on the same 4,000 rows.

# %%
from freqlstm_helpers import trainer
from freqlstm_helpers.config import load_config
from freqlstm_helpers.paths import configs_dir

v1 = load_config(configs_dir() / "v1_lr1e-3.yaml")
short_model = FrequencyLSTM.seeded(v1.seed)
engine = trainer.make_engine("torch", short_model, v1)
engine.reset_state()
rows_seen, online, frozen = [], [], []
for start in range(0, 4000, 500):
    losses, _ = engine.train_rows(train.X[start:start + 500], train.y[start:start + 500])
    preds, _ = trainer.frozen_predict(short_model, train.X[:4000])
    rows_seen.append(start + 500)
    online.append(float(losses.mean()))
    frozen.append(float(np.mean((preds - train.y[:4000]) ** 2)))

fig, ax = plt.subplots(figsize=(7, 3.4))
ax.plot(rows_seen, online, "o-", label="online loss (mean of the last 500 rows)", color=plotting.OKABE_ITO[0])
ax.plot(rows_seen, frozen, "s-", label="frozen MSE on rows 1–4,000", color=plotting.OKABE_ITO[3])
ax.set(xlabel="rows trained", ylabel="MSE", yscale="log", title="Same model, two numbers")
ax.legend()
plt.show()
print(f"after 4,000 rows: online loss {online[-1]:.5f}, frozen MSE on the same rows {frozen[-1]:.4f}")
assert frozen[-1] > 10 * online[-1], "the frozen error should be far above the online loss"

# %% [markdown]
# The online loss is tiny, while the same weights, frozen, are far off on the very
# rows they were trained on. Where does the low online loss come from? One
# controlled measurement: from the state the run has reached at row 4,000, score
# the next 500 rows twice, once as the engine does (an Adam step after each row,
# on a copy of the engine) and once with the weights held fixed (no step at all).
# Same weights, same rows, same starting state; only the steps differ.
# **Predict:** which mean error is lower?

# %%
my_prediction = None  # one of "with steps", "without steps", "about the same"

# %%
nxt = slice(4000, 4500)
stepping = copy.deepcopy(engine)  # the same weights, state and Adam moments; the original stays as it is
with_steps, _ = stepping.train_rows(train.X[nxt], train.y[nxt])
held, _ = trainer.frozen_predict(short_model, train.X[nxt], state=engine.state)
err_with, err_without = float(with_steps.mean()), float(np.mean((held - train.y[nxt]) ** 2))
print(f"rows 4,001-4,500: mean online error with an Adam step after each row {err_with:.5f}, "
      f"without steps {err_without:.4f}")
lower = "with steps" if err_with < err_without / 2 else "without steps" if err_without < err_with / 2 else "about the same"
print(predict.compare(my_prediction, lower, ("with steps", "without steps", "about the same")))
assert err_with < 0.01 * err_without and 0.4 < err_without < 0.6, "the low online loss comes from the steps"

# %% [markdown]
# The weights at row 4,000 know almost nothing: held fixed, they score about the
# predict-zero 0.5 on the next rows. Give them one optimiser step per row and
# the same rows score more than a hundred times better. The low online loss is
# made by the steps taken *while* scoring, not by anything the weights hold. How
# a step on row r can make row r+1 look right is the question notebook 03
# answers; keep this measurement for then.

# %% [markdown]
# ## 7 · Your own control: carried vs reset
# Section 2 ran a control: the same model, once carrying its state and once
# resetting it before every row. Run it yourself now, and put a new question to it:
# after the 4,000 rows of training in section 6, does the model's output depend on
# the history?
#
# ### Exercise 2.3 · The reset control
# Write `reset_outputs(model, X)`: the model's output for each row of `X` (a NumPy
# array of rows `[S, C1..C4]`) when the state is reset to zeros before every row.
# Nothing is trained, so the weights must not change. Return one float per row.
# The model calls you need all appear in section 3's code. The self-check compares
# your outputs with all rows run side by side in one batch, each from a zero
# state, and tells you if you carried the state by mistake.

# %% nbgrader={"grade": false, "grade_id": "ex02_3_solution", "locked": false, "schema_version": 3, "solution": true}
# Exercise 02.3
def reset_outputs(model, X):
    """The model's output for every row when the state is reset to zeros before each row; no training."""
    # Stuck? check.hint("02.3") gives the idea, check.hint("02.3", level=2) a closer hint.
    ### BEGIN SOLUTION
    X = torch.as_tensor(X, dtype=torch.float32)
    out = np.empty(len(X))
    with torch.no_grad():
        for r in range(len(X)):
            pred, _ = model.step(X[r:r + 1], model.reset())  # a fresh zero state for every row
            out[r] = pred.item()
    return out
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ex02_3", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Test 02.3 (2 points). The self-check: PASSED, FAILED (it raises) or NOT DONE (it lets Run All go on).
# The grader tests your function on fresh inputs of its own, in a sandbox.
check.reset_outputs(reset_outputs)

# %% [markdown]
# Your control now gives the verdict on the trained model of section 6: its
# outputs over the first second, state carried (frozen, as in section 6) and state
# reset (your `reset_outputs`), each explained as well as a polynomial of the
# row's S(t) can. The course's helper runs the same control alongside, as a check
# on yours.

# %%
first = train.X[:1000]
resets = mine_or_course("02.3", lambda: {n: np.asarray(reset_outputs(m, first), dtype=np.float64).reshape(-1)
                                         for n, m in (("untrained", model), ("trained", short_model))},
                        lambda: {"untrained": out_r,
                                 "trained": state_checks.outputs_over_rows(short_model, first, carry=False)[0]},
                        "the reset runs")
for name, m in (("untrained", model), ("trained", short_model)):
    course = state_checks.outputs_over_rows(m, first, carry=False)[0]
    print(check.cmp_line(check.cmp(name, resets.value[name], course, atol=1e-6)), f"({resets.source} vs the course's)")
    assert np.allclose(resets.value[name], course, atol=1e-6), "your control should reproduce the course's"
trained_reset = resets.value["trained"]
trained_carried, _ = trainer.frozen_predict(short_model, first)

# %%
res_t_reset, res_t_carry = residual_after_S(trained_reset), residual_after_S(trained_carried)
print(f"trained model, residual std after S(t) alone: reset {res_t_reset:.2e}, carried {res_t_carry:.2e}")
trained_uses_history = res_t_carry > 100 * res_t_reset
print("verdict: the trained model's output", "depends on the history" if trained_uses_history
      else "is a function of the row alone")
sd_out, sd_target = trained_carried.std(), train.y[:1000].std()
print(f"sd of its output (state carried) {sd_out:.4f}; sd of the target {sd_target:.2f}")
assert trained_uses_history and sd_out < 0.1 * sd_target

# %% [markdown]
# Trained or not, the output depends on the history: the state is in use. But
# after 4,000 rows the frozen output hardly moves, its spread a few thousandths
# against the target's 0.7. What training left in the weights is no sine; the
# frozen MSE of section 6 said the same.

# %% [markdown]
# Here is the helper that ran section 2, printed from the course's own code. The
# reset is one line, and so is the detach:

# %%
print(inspect.getsource(state_checks.outputs_over_rows))

# %% [markdown]
# ## Optional · How long does the state remember?
# *Optional, not graded; your instructor may discuss it (rubric in `docs/rubrics/nb02.md`).*
#
# The carried state is the model's only memory. How long does it hold something?
# Bump S at one row, run the same rows again, and count the rows after the bump
# during which the output still differs by more than `tol`. The defaults run in a
# second or two. Try the untrained and the trained model, other bump sizes and
# tolerances, a bump in the middle of the rows. What sets the length you find, and
# how does it compare with the 1,000 rows of one period at 1 Hz?

# %%
def memory_rows(m, X, at=100, bump=1.0, tol=1e-6):
    """Rows after a bump of S at row `at` until the carried run's output stops differing by more than tol."""
    bumped = X.copy()
    bumped[at, 0] += bump
    a, _ = state_checks.outputs_over_rows(m, X, carry=True)
    b, _ = state_checks.outputs_over_rows(m, bumped, carry=True)
    still = np.nonzero(np.abs(a - b)[at:] > tol)[0]
    return int(still.max()) + 1 if still.size else 0

for name, m in (("untrained", model), ("trained (section 6)", short_model)):
    print(f"{name:<20} remembers a bump of 1.0 for {memory_rows(m, train.X[:600])} rows (tol 1e-6)")

# %% [markdown]
# ## Summary

# %%
print(f"- Your LSTM step against nn.LSTMCell: {check.lstm_step.result(lstm_step).status}")
print(f"- Reset every row makes the output a function of the row (residual {res_reset:.1e}); "
      f"the carried state adds history (residual {res_carry:.1e}).")
print(f"- Without detach the graph grows from {nodes_keep[0]} to {nodes_keep[-1]} nodes in {n_rows} rows, "
      f"and backward slows x{growth_ratio:.0f}; with detach it stays at {nodes_det[-1]}.")
print(f"- Your hand-derived one-step gradient against autograd: {check.one_step_gradient.result(one_step_gradient).status}")
print(f"- Executable state checks passed: {sum(c.passed for c in results)}/{len(results)}")
print(f"- After 4,000 rows: online loss {online[-1]:.5f} vs frozen MSE {frozen[-1]:.4f}; on the next 500 rows "
      f"{err_with:.5f} with a step after each row, {err_without:.4f} without")
print(f"- The L=1 trainer's gradient at row 300 is the one-step gradient (relative gap {gap_a:.0e}); "
      f"without detach it is not ({gap_b:.0e}); the one-step gradient: {yours.source}")
print(f"- The trained model's output {'depends on the history' if trained_uses_history else 'is a function of the row'}"
      f" (residual after S: carried {res_t_carry:.1e}, reset {res_t_reset:.1e}), but barely moves (sd {sd_out:.4f}).")

# %% [markdown]
# **Previous:** [01 · signals and FFT](01_signals_and_fft.ipynb) · **Next:**
# [03 · divergence at LR 1e-3](03_divergence_at_lr_1e-3.ipynb): does the
# report's run reproduce, and is its diagnosis right?
