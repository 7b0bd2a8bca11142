"""freqlstm_helpers: the reusable pieces of the FreqLSTM course.

Each notebook imports what it shows from here; the notebooks keep the ideas,
this package keeps the logic. Modules:

- data      the assignment's dataset (SignalConfig, build_dataset)
- spectrum  FFT and correlation checks on S(t)
- paths     where runs, figures and benchmarks live
"""
from .data import LEARNABLE_PHASE_SCALE, Dataset, SignalConfig, build_dataset, predict_zero_mse

__all__ = ["LEARNABLE_PHASE_SCALE", "Dataset", "SignalConfig", "build_dataset", "predict_zero_mse"]
