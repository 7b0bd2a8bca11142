"""The loop exercises' self-checks pass the right loop row for row and name the classic mistakes."""
import numpy as np
import torch

from freqlstm_helpers import check, stream_trainer


def good_l1(model, optimizer, X, y, max_norm, reset=False, detach=True):
    X, y = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.float32)
    state, losses = model.initial_state(1), []
    for i in range(len(X)):
        if reset:
            state = model.initial_state(1)
        pred, state = model.step(X[i:i + 1], state)
        loss = ((pred - y[i:i + 1]) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
        optimizer.step()
        losses.append(loss.item())
        if detach:
            state = model.detach(state)
    return np.array(losses)


def test_l1_loop_check_passes_the_loop_and_explains_mistakes():
    assert check.l1_epoch.result(good_l1).passed
    reset = check.l1_epoch.result(lambda *a: good_l1(*a, reset=True))
    assert reset.status == check.FAILED and "resets the state" in reset.message, reset
    undetached = check.l1_epoch.result(lambda *a: good_l1(*a, detach=False))
    assert undetached.status == check.FAILED and "Detach" in undetached.message, undetached

    def stub(*a):
        raise NotImplementedError
    assert check.l1_epoch.result(stub).status == check.NOT_DONE


def test_window_check_passes_the_trainers_window_and_catches_a_wrong_tail():
    assert check.window_step.result(stream_trainer.window_step).passed

    def scores_everything(model, opt, x_win, y_scored, state, max_norm):
        out, new_state = model.sequence(x_win, state)
        loss = ((out[:len(y_scored)] - y_scored) ** 2).mean()  # the head of the window, not its tail
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item(), model.detach(new_state)
    wrong = check.window_step.result(scores_everything)
    assert wrong.status == check.FAILED and "window" in wrong.message, wrong


def test_the_verdict_check_rejects_a_constant_answer():
    assert check.classify_model.result(lambda u, s: "extracts").status == check.FAILED
