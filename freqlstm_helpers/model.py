"""FrequencyLSTM: the report's model, with its state handled in the open.

The report's architecture is one LSTM layer (input 5, hidden 64) and a linear
head to one output: 18,241 parameters. The state API is explicit (initial
state, step, detach, reset) so a notebook can show exactly where the state is
carried, where the graph is cut, and where nothing is reset.
"""
from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn

N_PARAMETERS_REPORT = 18_241  # the diagnostic report's count for hidden 64

State = tuple  # (h, c), each (batch, hidden)


class FrequencyLSTM(nn.Module):
    """One LSTMCell + Linear head. Gate order i, f, g, o, two biases per gate (as nn.LSTM)."""

    def __init__(self, input_size: int = 5, hidden_size: int = 64, forget_bias: float | None = None,
                 chrono_tmax: float | None = None):
        super().__init__()
        if input_size < 1 or hidden_size < 1:
            raise ValueError(f"input_size={input_size}, hidden_size={hidden_size}: both must be >= 1")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.cell = nn.LSTMCell(input_size, hidden_size)
        self.head = nn.Linear(hidden_size, 1)
        if forget_bias is not None:
            self.set_forget_bias(forget_bias)
        if chrono_tmax is not None:
            self.set_chrono_bias(chrono_tmax, torch.Generator().manual_seed(0))

    @classmethod
    def seeded(cls, seed: int, **kwargs) -> "FrequencyLSTM":
        """Initialise from an explicit generator, never from global random state."""
        model = cls(**kwargs)
        g = torch.Generator().manual_seed(int(seed))
        bound = 1.0 / model.hidden_size ** 0.5  # PyTorch's default for LSTMCell
        with torch.no_grad():
            for p in model.cell.parameters():
                p.copy_(torch.empty_like(p).uniform_(-bound, bound, generator=g))
            fan_in = model.hidden_size
            hb = 1.0 / fan_in ** 0.5  # nn.Linear's default bounds
            model.head.weight.copy_(torch.empty_like(model.head.weight).uniform_(-hb, hb, generator=g))
            model.head.bias.copy_(torch.empty_like(model.head.bias).uniform_(-hb, hb, generator=g))
        if kwargs.get("forget_bias") is not None:
            model.set_forget_bias(kwargs["forget_bias"])
        if kwargs.get("chrono_tmax") is not None:
            model.set_chrono_bias(kwargs["chrono_tmax"], g)  # drawn after the weights: they stay as without
        return model

    def set_forget_bias(self, value: float) -> None:
        """Put value into the forget gate's total bias (b_ih + b_hh), split evenly."""
        H = self.hidden_size
        with torch.no_grad():
            self.cell.bias_ih[H:2 * H] = value / 2
            self.cell.bias_hh[H:2 * H] = value / 2

    def set_chrono_bias(self, t_max: float, generator: torch.Generator) -> None:
        """Chrono initialisation (Tallec & Ollivier, 2018): per-unit memory spans from 1 to t_max steps.

        Forget bias b_f = log(u), u ~ U(1, t_max - 1), one draw per unit; input bias b_i = -b_f.
        A unit with b_f = log(u) forgets on a time scale of about u steps, so the units
        start out covering every scale up to t_max instead of all sharing one.
        Each total bias is split evenly over b_ih and b_hh.
        """
        H = self.hidden_size
        if not t_max > 2:
            raise ValueError(f"chrono t_max={t_max}: must be > 2 (spans are drawn from U(1, t_max - 1))")
        u = torch.empty(H, dtype=self.cell.bias_ih.dtype).uniform_(1.0, float(t_max) - 1.0, generator=generator)
        b_f = torch.log(u)
        with torch.no_grad():
            for b in (self.cell.bias_ih, self.cell.bias_hh):
                b[H:2 * H] = b_f / 2
                b[0:H] = -b_f / 2

    # --- the state API -------------------------------------------------------
    def initial_state(self, batch: int = 1) -> State:
        """Zeros: the state at the start of an epoch (and only there)."""
        z = torch.zeros(batch, self.hidden_size, dtype=self.cell.weight_ih.dtype)
        return (z, z.clone())

    reset = initial_state  # "reset" is what the L=1 regime must NOT do inside an epoch

    @staticmethod
    def detach(state: State) -> State:
        """Keep the values, cut the graph: the next step's backward stops here."""
        return tuple(s.detach() for s in state)

    def step(self, x: torch.Tensor, state: State):
        """One row: x (batch, 5) -> prediction (batch,), new state (h, c)."""
        h, c = self.cell(x, state)
        return self.head(h).squeeze(-1), (h, c)

    def sequence(self, x: torch.Tensor, state: State):
        """Many rows at once: x (T, batch, 5) -> predictions (T, batch), final state.

        Same weights and arithmetic as calling `step` T times, but one fused call.
        """
        h0, c0 = (s.unsqueeze(0) for s in state)
        cell = self.cell
        out, hn, cn = torch.lstm(x, (h0, c0), [cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh],
                                 True, 1, 0.0, self.training, False, False)
        return self.head(out).squeeze(-1), (hn[0], cn[0])

    def forward(self, x: torch.Tensor, state: State | None = None):
        if state is None:
            state = self.initial_state(x.shape[0])
        return self.step(x, state)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@contextmanager
def one_thread():
    """Run tiny batch-1..4 ops on one thread: extra threads only add synchronisation.

    On a loaded 2-core machine, OpenMP threads waiting on each other made a frozen
    evaluation 100x slower than on one thread.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
