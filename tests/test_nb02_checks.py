"""Notebook 02's new check (Exercise 02.3, the reset control) and the helpers the notebook shows."""
import numpy as np
import torch

from freqlstm_helpers import check, state_checks
from freqlstm_helpers.model import FrequencyLSTM


def reset_run(model, X, carry=False):
    X = torch.as_tensor(X, dtype=torch.float32)
    state, out = model.initial_state(), []
    with torch.no_grad():
        for r in range(len(X)):
            if not carry:
                state = model.reset()
            pred, state = model.step(X[r:r + 1], state)
            out.append(pred)  # a list of tensors is accepted too
    return out


def test_reset_control_check_passes_the_control_and_names_the_mistakes():
    assert check.reset_outputs.result(reset_run).passed
    carried = check.reset_outputs.result(lambda m, X: reset_run(m, X, carry=True))
    assert carried.status == check.FAILED and "carries the state" in carried.message, carried
    short = check.reset_outputs.result(lambda m, X: reset_run(m, X)[:-1])
    assert short.status == check.FAILED and "one output per row" in short.message, short

    def trains(model, X):
        with torch.no_grad():
            model.head.bias += 1.0
        return reset_run(model, X)
    assert check.reset_outputs.result(trains).status == check.FAILED

    def helper_alone(model, X):
        raise NotImplementedError()
    assert check.reset_outputs.result(helper_alone).status == check.NOT_DONE
    guarded = check.reset_outputs.result(state_checks.outputs_over_rows)
    assert "that is the course's own helper; write your own" in guarded.message, guarded


def test_outputs_over_rows_reset_is_a_function_of_the_row():
    model = FrequencyLSTM.seeded(0)
    X = np.random.default_rng(0).normal(size=(50, 5)).astype(np.float32)
    out_r, _ = state_checks.outputs_over_rows(model, X, carry=False)
    out_c, _ = state_checks.outputs_over_rows(model, X, carry=True)
    with torch.no_grad():
        batched = model.step(torch.from_numpy(X), model.initial_state(50))[0].numpy()
    assert np.allclose(out_r, batched, atol=1e-6) and not np.allclose(out_c, batched, atol=1e-6)
    assert out_c[0] == out_r[0]  # the first row starts from zeros either way


def test_graph_nodes_is_the_recorders_walk():
    assert state_checks.graph_nodes is state_checks._graph_nodes
    x = torch.ones(3, requires_grad=True)
    assert state_checks.graph_nodes((x * 2).sum()) == 3  # SumBackward, MulBackward, AccumulateGrad


def test_counting_live_tensors_survives_a_dead_weak_proxy():
    """gc.get_objects() can hold a weakref.proxy whose object is gone; isinstance on it raises ReferenceError."""
    import weakref

    class Thing:
        pass
    thing = Thing()
    proxy = weakref.proxy(thing)
    del thing
    assert not state_checks._is_tensor(proxy) and state_checks._is_tensor(torch.zeros(1))
    assert isinstance(state_checks._live_tensors(), int)  # the dead proxy is in gc's view while it counts
