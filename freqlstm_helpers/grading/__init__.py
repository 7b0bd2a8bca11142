"""Homework grading: nbgrader for the workflow and the gradebook, a sandbox and trusted verdicts for the scores.

Grouped by concern, the way nbgrader groups its own code:

- course.py         the nbgrader course folder: configuration, release (student) versions, feedback
- preprocessors.py  nbgrader preprocessors: answers stripped from releases; autograde from verdicts
- collect.py        reading SUBMISSIONS/<student>/<NN_name>.ipynb; what is refused
- static_check.py   the trusted AST check of a notebook's solution cells
- specs/            the trusted exercise specs, one module per notebook (inputs, references, points,
                    denied course functions); probes.py is the only part that enters the sandbox
- sandbox.py        the bubblewrap sandbox (image, command, limits); runner.py runs inside it
- worker.py         one student on one worker: the sandbox run and the references
- parallel.py       N local workers or a Dask cluster
- verdicts.py       comparisons and verdicts (PASSED, FAILED, NOT DONE, MANUAL)
- grade.py          the coordinator: the only process that decides points and writes the gradebook
- export.py         the per-exercise CSV (also an `nbgrader export` plugin)
- apps.py           the command line: python -m freqlstm_helpers.grading student|grade|feedback

Nothing here is part of what students get: the release package is freqlstm_helpers without grading/.
"""
