"""The release notebooks (what students get, `make student` -> build/student/) under Run All in JupyterLab.

A student opens a release notebook, every exercise still a stub, and runs Run ▸ Run All Cells.
The whole story must run: every code cell gets an execution count, no cell shows an error or a
traceback, each exercise's self-check prints one NOT DONE line (never FAILED), and each cell that
needs an unfinished exercise's result says so in one line and goes on with the course's.
Screenshots go to build/browser/release-*.png.
"""
from __future__ import annotations

import re

import nbformat
import pytest

from tests.browser.conftest import STUDENT
from tests.browser.test_lab import (NOTEBOOKS, PROMPTS_JS, STDERR_JS, clear_then_run_all, open_notebook, page_in,
                                    wait_until_all_ran)

CHECK_CALL = re.compile(r"^check\.\w+\([\w, ]+\)", re.M)
VERDICT = re.compile(r"\[check (\d\d\.\d+)[a-z]? [^\]]+\] (PASSED|FAILED|NOT DONE)")
FALLBACK = re.compile(r"\[exercise (\d\d\.\d+) not done yet\]")
OUTPUTS_JS = """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')].map(
    c => [...c.querySelectorAll('.jp-OutputArea-output')].map(o => o.innerText).join('\\n'))"""

RELEASES = NOTEBOOKS  # every course notebook has a release version (`-k 01_` picks one)


@pytest.fixture
def release_page(browser, release_lab):
    yield from page_in(browser, release_lab)


def exercises_in(name: str) -> set[str]:
    """The ids of the exercises whose self-checks the release notebook calls, from the file itself."""
    nb = nbformat.read(STUDENT / name, as_version=4)
    ids = set()
    for cell in nb.cells:
        if cell.cell_type == "code" and CHECK_CALL.search(cell.source):
            m = re.search(r"^# Test (\d\d\.\d+)", cell.source, re.M)
            assert m, f"{name}: a self-check cell without its '# Test NN.M' line:\n{cell.source[:200]}"
            ids.add(m.group(1))
    return ids


def test_make_student_built_every_release():
    found = sorted(p.name for p in STUDENT.glob("0*.ipynb"))
    assert found == RELEASES, f"{STUDENT}: {found} (run `make student`)"


@pytest.mark.parametrize("name", RELEASES)
def test_run_all_runs_every_cell_of_the_release(name, release_lab, release_page, artifacts):
    page = release_page
    open_notebook(page, release_lab, name)
    clear_then_run_all(page, name)
    seconds = wait_until_all_ran(page, release_lab, name)
    stem = name.removesuffix(".ipynb")
    page.screenshot(path=artifacts / f"release-{stem}-ran.png", full_page=True)

    prompts = page.evaluate(PROMPTS_JS)
    assert len(prompts) == sum(c.cell_type == "code" for c in nbformat.read(STUDENT / name, as_version=4).cells)
    left = [i for i, p in enumerate(prompts) if not re.fullmatch(r"\[\d+\]:", p)]
    assert not left, f"{name}: code cells {left} have no execution count: {[prompts[i] for i in left]}"
    stderr = page.evaluate(STDERR_JS)
    assert not stderr, f"{name}: error output:\n" + "\n---\n".join(stderr)
    errors = page.locator(".jp-NotebookPanel .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']")
    assert errors.count() == 0, f"{name}: {errors.count()} error outputs"

    text = "\n".join(page.evaluate(OUTPUTS_JS))
    assert "Traceback" not in text and "CheckFailed" not in text, f"{name}: a cell raised"
    verdicts = VERDICT.findall(text)
    expected = exercises_in(name)
    assert {ex for ex, _ in verdicts} == expected, f"{name}: self-checks seen {verdicts}, exercises {expected}"
    assert all(v == "NOT DONE" for _, v in verdicts), f"{name}: every stub must be NOT DONE: {verdicts}"
    assert len(verdicts) == len(expected), f"{name}: one verdict line per exercise: {verdicts}"
    unknown = set(FALLBACK.findall(text)) - expected
    assert not unknown, f"{name}: fallback lines name exercises {unknown} the notebook does not have"
    print(f"{name}: {len(prompts)} code cells ran in {seconds:.0f} s; {len(verdicts)} NOT DONE; "
          f"fallbacks for {sorted(set(FALLBACK.findall(text)))}")
