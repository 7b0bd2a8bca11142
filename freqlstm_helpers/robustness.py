"""Does a claim survive another seed and another CPU? Runs the corrected recipe under CPU profiles.

Training is chaotic: the same seed on a CPU with another instruction set rounds
one matmul differently in the last bit, and thirty epochs later it is another
run. No pin removes that, so the course asserts only what holds over seeds and
over instruction sets. A *profile* forces torch's CPU dispatch, and the code
numba compiles for the fused engines, down to an older instruction set through
environment variables; each profile runs in its own subprocess, because the
dispatch is fixed when torch is imported, and there its seeds train side by
side in worker processes (runs.cached_train_many).

    make robustness        # seeds 0-2 x three profiles -> benchmarks/robustness.json
    python -m freqlstm_helpers.robustness --seeds 0 1 2 3 4
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from . import paths

# NUMBA_CPU_NAME with empty NUMBA_CPU_FEATURES: the compiled engines get exactly that
# CPU's instruction set (haswell: AVX2 + FMA; x86-64-v2: SSE4.2, no FMA).
PROFILES: dict[str, dict[str, str]] = {
    "native": {},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "ONEDNN_MAX_CPU_ISA": "AVX2",
             "NUMBA_CPU_NAME": "haswell", "NUMBA_CPU_FEATURES": ""},
    "baseline": {"ATEN_CPU_CAPABILITY": "default", "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
                 "ONEDNN_MAX_CPU_ISA": "SSE41", "NUMBA_CPU_NAME": "x86-64-v2", "NUMBA_CPU_FEATURES": ""},
}
TARGETS = {"test_mse_per_frequency_max": 0.01, "ratio_max": 1.2, "epochs_max": 30}
CORRECTED = "corrected.yaml"
V1 = "v1_lr1e-3.yaml"


def machine() -> dict:
    """What decides the arithmetic here: torch's CPU capability, threads and versions."""
    import platform

    import numpy
    import torch
    return {"cpu_capability": torch.backends.cpu.get_cpu_capability(), "threads": torch.get_num_threads(),
            "torch": torch.__version__, "numpy": numpy.__version__, "python": platform.python_version()}


def describe_machine() -> str:
    m = machine()
    return (f"torch {m['torch']} on CPU capability {m['cpu_capability']}, {m['threads']} threads; "
            f"numpy {m['numpy']}, Python {m['python']}")


def other_profile(native_capability: str | None = None) -> str | None:
    """A profile whose instruction set differs from this machine's, or None if none does."""
    native = native_capability or machine()["cpu_capability"]
    return {"AVX512": "avx2", "AVX2": "baseline"}.get(native)


# --- one run, inside the subprocess ----------------------------------------------
def config_path(config: str) -> Path:
    """A shipped config's name (corrected.yaml) or a path to one."""
    return Path(config) if Path(config).is_file() else paths.configs_dir() / config


def _record(r) -> dict:
    m = r.metrics
    return {"seed": r.config.seed, "test_mse": m["test_mse"], "train_mse": m["train_mse"],
            "test_mse_per_frequency": m["test_mse_per_frequency"],
            "train_mse_per_frequency": m["train_mse_per_frequency"],
            "ratio": m["test_mse"] / m["train_mse"], "epochs": r.epochs_run, "best_epoch": r.best_epoch,
            "cpu_seconds": r.history[-1]["cpu_seconds"]}


def _worker(args) -> int:
    """Inside the profile's process: every seed through cached_train_many (FREQLSTM_RUNS is this job's own)."""
    from .config import load_config
    from .runs import cached_train_many
    base = load_config(config_path(args.config))
    band = cached_train_many([base.replace(seed=s) for s in args.seeds], workers=args.workers, progress=False)
    out = {"machine": machine(), "runs": [_record(r) for r in band]}
    if args.v1_seeds:
        v1 = load_config(config_path(V1)).replace(engine="fused").with_overrides({"training.num_epochs": 1})
        v1_band = cached_train_many([v1.replace(seed=s) for s in args.v1_seeds], workers=args.workers,
                                    progress=False)
        out["v1_epoch1"] = {str(s): float(r.epoch_losses[0]) for s, r in zip(args.v1_seeds, v1_band)}
    print(json.dumps(out))
    return 0


# --- the driver: one subprocess per profile ---------------------------------------
def run_profile(profile: str, seeds, *, config: str = CORRECTED, v1_seeds=(), workers: int | None = None) -> dict:
    """Train `seeds` afresh in a new Python whose torch dispatch and numba target are forced by the profile.

    The runs go to a temporary run cache, so the result always comes from the code as it is now.
    """
    with tempfile.TemporaryDirectory(prefix=f"freqlstm-{profile}-") as tmp:
        env = {**os.environ, **PROFILES[profile], "PYTHONHASHSEED": "0", "FREQLSTM_RUNS": tmp}
        cmd = [sys.executable, "-m", "freqlstm_helpers.robustness", "--worker", "--config", str(config),
               "--seeds", *map(str, seeds), "--workers", str(workers or os.cpu_count() or 1)]
        if v1_seeds:
            cmd += ["--v1-seeds", *map(str, v1_seeds)]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=paths.repo_root())
    if p.returncode != 0:
        raise RuntimeError(f"profile {profile}: worker exited {p.returncode}: {p.stderr.strip().splitlines()[-1:]}")
    out = json.loads(p.stdout.strip().splitlines()[-1])
    return {"env": PROFILES[profile], **out}


def cached_profile_run(profile: str, seed: int, config: str = CORRECTED, refresh: bool = False) -> dict:
    """One corrected run under `profile`, cached in runs/profiles/ (keyed by config hash, profile, seed).

    refresh=True always trains (and replaces the cached record): the test uses it, notebook 04 reads it.
    """
    from .config import load_config
    from .runs import atomic_write_json, config_hash
    cfg = load_config(config_path(config)).replace(seed=seed)
    path = paths.runs_dir() / "profiles" / f"{cfg.name}-{config_hash(cfg)}-{profile}-seed{seed}.json"
    if path.is_file() and not refresh:
        return json.loads(path.read_text())
    out = run_profile(profile, [seed], config=config)
    rec = {"profile": profile, "env": out["env"], "machine": out["machine"], **out["runs"][0]}
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, rec)
    return rec


def worst(profiles: dict) -> dict:
    runs = [r for p in profiles.values() for r in p["runs"]]
    return {"test_mse_per_frequency_max": max(max(r["test_mse_per_frequency"].values()) for r in runs),
            "ratio_max": max(r["ratio"] for r in runs), "ratio_min": min(r["ratio"] for r in runs),
            "test_mse_min": min(r["test_mse"] for r in runs), "test_mse_max": max(r["test_mse"] for r in runs),
            "epochs_max": max(r["epochs"] for r in runs)}


def meets_targets(w: dict) -> dict:
    return {k: w[k] <= v for k, v in TARGETS.items()}


def report(seeds=(0, 1, 2), v1_seeds=(0, 1, 2, 3, 4, 5), profiles=tuple(PROFILES), workers=None,
           config: str = CORRECTED) -> dict:
    """Every profile in turn; inside one, its seeds train side by side on all cores."""
    done = {p: run_profile(p, seeds, config=config, v1_seeds=v1_seeds, workers=workers) for p in profiles}
    w = worst(done)
    return {"config": str(config), "seeds": list(seeds), "targets": TARGETS, "profiles": done,
            "worst": w, "targets_met": meets_targets(w)}


def table(rep: dict) -> str:
    lines = [f"{'profile':<9} {'capability':<10} {'seed':>4} {'test':>7} {'1 Hz':>7} {'3 Hz':>7} {'5 Hz':>7} "
             f"{'7 Hz':>7} {'test/train':>10} {'epochs':>6}"]
    for name, p in rep["profiles"].items():
        for r in p["runs"]:
            per = r["test_mse_per_frequency"]
            lines.append(f"{name:<9} {p['machine']['cpu_capability']:<10} {r['seed']:>4} {r['test_mse']:>7.4f} "
                         + " ".join(f"{per[k]:>7.4f}" for k in ("1", "3", "5", "7"))
                         + f" {r['ratio']:>10.3f} {r['epochs']:>6}")
    w = rep["worst"]
    lines.append(f"worst over all: frequency {w['test_mse_per_frequency_max']:.4f} (target <= 0.01), "
                 f"test/train {w['ratio_min']:.3f}-{w['ratio_max']:.3f} (target <= 1.2), "
                 f"test {w['test_mse_min']:.4f}-{w['test_mse_max']:.4f}")
    for name, p in rep["profiles"].items():
        if "v1_epoch1" in p:
            v = list(p["v1_epoch1"].values())
            lines.append(f"v1 reproduction, epoch-1 online loss under {name}: {min(v):.4f}-{max(v):.4f} "
                         f"over seeds {', '.join(p['v1_epoch1'])} (the report: 0.2847)")
    return "\n".join(lines)


def summary_markdown(rep: dict) -> str:
    """The per-profile spread as the Markdown table README.md and INSTRUCTORS.md quote (a test compares them)."""
    lines = ["| profile | torch capability | seeds | test MSE | worst frequency | test/train |", "|---|---|---|---|---|---|"]
    for name, p in rep["profiles"].items():
        rs = p["runs"]
        t = [r["test_mse"] for r in rs]
        ratio = [r["ratio"] for r in rs]
        worst_f = max(max(r["test_mse_per_frequency"].values()) for r in rs)
        lines.append(f"| {name} | {p['machine']['cpu_capability']} | {', '.join(str(r['seed']) for r in rs)} | "
                     f"{min(t):.4f}–{max(t):.4f} | {worst_f:.4f} | {min(ratio):.3f}–{max(ratio):.3f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m freqlstm_helpers.robustness", description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--v1-seeds", type=int, nargs="*", default=[0, 1, 2, 3, 4, 5])
    ap.add_argument("--profiles", nargs="+", default=list(PROFILES), choices=list(PROFILES))
    ap.add_argument("--out", default="benchmarks/robustness.json")
    ap.add_argument("--config", default=CORRECTED, help="a shipped config's name or a path (default corrected.yaml)")
    ap.add_argument("--workers", type=int, default=None, help="worker processes per profile (default: CPUs)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return _worker(args)
    if not config_path(args.config).is_file():
        print(f"robustness: --config {args.config}: no such file (give a path or a name in configs/)", file=sys.stderr)
        return 2
    rep = report(args.seeds, args.v1_seeds, tuple(args.profiles), workers=args.workers, config=args.config)
    out = paths.repo_root() / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    from .runs import atomic_write_json
    atomic_write_json(out, rep)
    print(table(rep))
    print()
    print(summary_markdown(rep))
    print()
    print(f"targets met by the worst seed under the worst profile: {rep['targets_met']}")
    print(f"wrote {paths.shown(out)}")
    return 0 if all(rep["targets_met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
