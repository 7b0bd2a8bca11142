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

.PHONY: help setup course test bench robustness lab sync student grade feedback site test-browser clean

help:
	@echo "make course   execute every notebook in order, in place (figures/ gets the key plots)"
	@echo "make test     unit tests + nbval over every notebook + .py/.ipynb drift check"
	@echo "make bench    seconds per L=1 epoch (plain loop, reference, fused) and per 30-epoch corrected run (torch vs fused, serial vs 2 workers)"
	@echo "make robustness  the corrected recipe, 3 seeds x 3 CPU profiles -> benchmarks/robustness.json"
	@echo "make lab      open JupyterLab on the course"
	@echo "make site     build the course website from the executed notebooks into build/site/ (executes nothing)"
	@echo "make test-browser  the site and JupyterLab in headless Chromium (Playwright); screenshots in build/browser/"
	@echo "make sync     re-pair notebooks/*.py and *.ipynb after editing one of them"
	@echo "make student  nbgrader release versions (solutions, hidden tests, answers removed) in build/student/"
	@echo "make grade    autograde with nbgrader: make grade SUBMISSIONS=dir (dir/<student>/<NN_name>.ipynb) -> grades.csv"
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

# One run cache per `make test`, fresh each time: unit tests, nbval kernels, subprocesses
# and the homework's student notebooks all see it, so a run one of them trained is
# loaded, not retrained, by the next (and every run comes from the code under test).
TEST_RUNS := $(CURDIR)/build/test-runs
test: $(STAMP)
	rm -rf $(TEST_RUNS) && mkdir -p $(TEST_RUNS)
	FREQLSTM_RUNS=$(TEST_RUNS) $(PY) -m pytest tests $(IPYNBS) \
	  --nbval-lax --nbval-current-env \
	  --nbval-cell-timeout=$(CELL_TIMEOUT) -p no:cacheprovider --durations=15; \
	rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure here"; fi; exit $$rc

bench: $(STAMP)
	$(PY) -m freqlstm_helpers.bench

robustness: $(STAMP)
	$(PY) -m freqlstm_helpers.robustness --seeds 0 1 2 --out benchmarks/robustness.json

lab: $(STAMP)
	FREQLSTM_HEADLESS=0 $(VENV)/bin/jupyter lab notebooks/

sync: $(STAMP)
	$(VENV)/bin/jupytext --sync $(NOTEBOOKS)

# Homework runs nbgrader in the course folder build/nbgrader/ (config, gradebook.db, source/,
# release/, submitted/, autograded/, feedback/). See INSTRUCTORS.md.
COURSE ?= build/nbgrader
student: $(STAMP)
	$(PY) -m freqlstm_helpers.homework --course $(COURSE) student --out build/student

SUBMISSIONS ?= submissions
grade: $(STAMP)
	$(PY) -m freqlstm_helpers.homework --course $(COURSE) grade $(SUBMISSIONS) --out grades.csv

feedback: $(STAMP)
	$(PY) -m freqlstm_helpers.homework --course $(COURSE) feedback

# The website: Sphinx + MyST-NB + sphinx-book-theme (configuration in site/conf.py). It shows
# the outputs committed by `make course` and never executes a notebook; it runs offline.
site: $(STAMP)
	$(VENV)/bin/sphinx-build -b html -c site -d build/.site-doctrees -q . build/site
	@echo "site: build/site/index.html  (serve it: $(PY) -m http.server -d build/site -b 127.0.0.1 8000)"

# Headless Chromium (FREQLSTM_CHROMIUM, else a system chromium, else Playwright's own) drives
# the built site and a live JupyterLab. Not part of `make test`.
test-browser: site
	@$(PY) -m tests_browser.chromium >/dev/null
	$(PY) -m pytest tests_browser -p no:cacheprovider --durations=10; \
	rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure here"; fi; exit $$rc

clean:
	rm -rf build runs .pytest_cache
