"""The website publishes no solution, and refuses what it cannot show (freqlstm_helpers/website/).

Fast: a tiny course (one graded notebook, two pages) is built end to end through
nbgrader's generate_assignment and Sphinx; the rest runs on in-memory notebooks.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from freqlstm_helpers.website import SiteError, build_site
from freqlstm_helpers.website.build import unlink_unstaged
from freqlstm_helpers.website.checks import executed_notebook, leaks, secrets
from freqlstm_helpers.website.release import with_outputs

ROOT = Path(__file__).resolve().parents[1]

SOLUTION = "def double(x):\n    ### BEGIN SOLUTION\n    result = x + x  # the reference solution of the tiny exercise\n    return result\n    ### END SOLUTION\n"
TEST = ("assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-3) == -6 and double(0) == 0, "
        "'hidden check for negative numbers and zero'\n### END HIDDEN TESTS\nprint('double: PASSED')\n")
ANSWER = ("Because adding a number to itself is the same as multiplying it by two, "
          "whatever sign it has")
THINK = f"**Think!** Why does this work for negative numbers?\n\n<details class=\"answer\">\n<summary>Answer</summary>\n\n{ANSWER}.\n</details>"


def _nb_meta(solution=False, grade=False, grade_id="", points=0):
    meta = {"grade": grade, "grade_id": grade_id, "locked": not solution, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def tiny_notebook(executed: bool = True) -> nbformat.NotebookNode:
    """One exercise (solution cell + test cell with a hidden test), a Think! answer, plain cells around."""
    nb = new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                                "language_info": {"name": "python"}})
    nb.cells = [
        new_markdown_cell("# 01 Tiny\n\nA notebook of the tiny course. See [the glossary](../docs/glossary.md) "
                          "and [the guide](../INSTRUCTORS.md)."),
        new_code_cell("print('setup done')"),
        new_markdown_cell("## Exercise 01.1\n\nWrite `double`."),
        new_code_cell(SOLUTION, metadata=_nb_meta(solution=True, grade_id="ex01_1_solution")),
        new_code_cell(TEST, metadata=_nb_meta(grade=True, grade_id="ex01_1", points=1)),
        new_markdown_cell(THINK),
        new_code_cell("print('a result the course computed:', 21 * 2)"),
    ]
    if executed:
        for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
            cell.execution_count = n + 1
            text = {0: "setup done\n", 2: "double: PASSED\n", 3: "a result the course computed: 42\n"}.get(n)
            if text:
                cell.outputs = [new_output("stream", name="stdout", text=text)]
    return nb


@pytest.fixture
def course(tmp_path) -> Path:
    """A tiny course folder: README, glossary, INSTRUCTORS.md, one executed graded notebook."""
    root = tmp_path / "course"
    (root / "docs").mkdir(parents=True)
    (root / "notebooks").mkdir()
    (root / "README.md").write_text("# Tiny course\n\nOpen [notebook 01](notebooks/01_tiny.ipynb). "
                                    "Instructors: see [INSTRUCTORS.md](INSTRUCTORS.md).\n")
    (root / "docs" / "glossary.md").write_text("# Glossary\n\n**double**: twice a number.\n")
    (root / "INSTRUCTORS.md").write_text(f"# Instructor guide\n\n<!-- answer-key:begin -->\n{ANSWER}\n")
    nbformat.write(tiny_notebook(), root / "notebooks" / "01_tiny.ipynb")
    return root


# --------------------------------------------------------------------------------------
# End to end, on the tiny course
# --------------------------------------------------------------------------------------
def test_a_built_site_shows_outputs_but_no_solution_hidden_test_or_answer(course, tmp_path):
    out = tmp_path / "build" / "site"
    built = build_site(out, root=course)
    page = (out / "notebooks" / "01_tiny.html").read_text()
    assert "a result the course computed: 42" in page and "setup done" in page, "outputs were not carried over"
    assert "YOUR CODE HERE" in page, "the solution cell should be the student's stub"
    assert page.count("double: PASSED") == 1, "a test cell's verdict is not the student's (only its source may say it)"
    everything = "\n".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()
                           and p.suffix in (".html", ".js", ".txt"))
    for secret in ("BEGIN SOLUTION", "BEGIN HIDDEN", "result = x + x", "hidden check for negative",
                   "multiplying it by two", 'class="answer"', "answer-key"):
        assert secret not in everything, f"the public site shows {secret!r}"
    assert not (out / "INSTRUCTORS.html").exists() and not list(out.rglob("_downloads/*"))
    assert leaks(out, secrets(tiny_notebook())) == []
    assert built["notebooks"] == ["01_tiny"] and "notebooks/01_tiny.html" in built["pages"]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".site-") and "nbgrader" not in p.name], \
        "temporary build folders left behind"


def test_the_instructor_build_shows_solutions_and_the_guide(course, tmp_path):
    out = tmp_path / "site-instructor"
    build_site(out, instructor=True, root=course)
    page = (out / "notebooks" / "01_tiny.html").read_text()
    assert "BEGIN SOLUTION" in page and "BEGIN HIDDEN TESTS" in page
    assert (out / "INSTRUCTORS.html").is_file()


def test_a_refused_build_removes_the_old_site(course, tmp_path):
    out = tmp_path / "build" / "site"
    (out / "_static").mkdir(parents=True)
    (out / "index.html").write_text("an old site")
    (out / "objects.inv").write_text("")
    nb_path = course / "notebooks" / "01_tiny.ipynb"
    nb_path.write_text(nb_path.read_text()[:200])          # truncated
    with pytest.raises(SiteError, match=r"notebooks/01_tiny.ipynb: not a readable notebook"):
        build_site(out, root=course)
    assert not out.exists(), "a stale site was left behind a failed build"
    assert [p.name for p in out.parent.iterdir()] == [], "temporary build folders left behind"


def test_a_folder_that_is_not_a_site_is_never_replaced(course, tmp_path):
    out = tmp_path / "precious"
    out.mkdir()
    (out / "notes.txt").write_text("not a website")
    with pytest.raises(SiteError, match="is not a site built here"):
        build_site(out, root=course)
    assert (out / "notes.txt").read_text() == "not a website"


def test_the_command_says_one_line_and_exits_2(course, tmp_path):
    nb = tiny_notebook(executed=False)
    nbformat.write(nb, course / "notebooks" / "01_tiny.ipynb")
    out = tmp_path / "site"
    env = dict(os.environ, FREQLSTM_HOME=str(course))
    p = subprocess.run([sys.executable, "-m", "freqlstm_helpers.website", "--out", str(out)],
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2, p.stderr
    lines = (p.stdout + p.stderr).strip().splitlines()
    assert len(lines) == 1, lines
    assert "notebooks/01_tiny.ipynb" in lines[0] and "no outputs" in lines[0] and "make course" in lines[0]


# --------------------------------------------------------------------------------------
# The pieces
# --------------------------------------------------------------------------------------
def _write(tmp_path, nb) -> Path:
    path = tmp_path / "01_x.ipynb"
    nbformat.write(nb, path)
    return path


def test_an_executed_notebook_is_accepted(tmp_path):
    assert executed_notebook(_write(tmp_path, tiny_notebook()), "nb").cells


@pytest.mark.parametrize("spoil, message", [
    (lambda nb: tiny_notebook(executed=False), "has no outputs"),
    (lambda nb: setattr(nb.cells[6], "execution_count", None) or nb, "1 of 4 code cells never ran (first: cell 7)"),
    (lambda nb: nb.cells[6].outputs.append(new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                                                      traceback=["..."])) or nb,
     "error output in cell 7 (ZeroDivisionError: division by zero)"),
    (lambda nb: nb.cells[1].outputs.append(new_output("stream", name="stderr",
                                                      text="Traceback (most recent call last):\n  ...")) or nb,
     "a traceback is printed in cell 2"),
])
def test_a_notebook_that_did_not_run_cleanly_is_refused(tmp_path, spoil, message):
    path = _write(tmp_path, spoil(tiny_notebook()))
    with pytest.raises(SiteError, match="^" + re.escape(f"notebooks/01_x.ipynb: {message}")):
        executed_notebook(path, "notebooks/01_x.ipynb")


@pytest.mark.parametrize("text", ['{"cells": [', "", "not json at all", '{"cells": 3}'])
def test_an_unreadable_notebook_is_refused_in_one_line(tmp_path, text):
    path = tmp_path / "01_x.ipynb"
    path.write_text(text)
    with pytest.raises(SiteError, match="not a readable notebook") as e:
        executed_notebook(path, "notebooks/01_x.ipynb")
    assert "\n" not in str(e.value)


def _release(nb):
    """What nbgrader's release makes of the tiny notebook: stub, hidden tests and answer gone, no outputs."""
    rel = nbformat.from_dict(nb)
    rel = nbformat.reads(nbformat.writes(rel), as_version=4)
    rel.cells[3].source = "def double(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    rel.cells[4].source = "assert double(2) == 4\nprint('double: PASSED')\n"
    rel.cells[5].source = "**Think!** Why does this work for negative numbers?"
    for c in rel.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    return rel


def test_outputs_go_only_to_unchanged_cells_outside_the_exercises():
    executed = tiny_notebook()
    shown = with_outputs(_release(executed), executed)
    assert shown.cells[1].outputs == executed.cells[1].outputs and shown.cells[1].execution_count == 1
    assert shown.cells[6].outputs == executed.cells[6].outputs
    assert shown.cells[3].outputs == [] and "NotImplementedError" in shown.cells[3].source   # the stub
    assert shown.cells[4].outputs == [] and shown.cells[4].execution_count is None            # the test cell
    # a changed plain cell gets no output either: it would not be the output of what is shown
    rel = _release(executed)
    rel.cells[6].source = "print('something else')"
    assert with_outputs(rel, executed).cells[6].outputs == []


def test_cells_that_do_not_line_up_are_refused():
    executed = tiny_notebook()
    rel = _release(executed)
    del rel.cells[2]
    for c in rel.cells:
        c.pop("id", None)
    with pytest.raises(SiteError, match="do not match"):
        with_outputs(rel, executed, "notebooks/01_x.ipynb")


def test_secrets_are_the_solution_the_hidden_tests_and_the_answer():
    found = secrets(tiny_notebook())
    assert len(found) == 3
    assert "result = x + x" in found[0] and "hidden check" in found[1] and "multiplying it by two" in found[2]


@pytest.mark.parametrize("page, reason", [
    ("<pre>### BEGIN SOLUTION\nx = 1</pre>", "BEGIN SOLUTION"),
    ("<pre>### BEGIN HIDDEN TESTS</pre>", "BEGIN HIDDEN TESTS"),
    ('<details class="answer"><summary>Answer</summary>42</details>', 'class="answer"'),
    ('<p>Because adding a number to <em>itself</em> is the same as multiplying it by two, whatever '
     'sign it has.</p>', "a solution, hidden test or answer"),
    ('<pre><span class="n">result</span> <span class="o">=</span> <span class="n">x</span> + x  '
     '<span class="c1"># the reference solution of the tiny exercise</span>\n'
     '    <span class="k">return</span> <span class="n">result</span></pre>', "a solution"),
])
def test_the_scan_finds_what_a_site_must_not_show(tmp_path, page, reason):
    (tmp_path / "page.html").write_text(f"<html><body>{page}</body></html>")
    found = leaks(tmp_path, secrets(tiny_notebook()))
    assert found and reason in found[0], found


def test_the_scan_finds_a_published_notebook_and_passes_a_clean_page(tmp_path):
    (tmp_path / "page.html").write_text("<p>A notebook of the tiny course: <code>double(2)</code> is 4.</p>")
    assert leaks(tmp_path, secrets(tiny_notebook())) == []
    (tmp_path / "_downloads").mkdir()
    (tmp_path / "_downloads" / "01_tiny.ipynb").write_text("{}")
    assert leaks(tmp_path) == ["_downloads/01_tiny.ipynb: a .ipynb file is published"]


def test_links_to_files_the_site_leaves_out_become_plain_text():
    staged = {"README.md", "docs/glossary.md", "notebooks/01_tiny.ipynb"}
    text = ("[guide](INSTRUCTORS.md), [glossary](docs/glossary.md#terms), [web](https://example.org/x.md), "
            "[here](#top), ![figure](figures/a.png), [config](configs/v1.yaml)")
    assert unlink_unstaged(text, "README.md", staged) == (
        "guide, [glossary](docs/glossary.md#terms), [web](https://example.org/x.md), "
        "[here](#top), ![figure](figures/a.png), config")
    assert unlink_unstaged("[g](../docs/glossary.md) [i](../INSTRUCTORS.md)", "notebooks/01_tiny.ipynb", staged) \
        == "[g](../docs/glossary.md) i"


def test_every_course_notebook_can_be_matched_and_scanned():
    """The real course: cells carry ids (outputs are matched by them) and have something to keep off the site."""
    nbs = sorted((ROOT / "notebooks").glob("0*.ipynb"))
    assert nbs, "no course notebooks"
    for path in nbs:
        nb = nbformat.read(path, as_version=4)
        assert all(c.get("id") for c in nb.cells), f"{path.name}: cells without ids cannot be matched by id"
        assert secrets(nb), f"{path.name}: no solution, hidden test or answer found to keep off the site"


def test_two_builds_into_one_folder_take_turns(tmp_path, monkeypatch):
    """The second build waits for the first (they share the folder's nbgrader cache), then runs."""
    import threading

    from freqlstm_helpers.storage import lock
    from freqlstm_helpers.website import build as site_build
    out = tmp_path / "site"
    order, said = [], []
    monkeypatch.setattr(site_build, "_build_site", lambda out, **kw: order.append("built") or {"out": out})
    with lock.locked(out, wait=False):
        t = threading.Thread(target=lambda: said.append(site_build.build_site(out)))
        t.start()
        t.join(1.0)
        assert t.is_alive() and order == [], "the second build must wait while the first holds the folder"
    t.join(30)
    assert order == ["built"] and said and said[0]["out"] == out
