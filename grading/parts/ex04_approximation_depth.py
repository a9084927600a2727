"""Exercise 4, approximation and depth: the graded parts (judged on the returned networks).

Variants (``grading.variants``): the hidden units of part 1 (sigmoid bumps or ReLU ramps: the
network must use the variant's) and the peak p of the tent map of part 3
(T(x) = min(x / p, (1 - x) / (1 - p))). Part 2 counts regions of any network: one variant.
"""
from __future__ import annotations

import numpy as np

from grading.parts import MayUse, Part, scalar

# parameter -> its options, the upstream default first (the source's VARIANT cell)
VARIANTS = {
    "activation": ("sigmoid", "relu"),
    "peak": (0.5, 0.25, 0.75),
}

# functions of part 1 as NumPy expressions in x: the test cell evaluates the same text
FUNCTIONS = ["np.sin(2 * np.pi * x)", "x ** 2", "np.abs(x - 0.3)", "np.cos(3 * x) + 2",
             "5 * np.ones_like(x)", "np.exp(-x) * np.sin(5 * x)", "np.tanh(4 * x)"]


def bump_cases(rng):
    visible = [{"f": FUNCTIONS[0], "a": 0.0, "b": 1.0, "n_units": 100}]
    hidden = [{"f": FUNCTIONS[1], "a": -1.0, "b": 1.0, "n_units": 60},
              {"f": FUNCTIONS[2], "a": 0.0, "b": 1.0, "n_units": 40},
              {"f": FUNCTIONS[3], "a": -2.0, "b": 1.0, "n_units": 150},
              {"f": FUNCTIONS[4], "a": 2.0, "b": 3.0, "n_units": 10}]
    for f in rng.choice(FUNCTIONS[5:], 2, replace=False):
        a = float(np.round(rng.uniform(-2, 0), 2))
        hidden.append({"f": str(f), "a": a, "b": a + float(np.round(rng.uniform(1, 3), 2)),
                       "n_units": int(rng.integers(30, 120))})
    return visible + hidden


def bump_judge(case, got, solution):
    activation = got.get("out.activation")
    if (
        activation is None
        or activation.dtype.kind != "U"
        or str(activation) not in ("sigmoid", "relu")
    ):
        return ["`activation` should be the string 'sigmoid' or 'relu'"]
    wanted = solution["VARIANT"]["activation"]
    if str(activation) != wanted:
        return [f"this exercise's hidden units are {wanted} units (`activation` '{wanted}')"]
    arrays = {}
    for key in ("w", "b", "c"):
        value = got.get(f"out.{key}")
        if value is None or value.dtype.kind not in "fi" or not np.all(np.isfinite(value)):
            return [f"`{key}` is missing or not a finite real array"]
        arrays[key] = value.ravel().astype(float)
    c0 = scalar(got, "out.c0", kinds="fi")
    if c0 is None or not np.isfinite(c0):
        return ["`c0` should be one finite number"]
    m = arrays["w"].size
    if not arrays["b"].size == arrays["c"].size == m:
        return ["w, b and c should all have one entry per hidden unit"]
    n_units, a, b = int(case["n_units"]), float(case["a"]), float(case["b"])
    if m > n_units:
        return [f"{m} hidden units where at most {n_units} are allowed"]
    f = eval("lambda x: " + str(case["f"]), {"np": np})  # the instructor's text, not the student's
    x = np.linspace(a, b, 4001)
    fx = f(x)
    slope = np.max(np.abs(np.diff(fx) / np.diff(x)))
    allowed = max(1.25 * (b - a) * slope / n_units, 1e-6)
    net = dict(arrays, activation=str(activation), c0=c0)
    error = float(np.max(np.abs(solution["evaluate_shallow"](net, x) - fx)))
    return [] if error <= allowed else [f"max error {error:.4f}; at most {allowed:.4f} is required"]


def _random_layers(rng, sizes):
    return [
        (rng.standard_normal((o, i)), rng.standard_normal(o)) for i, o in zip(sizes[:-1], sizes[1:])
    ]


def _case(layers, x0, x1):
    case = {"depth": len(layers), "x0": x0, "x1": x1}
    for i, (W, b) in enumerate(layers):
        case[f"W{i}"], case[f"b{i}"] = W, b
    return case


def regions_cases(rng):
    line = [
        (np.array([[1.0], [-1.0], [2.0], [1.0]]), np.array([-0.2, 0.5, -1.4, -3.0])),
        (np.array([[1.0, 1.0, 1.0, 1.0]]), np.array([0.0])),
    ]
    visible = [
        _case(line, [0.0], [1.0]),
        _case(line, [0.0], [0.6]),
        _case([(np.eye(2), np.zeros(2)), (np.ones((1, 2)), np.zeros(1))], [-1.0, -1.0], [1.0, 1.0]),
    ]
    hidden = []
    for d, widths in [(1, [5]), (2, [8, 8]), (3, [6, 6, 6]), (2, [int(rng.integers(3, 12))] * 4)]:
        x0, x1 = rng.standard_normal(d) * 3, rng.standard_normal(d) * 3
        layers = _random_layers(rng, [d] + widths + [1])
        hidden.append(_case(_with_narrow_pair(rng, layers, x0, x1), x0, x1))
    return visible + hidden + [_narrow_regions(rng, d) for d in (1, 3)]


def _with_narrow_pair(rng, layers, x0, x1, gap=1e-8):
    """The layers with two more first-layer units, switching along the segment ``gap`` apart
    (a region no grid of samples finds), feeding the next layer through new random weights."""
    (W, b), (W2, b2), rest = layers[0], layers[1], layers[2:]
    row = rng.standard_normal(W.shape[1])
    row *= 1.0 / max(abs(row @ (x1 - x0)), 1e-3)  # crosses the segment at a clear angle
    s = float(rng.uniform(0.2, 0.8)) + gap * np.arange(2)
    W = np.vstack([W, row, -row])
    b = np.concatenate([b, -(row @ x0 + s * (row @ (x1 - x0))) * np.array([1.0, -1.0])])
    W2 = np.hstack([W2, rng.standard_normal((W2.shape[0], 2))])
    return [(W, b), (W2, b2), *rest]


def _narrow_regions(rng, d, gap=1e-8):
    """A network whose first-layer units switch along the segment at points ``gap`` apart: far
    closer than any grid of samples along it can resolve (only the switching points count)."""
    m = int(rng.integers(3, 8))
    x0, x1 = rng.standard_normal(d), rng.standard_normal(d)
    s = float(rng.uniform(0.2, 0.8)) + gap * np.arange(m)  # where unit j switches
    W = rng.standard_normal((m, d))
    W[np.abs(W @ (x1 - x0)) < 0.5] += 1.0  # every unit crosses the segment at a clear angle
    b = -(W @ x0 + s * (W @ (x1 - x0)))
    return _case([(W, b), (rng.standard_normal((1, m)), rng.standard_normal(1))], x0, x1)


def regions_judge(case, got, solution):
    layers = [(case[f"W{i}"], case[f"b{i}"]) for i in range(int(case["depth"]))]
    expected = solution["count_regions_on_line"](layers, case["x0"], case["x1"])
    count = scalar(got, "out", kinds="iu")
    if count is None:
        return ["the count should be one int"]
    return [] if count == expected else ["wrong number of regions"]


def tent_cases(rng):
    return [{"q": 1}, {"q": 2}] + [{"q": int(q)} for q in (3, 5, 9, int(rng.integers(4, 8)))]


def _tent(x, q, p):
    """The tent map peaking at p, composed q times."""
    for _ in range(q):
        x = np.minimum(x / p, (1 - x) / (1 - p))
    return x


def tent_judge(case, got, solution):
    q, p = int(case["q"]), float(solution["VARIANT"]["peak"])
    layers = []
    while f"out.{len(layers)}.0" in got:
        prefix = f"out.{len(layers)}"
        W, b = got[f"{prefix}.0"], got.get(f"{prefix}.1")
        if (
            b is None
            or W.dtype.kind not in "fi"
            or b.dtype.kind not in "fi"
            or W.ndim != 2
            or b.ndim != 1
        ):
            return [
                f"layer {len(layers) + 1} should be a pair (W, b) of real arrays, W 2-D and b 1-D"
            ]
        layers.append((W.astype(float), b.astype(float)))
    if not layers:
        return ["tent_network should return a list of (W, b) pairs"]
    if len(layers) > q + 1:
        return [f"{len(layers)} layers; at most {q + 1} are allowed"]
    widths = [W.shape[0] for W, _ in layers[:-1]]
    if any(w > 3 for w in widths):
        return ["a hidden layer has more than 3 units; at most 3 are allowed"]
    x = np.linspace(0, 1, 2**q * 16 + 1)
    try:
        y = solution["relu_network"](layers, x.reshape(-1, 1))
    except ValueError:
        return ["the layers' shapes do not fit together (input and output of size 1)"]
    if y.shape != (x.size, 1) or not np.allclose(y.ravel(), _tent(x, q, p), rtol=0, atol=1e-9):
        return [f"the network does not compute the tent map (peak at {p}) composed {q} times "
                "on [0, 1]"]
    return []


PARTS = {
    "test-bump-network": Part(
        bump_cases,
        bump_judge,
        visible=1,
        may_use=MayUse(("bump_network",), frozenset({"evaluate_shallow"})),
    ),
    "test-count-regions": Part(
        regions_cases,
        regions_judge,
        visible=3,
        may_use=MayUse(("count_regions_on_line",), frozenset({"relu_network"})),
    ),
    "test-tent-network": Part(
        tent_cases,
        tent_judge,
        visible=2,
        may_use=MayUse(("tent_network",), frozenset({"relu_network"})),
    ),
}
