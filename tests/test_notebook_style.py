"""How the notebooks read: short cells, answers to every Think!, links to the case and the neighbours."""
from pathlib import Path

import jupytext
import pytest

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NB_DIR.glob("0*.py"))
MAX_LINES = 25


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_code_cell_holds_one_idea(path):
    """At most 25 lines per code cell, hidden tests included."""
    for i, cell in enumerate(jupytext.read(path).cells):
        if cell.cell_type != "code":
            continue
        n = len(cell.source.strip().splitlines())
        assert n <= MAX_LINES, f"{path.name} cell {i}: {n} lines (at most {MAX_LINES}): {cell.source[:60]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_think_prompt_has_an_answer(path):
    md = [c.source for c in jupytext.read(path).cells if c.cell_type == "markdown"]
    prompts = sum(s.count("**Think!**") for s in md)
    answers = sum(s.count('<details class="answer">') for s in md)
    assert prompts == answers, f"{path.name}: {prompts} Think! prompts, {answers} answer blocks"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_intro_links_the_case_the_glossary_and_the_neighbours(path):
    intro = jupytext.read(path).cells[0].source + jupytext.read(path).cells[1].source
    assert "../docs/the_case.md" in intro and "../docs/glossary.md" in intro, path.name
    i = NOTEBOOKS.index(path)
    for j in (i - 1, i + 1):
        if 0 <= j < len(NOTEBOOKS):
            assert NOTEBOOKS[j].stem + ".ipynb" in intro, f"{path.name}: no link to {NOTEBOOKS[j].stem}"


def test_instructors_guide_carries_the_answer_key():
    from freqlstm_helpers import answer_key
    text = (NB_DIR.parent / "INSTRUCTORS.md").read_text()
    key = text.split(answer_key.BEGIN, 1)[1].split(answer_key.END, 1)[0].strip()
    assert key == answer_key.markdown().strip(), "run: python -m freqlstm_helpers.answer_key"
    assert key.count("**") >= 2 * 8, "every notebook's Think! answers belong in the key"
