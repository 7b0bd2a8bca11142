"""Compiled training engines (numba): the trainers' arithmetic without torch's per-op dispatch.

- l1_fused       engine "fused" for trainer "l1": one row per step, state carried and detached
- streams_fused  engine "fused" for trainer "streams": truncated BPTT over windows of parallel streams

Each engine copies its initial weights from the torch model the trainer built
(`trainer.new_model(cfg)`), so initialisation is identical by construction, and
hands weights and Adam state back in torch form (`sync_to_model`,
`optimizer_state` / `load_optimizer_state`). The torch trainers stay the
reference; tests/test_fused.py and tests/test_streams_fused.py pin each engine to it.
"""
