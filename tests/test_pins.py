"""requirements.txt, the lock file and environment.yml agree on every direct pin."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pins(text):
    return {m.group(1).lower(): m.group(2) for m in re.finditer(r"^\s*-?\s*([A-Za-z0-9_.-]+)==([^\s#]+)", text, re.M)}


def test_direct_pins_agree():
    direct = pins((ROOT / "requirements.txt").read_text())
    lock = pins((ROOT / "requirements-lock.txt").read_text())
    env = pins((ROOT / "environment.yml").read_text())
    assert direct["torch"] == "2.13.0", "torch must be pinned to 2.13.0 (the CPU build)"
    for name, version in direct.items():
        assert lock.get(name) == version, f"{name}: requirements.txt {version}, lock {lock.get(name)}"
        assert env.get(name) == version, f"{name}: requirements.txt {version}, environment.yml {env.get(name)}"


def test_installed_versions_match_pins():
    from importlib.metadata import version
    direct = pins((ROOT / "requirements.txt").read_text())
    for name in ("torch", "numpy", "numba", "jupytext", "nbval", "nbgrader"):
        assert version(name).split("+")[0] == direct[name], f"{name} installed {version(name)}, pinned {direct[name]}"
