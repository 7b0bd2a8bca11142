"""TrainConfig: the shipped configs say what the report says; bad keys and values fail by name."""
import math

import pytest
import yaml

from freqlstm_helpers import paths
from freqlstm_helpers.config import (ConfigError, TrainConfig, config_from_dict, flatten, get_trainer,
                                     load_config)

CONFIGS = paths.configs_dir()


def test_defaults_are_the_reports_model():
    cfg = TrainConfig()
    assert (cfg.model.input_size, cfg.model.hidden_size, cfg.model.num_layers, cfg.model.dropout) == (5, 64, 1, 0.0)
    assert (cfg.optimizer.type, cfg.optimizer.learning_rate, cfg.optimizer.betas) == ("Adam", 1e-3, (0.9, 0.999))
    assert (cfg.training.batch_size, cfg.training.shuffle, cfg.training.clip_grad_norm) == (1, False, 1.0)
    assert (cfg.trainer, cfg.engine, cfg.seed, cfg.input_blind) == ("l1", "torch", 0, False)
    assert cfg.data.phase_scale == 1.0 and cfg.data.n_samples == 10_000


def test_v1_is_the_reports_run_with_no_stopping_rule():
    cfg = load_config(CONFIGS / "v1_lr1e-3.yaml")
    assert cfg.optimizer.learning_rate == 1e-3
    assert cfg.training.num_epochs == 5 and cfg.training.clip_grad_norm == 1.0
    assert cfg.model.hidden_size == 64
    assert not (cfg.early_stopping.enabled or cfg.target_stop.enabled or cfg.divergence.enabled)
    assert cfg.lr_scheduler.type == "none"
    assert cfg == TrainConfig(name="v1_lr1e-3")  # every other value is the default, i.e. the report's


def test_v2_is_the_reports_prescription():
    cfg = load_config(CONFIGS / "v2_lr1e-4.yaml")
    assert cfg.optimizer.learning_rate == 1e-4 and cfg.training.num_epochs == 30
    assert cfg.early_stopping.enabled and cfg.early_stopping.patience == 10 and cfg.early_stopping.min_delta == 0.001
    assert cfg.target_stop.enabled and cfg.target_stop.threshold == 0.005
    assert cfg.divergence.enabled and cfg.divergence.factor == 0.5
    assert cfg.training.clip_grad_norm == 1.0
    assert cfg.logging.log_every_n_batches == 1000 and cfg.logging.save_best
    v1 = load_config(CONFIGS / "v1_lr1e-3.yaml")
    changed = {k for k, v in flatten(cfg.to_dict()).items() if flatten(v1.to_dict())[k] != v}
    assert changed == {"name", "optimizer.learning_rate", "training.num_epochs", "early_stopping.enabled",
                       "target_stop.enabled", "divergence.enabled"}


@pytest.mark.parametrize("name", ["v1_lr1e-3.yaml", "v2_lr1e-4.yaml"])
def test_round_trip(name, tmp_path):
    cfg = load_config(CONFIGS / name)
    assert config_from_dict(cfg.to_dict()) == cfg
    p = tmp_path / "c.yaml"
    p.write_text(cfg.to_yaml())
    assert load_config(p) == cfg
    assert cfg.to_dict() == yaml.safe_load(cfg.to_yaml())  # plain YAML types, nothing lost


def test_string_numbers_from_yaml_are_numbers(tmp_path):
    # PyYAML reads "1e-08" (no dot) as a string; the report's own YAML writes eps that way.
    p = tmp_path / "c.yaml"
    p.write_text("optimizer:\n  eps: 1e-08\n  learning_rate: 1e-4\n")
    cfg = load_config(p)
    assert cfg.optimizer.eps == 1e-8 and cfg.optimizer.learning_rate == 1e-4


@pytest.mark.parametrize("d, path", [
    ({"lr": 1e-3}, "lr"),
    ({"optimizer": {"lr": 1e-3}}, "optimizer.lr"),
    ({"training": {"epochs": 3}}, "training.epochs"),
    ({"early_stopping": {"patients": 3}}, "early_stopping.patients"),
    ({"data": {"phase": 0.1}}, "data.phase"),
    ({"logging": {"save_dir": "models/v2"}}, "logging.save_dir"),
])
def test_unknown_keys_name_the_full_path(d, path):
    with pytest.raises(ConfigError) as e:
        config_from_dict(d)
    msg = str(e.value)
    assert msg.startswith(f"{path} is not a known key") and "allowed keys are" in msg


@pytest.mark.parametrize("d, start, allowed", [
    ({"optimizer": {"learning_rate": -1}}, "optimizer.learning_rate=-1 is not allowed", "must be > 0"),
    ({"optimizer": {"learning_rate": 0}}, "optimizer.learning_rate=0 is not allowed", "> 0"),
    ({"optimizer": {"learning_rate": "fast"}}, "optimizer.learning_rate='fast'", "number"),
    ({"optimizer": {"type": "SGD"}}, "optimizer.type='SGD'", "'Adam'"),
    ({"optimizer": {"betas": [0.9]}}, "optimizer.betas=[0.9]", "pair"),
    ({"optimizer": {"betas": [0.9, 1.0]}}, "optimizer.betas=1.0", "< 1"),
    ({"optimizer": {"eps": 0}}, "optimizer.eps=0", "> 0"),
    ({"optimizer": {"weight_decay": -0.1}}, "optimizer.weight_decay=-0.1", ">= 0"),
    ({"model": {"num_layers": 2}}, "model.num_layers=2", "must be 1"),
    ({"model": {"dropout": 0.2}}, "model.dropout=0.2", "must be 0.0"),
    ({"model": {"hidden_size": 0}}, "model.hidden_size=0", ">= 1"),
    ({"model": {"hidden_size": 6.5}}, "model.hidden_size=6.5", "integer"),
    ({"model": {"input_size": 6}}, "model.input_size=6", "1 + len(data.frequencies) = 5"),
    ({"training": {"batch_size": 32}}, "training.batch_size=32", "must be 1"),
    ({"training": {"shuffle": True}}, "training.shuffle=True", "must be false"),
    ({"training": {"num_epochs": 0}}, "training.num_epochs=0", ">= 1"),
    ({"training": {"num_epochs": True}}, "training.num_epochs=True", "integer"),
    ({"training": {"clip_grad_norm": 0}}, "training.clip_grad_norm=0", "> 0"),
    ({"early_stopping": {"enabled": "yes"}}, "early_stopping.enabled='yes'", "true or false"),
    ({"early_stopping": {"patience": 0}}, "early_stopping.patience=0", ">= 1"),
    ({"early_stopping": {"min_delta": -1e-3}}, "early_stopping.min_delta=-0.001", ">= 0"),
    ({"target_stop": {"threshold": 0}}, "target_stop.threshold=0", "> 0"),
    ({"divergence": {"factor": -0.5}}, "divergence.factor=-0.5", "> 0"),
    ({"lr_scheduler": {"type": "cosine"}}, "lr_scheduler.type='cosine'", "'ReduceLROnPlateau'"),
    ({"lr_scheduler": {"factor": 1.5}}, "lr_scheduler.factor=1.5", "< 1"),
    ({"logging": {"log_every_n_batches": 0}}, "logging.log_every_n_batches=0", ">= 1"),
    ({"data": {"fs": -5}}, "data.fs=-5", "> 0"),
    ({"data": {"phase_scale": -1}}, "data.phase_scale=-1", ">= 0"),
    ({"data": {"frequencies": [1, 600]}}, "data.frequencies=", "fs/2"),
    ({"trainer": "gru"}, "trainer='gru'", "allowed trainers are 'l1', 'streams'"),
    ({"engine": "cuda"}, "engine='cuda'", "'torch', 'fused'"),
    ({"seed": -1}, "seed=-1", ">= 0"),
    ({"input_blind": 1}, "input_blind=1", "true or false"),
    ({"name": "a/b"}, "name='a/b'", "folder-safe"),
    ({"model": 5}, "model=5", "mapping"),
])
def test_bad_values_name_the_key_and_what_is_allowed(d, start, allowed):
    with pytest.raises(ConfigError) as e:
        config_from_dict(d)
    msg = str(e.value)
    assert msg.startswith(start), msg
    assert allowed in msg, msg


def test_load_config_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("optimizer: [unclosed\n")
    with pytest.raises(ConfigError, match="bad.yaml is not valid YAML"):
        load_config(bad)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("optimizer:\n  learning_rate: -3\n")
    with pytest.raises(ConfigError, match=r"wrong.yaml: optimizer.learning_rate=-3 is not allowed"):
        load_config(wrong)


def test_chrono_key_is_validated_and_exclusive():
    cfg = config_from_dict({"model": {"chrono_tmax": 100}})
    assert cfg.model.chrono_tmax == 100.0 and cfg.model.forget_bias is None
    with pytest.raises(ConfigError, match=r"model.chrono_tmax=1.5 is not allowed: must be > 2"):
        config_from_dict({"model": {"chrono_tmax": 1.5}})
    with pytest.raises(ConfigError, match=r"model.chrono_tmax=100.0 is not allowed: cannot be combined with model.forget_bias"):
        config_from_dict({"model": {"chrono_tmax": 100, "forget_bias": 2.0}})


def test_corrected_recipe_uses_chrono():
    cfg = load_config(CONFIGS / "corrected.yaml")
    assert cfg.model.chrono_tmax == 100 and cfg.model.forget_bias is None


def test_overrides_copy_and_validate():
    cfg = TrainConfig()
    c2 = cfg.with_overrides({"optimizer.learning_rate": 3e-4, "seed": 3})
    assert c2.optimizer.learning_rate == 3e-4 and c2.seed == 3
    assert cfg.optimizer.learning_rate == 1e-3 and cfg.seed == 0  # the original is untouched
    assert cfg.replace(seed=3) == cfg.with_overrides({"seed": 3})
    assert cfg.replace(**{"data.phase_scale": 0.1}).data.phase_scale == 0.1
    short = cfg.with_overrides({"data.duration": 0.5})
    assert short.with_overrides({"data": {"phase_scale": 0.1}}).data.duration == 0.5  # sections merge
    with pytest.raises(ConfigError, match="optimizer.learning_rate=-1 is not allowed"):
        cfg.with_overrides({"optimizer.learning_rate": -1})
    with pytest.raises(ConfigError, match="optimizer.lr is not a known key"):
        cfg.with_overrides({"optimizer.lr": 1e-4})
    with pytest.raises(ConfigError, match="seed=-2 is not allowed"):
        cfg.replace(seed=-2)


def test_configs_are_values():
    assert TrainConfig() == TrainConfig() and hash(TrainConfig()) == hash(TrainConfig())
    assert TrainConfig(seed=1) != TrainConfig()
    with pytest.raises(Exception):
        TrainConfig().seed = 4  # frozen: a config cannot drift after it was hashed


def test_trainer_dispatch():
    from freqlstm_helpers import trainer
    assert get_trainer("l1") is trainer.train
    with pytest.raises(ConfigError, match="trainer='nope' is not allowed: allowed trainers are l1"):
        get_trainer("nope")


def test_flatten():
    assert flatten({"a": {"b": 1, "c": {"d": 2}}, "e": 3}) == {"a.b": 1, "a.c.d": 2, "e": 3}
    assert math.isclose(flatten(TrainConfig().to_dict())["optimizer.learning_rate"], 1e-3)
