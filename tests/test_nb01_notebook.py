"""Notebook 01 as issue 12 left it: short cells, answered "Think!" prompts, links in the intro, no idle generator.

The structural checks are functions of the notebook's stem, so test_nb02_notebook.py runs them on 02.
"""
import re
from pathlib import Path

import jupytext

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
LINKS = {
    "01_signals_and_fft": ["../docs/the_case.md", "../docs/glossary.md", "02_l1_state_mechanics.ipynb"],
    "02_l1_state_mechanics": ["../docs/the_case.md", "../docs/glossary.md", "01_signals_and_fft.ipynb",
                              "03_divergence_at_lr_1e-3.ipynb"],
}
MAX_LINES = 25


def short_cells(stem):
    nb = jupytext.read(NB_DIR / f"{stem}.py")
    long = [(i, len(c.source.splitlines())) for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and len(c.source.splitlines()) > MAX_LINES]
    assert not long, f"{stem}: code cells longer than {MAX_LINES} lines (cell, lines): {long}"


def answered_thinks(stem):
    nb = jupytext.read(NB_DIR / f"{stem}.py")
    for i, c in enumerate(nb.cells):
        if c.cell_type != "markdown":
            continue
        parts = c.source.split("**Think!**")
        for j, after in enumerate(parts[1:], 1):
            assert re.search(r'<details class="answer"><summary>Click for an answer</summary>\n\n.+?\n\n</details>',
                             after, re.S), f"{stem} cell {i}: Think! prompt {j} has no answer block after it"


def intro_links(stem):
    intro = jupytext.read(NB_DIR / f"{stem}.py").cells[0].source
    for target in LINKS[stem]:
        assert f"]({target})" in intro, f"{stem}: the intro does not link {target}"


def test_notebook_01_reads_well():
    for check in (short_cells, answered_thinks, intro_links):
        check("01_signals_and_fft")


def test_the_generator_notebook_01_makes_is_used():
    src = (NB_DIR / "01_signals_and_fft.py").read_text()
    assert len(re.findall(r"\brng\b", src)) >= 3 and "rng.permutation" in src, "notebook 01 makes rng: it must use it"
