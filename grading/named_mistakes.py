"""The trusted judges name the common mistakes (catalogue: ``lib/exercises/mistakes.py``).

A part's judge says *that* a case is wrong; when it is, :func:`with_named_mistakes` compares the
values handed out with the reference AND with the reference made wrong in each catalogued way
(computed here, in the grading process, from the case's inputs), and puts the one sentence of
the mistake found first. Of a hidden case the line names the mistake and the outputs it shows in
(and their shapes, the student's own), never an input or a reference value; of a visible test's
case it adds a few entries, got vs expected, as the notebook's check shows them. An answer
wrong in no catalogued way keeps the judge's plain comparison.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from grading.parts import Part, paths
from lib.exercises.mistakes import MISTAKES, Mistake, diagnose, evidence, output_paths

# grade_id -> (case inputs, solution namespace) -> the reference value, as the judge computes it
REFERENCES: dict[str, Callable[[dict, dict], object]] = {
    "test-affine": lambda c, s: _affine(c, s),
    "test-perceptron-update": lambda c, s: _update_history(c, s),
    "test-sigmoid": lambda c, s: s["sigmoid"](c["z"]),
    "test-bce": lambda c, s: s["binary_cross_entropy"](c["z"], c["t"]),
    "test-softmax": lambda c, s: s["softmax"](c["Z"]),
    "test-log-softmax": lambda c, s: s["log_softmax"](c["Z"]),
    "test-softmax-ce": lambda c, s: s["softmax_cross_entropy"](c["Z"], c["t"]),
    "test-linear-backward": lambda c, s: s["linear_backward"](c["dZ"], c["X"], c["W"]),
    "test-sigmoid-backward": lambda c, s: s["sigmoid_backward"](c["dA"], c["Z"]),
    "test-relu-backward": lambda c, s: s["relu_backward"](c["dA"], c["Z"]),
    "test-tanh-backward": lambda c, s: s["tanh_backward"](c["dA"], c["Z"]),
    "test-softmax-ce-backward": lambda c, s: s["softmax_ce_backward"](c["Z"], c["t"]),
    "test-two-layer-backward": lambda c, s: s["two_layer_loss_and_grads"](
        {k: c[k] for k in ("W1", "b1", "W2", "b2")}, c["X"], c["t"]),
    "test-deep-backward": lambda c, s: s["deep_loss_and_grads"](
        [(c[f"W{i}"], c[f"b{i}"]) for i in range(int(c["depth"]))], c["X"], c["t"]),
    "test-count-regions": lambda c, s: s["count_regions_on_line"](
        [(c[f"W{i}"], c[f"b{i}"]) for i in range(int(c["depth"]))], c["x0"], c["x1"]),
}


def _affine(case, solution):
    from grading.parts.ex01_neurons_perceptron import affine_reference

    return affine_reference(case, solution)


def _update_history(case, solution):
    # imported when first needed: grading.parts imports this module while it loads
    from grading.parts.ex01_neurons_perceptron import update_history

    return update_history(case, solution)


def named(grade_id: str, case: dict, got: dict, solution: dict) -> tuple[Mistake, list] | None:
    """The catalogued mistake the handed-out values show, and the outputs it shows in."""
    if grade_id not in MISTAKES or grade_id not in REFERENCES:
        return None
    names = output_paths(grade_id, case)
    reference = paths(REFERENCES[grade_id](case, solution))
    if names is None or any(p not in reference for p in names.values()):
        return None
    expected = {name: np.asarray(reference[path]) for name, path in names.items()}
    received = {name: got[path] for name, path in names.items() if path in got}
    mistake = diagnose(grade_id, case, received, expected, variant=solution.get("VARIANT"))
    if mistake is None:
        return None
    shown = [n for n in expected if not _equal(received[n], expected[n])]
    return mistake, [(n, received[n], expected[n]) for n in shown]


def _equal(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(
        np.allclose(a.astype(float), b.astype(float), rtol=1e-6, atol=1e-9, equal_nan=True))


def line(mistake: Mistake, shown: list, *, visible: bool) -> str:
    """The verdict's sentence: the mistake, then where (and, for a visible test, entries)."""
    where = ", ".join(
        n if np.shape(g) == np.shape(e) else f"{n} of shape {np.shape(g)}" for n, g, e in shown
        if n not in ("out",))
    text = (f"{where}: " if where else "") + mistake.says
    if visible:
        text += " " + "; ".join(evidence(n, g, e) for n, g, e in shown[:2]) + "."
    return text


def _same_inputs(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        np.array_equal(np.asarray(a[k]), np.asarray(b[k])) for k in a)


def with_named_mistakes(grade_id: str, part: Part) -> Part:
    """``part`` whose judge, when a case is wrong, names the catalogued mistake first."""
    if grade_id not in MISTAKES or grade_id not in REFERENCES:
        return part
    judge = part.judge
    visible_cache: list = []

    def visible_inputs() -> list[dict]:
        if not visible_cache and part.visible:
            from lib.exercises.handin import decode_inputs, encode_inputs

            drawn = part.cases(np.random.default_rng(0))[: part.visible]
            visible_cache.extend(decode_inputs(encode_inputs(drawn)))
        return visible_cache

    def judge_naming(case, got, solution):
        problems = judge(case, got, solution)
        if not problems:
            return problems
        try:
            with np.errstate(all="ignore"):
                found = named(grade_id, case, got, solution)
        except Exception:  # a malformed value the catalogue cannot read: the plain comparison
            found = None
        if found is None:
            return problems
        visible = any(_same_inputs(case, v) for v in visible_inputs())
        return [line(*found, visible=visible)]

    return replace(part, judge=judge_naming)


def name_all(parts: dict[str, dict[str, Part]]) -> dict[str, dict[str, Part]]:
    """Every assignment's parts, their judges naming the catalogued mistakes."""
    return {
        assignment: {gid: with_named_mistakes(gid, part) for gid, part in by_id.items()}
        for assignment, by_id in parts.items()
    }
