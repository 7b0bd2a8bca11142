"""The browser suite leaves the work tree as it found it (runs last; see conftest.py).

Running the notebooks in JupyterLab must not rewrite figures/*.png or the committed
notebooks, and serving the site must not write into the repository: everything
goes to build/ (git-ignored) or a scratch folder.
"""
import pytest

from tests.browser.conftest import git_status


def test_the_work_tree_is_as_the_suite_found_it(pytestconfig):
    before = pytestconfig._freqlstm_git_status
    if before is None:
        pytest.fail("not a git checkout: the work tree cannot be compared")
    after = git_status()
    changed = sorted(set(after.splitlines()) ^ set(before.splitlines()))
    assert not changed, "the browser suite changed the work tree:\n" + "\n".join(changed)
