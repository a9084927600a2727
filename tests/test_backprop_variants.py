"""Exercise 3's variants, in-process (no nbgrader): every option's model solution against central
differences written here, the upstream solution wrong exactly where a variant differs, XOR
trained from every start, the text and the named mistakes following the variant."""

from __future__ import annotations

import numpy as np
import pytest
from backprop_variants import (
    DEFAULT,
    every_variant,
    grade_id,
    run,
    source,
    source_variant,
    upstream_solutions,
)

from grading.parts import PARTS, paths
from grading.parts.ex03_backpropagation import VARIANTS, train_xor_judge
from grading.variants import instantiate
from lib.exercises.handin import decode_inputs, encode_inputs
from lib.exercises.mistakes import HIDDEN, diagnose

EPS = 1e-6


def central(f, x):
    """Central differences of the scalar f() in the array x (changed in place, put back)."""
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + EPS
        plus = f()
        x[index] = old - EPS
        minus = f()
        x[index] = old
        grad[index] = (plus - minus) / (2 * EPS)
    return grad


def activation(variant):
    """The forward function of the variant's networks, written here from its definition."""
    if variant["hidden_activation"] == "tanh":
        return np.tanh
    slope = variant["relu_slope"]
    return lambda z: np.where(z > 0, z, slope * z)


def ce_loss(Z, t):
    Z = Z - Z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(Z).sum(axis=1)) - Z[np.arange(len(t)), t]))


def deep_loss(layers, X, t, f):
    A = X
    for i, (W, b) in enumerate(layers):
        A = A @ W.T + b if i == len(layers) - 1 else f(A @ W.T + b)
    return ce_loss(A, t)


def away_from_zero(rng, shape):
    Z = rng.standard_normal(shape)
    return np.where(np.abs(Z) < 0.05, 0.5, Z)


def test_the_variants_default_is_the_source_cell_and_follows_the_contract():
    assert source_variant() == DEFAULT
    assert list(source_variant()) == list(VARIANTS)
    (cell,) = [c for c in source().cells if grade_id(c) == "variant"]
    assert cell.metadata["nbgrader"] == {
        "grade": False,
        "solution": False,
        "locked": True,
        "grade_id": "variant",
        "task": False,
        "schema_version": 3,
    }
    ids = [grade_id(c) for c in source().cells]
    assert ids.index("variant") == ids.index("imports") + 1
    # the named mistakes know every activation a variant can draw
    assert {name for name, _ in HIDDEN} == set(VARIANTS["hidden_activation"])
    assert {s for name, s in HIDDEN if name == "relu"} == set(VARIANTS["relu_slope"])


@pytest.mark.parametrize(
    "variant", every_variant(), ids=lambda v: f"{v['hidden_activation']}-{v['relu_slope']}"
)
def test_every_variants_solution_agrees_with_central_differences(variant):
    """The instantiated source runs (its visible tests pass) and its backward passes agree with
    central differences of the variant's functions as written here."""
    ns = run(variant)
    rng = np.random.default_rng(7)
    slope = variant["relu_slope"]
    Z, dA = away_from_zero(rng, (6, 5)), rng.standard_normal((6, 5))
    expected = central(lambda: float(np.sum(dA * np.where(Z > 0, Z, slope * Z))), Z)
    np.testing.assert_allclose(ns["relu_backward"](dA, Z), expected, rtol=1e-6, atol=1e-8)

    f = activation(variant)
    params = ns["init_two_layer"](4, 6, 3, rng)
    params["b1"], params["b2"] = rng.standard_normal(6), rng.standard_normal(3)
    X, t = rng.standard_normal((7, 4)), rng.integers(0, 3, 7)
    loss = lambda: deep_loss([(params["W1"], params["b1"]), (params["W2"], params["b2"])], X, t, f)
    L, grads = ns["two_layer_loss_and_grads"](params, X, t)
    assert L == pytest.approx(loss(), rel=1e-12)
    for key in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(grads[key], central(loss, params[key]), rtol=1e-5, atol=1e-8)

    layers = [
        (rng.standard_normal((o, i)) / np.sqrt(i), rng.standard_normal(o))
        for i, o in [(3, 5), (5, 4), (4, 4), (4, 3)]
    ]
    X, t = rng.standard_normal((6, 3)), rng.integers(0, 3, 6)
    L, grads = ns["deep_loss_and_grads"](layers, X, t)
    assert L == pytest.approx(deep_loss(layers, X, t, f), rel=1e-12)
    for (W, b), (dW, db) in zip(layers, grads):
        np.testing.assert_allclose(
            dW, central(lambda: deep_loss(layers, X, t, f), W), rtol=1e-5, atol=1e-8
        )
        np.testing.assert_allclose(
            db, central(lambda: deep_loss(layers, X, t, f), b), rtol=1e-5, atol=1e-8
        )


# grade_id -> how its hidden test cell calls the student's function on a case
CALLS = {
    "test-linear-backward": lambda ns, c: ns["linear_backward"](c["dZ"], c["X"], c["W"]),
    "test-sigmoid-backward": lambda ns, c: ns["sigmoid_backward"](c["dA"], c["Z"]),
    "test-relu-backward": lambda ns, c: ns["relu_backward"](c["dA"], c["Z"]),
    "test-tanh-backward": lambda ns, c: ns["tanh_backward"](c["dA"], c["Z"]),
    "test-softmax-ce-backward": lambda ns, c: ns["softmax_ce_backward"](c["Z"], c["t"]),
    "test-two-layer-backward": lambda ns, c: ns["two_layer_loss_and_grads"](
        {k: c[k] for k in ("W1", "b1", "W2", "b2")}, c["X"], c["t"]
    ),
    "test-train-xor": lambda ns, c: ns["train_xor"](int(c["seed"])),
    "test-deep-backward": lambda ns, c: ns["deep_loss_and_grads"](
        [(c[f"W{i}"], c[f"b{i}"]) for i in range(int(c["depth"]))], c["X"], c["t"]
    ),
}
# the parts each parameter's options change (train_mnist, replayed like train_xor, is left to
# the nbgrader runs: its hidden training takes seconds)
TOUCHES = {
    "hidden_activation": {"test-two-layer-backward", "test-train-xor", "test-deep-backward"},
    "relu_slope": {"test-relu-backward"},
}


def lost_parts(variant: dict, upstream: dict, reference: dict) -> set[str]:
    """The parts of CALLS where the upstream solution fails some case of the variant's judge."""
    lost = set()
    for gid, call in CALLS.items():
        part = PARTS["03_backpropagation"][gid]
        cases = decode_inputs(encode_inputs(part.cases(np.random.default_rng(5))))
        for case in cases:
            got = {k: np.asarray(v) for k, v in paths(call(upstream, case)).items()}
            if part.judge(case, got, reference):
                lost.add(gid)
                break
    return lost


@pytest.mark.parametrize(
    "name,option",
    [(name, option) for name, options in VARIANTS.items() for option in options[1:]],
)
def test_the_upstream_solution_loses_exactly_the_parts_an_option_changes(name, option):
    """One parameter changed, the others at the default: the default's model solution handed
    in to that variant fails exactly the parts that parameter touches."""
    variant = dict(DEFAULT, **{name: option})
    reference = run(variant)
    upstream = run(variant, solutions=upstream_solutions(), tests=False)
    assert lost_parts(variant, upstream, reference) == TOUCHES[name]


def test_the_upstream_solution_passes_every_part_of_the_default():
    reference = run(DEFAULT)
    upstream = run(DEFAULT, solutions=upstream_solutions(), tests=False)
    assert lost_parts(DEFAULT, upstream, reference) == set()


@pytest.mark.parametrize(
    "variant",
    [v for v in every_variant() if v["relu_slope"] in (0.0, 0.2)],
    ids=lambda v: f"{v['hidden_activation']}-{v['relu_slope']}",
)
def test_xor_trains_from_every_start_for_every_activation(variant):
    """The given XOR_HIDDEN and XOR_LR of each option train from every seed (the grader draws
    them per student): the reference's run passes the judge's replay and reaches 100%."""
    ns = run(variant)
    steps = []
    for seed in range(60):
        params, losses = ns["train_xor"](seed)
        got = {k: np.asarray(v) for k, v in paths((params, losses)).items()}
        assert train_xor_judge({"seed": seed}, got, ns) == [], seed
        steps.append(losses.size)
    assert max(steps) < 1000, f"XOR needs up to {max(steps)} steps with {variant}"


def test_the_text_follows_the_variant():
    leaky_relu = {"hidden_activation": "relu", "relu_slope": 0.1}
    texts = {}
    for variant in (DEFAULT, leaky_relu):
        nb = instantiate(source(), variant)
        texts[variant["hidden_activation"]] = "\n".join(
            c.source for c in nb.cells if c.cell_type == "markdown"
        )
    for text in texts.values():
        assert "{{" not in text and "{%" not in text
    tanh, relu = texts["tanh"], texts["relu"]
    assert "A^{[1]} = \\tanh(Z^{[1]})" in tanh and "A^{[1]} = \\tanh" not in relu
    assert "A^{[1]} = \\operatorname{relu}(Z^{[1]})" in relu
    assert "\\max(z, 0.1\\,z)" in relu and "leaky" not in tanh
    assert "derivative is 1 where $z > 0$ and 0.1 where" in relu


def test_the_named_mistakes_follow_the_variant():
    """A mistake is computed for the variant's activation: a leaky ReLU's variant names the
    plain ReLU's derivative; a ReLU network's forgotten dA is named, not a tanh mistake."""
    leaky = {"hidden_activation": "relu", "relu_slope": 0.1}
    ns = run(leaky)
    rng = np.random.default_rng(3)
    Z, dA = away_from_zero(rng, (4, 5)), rng.standard_normal((4, 5))
    inputs = {"dA": dA, "Z": Z}
    right = {"dZ": ns["relu_backward"](dA, Z)}
    named = diagnose("test-relu-backward", inputs, {"dZ": dA * (Z > 0)}, right)
    assert named is not None and named.name == "leaky slope left out"
    # the plain ReLU's variant: the same answer is right, nothing is named
    plain = run(dict(leaky, relu_slope=0.0))
    assert (
        diagnose(
            "test-relu-backward",
            inputs,
            {"dZ": dA * (Z > 0)},
            {"dZ": plain["relu_backward"](dA, Z)},
        )
        is None
    )

    params = ns["init_two_layer"](3, 5, 4, rng)
    params["b1"] = rng.standard_normal(5)
    X, t = rng.standard_normal((6, 3)), rng.integers(0, 4, 6)
    L, grads = ns["two_layer_loss_and_grads"](params, X, t)
    right = {"L": L, **grads}
    # a student who forgot dA in the ReLU network: the variant's relu_backward without dA
    mistaken = dict(ns, relu_backward=lambda dA, Z: np.where(Z > 0, 1.0, 0.1))
    wrong_L, wrong = _two_layer_with(mistaken, params, X, t)
    inputs = {**params, "X": X, "t": t}
    named = diagnose("test-two-layer-backward", inputs, {"L": wrong_L, **wrong}, right)
    assert named is not None and named.name == "dA not multiplied in"
    # the upstream (tanh) network's answer in the ReLU variant is not named a tanh mistake
    upstream = run(leaky, solutions=upstream_solutions(), tests=False)
    up_L, up = upstream["two_layer_loss_and_grads"](params, X, t)
    named = diagnose("test-two-layer-backward", inputs, {"L": up_L, **up}, right)
    assert named is None or "tanh" not in named.name


def _two_layer_with(namespace, params, X, t):
    """The source's two_layer_loss_and_grads run with the names of ``namespace``."""
    import types

    f = namespace["two_layer_loss_and_grads"]
    return types.FunctionType(f.__code__, namespace)(params, X, t)
