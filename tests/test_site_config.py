"""The website's configuration (site/conf.py) lists the course as it is on disk, and never executes."""
import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONF = runpy.run_path(str(ROOT / "site" / "conf.py"))


def test_site_never_executes_a_notebook():
    assert CONF["nb_execution_mode"] == "off"
    assert CONF["nb_ipywidgets_js"] == {}, "widget JavaScript would be loaded from a CDN"


def test_site_lists_every_notebook_in_course_order():
    on_disk = sorted(f"notebooks/{p.stem}" for p in (ROOT / "notebooks").glob("0*.ipynb"))
    listed = [d for d in CONF["COURSE"] if d.startswith("notebooks/")]
    assert listed == on_disk


def test_site_pages_exist():
    for doc in [CONF["root_doc"]] + CONF["COURSE"] + CONF["REFERENCE"]:
        assert any((ROOT / f"{doc}{ext}").is_file() for ext in (".md", ".ipynb")), doc
