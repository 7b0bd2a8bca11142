"""The website's configuration (docs/site/conf.py) lists the course as it is on disk, never executes,
and the public site leaves the instructor guide out."""
import runpy
from pathlib import Path

from freqlstm_helpers.website import build

ROOT = Path(__file__).resolve().parents[1]
CONF = runpy.run_path(str(ROOT / "docs" / "site" / "conf.py"))


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


def test_the_builder_stages_what_the_configuration_lists():
    """Every page the toc lists is staged by the builder; INSTRUCTORS only in the instructor build."""
    listed = {f"{d}.md" for d in [CONF["root_doc"]] + CONF["COURSE"] + CONF["REFERENCE"] if not d.startswith("notebooks/")}
    assert set(build.PUBLIC_DOCS) | set(build.INSTRUCTOR_DOCS) == listed
    assert "INSTRUCTORS.md" not in build.PUBLIC_DOCS
    assert build.CONF_DIR == ROOT / "docs" / "site"


def test_the_browser_suite_stays_out_of_make_test():
    conftest = runpy.run_path(str(ROOT / "tests" / "conftest.py"))
    assert "browser" in conftest["collect_ignore"], "`pytest tests` would start Chromium and JupyterLab"
    assert (ROOT / "tests" / "browser" / "conftest.py").is_file()
