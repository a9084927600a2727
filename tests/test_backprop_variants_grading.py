"""Exercise 3 released and graded for variants other than the default: real nbgrader runs.

Each variant gets a throw-away course whose source is the instantiated one (the release, the
hidden tests and the grader's reference then all follow it) and a small class: an honest student
who wrote the variant's values in by hand, the source's answers copied as they are (they read
``VARIANT``, which an answer may not), the upstream (default) model solution, a partial and a
blank submission. Expected points come from the source's metadata.
"""

from __future__ import annotations

import nbformat
import pytest
from backprop_variants import (
    A3,
    DEFAULT,
    grade_id,
    solution_regions,
    source,
    upstream_solutions,
)
from nbgrader_course import auto_score, cell_scores, nbgrader, points, submit

from grading.variants import cell_variant, instantiate, write_record

pytestmark = pytest.mark.slow

ALL = points(A3)
# the parts each parameter changes: the upstream solution loses them in a course whose variant
# differs there (train_mnist replays the network's training, so it follows the network)
TOUCHES = {
    "hidden_activation": [
        "test-two-layer-backward",
        "test-train-xor",
        "test-train-mnist",
        "test-deep-backward",
    ],
    "relu_slope": ["test-relu-backward"],
}
PARTIAL = ["linear-backward", "activations-backward"]
PARTIAL_PARTS = ["test-linear-backward", "test-sigmoid-backward", "test-relu-backward",
                 "test-tanh-backward"]  # fmt: skip
VARIANTS = [
    {"hidden_activation": "relu", "relu_slope": 0.1},  # both parameters differ
    {"hidden_activation": "tanh", "relu_slope": 0.2},  # only the ReLU's slope
]


def released(course, solutions: dict[str, str], ids=None):
    """The course's released notebook with solution cells ``ids`` (all if None) filled in."""
    nb = nbformat.read(course / "release" / A3 / f"{A3}.ipynb", 4)
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid in solutions and (ids is None or gid in ids):
            cell.source = solutions[gid]
    return nb


def lost_by_upstream(variant: dict) -> list[str]:
    return [gid for name, parts in TOUCHES.items() if variant[name] != DEFAULT[name]
            for gid in parts]  # fmt: skip


@pytest.fixture(scope="module", params=VARIANTS, ids=lambda v: "-".join(map(str, v.values())))
def graded(request, tmp_path_factory):
    variant = request.param
    course = tmp_path_factory.mktemp("variant_course") / "course"
    instantiated = instantiate(source(), variant)
    folder = course / "solutions" / "source" / A3
    folder.mkdir(parents=True)
    nbformat.write(source(), folder / f"{A3}.ipynb")
    write_record(course, A3, variant)  # what `make release` records after drawing
    nbgrader(course, "generate_assignment", A3)
    reference = solution_regions(instantiated)
    honest = solution_regions(instantiated, variant)
    students = {
        "copied": released(course, reference),
        # the variant's values written in by hand: nothing reads VARIANT
        "honest": released(course, honest),
        "upstream": released(course, upstream_solutions()),
        "partial": released(course, honest, ids=PARTIAL),
        "blank": released(course, honest, ids=[]),
    }
    for student, nb in students.items():
        submit(course, student, A3, nb)
    nbgrader(course, "autograde", A3, check=False)
    return variant, course, instantiated


def test_the_release_follows_the_variant(graded):
    variant, course, _ = graded
    nb = nbformat.read(course / "release" / A3 / f"{A3}.ipynb", 4)
    (cell,) = [c for c in nb.cells if grade_id(c) == "variant"]
    assert cell_variant(cell.source) == variant
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert f"\\max(z, {variant['relu_slope']}\\,z)" in text


def test_an_honest_student_scores_full_and_answers_reading_the_variant_lose_their_parts(graded):
    _, course, _ = graded
    scores = auto_score(course, A3)
    assert scores["honest"] == ALL
    cells = cell_scores(course, A3, "copied")
    for part in ("test-relu-backward", "test-two-layer-backward", "test-deep-backward"):
        assert cells[part][0] == 0, part  # these answers read VARIANT in the source
    assert scores["copied"] < ALL


def test_the_upstream_solution_loses_exactly_the_parts_the_variant_changes(graded):
    variant, course, _ = graded
    lost = lost_by_upstream(variant)
    assert lost, "a variant other than the default changes some part"
    cells = cell_scores(course, A3, "upstream")
    lost_now = sorted(gid for gid, (score, top) in cells.items()
                      if top and not gid.startswith("written") and score != top)  # fmt: skip
    assert lost_now == sorted(lost)
    assert auto_score(course, A3)["upstream"] == ALL - points(A3, lost)


def test_partial_and_blank_submissions_get_what_they_earned(graded):
    _, course, _ = graded
    scores = auto_score(course, A3)
    assert scores["partial"] == points(A3, PARTIAL_PARTS)
    assert scores["blank"] == 0.0
