"""Nothing leaks: no solution, hidden test, mark scheme or file of solutions/ reaches students.

Scanned: everything released to students (chapters/exercises/, release/) and everything the
book publishes (_build/html: pages, _sources, every downloadable notebook). The secrets are read
from the nbgrader sources in solutions/ by their markers (tests/solution_leaks.py), so new
assignments are covered by existing. The first tests plant secrets in a synthetic site to show
the scanner finds them (and does not cry wolf), so the check is known to work even before any
solution exists.
"""
from __future__ import annotations

import nbformat
import pytest
from book_build import HTML, build_book
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from notebook_runner import ROOT
from solution_leaks import find_leaks, read_secrets

RELEASED = [ROOT / "chapters" / "exercises", ROOT / "release"]
SOLUTIONS = ROOT / "solutions"
MIN_CHARS = 10               # shorter lines (`return a`) are too generic to be anyone's secret


def students_work_on(path) -> bool:
    """Released notebooks and the exercise pages: strict, any one solution line is a leak."""
    return "exercises" in path.parts or "release" in path.parts


# --- the scanner, on a synthetic course ----------------------------------------------------------

def _source_notebook():
    return new_notebook(cells=[
        new_markdown_cell("Implement `affine`."),
        new_code_cell("def affine(X, W, b):\n    ### BEGIN SOLUTION\n"
                      "    return X @ W.T + b  # rows are samples\n    ### END SOLUTION",
                      metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "a"}}),
        new_code_cell("assert affine(X0, W0, b0).shape == (4, 2)\n### BEGIN HIDDEN TESTS\n"
                      "assert np.allclose(affine(X_secret, W_secret, b_secret), Z_secret)\n"
                      "### END HIDDEN TESTS",
                      metadata={"nbgrader": {"grade": True, "grade_id": "t", "points": 1}}),
        new_code_cell("threshold = secret_threshold_from_whole_solution_cell(0.5)",
                      metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "w"}}),
    ])


@pytest.fixture
def course(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "nn.py").write_text("def f():\n    return 1\n")
    source = tmp_path / "solutions" / "source" / "ex1"
    source.mkdir(parents=True)
    nbformat.write(_source_notebook(), source / "ex1.ipynb")
    (source / "data_only_instructors_have.csv").write_text("x,t\n0.25,1\n")
    site = tmp_path / "site"
    site.mkdir()
    return tmp_path, site


def test_scanner_reads_every_kind_of_secret(course):
    root, _ = course
    kinds = {(s.kind, s.line) for s in read_secrets(root / "solutions", root).secrets}
    assert ("solution", "return X @ W.T + b # rows are samples") in kinds
    assert (
        "hidden test",
        "assert np.allclose(affine(X_secret, W_secret, b_secret), Z_secret)",
    ) in kinds
    assert ("solution", "threshold = secret_threshold_from_whole_solution_cell(0.5)") in kinds
    # the visible test is what nbgrader releases: not a secret
    assert not any("(4, 2)" in line for _, line in kinds)


def test_scanner_finds_secrets_in_pages_notebooks_and_copies(course):
    root, site = course
    # a highlighted code line in a page: tags and entities around the tokens
    (site / "page.html").write_text(
        '<pre><span class="k">return</span> <span class="n">X</span> <span class="o">@</span> '
        'W.T <span class="o">+</span> b  <span class="c1"># rows are samples</span></pre>')
    nb = new_notebook(cells=[new_code_cell(
        "assert np.allclose(affine(X_secret, W_secret, b_secret), Z_secret)")])
    nbformat.write(nb, site / "download.ipynb")
    (site / "data.csv").write_bytes(
        (root / "solutions/source/ex1/data_only_instructors_have.csv").read_bytes())
    (site / "marker.txt").write_text("### BEGIN SOLUTION")
    leaks = [str(leak) for leak in find_leaks(read_secrets(root / "solutions", root), [site], site)]
    assert any(leak.startswith("page.html: solution line") for leak in leaks), leaks
    assert any(leak.startswith("download.ipynb: hidden test line") for leak in leaks), leaks
    assert any(leak.startswith("data.csv: a copy of solutions/") for leak in leaks), leaks
    assert any(leak.startswith("marker.txt: nbgrader marker") for leak in leaks), leaks


def test_scanner_lets_chapters_share_a_generic_line_but_not_a_solution(course):
    root, site = course
    secrets = read_secrets(root / "solutions", root)
    (site / "chapter.html").write_text(
        "<pre>threshold = secret_threshold_from_whole_solution_cell(0.5)"
        "</pre><pre>return X @ W.T + b</pre>"
    )
    lenient = find_leaks(secrets, [site], site, strict=lambda path: False)
    # one long line is a whole one-line solution cell: a leak even in a chapter
    assert [leak.what for leak in lenient] == [
        "solution line of solutions/source/ex1/ex1.ipynb (cell 3): "
        "'threshold = secret_threshold_from_whole_solution_cell(0.5)'"]
    (site / "chapter.html").write_text("<pre>return X @ W.T + b</pre>")
    assert find_leaks(secrets, [site], site, strict=lambda path: False) == []
    assert find_leaks(secrets, [site], site, strict=lambda path: True) == [], \
        "a line without the solution's comment is not the solution's line"


def test_scanner_passes_a_clean_release(course):
    root, site = course
    released = new_notebook(
        cells=[
            new_markdown_cell("Implement `affine`."),
            new_code_cell(
                "def affine(X, W, b):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
            ),
            new_code_cell("assert affine(X0, W0, b0).shape == (4, 2)"),
        ]
    )
    nbformat.write(released, site / "ex1.ipynb")
    (site / "engine.html").write_text("<p>def f(): return 1</p>")
    assert find_leaks(read_secrets(root / "solutions", root), [site], site) == []


# --- the real course -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def secrets():
    return read_secrets(SOLUTIONS, ROOT)


def test_released_notebooks_hold_no_solution(secrets):
    """chapters/exercises/ and release/ (what students download) hold no secret at all."""
    leaks = find_leaks(secrets, RELEASED, ROOT, min_chars=MIN_CHARS)
    assert not leaks, "solutions leak to students:\n" + "\n".join(map(str, leaks))


@pytest.mark.book
@pytest.mark.slow
def test_published_site_holds_no_solution(secrets):
    """The built site (pages, _sources, downloadable notebooks, search index) holds no secret."""
    build_book()
    if not HTML.exists():
        pytest.fail("make book produced no site to scan")
    leaks = find_leaks(secrets, [HTML], HTML, min_chars=MIN_CHARS, strict=students_work_on)
    assert not leaks, "solutions leak into the site:\n" + "\n".join(map(str, leaks))
