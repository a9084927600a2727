# From Shallow to Deep Neural Networks — every command sets up what it needs by itself.
#   make book   build the site (executes every notebook; cached when nothing changed)
#   make test   run the whole test suite
# Needs only Python 3.11+ and make; the first run creates .venv and installs requirements.lock.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 2

.PHONY: book test bench mnist-full clean clean-book lock help
.DEFAULT_GOAL := help

help:
	@echo "make book        build the course site into _build/html (executes every notebook)"
	@echo "make test        run the whole test suite (engine, notebooks, grading, site)"
	@echo "make bench       benchmark lib against PyTorch (installs the CPU build of torch)"
	@echo "make mnist-full  download and verify the full 70,000-digit MNIST into the cache"
	@echo "make clean       remove the build and the virtual environment"

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

book: $(STAMP)
	$(VENV)/bin/jupyter-book build . --warningiserror --nitpick --keep-going

test: $(STAMP)
	$(PY) -m pytest -n $(JOBS) $(PYTEST_ARGS)

mnist-full: $(STAMP)
	$(PY) -m lib.data.mnist

clean-book:
	rm -rf _build

clean: clean-book
	rm -rf $(VENV)

# Re-pin after changing dependencies: installs the newest allowed versions and freezes them.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet "jupyter-book<2" sphinx-exercise nbgrader ipywidgets numpy matplotlib tqdm jupytext pytest pytest-xdist hypothesis setuptools
	.venv-lock/bin/pip freeze --all --exclude-editable | grep -v "^pip==" > requirements.lock && rm -rf .venv-lock
