"""The trusted specs and the registry: complete, resolvable, fresh per run, and kept out of the sandbox."""
import inspect

import numpy as np
import pytest

from freqlstm_helpers.grading import sandbox, specs
from freqlstm_helpers.grading.runner import decode, encode
from freqlstm_helpers.grading.specs import probes
from freqlstm_helpers.grading.worker import public

EXERCISES = specs.exercises()


def test_nineteen_functions_in_thirteen_exercises_one_registry():
    assert len(EXERCISES) == 19
    assert len({e.id for e in EXERCISES}) == 19
    assert len({e.grade_id for e in EXERCISES}) == 13
    reg = specs.registry()
    assert set(reg) == {e.id for e in EXERCISES}
    for ex_id, entries in {"01.2a": "spectrum.amplitude_spectrum", "02.1": "torch:lstm_cell",
                           "02.2": "l1_fused.one_step_gradients", "02.3": "state_checks.outputs_over_rows",
                           "03.1a": "trainer.TorchEngine", "03.2b": "trainer.frozen_predict",
                           "04.2b": "stream_trainer.window_step", "05.2": "evaluate.shifted_metrics"}.items():
        assert entries in reg[ex_id], (ex_id, reg[ex_id])


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.id)
def test_every_denied_entry_resolves(ex):
    targets = specs.resolved_denials(ex)
    assert len(targets) == len(ex.denied)
    assert all(":" in t for t in targets)


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.id)
def test_cases_are_fresh_per_seed_and_fixed_for_a_seed(ex):
    a, b = ex.cases(np.random.default_rng(1)), ex.cases(np.random.default_rng(1))
    c = ex.cases(np.random.default_rng(2))
    enc = lambda cs: [str(encode(x)) for x in cs]  # noqa: E731
    assert enc(a) == enc(b), "a seed fixes the cases"
    assert enc(a) != enc(c), "another seed draws other cases"
    for case in a:
        assert decode(encode(public(case))) is not None


def test_what_enters_the_sandbox_holds_no_reference():
    src = inspect.getsource(probes)
    for ex in EXERCISES:
        assert ex.probe.__module__ == probes.__name__, f"{ex.id}: probes live in specs/probes.py"
        assert ex.reference.__name__ not in src
    assert "_truth" not in src
    assert not any(p.relative_to(sandbox.PACKAGE).parts[0] == "grading" for p in sandbox._package_files()), \
        "the sandbox's copy of the package has no grading/"


def test_private_case_keys_stay_on_the_trusted_side():
    ex = next(e for e in EXERCISES if e.id == "01.2b")
    case = ex.cases(np.random.default_rng(3))[0]
    assert "_truth" in case and "_truth" not in public(case)
