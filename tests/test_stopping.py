"""Each stopping rule fires at exactly the epoch it should, and not one epoch earlier."""
import math

import pytest

from freqlstm_helpers import stopping
from freqlstm_helpers.config import TrainConfig


def rules(early=None, target=None, divergence=None):
    """A config with only the given rules on: early=(patience, min_delta), target=threshold, divergence=factor."""
    o = {"early_stopping.enabled": early is not None, "target_stop.enabled": target is not None,
         "divergence.enabled": divergence is not None}
    if early is not None:
        o["early_stopping.patience"], o["early_stopping.min_delta"] = early
    if target is not None:
        o["target_stop.threshold"] = target
    if divergence is not None:
        o["divergence.factor"] = divergence
    return TrainConfig().with_overrides(o)


def test_early_stopping_after_patience_flat_epochs():
    losses = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9]
    cfg = rules(early=(3, 0.001))
    assert stopping.replay(losses, cfg) == ("early_stopping", 5)  # epochs 3, 4, 5 failed to improve
    assert stopping.stop_reason(losses[:4], cfg) is None  # one epoch earlier: not yet


def test_early_stopping_improvements_below_min_delta_do_not_count():
    losses = [1.0, 0.9995, 0.9991, 0.99905, 0.5]  # each beats the last, but never by more than 0.001
    assert stopping.replay(losses, rules(early=(3, 0.001))) == ("early_stopping", 4)
    assert stopping.replay(losses, rules(early=(3, 0.0))) == ("completed", 5)  # any decrease counts


def test_early_stopping_boundary_is_strict():
    # Exactly representable numbers: 0.75 = 1.0 - 0.25 is not an improvement "by more than" 0.25.
    cfg = rules(early=(2, 0.25))
    assert stopping.replay([1.0, 0.75, 0.75, 0.0], cfg) == ("early_stopping", 3)
    assert stopping.replay([1.0, 0.5, 0.25, 0.0], cfg) == ("completed", 4)


def test_early_stopping_counter_resets_on_real_improvement():
    losses = [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    assert stopping.epochs_without_improvement(losses[:3], 0.001) == 2
    assert stopping.epochs_without_improvement(losses[:4], 0.001) == 0
    assert stopping.replay(losses, rules(early=(3, 0.001))) == ("early_stopping", 7)


def test_early_stopping_compares_with_best_not_previous():
    # 0.95 improves on the previous 0.99 by more than min_delta but not on the best 0.9.
    losses = [0.9, 0.99, 0.95, 0.94]
    assert stopping.replay(losses, rules(early=(3, 0.001))) == ("early_stopping", 4)


def test_target_stop_is_strictly_below_threshold():
    cfg = rules(target=0.005)
    assert stopping.replay([0.5, 0.01, 0.005, 0.0049, 0.001], cfg) == ("target", 4)
    assert stopping.stop_reason([0.5, 0.01, 0.005], cfg) is None


def test_divergence_is_relative_to_the_best_so_far():
    cfg = rules(divergence=0.5)
    assert stopping.replay([0.25, 0.3, 0.375, 0.3751], cfg) == ("divergence", 4)  # 0.375 = 1.5 x 0.25 is not above
    assert stopping.replay([0.4, 0.2, 0.31], cfg) == ("divergence", 3)  # best is 0.2, not the first epoch
    assert stopping.replay([0.4, 0.59, 0.2], cfg) == ("completed", 3)


def test_divergence_on_non_finite_loss():
    cfg = rules(divergence=0.5)
    assert stopping.replay([0.4, math.nan], cfg) == ("divergence", 2)
    assert stopping.replay([0.4, math.inf], cfg) == ("divergence", 2)
    assert stopping.replay([0.4], cfg) == ("completed", 1)  # nothing to diverge from


def test_the_reports_curve_under_its_own_prescribed_rules():
    # The diagnostic report's five epoch losses: with its own divergence rule on,
    # the run would have stopped at epoch 4 (0.4625 > 1.5 x 0.2847).
    report = [0.2847, 0.4059, 0.4111, 0.4625, 0.4580]
    v2_rules = rules(early=(10, 0.001), target=0.005, divergence=0.5)
    assert stopping.replay(report, v2_rules) == ("divergence", 4)
    assert stopping.replay(report, rules(early=(10, 0.001), target=0.005)) == ("completed", 5)


def test_disabled_rules_never_fire():
    assert stopping.replay([1.0] * 20 + [0.0001, 100.0], rules()) == ("completed", 22)


def test_precedence_when_two_rules_fire_together():
    # Epoch 3: no improvement for 2 epochs (patience 2) and 0.7 > 1.5 x 0.4.
    losses = [0.4, 0.45, 0.7]
    assert stopping.stop_reason(losses, rules(early=(2, 0.0))) == "early_stopping"
    assert stopping.stop_reason(losses, rules(early=(2, 0.0), divergence=0.5)) == "divergence"


@pytest.mark.parametrize("losses, best", [([0.3, 0.2, 0.2, 0.4], 2), ([0.1], 1), ([math.nan, 0.5, 0.6], 2)])
def test_best_epoch(losses, best):
    assert stopping.best_epoch(losses) == best
