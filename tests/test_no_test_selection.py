"""No cell of notebooks 03-05 chooses anything by a test-set number (issue 18), as far as a scan can tell.

Two checks. Anywhere in 03-05, no line both selects (argmin/argmax/sorted/idxmin/idxmax/key=)
and names a test-set quantity. In notebook 04, the ablation ladder (Part B) reads no test-set
number at all: the test set is opened in Part C, once, for the chosen recipe.
"""
import re
from pathlib import Path

import jupytext
import pytest

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = [p for p in sorted(NB_DIR.glob("0*.py")) if p.name[:2] in ("03", "04", "05")]
SELECT = re.compile(r"\b(argmin|argmax|idxmin|idxmax|sorted)\b|\bkey\s*=")
TEST_NUMBER = re.compile(r"test_mse|frozen_test|test_ds|split=\"test\"|\[\"test\"\]|\btest\b\s*\)")
TEST_READ = re.compile(r"frozen_test|test_mse|split=\"test\"|\.metrics\b|frozen_metrics|datasets\(|test_ds|_test\b")


def code_cells(path):
    return [c.source for c in jupytext.read(path).cells if c.cell_type == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_line_selects_by_a_test_number(path):
    for src in code_cells(path):
        if "### BEGIN HIDDEN TESTS" in src or "### BEGIN SOLUTION" in src:
            continue
        for line in src.splitlines():
            assert not (SELECT.search(line) and TEST_NUMBER.search(line)), f"{path.name}: selects by a test number: {line!r}"


def test_the_ladder_reads_no_test_number():
    cells = jupytext.read(next(p for p in NOTEBOOKS if p.name.startswith("04"))).cells
    heads = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and re.search(r"^# Part [BC] ", c.source, re.M)]
    assert len(heads) == 2, "notebook 04 needs a '# Part B' and a '# Part C' heading"
    for c in cells[heads[0]:heads[1]]:
        if c.cell_type == "code" and "### BEGIN HIDDEN TESTS" not in c.source:
            for line in c.source.splitlines():
                assert not TEST_READ.search(line), f"Part B of notebook 04 reads the test set: {line!r}"


def test_the_scan_catches_what_it_should():
    assert SELECT.search("best = int(np.argmin(r.frozen_test_mse))") and TEST_NUMBER.search("np.argmin(r.frozen_test_mse)")
    assert TEST_READ.search('m = r.metrics["test_mse"]') and TEST_READ.search("evaluate.frozen_metrics(model, cfg)")
    assert not TEST_READ.search('h["frozen_val_mse_per_frequency"]')
