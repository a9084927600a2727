"""Every chapter and exercise opens and runs as it is on Binder and Colab, and every button of the
site points at the one repository named in _config.yml (repository.url).

Static checks of the sources run without a build; the checks of the built pages' buttons use the
site that `make book` builds (tests/book_build.py).
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import yaml
from book_build import HTML, build_book
from notebook_runner import ROOT, is_notebook, read_notebook

from book_ext.course_home import read_course_home
from book_ext.exercise_release import released_wheel

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"].rstrip("/")
REPO_PATH = urlparse(REPO_URL).path.strip("/")                 # org/name
BRANCH = CONFIG["repository"].get("branch", "main")
TWIN_BRANCH = CONFIG["sphinx"]["config"]["colab_notebooks_branch"]
SITE_URL = read_course_home(ROOT).site_url
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())

NOTEBOOK_PAGES = sorted(p for p in (ROOT / "chapters").rglob("*")
                        if is_notebook(p) and ".ipynb_checkpoints" not in p.parts)


def _ids(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_the_course_home_is_written_once():
    """Only _config.yml names the course's home; what shows it elsewhere is generated from it:
    the released exercises (make release) and the README's badge block (the book build)."""
    site_host = urlparse(SITE_URL).netloc
    generated = re.compile(r"<!-- badges:.*?<!-- /badges -->", re.S)
    # the one exception: which home is the upstream repository's (a copy compares its own home
    # with it to decide that it draws its exercises' variants; nothing shows it to a student)
    upstream = re.compile(r"^UPSTREAM_HOME = .*$", re.M)
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    written = []
    for name in tracked:
        path = ROOT / name
        if name == "_config.yml" or name.startswith("chapters/exercises/") or not path.is_file() \
                or path.suffix in (".whl", ".npz", ".png"):
            continue
        text = generated.sub("", path.read_text(encoding="utf-8", errors="replace"))
        if name == "book_ext/course_home.py":
            text = upstream.sub("", text)
        if REPO_PATH in text or site_host in text:
            written.append(name)
    assert not written, f"the course home is written into {written}: derive it from _config.yml"


@pytest.mark.parametrize("path", NOTEBOOK_PAGES, ids=_ids)
def test_notebook_installs_the_engine_before_using_it(path):
    """On Colab (and any fresh kernel) the first code cell installs `lib` when it is missing, so
    the notebook runs as it is; on the site that cell is hidden (remove-cell). A chapter's cell
    is generic (the build writes the wheel in); a released exercise's names the wheel it was
    released with, served by the site of _config.yml, with its SHA-256."""
    cells = [c for c in read_notebook(path).cells if c.cell_type == "code"]
    assert cells, f"{_ids(path)} has no code cell"
    first = cells[0]
    assert 'find_spec("lib") is None' in first.source, \
        f"{_ids(path)}: the first code cell must be the set-up cell of chapters/intro.md"
    tags = first.metadata.get("tags", [])
    assert "remove-cell" in tags or "exercises" in path.parts, \
        f"{_ids(path)}: tag the set-up cell remove-cell so the site does not show it"
    if "exercises" in path.parts:
        released = released_wheel(ROOT)
        assert f'ENGINE_WHEEL = "{released.filename}"' in first.source
        assert (
            f"{SITE_URL}_static/engine/{released.filename}#sha256={released.sha256}" in first.source
        )


def test_binder_builds_the_course_environment():
    """repo2docker installs the pinned packages and the engine, and opens .md notebooks as
    notebooks."""
    requirements = (ROOT / "binder" / "requirements.txt").read_text()
    included = re.findall(r"^-r\s+(\S+)", requirements, re.M)
    assert included and all((ROOT / "binder" / inc).resolve() == ROOT / "requirements.lock"
                            for inc in included)
    post_build = ROOT / "binder" / "postBuild"
    assert post_build.stat().st_mode & 0o111, "binder/postBuild must be executable"
    text = post_build.read_text()
    assert "pip install" in text and " -e ." in text
    assert "jupytext-config set-default-viewer" in text and "myst" in text
    lock = (ROOT / "requirements.lock").read_text()
    assert re.search(r"^jupytext==", lock, re.M) and re.search(r"^jupyterlab==", lock, re.M)


# --- the buttons of the built pages --------------------------------------------------------------

def _page_links(page: Path) -> list[str]:
    return re.findall(r'href="([^"]+)"', page.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def site():
    build_book()
    if not (HTML / "chapters" / "intro.html").exists():
        pytest.fail("make book produced no site")
    return HTML


@pytest.mark.book
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOK_PAGES, ids=_ids)
def test_launch_download_and_repository_buttons(site, path):
    rel = path.relative_to(ROOT)
    page = site / rel.with_suffix(".html")
    if not page.exists():
        pytest.skip(f"{rel} is not a page of the book (not in _toc.yml)")
    links = _page_links(page)

    binder = [link for link in links if link.startswith("https://mybinder.org/")]
    assert binder, f"{rel}: no Binder button"
    url = urlparse(binder[0].replace("&amp;", "&"))
    assert url.path == f"/v2/gh/{REPO_PATH}/{BRANCH}"
    opened = parse_qs(url.query)["urlpath"][0].removeprefix("lab/tree/")
    assert (ROOT / opened).is_file(), f"Binder would open {opened}, which is not in the repository"

    colab = [link for link in links if link.startswith("https://colab.research.google.com/")]
    assert colab, f"{rel}: no Colab button"
    prefix = f"https://colab.research.google.com/github/{REPO_PATH}/blob/"
    assert colab[0].startswith(prefix)
    branch, _, file = colab[0].removeprefix(prefix).partition("/")
    if path.suffix == ".ipynb":
        assert (branch, file) == (BRANCH, str(rel)), "Colab opens the released notebook itself"
    else:
        # the .ipynb twin, published with the site on the pages branch
        assert (branch, file) == (TWIN_BRANCH, f"_sources/{rel.with_suffix('.ipynb')}")
        twin = json.loads((site / file).read_text())
        assert twin["metadata"]["kernelspec"]["name"] == "python3"
        first = next(c for c in twin["cells"] if c["cell_type"] == "code")
        assert 'find_spec("lib") is None' in "".join(first["source"]), \
            "the twin must keep the hidden set-up cell that installs lib on Colab"
        if "cell_output" in page.read_text(encoding="utf-8"):
            assert any(c.get("outputs") for c in twin["cells"] if c["cell_type"] == "code"), \
                "the twin (download, Colab) must carry the outputs the page shows"

    downloads = [link for link in links if link.endswith(".ipynb") and not link.startswith("http")]
    assert downloads, f"{rel}: no .ipynb download button"
    assert all((page.parent / d).resolve().is_file() for d in downloads)

    repo_links = [link for link in links if link.startswith("https://github.com/")]
    assert repo_links and all(link.startswith(REPO_URL) for link in repo_links), repo_links
    assert any("/issues/new" in link for link in repo_links), f"{rel}: no issue button"
    assert any(f"/edit/{BRANCH}/{rel}" in link for link in repo_links), f"{rel}: no edit button"
