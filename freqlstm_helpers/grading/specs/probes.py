"""Probes: the only grading code that runs in the sandbox, next to the student's functions.

This whole file is sent into the sandbox as source and a spec names one of its functions.
A probe builds the inputs a case describes (arrays arrive as numpy arrays), calls the
student's function and returns plain data (numbers, arrays, lists, dicts); the trusted
side decides whether that data is right. A probe holds no reference and no expected
value, and imports what it needs inside the function (it runs after the exercise's
denied functions were replaced by stubs, so it never calls one of them).
"""


def call(fn, case):
    """fn(*args, **kwargs) with the case's numpy arrays as they are."""
    return fn(*case["args"], **case.get("kwargs", {}))


def call_copy_args(fn, case):
    """fn on copies of the inputs; also reports whether the inputs were left untouched."""
    import copy

    import numpy as np
    args = [copy.deepcopy(a) for a in case["args"]]
    out = fn(*args)
    same = all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(args, case["args"]))
    return {"out": out, "inputs_untouched": bool(same)}


def call_torch(fn, case):
    """fn(*args) with every array (also inside a dict) as a float32 torch tensor, under no_grad."""
    import numpy as np
    import torch

    def conv(v):
        if isinstance(v, np.ndarray):
            return torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32))
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        return v
    with torch.no_grad():
        return fn(*[conv(a) for a in case["args"]])


def _model(case):
    from freqlstm_helpers.model import FrequencyLSTM
    return FrequencyLSTM.seeded(case["seed"], hidden_size=case.get("hidden", 64))


def _weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _unchanged(model, before) -> bool:
    import torch
    return all(torch.equal(v, model.state_dict()[k]) for k, v in before.items())


def model_rows(fn, case):
    """fn(model, X[, y]) on a seeded model; also reports whether the weights stayed as they were."""
    model = _model(case)
    before = _weights(model)
    args = [case["X"].copy()] + ([case["y"].copy()] if "y" in case else [])
    out = fn(model, *args)
    return {"out": out, "weights_unchanged": _unchanged(model, before)}


def l1_rows(fn, case):
    """The student's L=1 loop on a seeded model with fused Adam, one thread (as the reference engine runs)."""
    import torch
    from freqlstm_helpers.model import one_thread
    model = _model(case)
    opt = torch.optim.Adam(model.parameters(), lr=case["lr"], fused=True)
    with one_thread():
        return fn(model, opt, case["X"].copy(), case["y"].copy(), case["max_norm"])


def _corrected(case):
    from freqlstm_helpers.config import load_config
    from freqlstm_helpers.paths import configs_dir
    return load_config(configs_dir() / "corrected.yaml").with_overrides(case["overrides"])


def stream_windows(fn, case):
    """The student's window function driven through the stream trainer's own bookkeeping, window by window."""
    from freqlstm_helpers import stream_trainer
    r = stream_trainer.first_windows(_corrected(case), case["n_windows"], step=fn)
    return {"losses": r["losses"], "weights": {k: v for k, v in r["state_dict"].items()}}


def shifted(fn, case):
    """fn(model, cfg, t0, warmup) on a freshly initialised corrected-recipe model."""
    from freqlstm_helpers.trainer import new_model
    cfg = _corrected(case)
    return fn(new_model(cfg), cfg, case["t0"], case["warmup"])
