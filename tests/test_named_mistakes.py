"""Every catalogued mistake is named, by the trusted judge and by the visible check.

Each mistake of ``lib/exercises/mistakes.py`` is made here by a student's implementation with
that mistake (written as a student writes it, not from the catalogue). The judge of its part
(``grading.parts.PARTS``: the grader's, with the instructor's solution as reference) must put the
mistake's sentence on a case it gets wrong, and never an entry of a hidden case; the visible check
(``lib.exercises.checks``) must fail with the sentence first, every line within 80 columns. An
answer wrong in another way keeps the plain comparison.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grading.parts import PARTS
from grading.variants import instantiate
from grading.verdict import solution_namespace
from lib.exercises import checks
from lib.exercises.handin import decode_inputs, encode_inputs, flatten
from lib.exercises.mistakes import GENERIC, MISTAKES, close, output_paths

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT_OF = {gid: a for a, parts in PARTS.items() for gid in parts}


def solution(assignment: str, variant: dict | None = None) -> dict:
    """The instructor's namespace, of the source or of its instantiation for ``variant``."""
    path = ROOT / "solutions" / "source" / assignment / f"{assignment}.ipynb"
    if variant is None:
        return solution_namespace(path)
    folder = Path(tempfile.mkdtemp(prefix="variant-"))
    nbformat.write(instantiate(nbformat.read(path, 4), variant), folder / path.name)
    return solution_namespace(folder / path.name)


# mistakes of a variant other than the default: made and judged in that variant
LEAKY = {"hidden_activation": "relu", "relu_slope": 0.1}
VARIANT_OF = {
    ("test-relu-backward", "leaky slope left out"): LEAKY,
    ("test-relu-backward", "leaky slope everywhere"): LEAKY,
}


def reference_of(grade_id: str, name: str) -> dict:
    return solution(ASSIGNMENT_OF[grade_id], VARIANT_OF.get((grade_id, name)))


# -- students' implementations, each with one mistake ------------------------------------------


def _sig(z):
    return 0.5 * (1 + np.tanh(0.5 * np.asarray(z, dtype=float)))


def _two_layer(mistake):
    """A student's two_layer_loss_and_grads, wrong in one way."""

    def run(p, X, t):
        X = np.asarray(X, float)
        t = np.asarray(t).astype(int)
        n = len(X)
        Z1 = X @ p["W1"].T + p["b1"]
        A1 = np.tanh(Z1)
        Z2 = A1 @ p["W2"].T + p["b2"]
        E = np.exp(Z2 - Z2.max(axis=1, keepdims=True))
        axis = 0 if mistake == "softmax over wrong axis" else 1
        P = np.exp(Z2) / np.exp(Z2).sum(axis=axis, keepdims=True) if axis == 0 else \
            E / E.sum(axis=1, keepdims=True)
        L = float(np.mean(-np.log((E / E.sum(axis=1, keepdims=True))[np.arange(n), t])))
        dZ2 = P.copy()
        dZ2[np.arange(n), t] -= 1
        dZ2 /= n
        if mistake == "mean taken twice":
            dZ2 = dZ2 / n
        dW2, db2, dA1 = dZ2.T @ A1, dZ2.sum(axis=0), dZ2 @ p["W2"]
        if mistake == "tanh' at the activation":
            dZ1 = dA1 * (1 - np.tanh(A1) ** 2)
        elif mistake == "dA not multiplied in":
            dZ1 = 1 - A1**2
        else:
            dZ1 = dA1 * (1 - A1**2)
        dW1, db1 = dZ1.T @ X, dZ1.sum(axis=0)
        if mistake == "bias gradient not summed":
            db1, db2 = dZ1, dZ2
        return L, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "Z2": dZ2, "A1": dA1, "Z1": dZ1}

    return run


def _deep(mistake):
    """A student's deep_loss_and_grads, wrong in one way."""

    def run(layers, X, t):
        t = np.asarray(t).astype(int)
        A, inputs, pre = np.asarray(X, float), [], []
        for i, (W, b) in enumerate(layers):
            inputs.append(A)
            Z = A @ W.T + b
            pre.append(Z)
            A = np.tanh(Z) if i + 1 < len(layers) else Z
        n = len(Z)
        logp = Z - Z.max(1, keepdims=True)
        logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
        L = float(-logp[np.arange(n), t].mean())
        P = np.exp(Z - Z.max(axis=0, keepdims=True)) if mistake == "softmax over wrong axis" \
            else np.exp(logp)
        if mistake == "softmax over wrong axis":
            P = P / P.sum(axis=0, keepdims=True)
        dZ = P.copy()
        dZ[np.arange(n), t] -= 1
        dZ = dZ / n / (n if mistake == "mean taken twice" else 1)
        grads = [None] * len(layers)
        for i in range(len(layers) - 1, -1, -1):
            db = dZ if mistake == "bias gradient not summed" else dZ.sum(0)
            grads[i] = (dZ.T @ inputs[i], db)
            dA = dZ @ layers[i][0]
            if i:
                at = inputs[i] if mistake == "tanh' at the activation" else \
                    pre[i] if mistake == "cache off by one" else pre[i - 1]
                slope = 1 - np.tanh(at) ** 2
                dZ = slope if mistake == "dA not multiplied in" else dA * slope
        return L, grads

    return run


def _update(mistake):
    def run(w, x, label):
        w = np.array(w, dtype=float)
        fires = np.dot(w, x) > 0 if mistake == "w.x = 0 counted as 0" else np.dot(w, x) >= 0
        if mistake == "updates when right":
            return w + x if label == 1 else w - x
        step = np.array(x, dtype=float)
        if mistake == "bias not updated":
            step[0] = 0.0
        if mistake == "update sign flipped":
            step = -step
        if label == 1 and not fires:
            return w + step
        if label == 0 and fires:
            return w - step
        return w

    return run


def _softmax_ce_ex2(mistake):
    def run(Z, t):
        Z, t = np.asarray(Z, float), np.asarray(t).astype(int)
        n = len(Z)
        if mistake == "softmax not stabilised":
            P = np.exp(Z) / np.exp(Z).sum(1, keepdims=True)
            logp = np.log(P)
        elif mistake == "softmax over wrong axis":
            P = np.exp(Z - Z.max(0)) / np.exp(Z - Z.max(0)).sum(0)
            logp = np.log(P)
        else:
            logp = Z - Z.max(1, keepdims=True)
            logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
            P = np.exp(logp)
        scale = 1 if mistake == "sum instead of mean" else n
        dZ = P.copy()
        dZ[np.arange(n), t] -= 1
        return float(-logp[np.arange(n), t].sum() / scale), dZ / scale

    return run


def _ce_backward(mistake):
    def run(Z, t):
        Z, t = np.asarray(Z, float), np.asarray(t).astype(int)
        n = len(Z)
        ax = 0 if mistake == "softmax over wrong axis" else 1
        E = np.exp(Z - Z.max(axis=ax, keepdims=True))
        P = E / E.sum(axis=ax, keepdims=True)
        if mistake != "target not subtracted":
            P[np.arange(n), t] -= 1
        return {"no 1/n": P, "mean taken twice": P / n / n}.get(mistake, P / n)

    return run


def _on_case(make, mistake, call):
    """A student's function of a case: ``make(mistake)`` called on the case as ``call`` says."""
    student = make(mistake)
    return lambda c: call(student, c)


def _steps(update, c):
    """``update`` called as the test cells call perceptron_update: a graded case is a sequence
    (the weights after every step, each from the one before), a visible test one step."""
    if "xs" not in c:
        return update(c["w"].copy(), c["x"], int(c["label"]))
    w, history = c["w"], []
    for x, label in zip(c["xs"], c["labels"]):
        w = update(w.copy(), x, int(label))
        history.append(np.asarray(w, dtype=float))
    return np.array(history)


def _layers(c):
    return [(c[f"W{i}"], c[f"b{i}"]) for i in range(int(c["depth"]))]


def _params(c):
    return {k: c[k] for k in ("W1", "b1", "W2", "b2")}


# (grade id, mistake name) -> a student's function of the case's inputs
STUDENTS = {
    ("test-affine", "bias left out"): lambda c: c["X"] @ c["W"].T,
    ("test-affine", "bias subtracted"): lambda c: c["X"] @ c["W"].T - c["b"],
    **{
        ("test-perceptron-update", m): _on_case(_update, m, _steps)
        for m in ("update sign flipped", "w.x = 0 counted as 0", "bias not updated",
                  "updates when right")
    },
    ("test-sigmoid", "tiny values rounded to 0"):
        lambda c: 1 / (1 + np.exp(-np.asarray(c["z"], float))),
    ("test-bce", "log of probabilities"): lambda c: float(-np.mean(
        c["t"] * np.log(_sig(c["z"])) + (1 - c["t"]) * np.log(1 - 1 / (1 + np.exp(-c["z"]))))),
    ("test-bce", "sum instead of mean"): lambda c: float(np.sum(
        np.logaddexp(0, c["z"]) - c["t"] * c["z"])),
    ("test-softmax", "no max subtracted"):
        lambda c: np.exp(c["Z"]) / np.sum(np.exp(c["Z"]), axis=1, keepdims=True),
    ("test-softmax", "softmax over wrong axis"):
        lambda c: np.exp(c["Z"] - c["Z"].max(0)) / np.exp(c["Z"] - c["Z"].max(0)).sum(0),
    ("test-log-softmax", "log of softmax"): lambda c: np.log(
        np.exp(c["Z"] - c["Z"].max(1, keepdims=True))
        / np.exp(c["Z"] - c["Z"].max(1, keepdims=True)).sum(1, keepdims=True)),
    ("test-log-softmax", "no max subtracted"):
        lambda c: c["Z"] - np.log(np.exp(c["Z"]).sum(1, keepdims=True)),
    ("test-log-softmax", "log-softmax over wrong axis"):
        lambda c: c["Z"] - c["Z"].max(0) - np.log(np.exp(c["Z"] - c["Z"].max(0)).sum(0)),
    **{
        ("test-softmax-ce", m): _on_case(_softmax_ce_ex2, m, lambda f, c: f(c["Z"], c["t"]))
        for m in ("softmax not stabilised", "sum instead of mean", "softmax over wrong axis")
    },
    ("test-linear-backward", "bias gradient not summed"):
        lambda c: (c["dZ"] @ c["W"], c["dZ"].T @ c["X"], c["dZ"]),
    ("test-linear-backward", "bias summed over wrong axis"):
        lambda c: (c["dZ"] @ c["W"], c["dZ"].T @ c["X"], np.sum(c["dZ"], axis=1)),
    ("test-linear-backward", "mean instead of sum"):
        lambda c: (c["dZ"] @ c["W"], c["dZ"].T @ c["X"] / len(c["X"]), c["dZ"].mean(axis=0)),
    ("test-linear-backward", "dx uses W.T"):
        lambda c: (c["dZ"] @ c["W"].T, c["dZ"].T @ c["X"], c["dZ"].sum(0)),
    ("test-linear-backward", "wrong sign"):
        lambda c: (-(c["dZ"] @ c["W"]), -(c["dZ"].T @ c["X"]), -c["dZ"].sum(0)),
    ("test-linear-backward", "transposed"):
        lambda c: (c["dZ"] @ c["W"], c["X"].T @ c["dZ"], c["dZ"].sum(0)),
    ("test-sigmoid-backward", "sigmoid' at the activation"):
        lambda c: c["dA"] * _sig(_sig(c["Z"])) * (1 - _sig(_sig(c["Z"]))),
    ("test-sigmoid-backward", "sigmoid' as s"): lambda c: c["dA"] * _sig(c["Z"]),
    ("test-sigmoid-backward", "dA not multiplied in"):
        lambda c: _sig(c["Z"]) * (1 - _sig(c["Z"])),
    ("test-relu-backward", "ReLU mask on dA"): lambda c: np.where(c["dA"] > 0, c["dA"], 0.0),
    ("test-relu-backward", "dA not multiplied in"): lambda c: (c["Z"] > 0) * 1.0,
    ("test-relu-backward", "ReLU instead of its derivative"):
        lambda c: c["dA"] * np.maximum(c["Z"], 0),
    # in a variant whose ReLU is leaky with slope 0.1
    ("test-relu-backward", "leaky slope left out"): lambda c: c["dA"] * (c["Z"] > 0),
    ("test-relu-backward", "leaky slope everywhere"): lambda c: 0.1 * c["dA"],
    ("test-tanh-backward", "tanh' at the activation"):
        lambda c: c["dA"] * (1 - np.tanh(np.tanh(c["Z"])) ** 2),
    ("test-tanh-backward", "tanh' as 1 - z^2"): lambda c: c["dA"] * (1 - c["Z"] ** 2),
    ("test-tanh-backward", "dA not multiplied in"): lambda c: 1 - np.tanh(c["Z"]) ** 2,
    **{
        ("test-softmax-ce-backward", m): _on_case(
            _ce_backward, m, lambda f, c: f(c["Z"], c["t"]))
        for m in ("softmax over wrong axis", "no 1/n", "mean taken twice",
                  "target not subtracted")
    },
    **{
        ("test-two-layer-backward", m): _on_case(
            _two_layer, m, lambda f, c: f(_params(c), c["X"], c["t"]))
        for m in ("tanh' at the activation", "bias gradient not summed", "mean taken twice",
                  "softmax over wrong axis", "dA not multiplied in")
    },
    **{
        ("test-deep-backward", m): _on_case(
            _deep, m, lambda f, c: f(_layers(c), c["X"], c["t"]))
        for m in ("tanh' at the activation", "bias gradient not summed", "mean taken twice",
                  "softmax over wrong axis", "dA not multiplied in", "cache off by one")
    },
}

def _regions(offset):
    """count_regions_on_line off by ``offset`` (the instructor's count, shifted)."""

    def run(c):
        layers = [(c[f"W{i}"], c[f"b{i}"]) for i in range(int(c["depth"]))]
        count = solution("04_approximation_depth")["count_regions_on_line"]
        return int(count(layers, c["x0"], c["x1"])) + offset

    return run


STUDENTS[("test-count-regions", "breakpoints, not regions")] = _regions(-1)
STUDENTS[("test-count-regions", "one region too many")] = _regions(+1)

def _equal_widths(seed, depth=3, width=4, n=5):
    """A deep case whose layers all have the same width: a cache read one layer off fits."""
    rng = np.random.default_rng(seed)
    case = {"depth": np.array(depth), "X": rng.standard_normal((n, width)),
            "t": rng.integers(0, width, n)}
    for i in range(depth):
        case[f"W{i}"] = rng.standard_normal((width, width)) / 2
        case[f"b{i}"] = 0.1 * rng.standard_normal(width)
    return case


# mistakes seen only on inputs some part's cases may lack: an extra case of the same form
EXTRA_CASES = {
    "test-deep-backward": [_equal_widths(1)],
    "test-linear-backward": [{"dZ": np.arange(6.0).reshape(3, 2) - 2, "X": np.eye(3, 2) + 1,
                              "W": np.array([[1.0, 2.0], [-1.0, 0.5]])}],
    # w . x = 0 with label 0, then a step right by the rule; a correct positive, then a miss
    "test-perceptron-update": [
        {"w": np.array([1.0, -1.0]), "xs": np.array([[1.0, 1.0], [1.0, 3.0]]),
         "labels": np.array([0, 0])},
        {"w": np.array([-1.0, 2.0]), "xs": np.array([[1.0, 0.5], [1.0, -1.0]]),
         "labels": np.array([1, 1])},
    ],
}


def test_every_catalogued_mistake_has_a_student_here():
    listed = {(gid, m.name) for gid, ms in MISTAKES.items() for m in ms}
    generic = {k for k in STUDENTS if k[1] in ("wrong sign", "transposed")}
    assert listed == set(STUDENTS) - generic


def _cases(grade_id):
    part = PARTS[ASSIGNMENT_OF[grade_id]][grade_id]
    drawn = decode_inputs(encode_inputs(part.cases(np.random.default_rng(7))))
    return part, drawn + EXTRA_CASES.get(grade_id, [])


def _says(grade_id, name):
    every = MISTAKES.get(grade_id, []) + GENERIC
    return next(m.says for m in every if m.name == name)


@pytest.mark.parametrize("grade_id,name", sorted(STUDENTS), ids=lambda v: str(v))
def test_the_judge_names_the_mistake(grade_id, name):
    part, cases = _cases(grade_id)
    ref = reference_of(grade_id, name)
    student = STUDENTS[(grade_id, name)]
    says, named_on, hidden_lines = _says(grade_id, name), 0, []
    for index, case in enumerate(cases):
        try:
            with np.errstate(all="ignore"):
                value = student({k: v.copy() for k, v in case.items()})
        except (ValueError, FloatingPointError):  # shapes that do not fit: no values
            continue
        got = {p: np.asarray(v) for p, v in flatten(value)}
        with np.errstate(all="ignore"):
            problems = part.judge(case, got, ref)
        named_on += any(says in p for p in problems)
        if index >= part.visible:
            hidden_lines += problems
    assert named_on, f"{name!r} was not named by the judge of {grade_id}"
    # of a hidden case the grader names the mistake and shapes, never entries expected vs got
    assert not any("expected" in line and "shape" not in line for line in hidden_lines)


def test_an_unknown_mistake_keeps_the_plain_comparison():
    part, cases = _cases("test-linear-backward")
    ref = solution("03_backpropagation")
    case = cases[1]
    dZ, X, W = case["dZ"], case["X"], case["W"]
    got = {p: np.asarray(v) for p, v in flatten((dZ @ W, dZ.T @ X + 0.5, dZ.sum(0)))}
    problems = part.judge(case, got, ref)
    assert problems == ["`out.1`: " + problems[0].split(": ", 1)[1]]
    assert "entries are wrong" in problems[0]


# -- the visible checks ---------------------------------------------------------------------


def _one_step(case):
    """A one-step sequence as the notebook's visible test writes it: w, x, label."""
    assert len(case["xs"]) == 1, "the visible tests of perceptron_update are single steps"
    return {"w": case["w"], "x": case["xs"][0], "label": case["labels"][0]}


def _visible(grade_id):
    part, cases = _cases(grade_id)
    visible = cases[: part.visible]
    if grade_id == "test-perceptron-update":  # single steps, and the extra sequences as graded
        visible = [_one_step(c) for c in visible]
    return visible + EXTRA_CASES.get(grade_id, [])


def _check(grade_id, case, value, ref):
    """The visible check of the part as its test cell calls it, failing with its message."""
    names = output_paths(grade_id, case)
    expected_paths = dict(flatten(ref))
    got_paths = dict(flatten(value))
    expected = {n: expected_paths[p] for n, p in names.items()}
    got = {n: got_paths.get(p) for n, p in names.items()}
    if grade_id == "test-count-regions":
        checks.check_int("the count", got["out"], int(expected["out"]), part=grade_id, inputs=case)
    elif len(expected) == 1:
        ((name, e),) = expected.items()
        checks.check_array("the result", got[name], e, part=grade_id, inputs=case)
    else:
        checks.check_gradients(got, expected, part=grade_id, inputs=case, where="here")


REFERENCE_CALL = {
    "test-affine": lambda s, c: s["affine"](c["X"], c["W"], c["b"]),
    "test-perceptron-update": lambda s, c: _steps(s["perceptron_update"], c),
    "test-linear-backward": lambda s, c: s["linear_backward"](c["dZ"], c["X"], c["W"]),
    "test-sigmoid-backward": lambda s, c: s["sigmoid_backward"](c["dA"], c["Z"]),
    "test-relu-backward": lambda s, c: s["relu_backward"](c["dA"], c["Z"]),
    "test-tanh-backward": lambda s, c: s["tanh_backward"](c["dA"], c["Z"]),
    "test-softmax-ce-backward": lambda s, c: s["softmax_ce_backward"](c["Z"], c["t"]),
    "test-softmax": lambda s, c: s["softmax"](c["Z"]),
    "test-log-softmax": lambda s, c: s["log_softmax"](c["Z"]),
    "test-softmax-ce": lambda s, c: s["softmax_cross_entropy"](c["Z"], c["t"]),
    "test-bce": lambda s, c: s["binary_cross_entropy"](c["z"], c["t"]),
    "test-count-regions": lambda s, c: s["count_regions_on_line"](
        [(c[f"W{i}"], c[f"b{i}"]) for i in range(int(c["depth"]))], c["x0"], c["x1"]),
    "test-two-layer-backward": lambda s, c: s["two_layer_loss_and_grads"](
        {k: c[k] for k in ("W1", "b1", "W2", "b2")}, c["X"], c["t"]),
    "test-deep-backward": lambda s, c: s["deep_loss_and_grads"](_layers(c), c["X"], c["t"]),
}
VISIBLE_ONLY = [k for k in sorted(STUDENTS) if k[0] in REFERENCE_CALL]
# overflow the visible inputs do not provoke: only the hidden cases show these
HIDDEN_ONLY = {("test-log-softmax", "no max subtracted"),
               ("test-softmax-ce", "softmax not stabilised")}


@pytest.mark.parametrize("grade_id,name", VISIBLE_ONLY, ids=lambda v: str(v))
def test_the_visible_check_names_the_mistake_first(grade_id, name):
    ref = reference_of(grade_id, name)
    says = _says(grade_id, name)
    messages = []
    for case in _visible(grade_id):
        try:
            with np.errstate(all="ignore"):
                value = STUDENTS[(grade_id, name)]({k: v.copy() for k, v in case.items()})
        except ValueError:
            continue
        reference = REFERENCE_CALL[grade_id](ref, case)
        if all(close(a, b, 1e-6, 1e-9)  # the checks' tolerance
               for (_, a), (_, b) in zip(flatten(value), flatten(reference))):
            continue  # these inputs do not show the mistake: the check passes
        with pytest.raises(AssertionError) as failed:
            _check(grade_id, case, value, REFERENCE_CALL[grade_id](ref, case))
        messages.append(str(failed.value))
    if (grade_id, name) in HIDDEN_ONLY:
        assert messages == []
        return
    # the sentence comes first (after the names of the outputs it shows in), folded to 80 columns
    named = [m for m in messages if " ".join(m.split()).split(": ", 1)[-1].startswith(
        " ".join(says.split())) or " ".join(m.split()).startswith(" ".join(says.split()))]
    assert named, messages
    assert all(len(line) <= 80 for m in named for line in m.splitlines())
