"""Which Chromium the browser suite drives.

Order: $FREQLSTM_CHROMIUM, else a system `chromium` (or `chromium-browser`) on
PATH, else the browser Playwright downloaded for itself (`playwright install
chromium`), if any. `python -m tests.browser.chromium` prints the path, or one
line saying how to get a browser and exits 1 (.ci/run uses this).
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

# Every launch uses these: headless, and nothing that phones home (the machine has no network).
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

HOW_TO_GET_ONE = (
    "No Chromium found for the browser suite: set FREQLSTM_CHROMIUM=/path/to/chromium, "
    "or install one (Debian/Ubuntu: `sudo apt-get install chromium`; "
    "or `.venv/bin/playwright install chromium`)."
)


def playwright_own() -> str | None:
    try:
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            path = p.chromium.executable_path
    except Exception:
        return None
    return path if path and Path(path).is_file() else None


def find_chromium() -> tuple[str | None, str]:
    """(path or None, where it came from)."""
    env = os.environ.get("FREQLSTM_CHROMIUM", "").strip()
    if env:
        path = shutil.which(env) or (env if Path(env).is_file() else None)
        if path is None:
            raise FileNotFoundError(f"FREQLSTM_CHROMIUM={env} is not an executable file")
        return path, "FREQLSTM_CHROMIUM"
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path, f"system {name}"
    path = playwright_own()
    if path:
        return path, "Playwright's own"
    return None, ""


if __name__ == "__main__":
    try:
        found, source = find_chromium()
    except FileNotFoundError as e:
        print(e, file=sys.stderr)
        sys.exit(1)
    if not found:
        print(HOW_TO_GET_ONE, file=sys.stderr)
        sys.exit(1)
    print(found)
