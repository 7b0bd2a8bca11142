"""A run folder's manifest: the SHA-256 of each file and the config hash, written last.

`manifest.json` is the folder's seal. It is written after every other file, so a
folder without one never finished (interrupted, crashed, or made before
manifests existed), and a file whose bytes no longer hash to the recorded value
was changed after the run was saved: a flipped bit, a checkpoint copied in from
another run, an edited metrics.json. Loading checks the seal before anything
in the folder is used.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import RunCorrupt

MANIFEST = "manifest.json"
FORMAT = "freqlstm-manifest-1"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def manifest_dict(files: dict[str, str], config_hash: str) -> dict:
    """files: {name: sha256 hex}."""
    return {"format": FORMAT, "config_hash": config_hash, "files": dict(sorted(files.items()))}


def read_manifest(run_dir: Path, hint: str) -> dict:
    """The folder's manifest, or RunCorrupt naming what is wrong with it and `hint` (the fix)."""
    path = run_dir / MANIFEST
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunCorrupt(f"{path} does not exist, so nothing in {run_dir} can be trusted (the run never finished, "
                         f"or was made before run folders had manifests): {hint}", MANIFEST) from None
    except OSError as e:
        raise RunCorrupt(f"{path} cannot be read ({e.strerror or type(e).__name__}): check its permissions",
                         MANIFEST) from None
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise RunCorrupt(f"{path} is not JSON ({type(e).__name__}): {hint}", MANIFEST) from None
    files = m.get("files") if isinstance(m, dict) else None
    if (not isinstance(m, dict) or m.get("format") != FORMAT or not isinstance(m.get("config_hash"), str)
            or not isinstance(files, dict)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items())):
        raise RunCorrupt(f"{path} is not a FreqLSTM manifest ({FORMAT}): {hint}", MANIFEST)
    return m


def check_file(run_dir: Path, manifest: dict, name: str, hint: str) -> None:
    """RunCorrupt unless `name` is listed and its bytes hash to the recorded SHA-256."""
    path = run_dir / name
    want = manifest["files"].get(name)
    if want is None:
        raise RunCorrupt(f"{path} is not listed in {run_dir / MANIFEST}: {hint}", name)
    try:
        got = sha256_file(path)
    except FileNotFoundError:
        raise RunCorrupt(f"{path} does not exist (the manifest lists it): {hint}", name) from None
    except OSError as e:
        raise RunCorrupt(f"{path} cannot be read ({e.strerror or type(e).__name__}): {hint}", name) from None
    if got != want:
        raise RunCorrupt(f"{path} was changed after the run was saved (its SHA-256 differs from the manifest's): "
                         f"{hint}", name)
