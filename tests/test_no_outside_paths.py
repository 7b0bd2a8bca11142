"""No tracked file may point outside the repository.

The course must stand alone on a fresh clone: no relative path that climbs out
of the repository (such as the shared folder next to it), and no absolute path
of the machine it was written on. Every git-tracked text file is scanned,
notebooks included (their sources and text outputs; embedded images are
skipped). The patterns below are built from pieces so that this file passes
its own scan.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[1]

UP = ".." + "/"
# Absolute paths of a particular machine: the work area and home folders.
MACHINE_DIRS = ("work", "Users", "home", "root")
ABSOLUTE = re.compile(r"(?<![\w.~-])/(?:" + "|".join(MACHINE_DIRS) + r")/")
# A run of parent steps at the start of a path (not the tail of "..." or "a../").
CLIMB = re.compile(r"(?<![\w.])(?:" + re.escape(UP) + r")+")
SHARED = UP + "shared"


def outside_refs(text: str, rel_path: str) -> list[str]:
    """Reasons why `text`, the content of the tracked file `rel_path`, points outside the repo."""
    depth = len(PurePosixPath(rel_path).parent.parts)
    found = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if SHARED in line:
            found.append(f"line {lineno}: refers to the shared folder: {line.strip()[:120]}")
            continue
        m = ABSOLUTE.search(line)
        if m:
            found.append(f"line {lineno}: absolute machine path {m.group(0)!r}: {line.strip()[:120]}")
            continue
        for m in CLIMB.finditer(line):
            if m.group(0).count(UP) > depth:
                found.append(f"line {lineno}: relative path climbs out of the repository: {line.strip()[:120]}")
                break
    return found


def _notebook_text(raw: str) -> str:
    """Every string in a notebook's JSON, except base64 images (which may contain anything)."""
    out = []

    def walk(node, key=""):
        if key.startswith("image/") or key == "application/pdf":
            return
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, list):
            for item in node:
                walk(item, key)
        elif isinstance(node, dict):
            for k, v in node.items():
                walk(v, k)

    walk(json.loads(raw))
    return "\n".join(out)


def tracked_text_files() -> dict[str, str]:
    try:
        listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.skip(f"not a git checkout, or git is missing: {e}")
    files = {}
    for name in listing.decode().split("\0"):
        path = ROOT / name
        if not name or not path.is_file():
            continue  # deleted in the work tree, or a submodule
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # binary
        files[name] = _notebook_text(text) if name.endswith(".ipynb") else text
    return files


def test_no_tracked_file_points_outside_the_repository():
    files = tracked_text_files()
    assert any(n.endswith(".ipynb") for n in files) and "README.md" in files, "the scan missed the course files"
    problems = [f"{name}: {why}" for name, text in files.items() for why in outside_refs(text, name)]
    assert not problems, "paths outside the repository:\n" + "\n".join(problems)


@pytest.mark.parametrize("text, rel_path", [
    ("See " + SHARED + "/FINDINGS.md", "freqlstm_helpers/data.py"),
    ("See " + SHARED + "/FINDINGS.md", "docs/the_case.md"),
    ("report at /" + "work/shared/seeds/x.txt", "README.md"),
    ("open /" + "Users/someone/project/log.txt", "notebooks/01.py"),
    ("[a link](" + UP + "notebooks/01.ipynb)", "README.md"),
    ("[a link](" + UP * 2 + "other/file.md)", "docs/the_case.md"),
])
def test_the_scan_catches(text, rel_path):
    assert outside_refs(text, rel_path), f"should be flagged in {rel_path}: {text!r}"


@pytest.mark.parametrize("text, rel_path", [
    ("[notebook 03](" + UP + "notebooks/03_divergence_at_lr_1e-3.ipynb)", "docs/the_case.md"),
    ('cd "$(dirname "$0")/.."', ".ci/run"),
    ("#!/usr/bin/env bash", ".ci/run"),
    ("see https://example.org/" + "work/page and runs/<name>/", "README.md"),
    ("and so on... then next", "README.md"),
])
def test_the_scan_allows(text, rel_path):
    assert not outside_refs(text, rel_path), f"should not be flagged in {rel_path}: {text!r}"


def test_a_notebook_image_is_not_scanned():
    nb = {"cells": [{"cell_type": "code", "source": ["x = 1"], "outputs": [
        {"output_type": "display_data", "data": {"image/png": "AAAA/" + "work/AAAA", "text/plain": ["<Figure>"]}}]}]}
    assert not outside_refs(_notebook_text(json.dumps(nb)), "notebooks/x.ipynb")
    nb["cells"][0]["source"] = ["open('" + SHARED + "/x')"]
    assert outside_refs(_notebook_text(json.dumps(nb)), "notebooks/x.ipynb")
