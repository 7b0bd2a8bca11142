"""Bad input, faults and races (issue 21): one line, exit 2, nothing lost, nothing trusted blindly.

Every case is a row of a table: what a careless or unlucky user does, the exit
code, the fragments its one line of output must hold, and the state of the
case folder afterwards ("unchanged": byte for byte; or a check of its own).
Most cases never train; the few that do use 200-800 rows.

Categories (the count per category is printed by test_case_counts):
  yaml        what a config file is allowed to be
  numbers     one rule for every number, every float finite and in range
  meaning     values that would silently train something else
  paths       files, folders, permissions (as a non-root user), CLI values
  cache       corrupted run folders: eval, viz and cached_train verify first
  concurrency two writers, a waiter, killed writers and what they leave
  interrupt   SIGINT/SIGTERM, resume, bit-identical results
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
import torch
import yaml

from freqlstm_helpers import checkpoints, preflight, runs
from freqlstm_helpers.__main__ import main
from freqlstm_helpers.config import TrainConfig, config_from_dict
from freqlstm_helpers.storage import RunError, lock
from freqlstm_helpers.trainer import train as train_l1

REPO = Path(__file__).resolve().parents[1]
NOBODY = 65534
TINY = {"name": "tiny", "training": {"num_epochs": 1}, "data": {"duration": 0.05}}  # 1 epoch of 200 rows
BOMB = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
        'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n'
        'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n'
        'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\nname: *h\n')  # 430 bytes that expand to 387 million strings


def merged(*dicts) -> dict:
    out: dict = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def tiny_text(**more) -> str:
    return yaml.safe_dump(merged(TINY, more), sort_keys=False)


def tiny_cfg(**more) -> TrainConfig:
    return config_from_dict(merged(TINY, more))


def tree(folder: Path) -> dict:
    """Every path under folder -> sha256 of a file, 'dir' for a folder, mode included."""
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_symlink():
            out[rel] = "link"
        elif p.is_dir():
            out[rel] = ("dir", p.stat().st_mode & 0o777)
        else:
            try:
                out[rel] = (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode & 0o777)
            except PermissionError:
                out[rel] = ("unreadable", p.stat().st_mode & 0o777)
    return out


# --- the runs the cache cases corrupt, trained once ----------------------------------------------
@pytest.fixture(scope="module")
def base(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad_input_base")
    threads = torch.get_num_threads()
    made = {}
    for key, cfg in {"run": tiny_cfg(), "h16": tiny_cfg(model={"hidden_size": 16}),
                     "k3": tiny_cfg(data={"frequencies": [1.0, 3.0, 5.0]}, model={"input_size": 4}),
                     "seed7": tiny_cfg(seed=7)}.items():
        train_l1(cfg, run_dir=root / key, progress=False)
        made[key] = root / key
    torch.set_num_threads(threads)
    return made


def copy_run(base, folder: Path, which: str = "run") -> Path:
    dest = folder / "run"
    shutil.copytree(base[which], dest)
    return dest


def reseal(run: Path) -> None:
    """What a careless user does after editing a file: recompute the manifest so it matches again."""
    m = json.loads((run / runs.MANIFEST).read_text())
    for name in m["files"]:
        m["files"][name] = hashlib.sha256((run / name).read_bytes()).hexdigest()
    (run / runs.MANIFEST).write_text(json.dumps(m))


def flip_bit(path: Path, at: float = 0.6) -> None:
    data = bytearray(path.read_bytes())
    i = int(len(data) * at)
    data[i] ^= 0x10
    path.write_bytes(bytes(data))


def edit_json(path: Path, change: Callable[[dict], None]) -> None:
    d = json.loads(path.read_text())
    change(d)
    path.write_text(json.dumps(d))


# --- the table ------------------------------------------------------------------------------------
@dataclass
class Case:
    id: str
    category: str
    setup: Callable  # (folder, base) -> argv for `python -m freqlstm_helpers`
    says: tuple = ()  # fragments of the one output line
    code: int = 2
    after: Callable | None = None  # (folder) -> None, asserting the state; None: the folder is unchanged
    as_nobody: bool = False  # run as an unprivileged user (root ignores permissions)
    extra: dict = field(default_factory=dict)


def config_case(id, category, text, *says, mode="w", code=2):
    """`train --config <file holding text>`: refused in one line, no run folder made."""
    def setup(folder, base):
        p = folder / "c.yaml"
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text)
        return ["train", "--config", p, "--run-dir", folder / "r", "--no-progress"]
    return Case(id, category, setup, says, code)


def tiny_case(id, category, *says, **more):
    """A tiny config with `more` merged in (sections as dicts, top-level keys as values)."""
    return config_case(id, category, tiny_text(**more), *says)


def raw_case(id, category, body, *says):
    """A tiny config plus raw YAML lines (for what yaml.safe_dump cannot write)."""
    return config_case(id, category, tiny_text() + textwrap.dedent(body), *says)


CASES: list[Case] = []
add = CASES.append

# yaml: what a config file may be
add(config_case("dup_key_in_section", "yaml", "optimizer:\n  learning_rate: 1.0e-3\n  learning_rate: 1.0e-4\n",
                "line 3: duplicate key 'learning_rate' (first at line 2)"))
add(config_case("dup_section_wipes_first", "yaml", "training:\n  num_epochs: 2\nseed: 1\ntraining:\n  shuffle: false\n",
                "line 4: duplicate key 'training'"))
add(config_case("dup_top_level", "yaml", "seed: 1\nseed: 2\n", "duplicate key 'seed'"))
add(config_case("comment_only", "yaml", "# TODO\n", "holds no settings"))
add(config_case("null_document", "yaml", "null\n", "holds no settings"))
add(config_case("tilde_document", "yaml", "~\n", "holds no settings"))
add(config_case("bare_document_marker", "yaml", "---\n", "holds no settings"))
add(config_case("empty_file", "yaml", "", "is empty"))
add(config_case("whitespace_only", "yaml", "\n   \n\t\n", "is empty"))
add(raw_case("null_section", "yaml", "optimizer: null\n", "optimizer=None is not allowed", "mapping"))
add(raw_case("empty_section", "yaml", "early_stopping:\n", "early_stopping=None is not allowed"))
add(tiny_case("streams_null_with_l1", "yaml", "streams=None is not allowed", streams=None))
add(raw_case("anchor_and_alias", "yaml", "optimizer: &o {learning_rate: 1.0e-3}\nlr_scheduler: *o\n",
             "anchors (&o) are not allowed"))
add(config_case("alias_bomb_in_name", "yaml", BOMB, "anchors (&a) are not allowed", "line 1"))
add(raw_case("merge_key", "yaml", "optimizer:\n  <<: {learning_rate: 1.0e-3}\n", "merge keys (<<) are not allowed"))
add(config_case("nesting_3000_deep", "yaml", "name: " + "[" * 3000 + "]" * 3000 + "\n", "nesting deeper"))
add(raw_case("nesting_past_schema", "yaml", "optimizer:\n  betas: [[0.9], 0.999]\n", "nesting deeper"))
add(config_case("two_documents", "yaml", "seed: 1\n---\nseed: 2\n", "not valid YAML", "another document"))
add(config_case("top_level_list", "yaml", "- seed: 1\n", "must be a mapping of sections", "got list"))
add(config_case("top_level_text", "yaml", "hello\n", "must be a mapping of sections", "got str"))
add(config_case("syntax_error", "yaml", "optimizer: [unclosed\n", "is not valid YAML", "line"))
add(config_case("tab_indent", "yaml", "optimizer:\n\tlearning_rate: 1\n", "is not valid YAML"))
add(config_case("binary_noise", "yaml", bytes(range(128, 256)) * 3, "is not a text file", "UTF-8"))
add(config_case("over_a_megabyte", "yaml", "# " + "x" * (1 << 20) + "\nseed: 1\n", "larger than 1,048,576 bytes"))
add(config_case("unhashable_key", "yaml", "? [a, b]\n: 1\n", "a key must be a plain name"))
add(config_case("number_as_key", "yaml", "1: 2\n", "1 is not a known key", "allowed keys are"))
add(config_case("typo_key", "yaml", "optimizer:\n  learnig_rate: 1.0e-3\n",
                "optimizer.learnig_rate is not a known key (did you mean 'learning_rate'?)"))
add(config_case("long_key", "yaml", "k" * 1000 + ": 1\n", "is not a known key", "..."))
add(config_case("megabyte_key", "yaml", "k" * 500_000 + ": 1\n", "is not valid YAML", "line 1"))

# numbers: one rule, finite, in range
add(tiny_case("epochs_quoted", "numbers", "training.num_epochs='1' is not allowed", "without quotes",
              training={"num_epochs": "1"}))
add(tiny_case("fs_quoted", "numbers", "data.fs='100' is not allowed", "without quotes", data={"fs": "100"}))
add(tiny_case("epochs_float", "numbers", "training.num_epochs=5.0 is not allowed", "integer",
              training={"num_epochs": 5.0}))
add(tiny_case("epochs_bool", "numbers", "training.num_epochs=True is not allowed", training={"num_epochs": True}))
add(tiny_case("seed_2_to_64", "numbers", "seed=18446744073709551616 is not allowed", "<= 9,223,372,036,854,775,807",
              seed=2 ** 64))
add(tiny_case("seed_negative", "numbers", "seed=-1 is not allowed", ">= 0", seed=-1))
add(tiny_case("seed_float", "numbers", "seed=1.5 is not allowed", "integer", seed=1.5))
add(raw_case("int_beyond_float_range", "numbers", "model:\n  forget_bias: " + "9" * 400 + "\n",
             "model.forget_bias=<an integer of about 40", "digits> is not allowed"))
add(tiny_case("epochs_10_pow_30", "numbers", "training.num_epochs=<an integer of about 31 digits>",
              "<= 100,000", training={"num_epochs": 10 ** 30}))
add(config_case("fs_inf", "numbers", "data:\n  duration: 0.05\n  fs: .inf\n", "data.fs=inf is not allowed", "finite"))
add(config_case("duration_inf", "numbers", "data:\n  duration: .inf\n", "data.duration=inf is not allowed"))
add(config_case("duration_nan", "numbers", "data:\n  duration: .nan\n", "data.duration=nan is not allowed"))
add(config_case("amplitude_nan", "numbers", "data:\n  duration: 0.05\n  amplitude_range: [.nan, 1.0]\n",
                "data.amplitude_range=nan is not allowed"))
add(tiny_case("amplitude_1e308", "numbers", "data.amplitude_range=[1e+308, 1e+308] is not allowed", "<= 100",
              data={"amplitude_range": [1e308, 1e308]}))
add(config_case("phase_scale_inf", "numbers", "data:\n  duration: 0.05\n  phase_scale: .inf\n",
                "data.phase_scale=inf is not allowed"))
add(tiny_case("forget_bias_1e308", "numbers", "model.forget_bias=1e+308 is not allowed", "<= 20",
              model={"forget_bias": 1e308}))
add(tiny_case("chrono_1e308", "numbers", "model.chrono_tmax=1e+308 is not allowed", model={"chrono_tmax": 1e308}))
add(raw_case("lr_nan", "numbers", "optimizer:\n  learning_rate: .nan\n", "optimizer.learning_rate=nan is not allowed"))
add(tiny_case("lr_10", "numbers", "optimizer.learning_rate=10 is not allowed", "<= 1", optimizer={"learning_rate": 10}))
add(tiny_case("beta_text", "numbers", "optimizer.betas='x' is not allowed", optimizer={"betas": [0.9, "x"]}))
add(tiny_case("input_gain_1e308", "numbers", "streams.input_gain=1e+308 is not allowed", trainer="streams",
              streams={"input_gain": 1e308, "window": 50, "stride": 50}))
add(tiny_case("name_number", "numbers", "name=123 is not allowed", "folder-safe", name=123))
add(tiny_case("flag_text", "numbers", "input_blind='yes' is not allowed", "true or false", input_blind="yes"))
add(tiny_case("flag_number", "numbers", "training.shuffle=1 is not allowed", training={"shuffle": 1}))
add(tiny_case("window_text_number", "numbers", "streams.window='400' is not allowed", trainer="streams",
              streams={"window": "400"}))

# meaning: values that would silently train something else
add(tiny_case("frequencies_repeat", "meaning", "data.frequencies=[1.0, 1.0, 5.0, 7.0] is not allowed", "distinct",
              data={"frequencies": [1, 1, 5, 7]}))
add(tiny_case("frequencies_same_key", "meaning", "distinct", "1 Hz", data={"frequencies": [1.0, 1.0000001, 5, 7]}))
add(tiny_case("frequency_text", "meaning", "data.frequencies='a' is not allowed", data={"frequencies": [1, "a", 5, 7]}))
add(tiny_case("frequencies_string", "meaning", "data.frequencies='1,3,5,7' is not allowed", "list",
              data={"frequencies": "1,3,5,7"}))
add(tiny_case("frequencies_empty", "meaning", "data.frequencies=[] is not allowed", data={"frequencies": []}))
add(tiny_case("frequency_above_nyquist", "meaning", "fs/2", data={"frequencies": [1, 3, 5, 600]}))
add(tiny_case("33_frequencies", "meaning", "1 to 32", data={"frequencies": list(range(1, 34))}))
add(tiny_case("hidden_10_pow_6", "meaning", "model.hidden_size=1000000 is not allowed", "<= 1024",
              model={"hidden_size": 10 ** 6}))
add(tiny_case("fs_1e12", "meaning", "data.fs=1000000000000.0 is not allowed", data={"fs": 1e12}))
add(tiny_case("too_many_samples", "meaning", "data.duration=", "1,000,000 samples",
              data={"fs": 100000.0, "duration": 100.0}))
add(tiny_case("name_300_chars", "meaning", "at most 100 bytes", name="x" * 300))
add(tiny_case("epochs_10_pow_9", "meaning", "training.num_epochs=1000000000 is not allowed",
              training={"num_epochs": 10 ** 9}))
add(tiny_case("amplitudes_reversed", "meaning", "low <= high", data={"amplitude_range": [1.2, 0.8]}))
add(tiny_case("window_not_multiple", "meaning", "streams.window=", "multiple of streams.stride", trainer="streams",
              streams={"window": 70, "stride": 50}))
add(tiny_case("input_size_mismatch", "meaning", "model.input_size=6 is not allowed", model={"input_size": 6}))
add(tiny_case("over_row_budget", "meaning", "over the budget of 20,000,000", "add --yes",
              training={"num_epochs": 600}, data={"duration": 10.0}))
add(Case("cli_epochs_huge", "meaning", lambda f, b: ["train", "--config", _write(f, tiny_text()), "--epochs",
                                                      str(10 ** 9), "--run-dir", f / "r"],
         ("training.num_epochs=1000000000",)))
add(Case("cli_epochs_zero", "meaning", lambda f, b: ["train", "--config", _write(f, tiny_text()), "--epochs", "0",
                                                      "--run-dir", f / "r"], ("training.num_epochs=0",)))
add(Case("cli_seed_float", "meaning", lambda f, b: ["train", "--config", _write(f, tiny_text()), "--seed", "1e3"],
         ("invalid int value",)))


def _write(folder: Path, text: str, name: str = "c.yaml") -> Path:
    p = folder / name
    p.write_text(text)
    return p


# paths: files, folders, permissions, CLI values
def _train_into(run_dir_of):
    return lambda f, b: ["train", "--config", _write(f, tiny_text()), "--run-dir", run_dir_of(f), "--no-progress"]


def _readonly_dir(f: Path, name: str) -> Path:
    d = f / name
    d.mkdir()
    d.chmod(0o555)
    return d


def _file(f: Path, name: str = "afile") -> Path:
    p = f / name
    p.write_text("not a folder\n")
    return p


add(Case("config_is_folder", "paths", lambda f, b: ["train", "--config", f], ("is a folder, not a file",)))
add(Case("config_missing", "paths", lambda f, b: ["train", "--config", f / "nope.yaml"], ("nope.yaml does not exist",)))
add(Case("config_unreadable", "paths", lambda f, b: (_write(f, tiny_text()).chmod(0o000),
                                                     ["train", "--config", f / "c.yaml", "--run-dir", f / "r"])[1],
         ("cannot be read (Permission denied)",), as_nobody=True))
add(Case("run_is_file_eval", "paths", lambda f, b: ["eval", "--run", _file(f)], ("is a file, not a run folder",)))
add(Case("run_is_file_viz", "paths", lambda f, b: ["viz", "--run", _file(f)], ("is a file, not a run folder",)))
add(Case("run_missing_eval", "paths", lambda f, b: ["eval", "--run", f / "missing"], ("missing does not exist",)))
add(Case("run_not_a_run", "paths", lambda f, b: ["viz", "--run", f], ("has no config.yaml",)))
add(Case("run_dir_under_file", "paths", _train_into(lambda f: _file(f) / "run"), ("is a file, not a folder",)))
add(Case("run_dir_is_file", "paths", _train_into(lambda f: _file(f)), ("afile is a file, not a folder",)))
add(Case("run_dir_readonly_parent", "paths", _train_into(lambda f: _readonly_dir(f, "ro") / "run"),
         ("not writable",), as_nobody=True))
add(Case("run_dir_readonly_itself", "paths", _train_into(lambda f: _readonly_dir(f, "ro")),
         ("not writable",), as_nobody=True))
add(Case("run_dir_in_proc", "paths", _train_into(lambda f: Path("/proc/freqlstm-x/run")), ("cannot be made",)))
add(Case("run_dir_name_too_long", "paths", _train_into(lambda f: f / ("r" * 250)), ("250 bytes", "at most 242")))
add(Case("run_dir_part_too_long", "paths", _train_into(lambda f: f / ("p" * 300) / "run"), ("300 bytes",)))
add(Case("run_dir_foreign_folder", "paths", _train_into(lambda f: (_write(f / "mine", "x", "notes.txt").parent)),
         ("not a run folder",), extra={"mkdir": "mine"}))
add(Case("eval_readonly_run", "paths", lambda f, b: (copy_run(b, f).chmod(0o555), ["eval", "--run", f / "run"])[1],
         ("Permission denied",), as_nobody=True))
add(Case("viz_readonly_run", "paths", lambda f, b: (copy_run(b, f).chmod(0o555), ["viz", "--run", f / "run"])[1],
         ("Permission denied",), as_nobody=True))
add(Case("checkpoint_unreadable", "paths", lambda f, b: ((copy_run(b, f) / runs.BEST).chmod(0o000),
                                                         ["eval", "--run", f / "run"])[1],
         ("best_model.pth cannot be read",), as_nobody=True))
add(Case("viz_seconds_nan", "paths", lambda f, b: ["viz", "--run", copy_run(b, f), "--seconds", "nan"],
         ("--seconds nan is not allowed",)))
add(Case("viz_seconds_inf", "paths", lambda f, b: ["viz", "--run", copy_run(b, f), "--seconds", "inf"],
         ("--seconds inf is not allowed",)))
add(Case("viz_seconds_negative", "paths", lambda f, b: ["viz", "--run", copy_run(b, f), "--seconds", "-1"],
         ("--seconds -1 is not allowed",)))
add(Case("eval_offset_nan", "paths", lambda f, b: ["eval", "--run", copy_run(b, f), "--time-offset", "nan"],
         ("--time-offset nan is not allowed",)))
add(Case("eval_offset_inf", "paths", lambda f, b: ["eval", "--run", copy_run(b, f), "--time-offset", "inf"],
         ("--time-offset inf is not allowed",)))
add(Case("eval_offset_1e300", "paths", lambda f, b: ["eval", "--run", copy_run(b, f), "--time-offset", "1e300"],
         ("--time-offset 1e+300 is not allowed",)))
add(Case("eval_warmup_nan", "paths", lambda f, b: ["eval", "--run", copy_run(b, f), "--time-offset", "3",
                                                    "--warmup", "nan"], ("--warmup nan is not allowed",)))
add(Case("train_without_config", "paths", lambda f, b: ["train", "--run-dir", f / "r"], ("train needs --config",)))
add(Case("resume_with_epochs", "paths", lambda f, b: ["train", "--resume", copy_run(b, f), "--epochs", "3"],
         ("drop --epochs",)))
add(Case("resume_finished_run", "paths", lambda f, b: ["train", "--resume", copy_run(b, f)],
         ("is a finished run", "nothing to resume")))
add(Case("resume_missing_folder", "paths", lambda f, b: ["train", "--resume", f / "gone"], ("gone does not exist",)))
add(Case("resume_without_checkpoint", "paths",
         lambda f, b: ((f / "r").mkdir() or _write(f / "r", tiny_text(), "config.yaml"), ["train", "--resume", f / "r"])[1],
         ("has no resume.ckpt",)))
add(Case("homework_course_is_file", "paths", lambda f, b: ["@homework", "--course", _file(f), "student"],
         ("is a file: give the nbgrader course folder",)))


# cache: corrupted run folders are refused with the command that rebuilds them
def _corrupt(change, which="run"):
    def setup(f, b):
        run = copy_run(b, f, which)
        change(run, b)
        return ["eval", "--run", run]
    return setup


def _viz(change, which="run"):
    def setup(f, b):
        run = copy_run(b, f, which)
        change(run, b)
        return ["viz", "--run", run]
    return setup


REBUILD = "rebuild it with python -m freqlstm_helpers train --config"
add(Case("bit_flip_best", "cache", _corrupt(lambda r, b: flip_bit(r / runs.BEST)), ("best_model.pth",)))
add(Case("bit_flip_final_viz", "cache", _viz(lambda r, b: flip_bit(r / runs.FINAL, 0.7)), ("final_model.pth",)))
add(Case("hidden16_checkpoint", "cache", _corrupt(lambda r, b: shutil.copy(b["h16"] / runs.BEST, r / runs.BEST)),
         ("best_model.pth",)))
add(Case("hidden16_checkpoint_resealed", "cache",
         _corrupt(lambda r, b: (shutil.copy(b["h16"] / runs.BEST, r / runs.BEST), reseal(r))),
         ("best_model.pth was saved by a run with config hash", REBUILD)))
add(Case("input3_checkpoint_resealed", "cache",
         _corrupt(lambda r, b: (shutil.copy(b["k3"] / runs.FINAL, r / runs.FINAL), reseal(r))),
         ("final_model.pth was saved by a run with config hash",)))
add(Case("other_seed_checkpoint_resealed", "cache",
         _corrupt(lambda r, b: (shutil.copy(b["seed7"] / runs.BEST, r / runs.BEST), reseal(r))),
         ("best_model.pth was saved by a run with config hash",)))
add(Case("truncated_final", "cache",
         _corrupt(lambda r, b: (r / runs.FINAL).write_bytes((r / runs.FINAL).read_bytes()[:700])),
         ("final_model.pth is corrupt",)))
add(Case("edited_metrics_viz", "cache", _viz(lambda r, b: edit_json(r / runs.METRICS, lambda d: d.update(test_mse=0.001))),
         ("metrics.json was changed after the run was saved", "eval --run")))
add(Case("nan_metrics_viz", "cache",
         _viz(lambda r, b: (r / runs.METRICS).write_text((r / runs.METRICS).read_text().replace(
             '"test_mse": ', '"test_mse": NaN, "x": ', 1))), ("metrics.json is not valid JSON", "NaN")))
add(Case("deleted_metrics_viz", "cache", _viz(lambda r, b: (r / runs.METRICS).unlink()),
         ("metrics.json does not exist", "eval --run")))
add(Case("other_hash_history", "cache",
         _corrupt(lambda r, b: shutil.copy(b["seed7"] / runs.HISTORY, r / runs.HISTORY)), ("training_history.json",)))
add(Case("other_hash_history_resealed", "cache",
         _corrupt(lambda r, b: (shutil.copy(b["seed7"] / runs.HISTORY, r / runs.HISTORY), reseal(r))),
         ("training_history.json belongs to config hash",)))
add(Case("losses_wrong_shape", "cache",
         _corrupt(lambda r, b: (np.save(r / runs.LOSSES, np.zeros((1, 7), np.float32)), reseal(r))),
         ("online_losses.npy is float32 (1, 7), this run needs float32 (1, 200)",)))
add(Case("losses_pickle", "cache",
         _corrupt(lambda r, b: np.save(r / runs.LOSSES, np.array([{"a": 1}], dtype=object), allow_pickle=True)),
         ("online_losses.npy is missing or corrupt",)))
add(Case("bomb_in_run_config", "cache", _corrupt(lambda r, b: (r / runs.CONFIG).write_text(BOMB)),
         ("config.yaml is not a valid run config", "anchors (&a) are not allowed")))
add(Case("bomb_in_run_config_viz", "cache", _viz(lambda r, b: (r / runs.CONFIG).write_text(BOMB)),
         ("config.yaml is not a valid run config",)))
add(Case("deleted_manifest", "cache", _corrupt(lambda r, b: (r / runs.MANIFEST).unlink()),
         ("manifest.json does not exist",)))
add(Case("garbage_manifest", "cache", _corrupt(lambda r, b: (r / runs.MANIFEST).write_text("[1, 2")),
         ("manifest.json is unreadable or not JSON",)))
add(Case("history_extra_epoch_resealed", "cache",
         _corrupt(lambda r, b: (edit_json(r / runs.HISTORY, lambda d: d["epochs"].append(dict(d["epochs"][0], epoch=2))),
                                reseal(r))), ("training_history.json must hold 1 to 1 epoch records",)))
add(Case("history_nan_field_viz", "cache",
         _viz(lambda r, b: (edit_json(r / runs.HISTORY, lambda d: d["epochs"][0].update(online_loss="nan")),
                            reseal(r))), ("training_history.json has a broken record for epoch 1",)))
add(Case("metrics_keys_resealed", "cache",
         _viz(lambda r, b: (edit_json(r / runs.METRICS, lambda d: d["test_mse_per_frequency"].pop("7")), reseal(r))),
         ("metrics.json has no valid test_mse_per_frequency",)))
add(Case("config_edited_resealed", "cache",
         _corrupt(lambda r, b: ((r / runs.CONFIG).write_text(tiny_text(seed=3)), reseal(r))),
         ("training_history.json belongs to config hash",)))
add(Case("config_edited_history_too", "cache",
         _corrupt(lambda r, b: ((r / runs.CONFIG).write_text(tiny_text(seed=3)),
                                edit_json(r / runs.HISTORY, lambda d: d.update(config_hash=runs.config_hash(
                                    tiny_cfg(seed=3)))), reseal(r))),
         ("best_model.pth was saved by a run with config hash",)))
add(Case("interrupted_folder_eval", "cache",
         lambda f, b: ((f / "r").mkdir() or _write(f / "r", tiny_text(), "config.yaml"),
                       (f / "r" / runs.RESUME).write_bytes(b"x"), ["eval", "--run", f / "r"])[2],
         ("is an interrupted run", "train --resume")))
add(Case("unfinished_folder_viz", "cache",
         lambda f, b: ((f / "r").mkdir() or _write(f / "r", tiny_text(), "config.yaml"), ["viz", "--run", f / "r"])[1],
         ("best_model.pth does not exist", "not a finished run")))


# --- running a case ---------------------------------------------------------------------------------
NOBODY_RUNNER = textwrap.dedent("""
    import os, sys
    import freqlstm_helpers.__main__ as cli
    if sys.argv[1] == "@homework":
        import freqlstm_helpers.homework as hw
    import freqlstm_helpers.runs, freqlstm_helpers.checkpoints, freqlstm_helpers.evaluate, freqlstm_helpers.preflight
    import freqlstm_helpers.trainer, freqlstm_helpers.stream_trainer, freqlstm_helpers.metrics
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot, matplotlib.ticker, tqdm.auto
    os.setgroups([]); os.setgid({uid}); os.setuid({uid})
    assert os.getuid() == {uid} and os.geteuid() == {uid}
    argv = sys.argv[1:]
    sys.exit(hw.main(argv[1:]) if argv[0] == "@homework" else cli.main(argv))
""").format(uid=NOBODY)


def run_cli(argv, capfd, as_nobody=False):
    argv = [str(a) for a in argv]
    if as_nobody:
        env = {**os.environ, "HOME": "/tmp", "MPLCONFIGDIR": "/tmp", "NUMBA_CACHE_DIR": "/tmp"}
        p = subprocess.run([sys.executable, "-c", NOBODY_RUNNER, *argv], cwd=REPO, env=env, capture_output=True,
                           text=True, timeout=300)
        return p.returncode, p.stdout, p.stderr
    capfd.readouterr()
    if argv[0] == "@homework":
        from freqlstm_helpers import homework
        rc = homework.main(argv[1:])
    else:
        rc = main(argv)
    out = capfd.readouterr()
    return rc, out.out, out.err


def assert_one_line(rc, out, err, code, says):
    assert rc == code, (rc, out, err)
    assert "Traceback" not in err and "Traceback" not in out, err
    lines = [ln for ln in (out + err).splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected exactly one line of output, got {len(lines)}:\n{out}{err}"
    line = lines[0]
    if code == 2:
        assert not out.strip() and line.startswith("error: "), (out, err)
    assert len(line) <= 1000, len(line)
    for s in says:
        assert s in line, (s, line)
    return line


@pytest.fixture
def case_folder():
    """A folder every user can reach (the permission cases run as nobody; pytest's tmp_path is root's 0700)."""
    import tempfile
    folder = Path(tempfile.mkdtemp(prefix="freqlstm-bad-input-", dir="/tmp")) / "case"
    folder.mkdir()
    folder.parent.chmod(0o755)
    folder.chmod(0o777)
    yield folder
    for p in folder.rglob("*"):  # undo the chmods, so the folder can go
        if not p.is_symlink():
            p.chmod(0o755 if p.is_dir() else 0o644)
    shutil.rmtree(folder.parent, ignore_errors=True)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, case_folder, base, capfd):
    if case.extra.get("mkdir"):
        (case_folder / case.extra["mkdir"]).mkdir()
    argv = case.setup(case_folder, base)
    if case.as_nobody:
        for p in [case_folder, *case_folder.rglob("*")]:
            if p.is_dir() and p.stat().st_mode & 0o777 == 0o755:
                p.chmod(0o777)  # writable for nobody, except what the case made read-only
    before = tree(case_folder)
    rc, out, err = run_cli(argv, capfd, case.as_nobody)
    assert_one_line(rc, out, err, case.code, case.says)
    if case.after is None:
        assert tree(case_folder) == before, "the case folder changed: an error must leave everything as it was"
    else:
        case.after(case_folder)
