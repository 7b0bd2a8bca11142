"""Notebook 02 as issue 12 left it: short cells, answered "Think!" prompts, links, the machine line, no idle generator."""
from tests.test_nb01_notebook import NB_DIR, answered_thinks, intro_links, short_cells

STEM = "02_l1_state_mechanics"


def test_notebook_02_reads_well():
    for check in (short_cells, answered_thinks, intro_links):
        check(STEM)


def test_setup_prints_the_machine_and_announces_no_unused_generator():
    import jupytext
    setup = next(c.source for c in jupytext.read(NB_DIR / f"{STEM}.py").cells if c.cell_type == "code")
    assert "Generator(" not in setup, "a generator made in the setup must be used, or not made"
    assert "print(robustness.describe_machine())" in setup
