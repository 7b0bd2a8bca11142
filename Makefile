# The FreqLSTM course. Quick start: `make course`, then `make test`.
# Both create .venv with pinned dependencies on first use; only python3 and make are needed.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/0*.py))
IPYNBS    := $(NOTEBOOKS:.py=.ipynb)
CELL_TIMEOUT ?= 1800

export FREQLSTM_HEADLESS := 1
export PYTHONHASHSEED := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup course test bench robustness lab sync student grade feedback site site-instructor test-browser clean

help:
	@echo "make course   execute every notebook in order, in place (figures/ gets the key plots)"
	@echo "make test     unit tests + nbval over every notebook + .py/.ipynb drift check"
	@echo "make bench    seconds per L=1 epoch (plain loop, reference, fused) and per 30-epoch corrected run (torch vs fused, serial vs 2 workers)"
	@echo "make robustness  the corrected recipe, 3 seeds x 3 CPU profiles -> benchmarks/robustness.json"
	@echo "make lab      open JupyterLab on notebooks/ (instructor versions); make lab LAB_DIR=build/student for the student versions"
	@echo "make site     the public course website in build/site/: release notebooks + executed outputs, no solutions (executes nothing)"
	@echo "make site-instructor  instructor-only website (solutions, INSTRUCTORS.md's answer key) in build/site-instructor/"
	@echo "make test-browser  the site and JupyterLab in headless Chromium (Playwright); screenshots in build/browser/"
	@echo "make sync     re-pair notebooks/*.py and *.ipynb after editing one of them"
	@echo "make student  nbgrader release versions (solutions and answers removed) in build/student/"
	@echo "make grade    grade in sandboxes: make grade SUBMISSIONS=dir [JOBS=N] (dir/<student>/<NN_name>.ipynb) -> build/nbgrader/grades.csv; DASK_SCHEDULER=tcp://... grades on a Dask cluster"
	@echo "make feedback nbgrader's HTML feedback per student, after make grade (build/nbgrader/feedback/)"

setup: $(STAMP)

$(STAMP): requirements-lock.txt requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -r requirements-lock.txt -c requirements.txt
	$(PY) -m pip install --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (FreqLSTM .venv)" >/dev/null
	touch $@

course: $(STAMP)
	@for nb in $(IPYNBS); do \
	  echo "== executing $$nb"; \
	  $(VENV)/bin/jupytext --sync $${nb%.ipynb}.py >/dev/null || exit 1; \
	  start=$$(date +%s); \
	  $(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
	    --ExecutePreprocessor.timeout=$(CELL_TIMEOUT) $$nb || exit 1; \
	  $(VENV)/bin/jupytext --sync $$nb >/dev/null || exit 1; \
	  echo "   done in $$(( $$(date +%s) - start )) s"; \
	done

# The work tree must look the same after the tests as before (figures, notebooks, configs...).
WORKTREE_STATE = { git status --porcelain --untracked-files=all; git diff --binary | cksum; } 2>/dev/null
# One run cache per `make test`, fresh each time: unit tests, nbval kernels, subprocesses
# and the homework's student notebooks all see it, so a run one of them trained is
# loaded, not retrained, by the next (and every run comes from the code under test).
TEST_RUNS := $(CURDIR)/build/test-runs
# Two pytest processes side by side (tests/run.py): the notebooks, and the unit and homework
# tests. TEST_JOBS=1 runs them one after the other.
TEST_JOBS ?= 2
test: $(STAMP)
	@rm -rf $(TEST_RUNS) && mkdir -p $(TEST_RUNS); \
	before=$$($(WORKTREE_STATE)); \
	FREQLSTM_RUNS=$(TEST_RUNS) $(PY) -m tests.run --jobs $(TEST_JOBS) --cell-timeout $(CELL_TIMEOUT) $(IPYNBS); \
	rc=$$?; \
	if [ "$$before" != "$$($(WORKTREE_STATE))" ]; then \
	  echo "make test changed the work tree:"; git status --short; rc=1; fi; exit $$rc

bench: $(STAMP)
	$(PY) -m freqlstm_helpers.bench

robustness: $(STAMP)
	$(PY) -m freqlstm_helpers.robustness --seeds 0 1 2 --out benchmarks/robustness.json

# LAB_DIR=build/student opens the release versions that `make student` writes (what students use).
LAB_DIR ?= notebooks
lab: $(STAMP)
	FREQLSTM_HEADLESS=0 $(VENV)/bin/jupyter lab $(LAB_DIR)/

sync: $(STAMP)
	$(VENV)/bin/jupytext --sync $(NOTEBOOKS)

# Homework runs nbgrader in the course folder build/nbgrader/ (config, gradebook.db, source/,
# release/, submitted/, verdicts/, autograded/, feedback/, grades.csv). Grading runs each student's
# solution cells in a bubblewrap sandbox (apt-get install bubblewrap). See INSTRUCTORS.md.
COURSE ?= build/nbgrader
JOBS ?= 1
student: $(STAMP)
	$(PY) -m freqlstm_helpers.grading --course $(COURSE) student --out build/student

SUBMISSIONS ?= submissions
grade: $(STAMP)
	$(PY) -m freqlstm_helpers.grading --course $(COURSE) grade $(SUBMISSIONS) --jobs $(JOBS)

feedback: $(STAMP)
	$(PY) -m freqlstm_helpers.grading --course $(COURSE) feedback

# The website: Sphinx + MyST-NB + sphinx-book-theme (configuration in docs/site/conf.py), built by
# freqlstm_helpers/website/. The public site shows nbgrader's release notebooks with the outputs
# `make course` committed, never a solution; it executes nothing and runs offline. A notebook
# without outputs or with an error output is refused (one line, exit 2, old site removed).
site: $(STAMP)
	@$(PY) -m freqlstm_helpers.website --out build/site
	@echo "serve it: $(PY) -m http.server -d build/site -b 127.0.0.1 8000"

site-instructor: $(STAMP)
	@$(PY) -m freqlstm_helpers.website --instructor --out build/site-instructor

# Headless Chromium (FREQLSTM_CHROMIUM, else a system chromium, else Playwright's own) drives
# the built site and a live JupyterLab: the instructor notebooks, and Run All on the release
# notebooks of build/student/. Not part of `make test` (tests/conftest.py ignores tests/browser).
test-browser: site student
	@$(PY) -m tests.browser.chromium >/dev/null
	@# After `make test` (as in .ci/run) the notebooks in JupyterLab load the runs it made
	@# from the code under test instead of training them all again.
	if [ -d $(TEST_RUNS) ]; then export FREQLSTM_BROWSER_RUNS=$(TEST_RUNS); fi; \
	$(PY) -m pytest tests/browser -p no:cacheprovider --durations=10; \
	rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure here"; fi; exit $$rc

clean:
	rm -rf build runs .pytest_cache
