"""CI sees another instruction set: the corrected recipe re-run in a subprocess under a forced CPU profile."""
import json

import pytest
import torch

from freqlstm_helpers import robustness


def test_profiles_are_the_three_measured_ones():
    assert set(robustness.PROFILES) == {"native", "avx2", "baseline"}
    assert robustness.PROFILES["baseline"]["ATEN_CPU_CAPABILITY"] == "default"
    assert robustness.other_profile("AVX512") == "avx2" and robustness.other_profile("AVX2") == "baseline"
    assert robustness.other_profile("DEFAULT") is None


def test_worst_and_targets_read_every_run():
    run = lambda worst, ratio: {"test_mse": 0.002, "test_mse_per_frequency": {"1": worst, "3": 0.001},
                                "ratio": ratio, "epochs": 30}
    w = robustness.worst({"a": {"runs": [run(0.004, 1.05)]}, "b": {"runs": [run(0.012, 1.01), run(0.002, 1.3)]}})
    assert w["test_mse_per_frequency_max"] == 0.012 and w["ratio_max"] == 1.3
    assert robustness.meets_targets(w) == {"test_mse_per_frequency_max": False, "ratio_max": False, "epochs_max": True}


def test_corrected_recipe_meets_its_targets_on_another_instruction_set():
    """Seed 0, a profile other than this CPU's own, in a fresh process: the targets must still hold."""
    native = torch.backends.cpu.get_cpu_capability()
    profile = robustness.other_profile(native)
    if profile is None:
        pytest.skip(f"this CPU runs torch at {native}: no older profile to emulate")
    run = robustness.cached_profile_run(profile, seed=0, refresh=True)  # notebook 04 then reads this record
    assert run["machine"]["cpu_capability"] != native, "the profile did not change torch's dispatch"
    worst = max(run["test_mse_per_frequency"].values())
    assert worst <= 0.01, f"under {profile}: worst frequency {worst:.4f} > 0.01 ({json.dumps(run)})"
    assert run["ratio"] <= 1.2, f"under {profile}: test/train {run['ratio']:.3f} > 1.2"
    assert run["epochs"] <= 30
