"""Exercise variants (grading/variants.py): drawn from the course's secret at release, recorded on
the instructor's side, followed by the released text, the visible checks, the hidden cases, the
named mistakes and the grader's reference.

The fast tests read the sources and the parts modules; the slow ones run real nbgrader on a
throw-away course whose secret draws another variant than the upstream one (``make release``,
``nbgrader autograde``, a worker's scratch course), one class of several students.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbgrader_course import ENV, cell_scores, fill, nbg_meta, nbgrader, points, source_nb, submit
from notebook_runner import ROOT

from grading import parts  # first: grading.parts loads grading.named_mistakes
from grading.named_mistakes import REFERENCES
from grading.parts import PARTS, paths
from grading.variants import (
    RECORD,
    cell_variant,
    default,
    draw,
    instantiate,
    model_answer,
    options,
    read_record,
    variant_cell,
)
from grading.verdict import part_inputs, solution_namespace
from lib.exercises.mistakes import MISTAKES, diagnose

A1, A2 = "01_neurons_perceptron", "02_losses_softmax"
ASSIGNMENTS = sorted(parts.PARTS)
# which graded parts each parameter changes, as the exercise's text says (read by a person, not
# computed by the code under test)
CHANGES = {
    "04_approximation_depth": {"activation": {"test-bump-network"}, "peak": {"test-tent-network"}},
    A1: {"weights": {"test-affine"},
         "learning_rate": {"test-perceptron-update", "test-perceptron-train"}},
    A2: {"slope": {"test-sigmoid"}, "pos_weight": {"test-bce"},
         "temperature": {"test-softmax", "test-log-softmax", "test-softmax-ce"}},
}


def source_path(assignment: str) -> Path:
    return ROOT / "solutions" / "source" / assignment / f"{assignment}.ipynb"


# -- the sources and the parts modules agree ------------------------------------------------------

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_first_option_of_each_parameter_is_the_sources_variant_cell(assignment):
    cell = variant_cell(source_nb(assignment))
    if cell is None:
        assert options(assignment) == {}, f"{assignment}: VARIANTS but no variant cell"
        return
    meta = nbg_meta(cell)
    assert meta["locked"] and not meta["grade"] and not meta["solution"]
    written = cell_variant(cell.source)
    assert list(written) == list(options(assignment)), "the cell and VARIANTS name other parameters"
    assert written == default(assignment)
    cells = source_nb(assignment).cells
    imports = next(i for i, c in enumerate(cells) if nbg_meta(c).get("grade_id") == "imports")
    assert nbg_meta(cells[imports + 1])["grade_id"] == "variant"
    for name, values in options(assignment).items():
        assert len(set(values)) == len(values) >= 2, f"{name}: options must differ"


def test_the_draw_is_stable_and_another_secret_draws_another_variant_on_most_parameters():
    secrets = [f"a-course-secret-{i:03d}-" + "c4" * 8 for i in range(120)]
    assert draw(A2, secrets[0]) == draw(A2, secrets[0])
    assert draw(A2, secrets[0], term="2027-spring") != draw(A2, secrets[0]) or \
        draw(A2, secrets[1], term="2027-spring") != draw(A2, secrets[1])
    drawn = [draw(A2, s) for s in secrets]
    for name, values in options(A2).items():
        counts = {v: sum(d[name] == v for d in drawn) for v in values}
        # every option is drawn, none much more often than its share (independent, uniform)
        assert all(20 <= c <= 60 for c in counts.values()), (name, counts)
    differing = np.mean([sum(d[k] != default(A2)[k] for k in d) / len(d) for d in drawn])
    assert differing > 0.55, differing


def test_instantiate_writes_the_variant_cell_and_renders_the_text():
    nb = source_nb(A2)
    before = nbformat.writes(nb)
    variant = {"slope": 2, "pos_weight": 3, "temperature": 0.5}
    out = instantiate(nb, variant)
    assert nbformat.writes(nb) == before, "the source must not change"
    assert cell_variant(variant_cell(out).source) == variant
    text = "\n".join(c.source for c in out.cells if c.cell_type == "markdown")
    assert "{{" not in text and "{%" not in text
    assert r"\tau = 0.5" in text and "k = 2" in text and "w = 3" in text
    # the default instantiates to the source's own cells
    same = instantiate(nb, default(A2))
    assert [c.source for c in same.cells if c.cell_type == "code"] == \
        [c.source for c in nb.cells if c.cell_type == "code"]
    with pytest.raises(ValueError, match="parameters the notebook does not have"):
        instantiate(nb, {"depth": 3})
    nb.cells[0].source += "\n{{ VARIANT['nothing'] }}"
    with pytest.raises(Exception, match="nothing"):
        instantiate(nb, default(A2))


def reference(grade_id: str, case: dict, solution: dict, graded: dict | None = None):
    """What the answers in ``solution`` hand out for ``case`` when the test cell of the variant
    ``graded`` (a namespace; default: ``solution``'s) calls them."""
    graded = solution if graded is None else graded
    if grade_id == "test-affine":       # the test cell hands W over in its variant's layout
        W = case["W"] if graded["VARIANT"]["weights"] == "rows" else case["W"].T
        return solution["affine"](case["X"], W, case["b"])
    if grade_id == "test-perceptron-train":
        return solution["perceptron_train"](case["X"], case["labels"],
                                            np.random.default_rng(int(case["seed"])),
                                            max_epochs=int(case["max_epochs"]))
    if grade_id == "test-bump-network":
        f = eval("lambda x: " + str(case["f"]), {"np": np})    # the course's own text
        return solution["bump_network"](f, float(case["a"]), float(case["b"]),
                                        int(case["n_units"]))
    if grade_id == "test-tent-network":
        return solution["tent_network"](int(case["q"]))
    return REFERENCES[grade_id](case, solution)


def handed_out(grade_id: str, case: dict, solution: dict, graded: dict) -> dict:
    """What ``reference`` hands out, as the verdict receives it from the kernel: flattened,
    every leaf an array; nothing if the answer raises (the kernel's case hands nothing out)."""
    try:
        value = reference(grade_id, case, solution, graded)
    except (ValueError, TypeError, IndexError):
        return {}
    return {path: np.asarray(leaf) for path, leaf in paths(value).items()}


def _single_option_variants(assignment):
    for name, values in options(assignment).items():
        for value in values[1:]:
            yield name, {**default(assignment), name: value}


@pytest.mark.parametrize("assignment", sorted(CHANGES))
def test_the_upstream_answer_is_wrong_for_every_other_option_of_its_parts(assignment):
    """Judged by the parts' own judges against the instantiated reference, on the grader's
    cases: the default variant's model answer fails exactly the parts the parameter changes, on
    every hidden case."""
    upstream = solution_namespace(source_path(assignment), default(assignment))
    for name, variant in _single_option_variants(assignment):
        variant_ns = solution_namespace(source_path(assignment), variant)
        failing = set()
        for grade_id, part in PARTS[assignment].items():
            _, cases = part_inputs(part, 3)      # as the verdict decodes them
            with np.errstate(all="ignore"):
                problems = [part.judge(c, handed_out(grade_id, c, upstream, variant_ns), variant_ns)
                            for c in cases[part.visible:]]
                own = [part.judge(c, handed_out(grade_id, c, variant_ns, variant_ns), variant_ns)
                       for c in cases]
            assert not any(own), f"{name}={variant[name]}: the reference fails itself"
            if any(problems):
                failing.add(grade_id)
                # every hidden case fails: the part's points are lost, not a share of them
                assert all(problems), (name, variant[name], grade_id, problems)
        assert failing == CHANGES[assignment][name], (name, variant[name], failing)


def test_the_named_mistakes_follow_the_variant():
    """A softmax over the wrong axis is named at the variant's temperature; the same mistake made
    at the default's temperature is not that mistake (it is the wrong temperature)."""
    Z = np.random.default_rng(1).standard_normal((4, 3))
    variant = {**default(A2), "temperature": 2}
    reference = solution_namespace(source_path(A2), variant)["softmax"](Z)
    at_variant = np.exp(Z / 2) / np.exp(Z / 2).sum(axis=0, keepdims=True)
    at_default = np.exp(Z) / np.exp(Z).sum(axis=0, keepdims=True)
    named = diagnose("test-softmax", {"Z": Z}, {"out": at_variant}, {"out": reference},
                     variant=variant)
    assert named is MISTAKES["test-softmax"][1]
    assert diagnose("test-softmax", {"Z": Z}, {"out": at_default}, {"out": reference},
                    variant=variant) is None


# -- a course whose secret draws another variant: real nbgrader runs ------------------------------

# a secret whose draw differs from the default on the slope and the temperature and agrees on the
# positive class's weight (test_the_course_secret_drew_... checks it)
SECRET = "variant-test-secret-0008-" + "ab" * 8
OTHER_SECRET = "variant-test-secret-0001-" + "ab" * 8
LOSES = {"test-sigmoid", "test-softmax", "test-log-softmax", "test-softmax-ce"}


def make(course: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), *args, f"COURSE={course}"],
        env=ENV, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def write_secret(course: Path, secret: str) -> None:
    path = course / "course_secret"
    path.unlink(missing_ok=True)
    path.write_text(secret + "\n")
    path.chmod(0o600)


def answered(course: Path, variant: dict | None, *, verbatim=False, ids=None):
    """The released notebook with the model answers of ``variant`` (the source's answers as they
    are, reading VARIANT, with ``verbatim``)."""
    nb = nbformat.read(course / "release" / A2 / f"{A2}.ipynb", 4)
    answers = {nbg_meta(c)["grade_id"]: c.source if verbatim else model_answer(c.source, variant)
               for c in source_nb(A2).cells if nbg_meta(c).get("solution")}
    for cell in nb.cells:
        grade_id = nbg_meta(cell).get("grade_id")
        if grade_id in answers and (ids is None or grade_id in ids):
            cell.source = answers[grade_id]
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = tmp_path_factory.mktemp("variant") / "course"
    shutil.copytree(ROOT / "solutions" / "source" / A2, course / "solutions" / "source" / A2)
    write_secret(course, SECRET)
    released = make(course, "release", f"ASSIGNMENT={A2}")
    submit(course, "own", A2, fill(course, A2))                    # this variant's model answer
    submit(course, "upstream", A2, answered(course, default(A2)))  # the public one, copied
    submit(course, "verbatim", A2, answered(course, None, verbatim=True))
    submit(course, "partial", A2, fill(course, A2, ids=["sigmoid", "bce"]))
    submit(course, "blank", A2, fill(course, A2, ids=[]))
    nbgrader(course, "autograde", A2)
    return course, released.stdout


def scores(course: Path, student: str) -> dict[str, float]:
    return {g: s for g, (s, _) in cell_scores(course, A2, student).items()}


def full(grade_ids) -> dict[str, float]:
    return {g: points(A2, [g]) for g in grade_ids}


@pytest.mark.slow
def test_the_release_draws_from_the_course_secret_and_records_it_on_the_instructors_side(course):
    course, stdout = course
    drawn = draw(A2, SECRET)
    assert {k for k in drawn if drawn[k] != default(A2)[k]} == {"slope", "temperature"}
    assert f"{A2}: drawn from the course secret: slope=0.5, pos_weight=1, temperature=0.5" \
        in stdout
    assert read_record(course) == {A2: drawn}
    assert not list((course / "release").rglob(RECORD))
    released = nbformat.read(course / "release" / A2 / f"{A2}.ipynb", 4)
    assert cell_variant(variant_cell(released).source) == drawn
    # the locked cells nbgrader recorded at release (what autograde writes back) hold the variant
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        cell = gb.find_source_cell("variant", A2, A2)
        assert cell_variant(cell.source) == drawn
    # the exercise page shows this variant's text (the released notebook's markdown, which the
    # site renders as it is; the whole site is not built here)
    text = "\n".join(c.source for c in released.cells if c.cell_type == "markdown")
    assert r"\tau = 0.5" in text and "k = 0.5" in text and "w = 1" in text
    assert "{{" not in text and "{%" not in text
    upstream = instantiate(source_nb(A2), default(A2))
    upstream_text = "\n".join(c.source for c in upstream.cells if c.cell_type == "markdown")
    assert r"\tau = 1" in upstream_text and r"\tau = 0.5" not in upstream_text


@pytest.mark.slow
def test_each_submission_of_the_drawn_variant_is_graded_right(course):
    course, _ = course
    every = set(PARTS[A2])
    assert scores(course, "own") == full(every)
    assert scores(course, "upstream") == {**full(every - LOSES), **dict.fromkeys(LOSES, 0.0)}
    assert scores(course, "verbatim") == dict.fromkeys(every, 0.0)
    assert scores(course, "partial") == {**full({"test-sigmoid", "test-bce"}),
                                         **dict.fromkeys(every - {"test-sigmoid", "test-bce"}, 0)}
    assert scores(course, "blank") == dict.fromkeys(every, 0.0)
    graded = nbformat.read(course / "autograded" / "verbatim" / A2 / f"{A2}.ipynb", 4)
    assert "uses `VARIANT`" in graded.cells[0].source


@pytest.mark.slow
def test_a_worker_grades_with_the_variant_the_coordinator_sends(course):
    """The task carries the variant recorded at release (the worker has no course folder), and
    another secret than the one that drew it."""
    from grading.regrade import load_settings, settings_digest
    from grading.scratch import autograde_in_scratch, make_seed, make_task, source_bundle
    course, _ = course
    config = load_settings(ROOT)
    bundle = source_bundle(course, "solutions/source", A2)
    assert bundle["variant"] == read_record(course)[A2] == draw(A2, SECRET)
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    task = make_task(course, A2, "own", config=config, secret=OTHER_SECRET, seed=make_seed(db_url),
                     bundle=bundle, settings=settings_digest(config, OTHER_SECRET))
    result = autograde_in_scratch(task)
    assert result["ok"], result["log"]
    notebooks = result["rows"]["notebooks"].values()
    got = sum(score or 0 for nb in notebooks for score in nb["grades"].values())
    assert got == points(A2)


@pytest.mark.slow
def test_a_regrade_after_the_secret_changed_uses_the_variant_released(course, tmp_path):
    course, _ = course
    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    write_secret(copy, OTHER_SECRET)
    assert draw(A2, OTHER_SECRET) != read_record(copy)[A2]
    nbgrader(copy, "autograde", A2, "--student=own", "--force")
    assert scores(copy, "own") == full(PARTS[A2])
    # without the record, the grader says so and draws from the secret it has now: another
    # variant, which the answer of the one released fails
    (copy / RECORD).unlink()
    result = nbgrader(copy, "autograde", A2, "--student=own", "--force")
    assert "no variant recorded" in result.stdout + result.stderr
    assert sum(scores(copy, "own").values()) < points(A2)
    # released again with another variant: every submission is due to be graded again
    from grading.regrade import TESTS_CHANGED, plan
    make(copy, "release", f"ASSIGNMENT={A2}", "VARIANT=default")
    todo = plan(copy, A2)       # (with a note: these submissions have no arrival time)
    assert len(todo) == 5 and all(what.startswith(TESTS_CHANGED) for what in todo.values())


@pytest.mark.slow
def test_variant_default_releases_the_public_notebook_byte_for_byte(course, tmp_path):
    course, _ = course
    copy = tmp_path / "course"
    shutil.copytree(course / "solutions", copy / "solutions")
    write_secret(copy, SECRET)
    out = make(copy, "release", f"ASSIGNMENT={A2}", "VARIANT=default").stdout
    assert "the default variant (VARIANT=default)" in out
    assert json.loads((copy / RECORD).read_text()) == {A2: default(A2)}
    public = ROOT / "chapters" / "exercises" / f"{A2}.ipynb"
    if cell_variant(variant_cell(nbformat.read(public, 4)).source) != default(A2):
        pytest.skip("this copy's chapters/exercises show the variant its own release drew")
    assert (copy / "release" / A2 / f"{A2}.ipynb").read_bytes() == public.read_bytes()


def test_the_upstream_repository_releases_and_commits_the_default_variant():
    """The repository whose home is the upstream's publishes its exercises: `make release` there
    releases the default, and the committed exercises hold it (a course's own copy, with its own
    home, draws its variant; tests/test_exercises.py checks that copy's release)."""
    from book_ext.course_home import UPSTREAM_HOME, read_course_home
    from grading.variants import releases_upstream

    if read_course_home(ROOT).repository_url != UPSTREAM_HOME:
        assert not releases_upstream(ROOT)
        pytest.skip("this copy of the course has a home of its own: it draws its variants")
    assert releases_upstream(ROOT)
    for assignment in ASSIGNMENTS:
        released = nbformat.read(ROOT / "chapters" / "exercises" / f"{assignment}.ipynb", 4)
        cell = variant_cell(released)
        assert cell is not None and cell_variant(cell.source) == default(assignment), assignment
