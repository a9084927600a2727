"""Notebooks that work wherever they are opened, checked on an instructor's copy of the course.

The fork (tests/course_fork.py) changes the one setting, ``repository.url`` in ``_config.yml``,
and runs ``make release`` and ``make book``; everything below reads what that build produced:

* every notebook a student can download (or open in Colab) parses, has no MyST left in its
  Markdown, and quotes every number the page quotes;
* no trace of the old course home anywhere a student can see;
* each exercise page shows the variant the fork's `make release` drew from its secret;
* the site serves the engine's wheel (versioned, with its SHA-256), the notebooks' set-up
  cells install exactly that wheel (and name both versions when another `lib` is installed),
  and each exercise's offline archive runs in a fresh virtual
  environment without network: unzip, the notebook's own set-up cell installs the wheel, every
  cell runs (the student's parts filled in from the solutions);
* one chapter's download opened in a real JupyterLab in headless Chromium: it reads without
  MyST, runs, and its widget redraws when a slider is dragged.
"""
from __future__ import annotations

import hashlib
import html
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import nbformat
import pytest
import yaml
from course_fork import FORK_SECRET, FORK_SITE, FORK_URL, PRIVATE, forked_course
from myst_nb.core.variables import format_plain_text
from nbgrader_course import ASSIGNMENTS
from notebook_runner import ROOT

from grading.variants import default, draw, instantiate, read_record

pytestmark = [pytest.mark.book, pytest.mark.slow]

# MyST that Jupyter would show raw: roles, directive fences, targets, labelled $$ (independent
# of book_ext's converter on purpose)
MYST = re.compile(
    r"\{[a-z][\w:-]*\}`|^\s*(`{3,}|:{3,})\{[\w:-]+\}|^\(\S+\)=\s*$|^\$\$\s*\(\S+\)\s*$", re.M
)
GLUE_ROLE = re.compile(r"\{glue(?::text)?\}`([^`:]+)(?::([^`]*))?`")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def fork():
    built = forked_course()
    if built.returncode != 0 or not (built.html / "chapters" / "intro.html").exists():
        pytest.fail(f"the fork did not release and build:\n{built.log[-6000:]}")
    return built


def _downloads(html: Path) -> list[Path]:
    return sorted((html / "_sources").rglob("*.ipynb"))


def _myst_chapters(fork) -> list[Path]:
    return sorted(p for p in (fork.root / "chapters").glob("*.md")
                  if (fork.html / "_sources" / "chapters" / f"{p.stem}.ipynb").exists())


def test_the_site_offers_every_chapter_and_exercise_as_a_notebook(fork):
    names = {p.relative_to(fork.html / "_sources").as_posix() for p in _downloads(fork.html)}
    chapters = {f"chapters/{p.stem}.ipynb" for p in (fork.root / "chapters").glob("[0-9]*.md")}
    exercises = {
        f"chapters/exercises/{p.name}"
        for p in (fork.root / "chapters" / "exercises").glob("*.ipynb")
    }
    assert chapters and exercises and chapters | exercises <= names, sorted(
        chapters | exercises - names
    )


def test_every_downloadable_notebook_parses_and_has_no_myst_left(fork):
    raw = {}
    for path in _downloads(fork.html):
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "markdown" and MYST.search(cell.source):
                raw.setdefault(str(path.relative_to(fork.html)), []).extend(
                    m.group(0) for m in MYST.finditer(cell.source))
    assert not raw, f"MyST left in Markdown cells: {raw}"


def test_every_glued_number_of_a_chapter_is_written_in_its_notebook(fork):
    checked = 0
    for chapter in _myst_chapters(fork):
        glue_file = (
            fork.root / "_build" / "jupyter_execute" / "chapters" / f"{chapter.stem}.glue.json"
        )
        glued = json.loads(glue_file.read_text()) if glue_file.exists() else {}
        notebook = nbformat.read(fork.html / "_sources" / "chapters" / f"{chapter.stem}.ipynb", 4)
        text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
        page = (fork.html / "chapters" / f"{chapter.stem}.html").read_text(encoding="utf-8")
        for name, fmt in GLUE_ROLE.findall(chapter.read_text(encoding="utf-8")):
            value = format_plain_text(glued[name]["data"]["text/plain"], fmt)
            assert value in page, f"{chapter.name}: the page does not show {name} = {value}"
            assert value in text, f"{chapter.name}: the notebook does not quote {name} = {value}"
            checked += 1
    assert checked > 150, f"only {checked} glued numbers found in the chapters"


def test_cross_references_and_citations_become_links_and_author_year(fork):
    notebook = nbformat.read(
        fork.html / "_sources" / "chapters" / "05_universal_approximation.ipynb", 4
    )
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    assert f"]({FORK_SITE}chapters/05_universal_approximation.html#fig-error-vs-units)" in text
    assert f"[Theorem 2]({FORK_SITE}chapters/05_universal_approximation.html#thm-hornik)" in text
    solutions = [c.source for c in notebook.cells if "<details>" in c.source]
    assert solutions and all("</details>" in s for s in solutions)
    first = nbformat.read(fork.html / "_sources" / "chapters" / "01_neurons_to_layers.ipynb", 4)
    assert "(Rosenblatt, 1958)" in "\n".join(
        c.source for c in first.cells if c.cell_type == "markdown"
    )
    references = first.cells[-1].source
    assert references.startswith("## References") and "Rosenblatt (1958)" in references \
        and "Psychological Review" in references


def _visible_files(fork) -> dict[str, str]:
    """Everything a student can see: the site (with the insides of its archives), the released
    exercises, the README."""
    seen = {}
    for path in sorted(fork.html.rglob("*")):
        if not path.is_file() or "vendor" in path.parts:
            continue
        if path.suffix in (".zip", ".whl"):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    seen[f"{path.relative_to(fork.html)}!{member}"] = archive.read(member).decode(
                        "utf-8", "replace"
                    )
        elif path.suffix in (".html", ".ipynb", ".js", ".txt", ".md", ".json", ".xml", ".css"):
            seen[str(path.relative_to(fork.html))] = path.read_text(
                encoding="utf-8", errors="replace"
            )
    for path in [
        fork.root / "README.md",
        *sorted((fork.root / "chapters" / "exercises").glob("*.ipynb")),
    ]:
        seen[str(path.relative_to(fork.root))] = path.read_text(encoding="utf-8")
    return seen


def test_a_fork_that_changes_the_one_setting_shows_no_trace_of_the_old_home(fork):
    old_path = fork.old_url.removeprefix("https://github.com/")
    owner, name = old_path.split("/")
    old = [old_path, f"{owner}.github.io/{name}"]
    seen = _visible_files(fork)
    traces = {
        path: [o for o in old if o in text]
        for path, text in seen.items()
        if any(o in text for o in old)
    }
    assert not traces, f"the old course home is still shown in {traces}"
    # and the new one is where the old one was
    intro = seen["chapters/01_neurons_to_layers.html"]
    assert (
        f"https://colab.research.google.com/github/{FORK_URL.removeprefix('https://github.com/')}/blob/"
        in intro
    )
    assert f"https://mybinder.org/v2/gh/{FORK_URL.removeprefix('https://github.com/')}/" in intro
    assert FORK_SITE in seen["_sources/chapters/01_neurons_to_layers.ipynb"]
    assert FORK_SITE in seen["chapters/exercises/03_backpropagation.ipynb"]
    assert FORK_SITE in seen["README.md"] and FORK_URL in seen["README.md"]


# -- the engine of the notebook's own version ------------------------------------------------------

def _setup_cell(notebook) -> str:
    return next(c.source for c in notebook.cells
                if c.cell_type == "code" and 'find_spec("lib") is None' in c.source)


def _assignment(setup: str, name: str) -> str:
    return re.search(rf'^{name} = "([^"]+)"$', setup, re.M)[1]


def test_the_site_serves_the_engine_wheel_the_set_up_cells_install(fork):
    engine = fork.html / "_static" / "engine"
    sums = dict(
        reversed(line.split("  ")) for line in (engine / "SHA256SUMS").read_text().splitlines()
    )
    for wheel in engine.glob("*.whl"):
        assert hashlib.sha256(wheel.read_bytes()).hexdigest() == sums[wheel.name]
        with zipfile.ZipFile(wheel) as archive:
            tops = {member.split("/")[0] for member in archive.namelist()}
            assert "lib/data/mnist_10k.npz" in archive.namelist()
        assert tops == {"lib", wheel.name.replace("-py3-none-any.whl", ".dist-info")}, tops
    for notebook_path in _downloads(fork.html):
        setup = _setup_cell(nbformat.read(notebook_path, 4))
        wheel_name = _assignment(setup, "ENGINE_WHEEL")
        url = _assignment(setup, "ENGINE_URL")
        assert url == f"{FORK_SITE}_static/engine/{wheel_name}#sha256={sums[wheel_name]}", (
            notebook_path
        )
        assert wheel_name == f"nn_course-{_assignment(setup, 'ENGINE_VERSION')}-py3-none-any.whl"
    chapter = _setup_cell(
        nbformat.read(fork.html / "_sources" / "chapters" / "03_xor_two_layer_network.ipynb", 4)
    )
    with zipfile.ZipFile(engine / _assignment(chapter, "ENGINE_WHEEL")) as archive:
        assert archive.read("lib/nn.py") == (fork.root / "lib" / "nn.py").read_bytes(), \
            "the chapters' wheel is the engine of this build"


@pytest.mark.notebooks
def test_the_set_up_cell_is_silent_when_the_installed_lib_has_the_same_code(fork, tmp_path):
    """Here `lib` is the repository's editable install (version 0.1.0, no engine digest) of the
    same code as the wheel: the set-up cell installs nothing and makes no note (a note for other
    code: tests/test_engine_version_note.py)."""
    from nbclient import NotebookClient

    twin = nbformat.read(fork.html / "_sources" / "chapters" / "02_single_layer_network.ipynb", 4)
    setup = _setup_cell(twin)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup)])
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    shown = "".join(o.get("text", "") for o in notebook.cells[0].outputs)
    wanted = _assignment(setup, "ENGINE_VERSION")
    installed = importlib.metadata.version("nn-course")
    assert installed != wanted
    assert shown == "", shown


def _fresh_venv_without_lib(where: Path) -> Path:
    """A virtual environment with no network use and no `lib`: the course's dependencies are taken
    from the repository's .venv (every package but the editable course itself)."""
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(where)
    python = where / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.run([str(python), "-c", purelib],
                               capture_output=True, text=True, check=True).stdout.strip())
    ours = Path(subprocess.run([sys.executable, "-c", purelib],
                               capture_output=True, text=True, check=True).stdout.strip())
    shared = where / "shared-packages"
    shared.mkdir()
    for entry in ours.iterdir():
        course_or_pip = ("__editable__", "nn_course", "pip", "_distutils_hack",
                         "distutils-precedence")
        if entry.name.startswith(course_or_pip) or entry.suffix == ".pth":
            continue
        (shared / entry.name).symlink_to(entry)
    (site / "course-dependencies.pth").write_text(f"{shared}\n")
    return python


@pytest.fixture(scope="module")
def offline_venv(tmp_path_factory):
    python = _fresh_venv_without_lib(tmp_path_factory.mktemp("student") / "venv")
    probe = subprocess.run([str(python), "-c",
                            "import importlib.util as u; import numpy, ipykernel, nbclient; "
                            "print(u.find_spec('lib'))"],
                           capture_output=True, text=True, cwd=python.parent)   # not the repository
    assert probe.returncode == 0 and probe.stdout.strip() == "None", probe.stderr
    return python


def _filled_with_solutions(released: Path, source: Path) -> nbformat.NotebookNode:
    """The released notebook with each student part replaced by the source's solution."""
    notebook = nbformat.read(released, 4)
    solutions = {
        c.metadata["nbgrader"]["grade_id"]: c.source
        for c in nbformat.read(source, 4).cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    for cell in notebook.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in solutions:
            cell.source = re.sub(
                r"^\s*### (BEGIN|END) SOLUTION\s*$\n?", "", solutions[grade_id], flags=re.M
            )
    return notebook


RUN_OFFLINE = """
import sys, nbformat
from nbclient import NotebookClient
notebook = nbformat.read(sys.argv[1], 4)
NotebookClient(notebook, timeout=300, kernel_name="python3",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
nbformat.write(notebook, sys.argv[1])
"""


@pytest.mark.notebooks
@pytest.mark.parametrize("assignment", ["01_neurons_perceptron", "03_backpropagation"])
def test_an_exercise_archive_runs_offline_in_a_fresh_environment(
    fork, offline_venv, assignment, tmp_path
):
    archive = fork.html / "_static" / "exercises" / f"{assignment}.zip"
    page = (fork.html / "chapters" / "exercises" / f"{assignment}.html").read_text(encoding="utf-8")
    assert f'_static/exercises/{assignment}.zip"' in page, "the exercise page offers its archive"
    with zipfile.ZipFile(archive) as zipped:
        zipped.extractall(tmp_path)
    folder = tmp_path / assignment
    wheels = list(folder.glob("*.whl"))
    assert len(wheels) == 1 and (folder / "README.txt").exists()
    notebook = _filled_with_solutions(
        folder / f"{assignment}.ipynb",
        fork.root / "solutions" / "source" / assignment / f"{assignment}.ipynb",
    )
    assert _assignment(_setup_cell(notebook), "ENGINE_WHEEL") == wheels[0].name
    run = folder / f"{assignment}.ipynb"
    nbformat.write(notebook, run)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "VIRTUAL_ENV", "JUPYTER"))
    }
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", OPENBLAS_NUM_THREADS="1",
               PATH=f"{offline_venv.parent}:{env.get('PATH', '')}", HOME=str(tmp_path))
    proc = subprocess.run([str(offline_venv), "-c", RUN_OFFLINE, str(run), str(folder)], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, ANSI.sub("", proc.stdout + proc.stderr)[-5000:]
    where = subprocess.run([str(offline_venv), "-c", "import importlib.metadata as m, lib; "
                                                     "print(m.version('nn-course'), lib.__file__)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path)
    version, location = where.stdout.split()
    assert version == _assignment(_setup_cell(notebook), "ENGINE_VERSION")
    assert str(offline_venv.parents[1]) in location, (
        f"lib imported from {location}, not the fresh venv"
    )


# -- one chapter in a real JupyterLab --------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
LAB_CHAPTER = "01_neurons_to_layers"
WIDGET_CELL = "interactive(show_neuron"


@pytest.fixture(scope="module")
def jupyterlab(fork, tmp_path_factory):
    """JupyterLab of the course's environment, on 127.0.0.1, serving a folder with the chapter's
    downloadable notebook (and its own settings, so nothing of the machine's user leaks in)."""
    import socket
    import time
    import urllib.request

    home = tmp_path_factory.mktemp("lab")
    notebooks = home / "notebooks"
    notebooks.mkdir()
    (notebooks / f"{LAB_CHAPTER}.ipynb").write_bytes(
        (fork.html / "_sources" / "chapters" / f"{LAB_CHAPTER}.ipynb").read_bytes())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = hashlib.sha256(str(home).encode()).hexdigest()[:32]
    # every cell rendered at once (JupyterLab 4 otherwise renders only what is on screen)
    tracker = (
        home / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    )
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    env = dict(os.environ, HOME=str(home), JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), OPENBLAS_NUM_THREADS="1")
    lab = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "jupyter-lab"),
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={notebooks}",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.user_settings_dir={home / 'settings'}",
            f"--LabApp.workspaces_dir={home / 'workspaces'}",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(home / "lab.log", "w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if lab.poll() is not None:
                    pytest.fail(f"JupyterLab exited:\n{(home / 'lab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        else:
            pytest.fail(f"JupyterLab did not start:\n{(home / 'lab.log').read_text()[-3000:]}")
        yield base, token
    finally:
        lab.terminate()
        lab.wait(timeout=30)


@pytest.mark.browser
def test_a_downloaded_chapter_reads_and_runs_in_jupyterlab_with_its_widget(jupyterlab, tmp_path):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    base, token = jupyterlab
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1280, "height": 900})
        try:
            # nothing but this JupyterLab: a notebook must read and run without the internet
            context.route(
                re.compile(r"^(?!http://127\.0\.0\.1[:/]).*"), lambda route: route.abort()
            )
            page = context.new_page()
            page.goto(f"{base}/lab/tree/{LAB_CHAPTER}.ipynb?token={token}")
            page.wait_for_function(
                "() => window.jupyterapp"
                " && document.querySelector('.jp-Notebook .jp-MarkdownCell')",
                timeout=120_000,
            )
            page.wait_for_selector(
                ".jp-Notebook .jp-MarkdownCell .jp-RenderedMarkdown", timeout=60_000
            )
            shown = page.inner_text(".jp-Notebook")
            assert "{glue" not in shown and "{numref}" not in shown and "```{" not in shown
            # run every cell, as a student does after opening the download
            page.wait_for_function(
                "() => window.jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel",
                timeout=120_000,
            )
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            widget = page.locator(".jp-CodeCell", has_text=WIDGET_CELL)
            handle = widget.locator(".widget-slider .noUi-handle").first
            handle.wait_for(timeout=300_000)
            figure = widget.locator(".jp-OutputArea-output img").first
            figure.wait_for(timeout=120_000)
            before = figure.get_attribute("src")
            readout = widget.locator(".widget-readout").first
            value_before = readout.inner_text()
            handle.scroll_into_view_if_needed()
            box = handle.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.mouse.down()
            page.mouse.move(x + 60, y, steps=6)
            page.mouse.up()
            page.wait_for_function(
                "([cell, src]) => { const img = [...document.querySelectorAll('.jp-CodeCell')]"
                ".find(c => c.innerText.includes(cell))"
                "?.querySelector('.jp-OutputArea-output img');"
                " return img && img.getAttribute('src') !== src; }",
                arg=[WIDGET_CELL, before],
                timeout=120_000,
            )
            assert readout.inner_text() != value_before, "the slider did not move"
            errors = page.locator(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                has_text="Error",
            )
            assert errors.count() == 0, errors.first.inner_text()
        finally:
            context.close()


def test_the_instructors_private_copy_is_pushed_with_its_home_and_its_solutions(fork):
    """README "Teach this course": a clone pushed to a new private repository (a bare one here),
    its home set, released, committed and pushed; the solutions stay in that private copy."""
    def at_main(*args: str) -> str:
        return subprocess.run(["git", "--git-dir", str(PRIVATE), *args], capture_output=True,
                              text=True, check=True).stdout

    assert at_main("log", "-1", "--format=%s", "main").strip() == "Our course"
    config = yaml.safe_load(at_main("show", "main:_config.yml"))
    assert config["repository"]["url"] == FORK_URL
    files = set(at_main("ls-tree", "-r", "--name-only", "main").split())
    assert any(f.startswith("solutions/source/") for f in files)
    assert any(f.startswith("chapters/exercises/engine/") and f.endswith(".whl") for f in files)
    assert not {".venv", "node_modules"} & files
    pushed = at_main("show", "main:chapters/exercises/01_neurons_perceptron.ipynb")
    assert FORK_SITE in pushed and fork.old_url not in pushed


# -- the site of a course whose secret drew other variants ----------------------------------------

INLINE_MATH = re.compile(r"(?<!\$)\$([^$\n]+)\$(?!\$)")


def _shown(nb) -> set[str]:
    """What a reader sees of a notebook's Markdown: its inline maths and its words."""
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.DOTALL)
    maths = {f"${m}$" for m in INLINE_MATH.findall(text)}
    return maths | set(re.findall(r"[A-Za-z]\w+", INLINE_MATH.sub(" ", text)))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_each_exercise_page_shows_the_variant_the_private_copy_drew(fork, assignment):
    """The fork's secret draws another option on every parameter; the page the site builds from
    its release shows that variant's text: every inline formula and word of the exercise's
    Markdown that the default's text does not have is on the page."""
    record = read_record(fork.root)
    variant = record[assignment]
    assert variant == draw(assignment, FORK_SECRET)
    assert all(variant[k] != v for k, v in default(assignment).items()), "the premise"
    source = nbformat.read(fork.root / "solutions" / "source" / assignment
                           / f"{assignment}.ipynb", 4)
    only_variant = _shown(instantiate(source, variant)) - _shown(
        instantiate(source, default(assignment)))
    assert only_variant, "the variant's text differs from the default's"
    page = (fork.html / "chapters" / "exercises" / f"{assignment}.html").read_text(
        encoding="utf-8")
    words = html.unescape(re.sub(r"<[^>]+>", " ", page))
    missing = [
        token for token in sorted(only_variant)
        if (html.escape(f"\\({token[1:-1]}\\)", quote=False) not in page
            if token.startswith("$") else not re.search(rf"\b{re.escape(token)}\b", words))
    ]
    assert not missing, f"{assignment} ({variant}): the page lacks {missing}"
    assert "{{ VARIANT" not in words and "{% if" not in words, "a template left on the page"

