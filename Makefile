# From Shallow to Deep Neural Networks — every command sets up what it needs by itself.
#   make book   build the site (executes every notebook; cached when nothing changed)
#   make test   run the whole test suite
# Needs only Python 3.11+ and make; the first run creates .venv and installs requirements.lock.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 2
# make book writes $(BOOK_OUT)/_build/html; executed notebooks are cached in $(BOOK_OUT)/_build/.jupyter_cache
BOOK_OUT ?= .
# the site tests (tests/book_build.py) build and read the book there too
export BOOK_OUT
NPM_STAMP := node_modules/.package-lock.json
CHROMIUM  := /usr/bin/chromium

.PHONY: book test bench mnist-full clean clean-book lock help
.DEFAULT_GOAL := help

help:
	@echo "make book        build the course site into _build/html (executes every notebook)"
	@echo "make test        run the whole test suite (engine, notebooks, grading, site)"
	@echo "make bench       benchmark lib against PyTorch (installs the CPU build of torch)"
	@echo "make mnist-full  download and verify the full 70,000-digit MNIST into the cache"
	@echo "make clean       remove the build and the virtual environment"
	@echo "Exercises (nbgrader; README 'For instructors'; ASSIGNMENT=<id> limits to one):"
	@echo "make release     generate the student notebooks into release/ and chapters/exercises/"
	@echo "make roster ROSTER=students.csv   add the class to the gradebook"
	@echo "make collect     FROM=<folder of <student>/<assignment>/> | ZIP=<LMS download> ASSIGNMENT=<id> | (JupyterHub exchange)"
	@echo "make autograde   grade every new submission (STUDENT=<id> re-grades one student;"
	@echo "                 WORKERS=N, SCHEDULER=tcp://host:8786, DB_URL=postgresql+psycopg2://...; WORKERS=0: plain nbgrader)"
	@echo "make feedback    write feedback HTML into feedback/<student>/<assignment>/"
	@echo "make export      write all grades to grades.csv"

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# MathJax, RequireJS and the widget manager are served by the site itself (no CDN), and the site
# test injects axe-core: all pinned in package-lock.json.
# A machine without npm gets Debian's (CI runs as root on a clean machine).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
$(NPM_STAMP): package.json package-lock.json
	command -v npm >/dev/null || $(SUDO) sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y npm'
	npm ci --no-audit --no-fund
	touch $(NPM_STAMP)

# The site test drives Debian's Chromium.
$(CHROMIUM):
	$(SUDO) sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium'

# The parallel-grading test runs a gradebook on Debian's PostgreSQL server (tests/postgres_server.py
# starts and stops its own; the package's default cluster is not needed).
.PHONY: postgresql-server
postgresql-server:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  $(SUDO) sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql'

book: $(STAMP) $(NPM_STAMP)
	$(VENV)/bin/jupyter-book build . --path-output $(BOOK_OUT) --warningiserror --nitpick --keep-going

# One BLAS thread per test worker: -n 2 workers on 2 cores, each with a 2-thread OpenBLAS,
# spend most of their time waiting for each other (measured: 20x slower MNIST training).
test: $(STAMP) $(NPM_STAMP) $(CHROMIUM) postgresql-server
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -n $(JOBS) $(PYTEST_ARGS)

mnist-full: $(STAMP)
	$(PY) -m lib.data.mnist

# PyTorch is an optional extra, only for the benchmark (benchmarks/README.md). The CPU build is
# asked for by name (torch==X+cpu): a wheel pip can already see (find-links) is used as it is,
# else it comes from PyTorch's CPU index; where neither has one (macOS), PyPI's build is CPU-only.
# OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE, if set, are unset for the benchmark command alone.
TORCH_VERSION ?= 2.13.0
TORCH_INDEX   ?= https://download.pytorch.org/whl/cpu
BENCH_ARGS    ?=
bench: $(STAMP)
	@$(PY) -c "import torch" 2>/dev/null || \
	  $(PY) -m pip install --quiet -c requirements.lock "torch==$(TORCH_VERSION)+cpu" || \
	  $(PY) -m pip install --quiet -c requirements.lock "torch==$(TORCH_VERSION)+cpu" --extra-index-url $(TORCH_INDEX) || \
	  $(PY) -m pip install --quiet -c requirements.lock "torch==$(TORCH_VERSION)"
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE $(PY) benchmarks/engine.py $(BENCH_ARGS)

clean-book:
	rm -rf _build

clean: clean-book
	rm -rf $(VENV) node_modules

# Re-pin after changing dependencies: installs the newest allowed versions and freezes them.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet "jupyter-book<2" "ipykernel<7" sphinx-exercise nbgrader "dask[distributed]" psycopg2-binary ipywidgets numpy matplotlib tqdm jupytext pytest pytest-xdist hypothesis playwright setuptools ruff
	.venv-lock/bin/pip freeze --all --exclude-editable | grep -v "^pip==" > requirements.lock && rm -rf .venv-lock

# -- Exercises: the instructor's pipeline, one nbgrader command per step --------------------------
# Every step runs nbgrader with nbgrader_config.py (course = this folder, sources in solutions/source).
ASSIGNMENTS := 01_neurons_perceptron 02_losses_softmax 03_backpropagation 04_approximation_depth
ASSIGNMENT  ?= $(ASSIGNMENTS)
NBGRADER    := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/nbgrader

.PHONY: release roster collect autograde feedback export

release: $(STAMP)
	@for a in $(ASSIGNMENT); do \
	  $(NBGRADER) generate_assignment $$a --force && \
	  cp release/$$a/$$a.ipynb chapters/exercises/$$a.ipynb && \
	  echo "released $$a -> release/$$a/ and chapters/exercises/$$a.ipynb" || exit 1; done

roster: $(STAMP)
	@test -n "$(ROSTER)" || { echo "usage: make roster ROSTER=students.csv (columns: id,first_name,last_name,email)"; exit 2; }
	$(NBGRADER) db student import "$(ROSTER)"

collect: $(STAMP)
ifdef ZIP
	@test $(words $(ASSIGNMENT)) -eq 1 || { echo "usage: make collect ZIP=download.zip ASSIGNMENT=<one assignment>"; exit 2; }
	mkdir -p downloaded/$(ASSIGNMENT)/archive && cp "$(ZIP)" downloaded/$(ASSIGNMENT)/archive/
	$(NBGRADER) zip_collect $(ASSIGNMENT) --force
else ifdef FROM
	mkdir -p submitted && cp -R "$(FROM)"/. submitted/
else
	@for a in $(ASSIGNMENT); do $(NBGRADER) collect $$a || exit 1; done
endif

# autograde grades on Dask (grading.parallel): a local cluster of WORKERS processes (default: one
# per core) or the cluster at SCHEDULER=tcp://host:8786; the gradebook is DB_URL= (nbgrader_config.py)
# or gradebook.db. WORKERS=0: plain nbgrader, one submission after another.
autograde: $(STAMP)
ifeq ($(WORKERS),0)
	@status=0; for a in $(ASSIGNMENT); do \
	  $(PY) -m grading.submissions $$a && \
	  $(NBGRADER) autograde $$a $(if $(STUDENT),--student=$(STUDENT) --force,) || status=1; done; exit $$status
else
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m grading.parallel $(ASSIGNMENT) $(if $(SCHEDULER),--scheduler=$(SCHEDULER),) \
	  $(if $(WORKERS),--workers=$(WORKERS),) $(if $(STUDENT),--student=$(STUDENT) --force,)
endif

feedback: $(STAMP)
	@status=0; for a in $(ASSIGNMENT); do \
	  $(NBGRADER) generate_feedback $$a $(if $(STUDENT),--student=$(STUDENT) --force,) || status=1; done; exit $$status

export: $(STAMP)
	$(NBGRADER) export --to grades.csv
	@echo "grades written to grades.csv"
