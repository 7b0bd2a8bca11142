"""Order the session: unit tests, then the notebooks (nbval, in course order), then homework.

The homework tests execute the student notebooks, which reuse the run caches
the course notebooks made a moment earlier in the same session.

tests/browser/ (headless Chromium, minutes) is not collected by `pytest tests`;
`make test-browser` runs it by naming it: `pytest tests/browser`.
"""
import os
import shutil
import tempfile

collect_ignore = ["browser"]


def pytest_collection_modifyitems(session, config, items):
    def rank(item):
        path = str(item.path)
        if "/tests/homework/" in path:
            return 2
        if path.endswith(".ipynb"):
            return 1
        return 0
    items.sort(key=rank)  # sort is stable: order within each group is kept


_SCRATCH = []


def pytest_configure(config):
    # The course's ops are tiny (batch 1-4, hidden 64): one thread is fastest, and it keeps
    # timings sane when other work shares the 2 cores.
    import torch
    torch.set_num_threads(1)
    # Executing the notebooks (nbval) must not rewrite the committed figures/*.png: they go to a
    # scratch folder (paths.figures_dir honours FREQLSTM_FIGURES; the kernels inherit it), so
    # `git status` is clean after `make test`.
    if "FREQLSTM_FIGURES" not in os.environ:
        _SCRATCH.append(tempfile.mkdtemp(prefix="freqlstm-test-figures-"))
        os.environ["FREQLSTM_FIGURES"] = _SCRATCH[-1]


def pytest_unconfigure(config):
    for d in _SCRATCH:
        shutil.rmtree(d, ignore_errors=True)
