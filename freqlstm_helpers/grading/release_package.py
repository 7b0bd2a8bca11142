"""The package students get: `freqlstm_helpers` without the instructor-only subpackages, as a wheel.

Why: `grading/` holds the trusted specs (their references are answers) and
`website/` the instructor's publishing tools. Student servers install this
wheel (INSTRUCTORS.md, "JupyterHub"), never the repository.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..paths import repo_root

PACKAGE = Path(__file__).resolve().parents[1]
INSTRUCTOR_ONLY = ("grading", "website")


def release_files() -> list[Path]:
    """Every source file of the package that students may have."""
    return sorted(p for p in PACKAGE.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and p.suffix in (".py", ".json", ".yaml", ".yml", ".txt")
                  and p.relative_to(PACKAGE).parts[0] not in INSTRUCTOR_ONLY)


def build_wheel(out: Path) -> Path:
    """Stage the release files with the project's pyproject.toml and let pip build the wheel into `out`."""
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="freqlstm-release-") as tmp:
        stage = Path(tmp)
        shutil.copyfile(repo_root() / "pyproject.toml", stage / "pyproject.toml")
        for src in release_files():
            dest = stage / "freqlstm_helpers" / src.relative_to(PACKAGE)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
        for old in out.glob("freqlstm_helpers-*.whl"):
            old.unlink()
        proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                               "-q", "-w", str(out), str(stage)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"pip could not build the release wheel: {proc.stderr.strip()[-500:]}")
    return next(out.glob("freqlstm_helpers-*.whl"))
