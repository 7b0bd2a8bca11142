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

from freqlstm_helpers import preflight, runs
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
add(Case("config_is_device", "yaml", lambda f, b: ["train", "--config", "/dev/zero", "--run-dir", f / "r"],
         ("/dev/zero is not a regular file",)))
add(config_case("python_tag", "yaml", "name: !!python/object/apply:os.system [echo hi]\n", "is not valid YAML"))
add(config_case("byte_order_mark", "yaml", "\ufeff" + tiny_text(seed=-3), "seed=-3 is not allowed"))
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
add(config_case("epochs_exponent", "numbers", "training:\n  num_epochs: 1e3\n", "training.num_epochs=1000.0 is not allowed",
                "integer"))
add(config_case("seed_date", "numbers", "seed: 2024-01-01\n", "seed=datetime.date(2024, 1, 1) is not allowed"))
add(config_case("epochs_hex_ok_but_huge", "numbers", "training:\n  num_epochs: 0xFFFFFFFFFFFF\n",
                "training.num_epochs=281474976710655 is not allowed"))
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
add(tiny_case("name_dot_dot", "meaning", "name='..' is not allowed", name=".."))
add(tiny_case("duration_too_short", "meaning", "2 to 1,000,000 samples", data={"duration": 1e-9}))
add(tiny_case("phase_scale_2", "meaning", "data.phase_scale=2 is not allowed", "<= 1", data={"phase_scale": 2}))
add(tiny_case("epochs_10_pow_9", "meaning", "training.num_epochs=1000000000 is not allowed",
              training={"num_epochs": 10 ** 9}))
add(tiny_case("amplitudes_reversed", "meaning", "low <= high", data={"amplitude_range": [1.2, 0.8]}))
add(tiny_case("window_not_multiple", "meaning", "streams.window=", "multiple of streams.stride", trainer="streams",
              streams={"window": 70, "stride": 50}))
add(tiny_case("window_longer_than_data", "meaning", "streams.window=1000000 is not allowed", "at most the 50 samples",
              trainer="streams", streams={"window": 10 ** 6, "stride": 10 ** 6}))
add(config_case("nul_character", "yaml", "name: a\x00b\n", "character 8: unacceptable character #x0000"))
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
add(Case("run_dir_broken_link", "paths", _train_into(lambda f: ((f / "link").symlink_to(f / "nowhere"), f / "link")[1]),
         ("link is a broken link, not a folder",)))
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
         ("cannot write metrics.json into", "(Permission denied)"), as_nobody=True))
add(Case("viz_readonly_run", "paths", lambda f, b: (copy_run(b, f).chmod(0o555), ["viz", "--run", f / "run"])[1],
         ("cannot write the figures into", "(Permission denied; none was written)"), as_nobody=True))
add(Case("checkpoint_unreadable", "paths", lambda f, b: ((copy_run(b, f) / runs.BEST).chmod(0o000),
                                                         ["eval", "--run", f / "run"])[1],
         ("best_model.pth cannot be read",), as_nobody=True))
add(Case("run_folder_unreadable", "paths", lambda f, b: (copy_run(b, f).chmod(0o000), ["eval", "--run", f / "run"])[1],
         ("run cannot be read (Permission denied)",), as_nobody=True))
add(Case("manifest_unreadable", "paths", lambda f, b: ((copy_run(b, f) / runs.MANIFEST).chmod(0o000),
                                                       ["viz", "--run", f / "run"])[1],
         ("manifest.json cannot be read (Permission denied)",), as_nobody=True))
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
         ("manifest.json is not JSON",)))
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
add(Case("offset_metrics_edited", "cache",
         lambda f, b: (runs.write_metrics(copy_run(b, f), {"x": 1}, runs.METRICS_OFFSET),
                       (f / "run" / runs.METRICS_OFFSET).write_text("{}"), ["viz", "--run", f / "run"])[2],
         ("metrics_offset.json was changed after the run was saved",)))
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
        import freqlstm_helpers.grading.apps as hw
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
        from freqlstm_helpers.grading import apps as homework
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


# --- cache: cached_train never returns a run that fails its check ------------------------------------
def same_run(a_dir: Path, b_dir: Path) -> None:
    """Two run folders hold the same run, bit for bit (timings aside)."""
    a, b = runs.load_run(a_dir), runs.load_run(b_dir)
    np.testing.assert_array_equal(a.online_losses, b.online_losses)
    untimed = lambda h: [{k: v for k, v in r.items() if k not in ("seconds", "cpu_seconds")} for r in h]  # noqa
    assert untimed(a.history) == untimed(b.history)
    assert (a.metrics, a.best_epoch, a.stopped_by) == (b.metrics, b.best_epoch, b.stopped_by)
    for m, n in ((a.model, b.model), (a.best_model, b.best_model)):
        assert all(torch.equal(p, q) for p, q in zip(m.parameters(), n.parameters()))
    for sa, sb in ((a.optimizer_state, b.optimizer_state), (a.best_optimizer_state, b.best_optimizer_state)):
        assert sa["param_groups"] == sb["param_groups"]
        for k in sa["state"]:
            assert all(torch.equal(sa["state"][k][x], sb["state"][k][x]) for x in sa["state"][k])


@dataclass
class CacheCase:
    id: str
    change: Callable  # (run folder, base) -> None
    says: tuple
    retrains: bool = True  # else: refuses with a RunError
    cfg: Callable = tiny_cfg


CACHE_CASES = [
    CacheCase("cached_bit_flip", lambda r, b: flip_bit(r / runs.BEST), ("failed its check", "best_model.pth")),
    CacheCase("cached_hidden16", lambda r, b: shutil.copy(b["h16"] / runs.BEST, r / runs.BEST),
              ("failed its check",)),
    CacheCase("cached_hidden16_resealed", lambda r, b: (shutil.copy(b["h16"] / runs.BEST, r / runs.BEST), reseal(r)),
              ("failed its check", "config hash")),
    CacheCase("cached_edited_metrics", lambda r, b: edit_json(r / runs.METRICS, lambda d: d.update(test_mse=0.0)),
              ("failed its check", "metrics.json was changed")),
    CacheCase("cached_nan_metrics", lambda r, b: (r / runs.METRICS).write_text(
        (r / runs.METRICS).read_text().replace('"test_mse": ', '"test_mse": NaN, "y": ', 1)),
              ("failed its check", "NaN")),
    CacheCase("cached_deleted_metrics", lambda r, b: (r / runs.METRICS).unlink(),
              ("failed its check", "metrics.json does not exist")),
    CacheCase("cached_other_history", lambda r, b: (shutil.copy(b["seed7"] / runs.HISTORY, r / runs.HISTORY),
                                                    reseal(r)), ("failed its check", "belongs to config hash")),
    CacheCase("cached_losses_shape", lambda r, b: (np.save(r / runs.LOSSES, np.zeros((3, 200), np.float32)),
                                                   reseal(r)), ("failed its check", "online_losses.npy")),
    CacheCase("cached_no_manifest", lambda r, b: (r / runs.MANIFEST).unlink(),
              ("has no manifest.json", "training it from the start")),
    CacheCase("cached_only_config", lambda r, b: [p.unlink() for p in r.iterdir() if p.name != runs.CONFIG],
              ("was never finished; training it from the start",)),
    CacheCase("cached_bomb_config", lambda r, b: (r / runs.CONFIG).write_text(BOMB),
              ("not a valid run config", "anchors"), retrains=False),
    CacheCase("cached_other_config", lambda r, b: None, ("was made with a different config", "seed: 0 in the folder"),
              retrains=False, cfg=lambda: tiny_cfg(seed=4)),
]


@pytest.mark.parametrize("case", CACHE_CASES, ids=[c.id for c in CACHE_CASES])
def test_cached_train_verifies_first(case, case_folder, base, capfd):
    run = copy_run(base, case_folder)
    case.change(run, base)
    before = tree(case_folder)
    capfd.readouterr()
    try:
        result = runs.cached_train(case.cfg(), run_dir=run, progress=False)
        rc, out = 0, capfd.readouterr().out
    except RunError as e:
        rc, out = 2, f"error: {e}\n" + capfd.readouterr().out
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    for s in case.says:
        assert s in lines[0], (s, lines[0])
    if not case.retrains:
        assert rc == 2 and tree(case_folder) == before
        return
    assert rc == 0
    runs.verify_run(run)  # the folder it returns is intact
    assert result.run_dir == run
    same_run(run, base["run"])  # and holds the run the config makes
    rejected = [p for p in case_folder.iterdir() if ".rejected-" in p.name]
    if "failed its check" in lines[0]:  # the failing folder is kept aside, untouched
        assert len(rejected) == 1 and tree(rejected[0]) == {k[len("run/"):]: v for k, v in before.items()
                                                            if k.startswith("run/")}
    else:
        assert not rejected


def test_all_nan_validation_keeps_a_run(case_folder, monkeypatch, capfd):
    """The stream trainer used to crash at the end (best weights None) when every validation MSE was NaN."""
    from freqlstm_helpers import stream_trainer
    real = stream_trainer.stream_mse
    monkeypatch.setattr(stream_trainer, "stream_mse", lambda *a, **k: {**real(*a, **k), "mse": float("nan")})
    cfg = tiny_cfg(trainer="streams", training={"num_epochs": 2}, streams={"window": 50, "stride": 50})
    res = stream_trainer.train(cfg, run_dir=case_folder / "r", progress=False)
    assert res.best_epoch == 1 and runs.verify_run(case_folder / "r")


# --- concurrency: one writer per folder; a second one is told who, a cached_train waits ----------------
WRAPPER = textwrap.dedent("""
    import os, signal, sys, time
    import numpy as np
    from freqlstm_helpers import trainer, stream_trainer
    from freqlstm_helpers.storage import atomic
    from freqlstm_helpers.__main__ import main
    env = os.environ
    if env.get("SLOW_WRITES"):  # every atomic write waits first: a slow disk, a long save
        real_write = atomic.write_bytes
        def slow(path, data, _w=real_write, _s=float(env["SLOW_WRITES"])):
            time.sleep(_s)
            return _w(path, data)
        atomic.write_bytes = slow
    if env.get("KILL_AT"):  # send ourselves KILL_SIG (KILL_TIMES times) once KILL_AT rows / windows are done
        at, sig, times = int(env["KILL_AT"]), getattr(signal, env.get("KILL_SIG", "SIGINT")), int(env.get("KILL_TIMES", "1"))
        done = [0]
        def fire():
            for _ in range(times):
                os.kill(os.getpid(), sig)
        real_make = trainer.make_engine
        def make(name, model, cfg):
            e = real_make(name, model, cfg)
            real_rows = e.train_rows
            def train_rows(X, y):
                if done[0] < at <= done[0] + len(X):
                    k = at - done[0]
                    a, b = real_rows(X[:k], y[:k])
                    done[0] += len(a)
                    fire()
                    c, d = real_rows(X[k:], y[k:])
                    done[0] += len(c)
                    return np.concatenate([a, c]), np.concatenate([b, d])
                out = real_rows(X, y)
                done[0] += len(out[0])
                return out
            e.train_rows = train_rows
            return e
        trainer.make_engine = make
        real_step = stream_trainer.window_step
        def step(*a, **k):
            done[0] += 1
            if done[0] == at:
                fire()
            return real_step(*a, **k)
        stream_trainer.window_step = step
        real_stream_engine = stream_trainer.make_stream_engine
        def make_stream(name, model, cfg, step=None):  # a compiled engine runs an epoch's windows in one call
            e = real_stream_engine(name, model, cfg, step)
            if e.name != "torch":
                real_epoch = e.train_epoch
                def train_epoch(x, y, lrs):
                    out = real_epoch(x, y, lrs)
                    done[0] += len(lrs)
                    if done[0] - len(lrs) < at <= done[0]:
                        fire()
                    return out
                e.train_epoch = train_epoch
            return e
        stream_trainer.make_stream_engine = make_stream
    sys.exit(main(sys.argv[1:]))
""")


def spawn(argv, **env):
    e = {**os.environ, **{k: str(v) for k, v in env.items()}}
    return subprocess.Popen([sys.executable, "-c", WRAPPER, *map(str, argv)], cwd=REPO, env=e,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(cond, proc, what, timeout=240):
    t0 = time.monotonic()
    while not cond():
        if proc.poll() is not None:
            raise AssertionError(f"the writer ended (rc {proc.returncode}) before {what}: {proc.stderr.read()}")
        if time.monotonic() - t0 > timeout:
            proc.kill()
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def holder_pid(run: Path):
    try:
        return json.loads(lock.lock_path(run).read_text()).get("pid")
    except (OSError, ValueError):
        return None


CONC = {"training": {"num_epochs": 2}, "data": {"duration": 0.2}}


def test_two_writers_second_is_told_who_holds_it(case_folder, capfd):
    cfg_path = _write(case_folder, tiny_text(**CONC))
    run = case_folder / "r"
    a = spawn(["train", "--config", cfg_path, "--run-dir", run, "--no-progress"], SLOW_WRITES=0.7)
    wait_for(lambda: holder_pid(run) == a.pid, a, "the first writer holds the lock")
    for argv in (["train", "--config", cfg_path, "--run-dir", run, "--no-progress"],
                 ["train", "--config", _write(case_folder, tiny_text(seed=5, **CONC), "other.yaml"), "--run-dir", run],
                 ["eval", "--run", run], ["viz", "--run", run]):
        rc, out, err = run_cli(argv, capfd)
        assert_one_line(rc, out, err, 2, (f"is being written by process {a.pid}",))
    out, err = a.communicate(timeout=300)
    assert a.returncode == 0, err
    assert "run saved" in out
    runs.verify_run(run)
    assert runs.read_run_config(run) == tiny_cfg(**CONC)  # the first writer's run, whole
    assert not lock.lock_path(run).exists()


def test_cached_train_waits_for_the_writer_then_loads(case_folder, capfd, monkeypatch):
    cfg_path = _write(case_folder, tiny_text(**CONC))
    run = case_folder / "r"
    a = spawn(["train", "--config", cfg_path, "--run-dir", run, "--no-progress"], SLOW_WRITES=0.7)
    wait_for(lambda: holder_pid(run) == a.pid, a, "the writer holds the lock")
    monkeypatch.setattr(runs, "get_trainer", lambda name: pytest.fail("cached_train trained instead of waiting"))
    capfd.readouterr()
    res = runs.cached_train(tiny_cfg(**CONC), run_dir=run, progress=False)
    lines = capfd.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and f"waiting for process {a.pid}" in lines[0], lines
    a.communicate(timeout=300)
    assert a.returncode == 0 and res.epochs_run == 2
    same_run(run, run)


def test_killed_writer_leaves_nothing_that_blocks_and_resume_continues(case_folder, capfd):
    cfg_path = _write(case_folder, tiny_text(**CONC))
    run, ref = case_folder / "r", case_folder / "ref"
    a = spawn(["train", "--config", cfg_path, "--run-dir", run, "--no-progress"], SLOW_WRITES=0.3)
    wait_for(lambda: (run / runs.RESUME).exists(), a, "the first epoch's checkpoint")
    a.kill()  # SIGKILL: no handler, no cleanup
    a.communicate()
    (run / ".metrics.json.abcd1234.tmp").write_bytes(b"half a file")  # what a kill mid-write leaves
    (case_folder / "r.tmp-abcd1234").mkdir()
    assert lock.lock_path(run).exists()  # the killed holder could not unlink it; flock was released by the kernel
    rc, out, err = run_cli(["train", "--resume", run, "--no-progress"], capfd)
    assert rc == 0, err
    assert "continuing the interrupted run at epoch 2" in out
    assert not lock.lock_path(run).exists() and not (case_folder / "r.tmp-abcd1234").exists()
    assert not [p for p in run.iterdir() if p.name.endswith(".tmp")] and not (run / runs.RESUME).exists()
    train_l1(tiny_cfg(**CONC), run_dir=ref, progress=False)
    same_run(run, ref)


def test_stale_temporaries_and_lock_are_cleaned(case_folder, capfd):
    run = case_folder / "r"
    run.mkdir()
    (run / runs.CONFIG).write_text(tiny_cfg().to_yaml())
    (run / ".best_model.pth.x1y2z3w4.tmp").write_bytes(b"x")
    (case_folder / "r.tmp-q1w2e3r4").mkdir()
    lock.lock_path(run).write_text('{"pid": 999999}')  # left by a process that is gone
    rc, out, err = run_cli(["train", "--config", _write(case_folder, tiny_text()), "--run-dir", run, "--no-progress"],
                           capfd)
    assert rc == 0, err
    assert sorted(p.name for p in case_folder.iterdir()) == ["c.yaml", "r"]
    assert ".tmp" not in "".join(p.name for p in run.iterdir())
    runs.verify_run(run)


def test_permissions_follow_the_umask(case_folder, capfd):
    for umask, dmode, fmode in ((0o022, 0o755, 0o644), (0o027, 0o750, 0o640)):
        old = os.umask(umask)
        try:
            run = case_folder / f"r{umask:o}"
            rc, out, err = run_cli(["train", "--config", _write(case_folder, tiny_text()), "--run-dir", run,
                                    "--no-progress"], capfd)
            assert rc == 0, err
            rc, _, err = run_cli(["eval", "--run", run], capfd)  # rewrites metrics.json and the manifest
            assert rc == 0, err
            runs.save_run(runs.load_run(run), case_folder / f"new{umask:o}")  # a new folder: temporary + rename
        finally:
            os.umask(old)
        for folder in (run, case_folder / f"new{umask:o}"):
            assert folder.stat().st_mode & 0o777 == dmode
            for p in folder.iterdir():
                assert p.stat().st_mode & 0o777 == fmode, (p, oct(p.stat().st_mode))


# --- interrupt and resume: stop at the engine's boundary, save, one line, continue bit for bit ---------
INTERRUPTS = {
    # id: (config, KILL_AT rows/windows, signal, times, exit code, where the line says it stopped)
    "torch_sigint_mid_epoch": (dict(training={"num_epochs": 3}, data={"duration": 0.2}, eval_every_epoch=True,
                                    lr_scheduler={"type": "ReduceLROnPlateau", "patience": 0}),
                               1234, "SIGINT", 1, 130, "in epoch 2 after 434 of 800 rows (the torch engine"),
    "torch_sigterm_epoch_end": (dict(training={"num_epochs": 3}, data={"duration": 0.2}), 800, "SIGTERM", 1, 143,
                                "at the end of epoch 1 (the torch engine stops at the next row)"),
    "fused_sigterm": (dict(engine="fused", training={"num_epochs": 3}, data={"duration": 0.5}), 2500, "SIGTERM", 1,
                      143, "in epoch 2 after 1,000 of 2,000 rows (the fused engine stops after its current call"),
    "streams_sigint": (dict(trainer="streams", training={"num_epochs": 3}, data={"duration": 0.5},
                            streams={"window": 100, "stride": 50}), 13, "SIGINT", 1, 130,
                       "at the end of epoch 2 (the stream trainer stops at the end of an epoch)"),
    "streams_fused_sigterm": (dict(trainer="streams", engine="fused", training={"num_epochs": 3},
                                   data={"duration": 0.5}, streams={"window": 100, "stride": 50}), 13, "SIGTERM", 1,
                              143, "at the end of epoch 2 (the stream trainer stops at the end of an epoch)"),
    "torch_second_sigint": (dict(training={"num_epochs": 3}, data={"duration": 0.2}), 1000, "SIGINT", 2, 130,
                            "interrupted by a second SIGINT: stopped at once; the checkpoint of the last finished"),
}


@pytest.mark.parametrize("kind", list(INTERRUPTS))
def test_interrupt_then_resume_is_bit_identical(kind, case_folder, capfd):
    more, at, sig, times, code, where = INTERRUPTS[kind]
    more = dict(more)
    every = more.pop("eval_every_epoch", False)
    cfg_path = _write(case_folder, tiny_text(**more))
    run, ref = case_folder / "r", case_folder / "ref"
    argv = ["train", "--config", cfg_path, "--run-dir", run, "--no-progress"] + (["--eval-every-epoch"] if every else [])
    p = spawn(argv, KILL_AT=at, KILL_SIG=sig, KILL_TIMES=times)
    out, err = p.communicate(timeout=600)
    line = assert_one_line(p.returncode, out, err, code, (where, f"train --resume {run}"))
    assert line.startswith("interrupted by ")
    assert sorted(x.name for x in run.iterdir()) == [runs.CONFIG, runs.RESUME]  # nothing half-written, no seal
    assert not lock.lock_path(run).exists()
    before = tree(run)
    rc, out2, err2 = run_cli(["train", "--config", cfg_path, "--run-dir", run, "--no-progress"], capfd)
    assert_one_line(rc, out2, err2, 2, ("holds an interrupted run", "--resume"))
    assert tree(run) == before
    rc, out2, err2 = run_cli(["train", "--resume", run, "--no-progress"], capfd)
    assert rc == 0, err2
    assert out2.splitlines()[0].startswith("r: continuing the interrupted run at epoch")
    cfg = config_from_dict(merged(TINY, more))
    from freqlstm_helpers.config import get_trainer
    get_trainer(cfg.trainer)(cfg, run_dir=ref, progress=False, eval_every_epoch=every)  # as the CLI calls it
    same_run(run, ref)


def test_damaged_resume_checkpoint(case_folder, capfd):
    more = dict(training={"num_epochs": 3}, data={"duration": 0.2})
    cfg_path = _write(case_folder, tiny_text(**more))
    run = case_folder / "r"
    p = spawn(["train", "--config", cfg_path, "--run-dir", run, "--no-progress"], KILL_AT=900)
    p.communicate(timeout=600)
    assert p.returncode == 130
    flip_bit(run / runs.RESUME, 0.8)
    before = tree(case_folder)
    rc, out, err = run_cli(["train", "--resume", run], capfd)
    assert_one_line(rc, out, err, 2, ("resume.ckpt is damaged", "delete it to train from the start"))
    assert tree(case_folder) == before
    res = runs.cached_train(tiny_cfg(**more), run_dir=run, progress=False)  # the cache starts over, and says so
    lines = capfd.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "not continuing the interrupted run" in lines[0] and "from the start" in lines[0]
    assert res.epochs_run == 3 and runs.verify_run(run)


def test_cached_train_continues_an_interrupted_run(case_folder, capfd):
    more = dict(training={"num_epochs": 3}, data={"duration": 0.2})
    run, ref = case_folder / "r", case_folder / "ref"
    p = spawn(["train", "--config", _write(case_folder, tiny_text(**more)), "--run-dir", run, "--no-progress"],
              KILL_AT=2000)
    p.communicate(timeout=600)
    assert p.returncode == 130
    capfd.readouterr()
    runs.cached_train(tiny_cfg(**more), run_dir=run, progress=False)
    lines = capfd.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and "continuing the interrupted run at epoch 3, row 400" in lines[0]
    train_l1(tiny_cfg(**more), run_dir=ref, progress=False)
    same_run(run, ref)


# --- pre-flight: what can be known before the first epoch is checked before it --------------------------
def test_preflight_memory_and_disk(case_folder, capfd, monkeypatch):
    argv = ["train", "--config", _write(case_folder, tiny_text()), "--run-dir", case_folder / "r", "--no-progress"]
    before = tree(case_folder)
    monkeypatch.setattr(preflight, "available_memory", lambda: 1000)
    assert_one_line(*run_cli(argv, capfd), 2, ("GiB of memory", "are free"))
    monkeypatch.undo()
    monkeypatch.setattr(preflight.shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(10, 10, 0))
    assert_one_line(*run_cli(argv, capfd), 2, ("MiB and its disk has 0 MiB free",))
    assert tree(case_folder) == before
    monkeypatch.undo()
    rc, out, err = run_cli(argv + ["--yes"], capfd)  # --yes is accepted under the budget too
    assert rc == 0, err


def test_a_crash_keeps_finished_epochs_and_nothing_else(case_folder, monkeypatch, capfd):
    from freqlstm_helpers import trainer
    (case_folder / "empty").mkdir()
    with monkeypatch.context() as m:  # a crash in epoch 1: nothing worth keeping, nothing of it left behind
        m.setattr(trainer, "_epoch_record", lambda *a, **k: 1 / 0)
        for where in ("r", "empty"):
            with pytest.raises(ZeroDivisionError):
                train_l1(tiny_cfg(), run_dir=case_folder / where, progress=False)
    assert [p.name for p in case_folder.iterdir()] == ["empty"] and not any((case_folder / "empty").iterdir())
    (case_folder / "empty").rmdir()
    with monkeypatch.context() as m:  # a crash after the last epoch: its checkpoint stays, --resume finishes the run
        m.setattr(trainer, "frozen_metrics", lambda *a, **k: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            train_l1(tiny_cfg(), run_dir=case_folder / "r", progress=False)
    assert sorted(p.name for p in (case_folder / "r").iterdir()) == [runs.CONFIG, runs.RESUME]
    rc, out, err = run_cli(["train", "--resume", case_folder / "r", "--no-progress"], capfd)
    assert rc == 0, err
    train_l1(tiny_cfg(), run_dir=case_folder / "ref", progress=False)
    same_run(case_folder / "r", case_folder / "ref")


# --- the count per category --------------------------------------------------------------------------------
def test_case_counts():
    counts = Counter(c.category for c in CASES)
    counts["cache"] += len(CACHE_CASES) + 1  # + all-NaN validation
    counts["concurrency"] += 5  # two writers (4 refused commands), waiter, killed writer, stale files, umask
    counts["interrupt"] += len(INTERRUPTS) + 2  # + damaged resume checkpoint, cached_train continues
    counts["paths"] += 2  # pre-flight memory/disk, a crash mid-training
    print("\nbad-input cases per category: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
          + f"; total {sum(counts.values())}")
    assert sum(counts.values()) >= 80 and all(counts[k] for k in
                                              ("yaml", "numbers", "meaning", "paths", "cache", "concurrency", "interrupt"))
