"""ladder.py: validation-only scores of runs, seed bands, and verdicts that need bands apart."""
import numpy as np
import pytest

from freqlstm_helpers import ladder, trainer
from freqlstm_helpers.config import TrainConfig, get_trainer, load_config
from freqlstm_helpers.data import build_dataset
from freqlstm_helpers.paths import configs_dir
from freqlstm_helpers.stream_trainer import stream_mse

TINY = {"data.duration": 0.2, "training.num_epochs": 3, "data.phase_scale": 0.1}


@pytest.fixture(scope="module")
def tiny_runs():
    l1 = TrainConfig().with_overrides({**TINY, "name": "tiny-l1"})
    st = load_config(configs_dir() / "corrected.yaml").with_overrides(
        {**TINY, "name": "tiny-streams", "streams.window": 20, "streams.stride": 20})
    return (trainer.train(l1, progress=False, eval_every_epoch=True),
            get_trainer("streams")(st, progress=False, eval_every_epoch=False))


def test_both_trainers_record_per_stream_validation(tiny_runs):
    l1, _ = tiny_runs
    last = stream_mse(l1.model, build_dataset(l1.config.data, split="validation"), 1.0)
    assert l1.history[-1]["frozen_val_mse"] == pytest.approx(last["mse"], rel=1e-9)
    assert l1.history[-1]["frozen_val_mse_per_frequency"] == pytest.approx(last["per_frequency"], rel=1e-9)


@pytest.mark.parametrize("which", [0, 1])
def test_band_reads_the_epoch_validation_selects(tiny_runs, which):
    r = tiny_runs[which]
    e = int(np.argmin([h["frozen_val_mse"] for h in r.history]))
    b = ladder.band([r, r])
    want = r.history[e]["frozen_val_mse_per_frequency"]
    assert ladder.selected_epoch(r) == e + 1 and b["per_frequency"].shape == (2, 4)
    np.testing.assert_allclose(b["per_frequency"][0], [want[k] for k in "1357"])
    assert b["overall"][0] == pytest.approx(np.mean(list(want.values())))
    if which == 1:
        assert ladder.selected_epoch(r) == r.best_epoch  # the stream trainer's own selection


def test_a_run_without_validation_is_refused_with_the_fix():
    r = trainer.train(TrainConfig().with_overrides({**TINY, "training.num_epochs": 1}), progress=False)
    with pytest.raises(ValueError, match="eval_every_epoch=True"):
        ladder.band([r])


def test_verdicts_need_bands_apart():
    band = lambda *v: {"overall": np.array(v)}
    assert ladder.verdict(band(0.1, 0.2), band(0.3, 0.4)) == "lower"
    assert ladder.verdict(band(0.5, 0.6), band(0.3, 0.4), higher="needed") == "needed"
    assert ladder.verdict(band(0.1, 0.35), band(0.3, 0.4)) == ladder.NO_DIFFERENCE
