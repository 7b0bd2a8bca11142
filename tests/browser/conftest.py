"""Fixtures of the browser suite (`make test-browser`): Chromium through Playwright,
the built site served on 127.0.0.1, and JupyterLab started from .venv.

Not part of `make test` (tests/conftest.py leaves tests/browser out of `pytest tests`).
A missing browser: in CI (CI=true) the session fails with one line saying how to
get one, and any skipped test fails it too, so CI never passes by skipping;
elsewhere every test that needs the browser is skipped with that line (as the
homework suite does without bubblewrap), and `make test-browser` still stops first
with it (it runs `python -m tests.browser.chromium`). The suite must leave the work
tree as it found it (`git status --porcelain`); the last test checks that.
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
STUDENT = ROOT / "build" / "student"  # `make student`: the release notebooks
ARTIFACTS = ROOT / "build" / "browser"
VENV_BIN = Path(sys.executable).parent


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_sessionstart(session):
    try:
        path, source = find_chromium()
    except FileNotFoundError as e:  # FREQLSTM_CHROMIUM names no browser: a bad setting, never a skip
        pytest.exit(str(e), returncode=3)
    if not path:
        if in_ci():
            pytest.exit(HOW_TO_GET_ONE, returncode=3)
        session.config._freqlstm_no_chromium = HOW_TO_GET_ONE
        return
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
    why = getattr(pytestconfig, "_freqlstm_no_chromium", None)
    if why:
        pytest.skip(why)
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
    yield from serve_lab(tmp_path_factory, ROOT / "notebooks", "lab")


@pytest.fixture(scope="session")
def release_lab(tmp_path_factory):
    """The same JupyterLab, serving scratch copies of the release notebooks `make student` wrote
    (build/student/), laid out as a student's server has them: notebooks/, configs/, runs/."""
    if not sorted(STUDENT.glob("0*.ipynb")):
        pytest.fail(f"no release notebooks in {STUDENT}: run `make student` first")
    yield from serve_lab(tmp_path_factory, STUDENT, "release-lab")


def serve_lab(tmp_path_factory, source: Path, name: str):
    """Start JupyterLab on a scratch home holding copies of source/0*.ipynb; yield url, token, home."""
    home = tmp_path_factory.mktemp(f"{name}-home")
    (home / "notebooks").mkdir()
    for nb in sorted(source.glob("0*.ipynb")):
        shutil.copy2(nb, home / "notebooks" / nb.name)
    shutil.copytree(ROOT / "configs", home / "configs")
    # make test-browser after make test: the runs it just made (FREQLSTM_BROWSER_RUNS), reached through
    # home/runs so the kernels see them where a student's server has them (paths stay inside the home).
    runs = Path(os.environ.get("FREQLSTM_BROWSER_RUNS") or ROOT / "runs")
    runs.mkdir(parents=True, exist_ok=True)
    (home / "runs").symlink_to(runs, target_is_directory=True)

    jupyter = home.parent / f"{home.name}-jupyter"
    settings = jupyter / "settings"
    for rel, text in LAB_SETTINGS.items():
        f = settings / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)

    token = secrets.token_hex(16)
    port = free_port()
    env = dict(os.environ)
    env.pop("FREQLSTM_RUNS", None)           # the kernels use home/runs, as on a student's server
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
    log = open(ARTIFACTS / ("jupyterlab.log" if name == "lab" else f"jupyterlab-{name}.log"), "w")
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
    if in_ci() and skipped and exitstatus == 0:
        if reporter:
            reporter.write_line(f"CI: {skipped} browser tests were skipped; that is a failure here", red=True)
        session.exitstatus = 1
