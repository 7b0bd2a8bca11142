"""Fixtures of the browser suite (`make test-browser`): Chromium through Playwright,
the built site served on 127.0.0.1, and JupyterLab started from .venv.

Not part of `make test` (tests/conftest.py leaves tests/browser out of `pytest tests`).
A missing browser fails the session with one line saying how to get one: this
suite never passes by skipping. The suite must leave the work tree as it found
it (`git status --porcelain`); the last test checks that.
"""
from __future__ import annotations

import functools
import http.server
import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser.chromium import ARGS, HOW_TO_GET_ONE, find_chromium

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "build" / "site"
ARTIFACTS = ROOT / "build" / "browser"
VENV_BIN = Path(sys.executable).parent


def pytest_sessionstart(session):
    try:
        path, source = find_chromium()
    except FileNotFoundError as e:
        pytest.exit(str(e), returncode=3)
    if not path:
        pytest.exit(HOW_TO_GET_ONE, returncode=3)
    session.config._freqlstm_chromium = (path, source)


def pytest_report_header(config):
    path, source = getattr(config, "_freqlstm_chromium", (None, None))
    return f"chromium: {path} ({source})" if path else None


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser(pytestconfig):
    from playwright.sync_api import sync_playwright
    path, _ = pytestconfig._freqlstm_chromium
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=ARGS)
        yield b
        b.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def site_url():
    """build/site served on 127.0.0.1 (a random free port) for the whole session."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"{SITE}/index.html is missing: run `make site` first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


# ---------------------------------------------------------------- JupyterLab

LAB_SETTINGS = {
    # no "get Jupyter news?" toast, no update check (no network here)
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        '{"fetchNews": "false", "checkForUpdates": false}',
    # never write the notebooks back (they are scratch copies anyway)
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": '{"autosave": false}',
    # every cell in the DOM, so prompts and outputs can be read top to bottom
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": '{"windowingMode": "none"}',
}


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """`jupyter lab` from .venv on 127.0.0.1 with a token, widgets live as in `make lab`.

    It serves a scratch copy of notebooks/ and configs/ (FREQLSTM_HOME points there),
    and the kernels draw their figures into a scratch FREQLSTM_FIGURES, so running the
    notebooks rewrites neither the committed .ipynb files nor figures/; runs/ is the
    course's own (a link, git-ignored), so cached training runs are reused.
    """
    home = tmp_path_factory.mktemp("lab-home")
    (home / "notebooks").mkdir()
    for nb in sorted((ROOT / "notebooks").glob("0*.ipynb")):
        shutil.copy2(nb, home / "notebooks" / nb.name)
    shutil.copytree(ROOT / "configs", home / "configs")
    (ROOT / "runs").mkdir(exist_ok=True)
    (home / "runs").symlink_to(ROOT / "runs", target_is_directory=True)

    jupyter = home.parent / f"{home.name}-jupyter"
    settings = jupyter / "settings"
    for rel, text in LAB_SETTINGS.items():
        f = settings / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)

    token = secrets.token_hex(16)
    port = free_port()
    env = dict(os.environ)
    env.update({
        "FREQLSTM_HEADLESS": "0",            # live widgets, as `make lab`
        "FREQLSTM_HOME": str(home),
        "FREQLSTM_FIGURES": str(home / "figures"),
        "JUPYTER_CONFIG_DIR": str(jupyter / "config"),
        "JUPYTER_DATA_DIR": str(jupyter / "data"),
        "JUPYTER_RUNTIME_DIR": str(jupyter / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(jupyter / "workspaces"),
    })
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / "jupyterlab.log", "w")
    proc = subprocess.Popen(
        [str(VENV_BIN / "jupyter"), "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         "--port-retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={home}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []),
        cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            pytest.fail(f"jupyter lab exited with {proc.returncode}: see {log.name}")
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            pytest.fail(f"jupyter lab did not answer within 120 s: see {log.name}")
        time.sleep(1)
    try:
        yield {"url": base, "token": token, "home": home}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()



def git_status() -> str | None:
    """`git status --porcelain` of the course, or None outside a git checkout."""
    try:
        return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def pytest_configure(config):
    config._freqlstm_git_status = git_status()


def pytest_collection_modifyitems(session, config, items):
    # The static site first (seconds), then JupyterLab (minutes), then the work-tree check.
    def rank(item):
        if item.path.name == "test_work_tree.py":
            return 2
        return 0 if item.path.name == "test_site.py" else 1
    items.sort(key=rank)


def pytest_sessionfinish(session, exitstatus):
    # In CI a skipped browser test is a failure: this suite never passes by skipping.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if os.environ.get("CI", "").lower() in ("1", "true", "yes") and skipped and exitstatus == 0:
        if reporter:
            reporter.write_line(f"CI: {skipped} browser tests were skipped; that is a failure here", red=True)
        session.exitstatus = 1
