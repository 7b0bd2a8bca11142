"""Every notebook is a .py/.ipynb pair with the same inputs, committed executed."""
import json
from pathlib import Path

import jupytext
import pytest

NB_DIR = Path(__file__).resolve().parents[1] / "notebooks"
EXPECTED = [
    "01_signals_and_fft",
    "02_l1_state_mechanics",
    "03_divergence_at_lr_1e-3",
    "04_corrected_30_epoch_run",
    "05_per_frequency_evaluation",
]
PRESENT = sorted(p.stem for p in NB_DIR.glob("0*.py"))


def inputs(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_notebooks_are_the_course_ones_in_order():
    assert PRESENT, "no notebooks found"
    assert PRESENT == EXPECTED[:len(PRESENT)], f"unexpected notebook set {PRESENT}"


@pytest.mark.parametrize("stem", PRESENT)
def test_pair_inputs_match(stem):
    py, ipynb = NB_DIR / f"{stem}.py", NB_DIR / f"{stem}.ipynb"
    assert ipynb.exists(), f"{ipynb.name} is missing: run `make sync` then `make course`"
    a, b = inputs(jupytext.read(py)), inputs(jupytext.read(ipynb))
    assert len(a) == len(b), f"{stem}: {len(a)} cells in .py, {len(b)} in .ipynb; run `make sync`"
    for i, (ca, cb) in enumerate(zip(a, b)):
        assert ca == cb, f"{stem}: cell {i} differs between .py and .ipynb; run `make sync`"


@pytest.mark.parametrize("stem", PRESENT)
def test_committed_notebook_is_executed(stem):
    raw = json.loads((NB_DIR / f"{stem}.ipynb").read_text())
    code = [c for c in raw["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert code and all(c.get("execution_count") for c in code), f"{stem}.ipynb is not fully executed: run `make course`"


def test_jupytext_config_keeps_nbgrader_cell_metadata():
    """`make sync` must carry nbgrader's cell metadata through the .py twin, both ways."""
    import nbformat
    from jupytext.config import find_jupytext_configuration_file, load_jupytext_configuration_file

    path = find_jupytext_configuration_file(str(NB_DIR))
    assert path and Path(path).name == "jupytext.toml", path
    config = load_jupytext_configuration_file(path)
    keep = [k.strip() for k in config.cell_metadata_filter.split(",")]
    assert "nbgrader" in keep and "-all" in keep, f"cell_metadata_filter = {config.cell_metadata_filter!r}"
    meta = {"grade": True, "grade_id": "ex09_1", "locked": True, "points": 2, "schema_version": 3, "solution": False}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("check.x(x)", metadata={"nbgrader": meta,
                                                                                           "other": 1})])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    text = jupytext.writes(nb, fmt="py:percent", config=config)
    assert '"grade_id": "ex09_1"' in text and "other" not in text
    assert jupytext.reads(text, fmt="py:percent").cells[0].metadata == {"nbgrader": meta}


@pytest.mark.parametrize("name", [p.stem for p in sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))])
def test_committed_notebooks_were_executed_headless(name):
    """`make course` sets FREQLSTM_HEADLESS=1: explorers leave a static figure, not a widget the site cannot show."""
    text = (Path(__file__).resolve().parents[1] / "notebooks" / f"{name}.ipynb").read_text()
    assert "application/vnd.jupyter.widget-view+json" not in text, (
        f"{name}.ipynb holds a live widget: re-execute it with FREQLSTM_HEADLESS=1 (make course does)")
