"""The live course in JupyterLab, driven through a real browser.

For each notebook: open it, clear its committed outputs, Run ▸ Run All Cells, and wait until every code cell
shows an execution count (no `[ ]:` or `[*]:` left) with no error output. Then
move the explorers as a student would: notebook 01's phase_scale slider to 0.9,
notebook 05's model and frequency dropdowns to new values; each time the
figure must change. Screenshots go to build/browser/.
"""
from __future__ import annotations

import json
import re
import time
import urllib.request

import pytest

from tests.browser.conftest import ROOT

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("0*.ipynb"))
RUN_TIMEOUT_S = 900          # per notebook; with make course's cached runs each takes 10-60 s
VIEWPORT = {"width": 1400, "height": 1000}

PROMPTS_JS = """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')].map(
    c => (c.querySelector('.jp-InputArea-prompt') || {textContent: '?'}).textContent.trim())"""
STDERR_JS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
    .map(e => e.innerText.slice(0, 600))"""


def api(lab, path, method="GET"):
    req = urllib.request.Request(f"{lab['url']}{path}", method=method,
                                 headers={"Authorization": f"token {lab['token']}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        body = r.read()
    return json.loads(body) if body else None


def kernels_idle(lab) -> bool:
    kernels = api(lab, "/api/kernels")
    return bool(kernels) and all(k["execution_state"] == "idle" for k in kernels)


def shut_down_kernels(lab):
    for k in api(lab, "/api/kernels"):
        api(lab, f"/api/kernels/{k['id']}", method="DELETE")


def page_in(browser, lab):
    """A fresh browser page for `lab` (a generator for fixtures): closed, and the lab's kernels shut down, after."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.set_default_timeout(120_000)
    yield page
    context.close()
    shut_down_kernels(lab)


@pytest.fixture
def lab_page(browser, lab):
    yield from page_in(browser, lab)


def open_notebook(page, lab, name):
    page.goto(f"{lab['url']}/lab/tree/notebooks/{name}?reset&token={lab['token']}")
    page.locator(".jp-NotebookPanel .jp-CodeCell").first.wait_for()
    deadline = time.monotonic() + 120
    while not kernels_idle(lab):
        assert time.monotonic() < deadline, "the kernel did not start within 120 s"
        time.sleep(1)


def menu(page, top: str, item: str):
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel", has_text=re.compile(rf"^{top}$")).click()
    page.locator(".lm-Menu-content .lm-Menu-itemLabel", has_text=re.compile(rf"^{item}$")).click()


def clear_then_run_all(page, name):
    """Edit ▸ Clear Outputs of All Cells first: the committed notebook already shows
    execution counts, and only a cleared one makes a `[ ]:` left behind mean something."""
    menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(f"() => ({PROMPTS_JS})().every(p => p === '[ ]:')")
    assert page.locator(".jp-NotebookPanel .jp-OutputArea-output").count() == 0, \
        f"{name}: outputs left after clearing"
    menu(page, "Run", "Run All Cells")


def wait_until_all_ran(page, lab, name):
    """Until every code cell has an execution count; fail fast if Run All stopped early."""
    start = time.monotonic()
    idle_since = None
    while True:
        time.sleep(2)
        prompts = page.evaluate(PROMPTS_JS)
        done = [p for p in prompts if re.fullmatch(r"\[\d+\]:", p)]
        if len(done) == len(prompts) and kernels_idle(lab):
            return time.monotonic() - start
        stderr = page.evaluate(STDERR_JS)
        if stderr and any("Traceback" in s or "Error" in s for s in stderr):
            pytest.fail(f"{name}: error output while running:\n{stderr[0]}")
        if kernels_idle(lab) and "[*]:" not in prompts:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > 20:
                left = [i for i, p in enumerate(prompts) if not re.fullmatch(r"\[\d+\]:", p)]
                pytest.fail(f"{name}: the kernel is idle but code cells {left} never ran "
                            f"(prompts {[prompts[i] for i in left]})")
        else:
            idle_since = None
        if time.monotonic() - start > RUN_TIMEOUT_S:
            pytest.fail(f"{name}: still running after {RUN_TIMEOUT_S} s; prompts {prompts}")


def explorer(page):
    box = page.locator(".jp-NotebookPanel .widget-interact")
    assert box.count() == 1, f"{box.count()} live explorers (ipywidgets interact) on the page"
    return box


def figure_src(box) -> str:
    img = box.locator(".jp-OutputArea-output img")
    img.first.wait_for()
    assert img.count() == 1, f"{img.count()} figures in the explorer"
    return img.first.get_attribute("src")


def wait_for_new_figure(box, before: str, what: str, timeout_s=120) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        img = box.locator(".jp-OutputArea-output img")
        if img.count() == 1:
            src = img.first.get_attribute("src")
            if src and src != before:
                return src
        time.sleep(0.5)
    errors = box.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    detail = errors.first.inner_text()[:600] if errors.count() else "no error shown"
    pytest.fail(f"the figure did not change after {what} ({detail})")


def control(box, kind: str, label: str):
    """The ipywidgets control of class widget-<kind> whose description is `label`."""
    page = box.page
    c = box.locator(f".widget-{kind}",
                    has=page.locator(".widget-label", has_text=re.compile(rf"^{re.escape(label)}$")))
    assert c.count() == 1, f"{c.count()} {kind} controls labelled {label!r}"
    return c


def test_the_course_notebooks_are_there():
    assert [n[:3] for n in NOTEBOOKS] == ["01_", "02_", "03_", "04_", "05_"], NOTEBOOKS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_all_cells_in_jupyterlab(name, lab, lab_page, artifacts):
    page = lab_page
    open_notebook(page, lab, name)
    clear_then_run_all(page, name)
    seconds = wait_until_all_ran(page, lab, name)
    prompts = page.evaluate(PROMPTS_JS)
    assert prompts and all(re.fullmatch(r"\[\d+\]:", p) for p in prompts), prompts
    stderr = page.evaluate(STDERR_JS)
    assert not stderr, f"{name}: error output:\n" + "\n---\n".join(stderr)
    print(f"{name}: {len(prompts)} code cells ran in {seconds:.0f} s")
    stem = name.removesuffix(".ipynb")
    page.screenshot(path=artifacts / f"lab-{stem}-ran.png")

    if name.startswith("01_"):
        box = explorer(page)
        box.scroll_into_view_if_needed()
        before = figure_src(box)
        box.screenshot(path=artifacts / f"lab-{stem}-explorer-before.png")
        readout = control(box, "slider", "phase_scale").locator(".widget-readout")
        readout.fill("0.9")
        readout.press("Enter")
        wait_for_new_figure(box, before, "phase_scale → 0.9")
        assert readout.inner_text().strip() in ("0.9", "0.90"), readout.inner_text()
        box.screenshot(path=artifacts / f"lab-{stem}-explorer-phase_scale-0.9.png")

    if name.startswith("05_"):
        box = explorer(page)
        box.scroll_into_view_if_needed()
        src = figure_src(box)
        box.screenshot(path=artifacts / f"lab-{stem}-explorer-before.png")
        model = control(box, "dropdown", "model").locator("select")
        options = model.locator("option").all_inner_texts()
        current = model.evaluate("s => s.options[s.selectedIndex].text")
        new_model = next(o for o in options if o != current)
        model.select_option(label=new_model)
        src = wait_for_new_figure(box, src, f"model → {new_model}")
        box.screenshot(path=artifacts / f"lab-{stem}-explorer-model.png")
        freq = control(box, "dropdown", "f (Hz)").locator("select")
        freq.select_option(label="7.0")
        wait_for_new_figure(box, src, "frequency → 7 Hz")
        box.screenshot(path=artifacts / f"lab-{stem}-explorer-model-and-7hz.png")

    stderr = page.evaluate(STDERR_JS)
    assert not stderr, f"{name}: error output after moving the controls:\n" + "\n---\n".join(stderr)
