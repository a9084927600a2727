"""Exercise 3, backpropagation: the graded parts.

Part 4 is graded on the intermediate gradients (dL/dZ2, dL/dA1, dL/dZ1) as well as the
parameters', and on a hidden 784-256-10 network on 64 samples: backpropagation takes
milliseconds there, central differences over its 200,000 parameters take many minutes, past
the cell's time limit (it comes first, so the interrupt at the limit stops the later cases
too). Part 7 is judged by replaying the training: from the given initialisation, len(losses)
steps of gradient descent with the instructor's gradients must give the returned
loss curve and parameters (weights written down by hand, or trained some other way, do not).
Part 8 likewise: two short SGD runs on training digits (``train_mnist_cases``).
Part 10 (an L-layer network, backward with a cache) is graded like part 4, a 784-256-128-64-10
network first; part 11 must name the layer the grader broke (its index, drawn per student).
"""

from __future__ import annotations

import numpy as np

from grading.parts import MayUse, Part, compare_all, paths, same, scalar
from lib.exercises.handin import normal
from lib.exercises.mistakes import RELU_SLOPES

GRADIENT = {"rtol": 1e-6, "atol": 1e-10}
MNIST_BATCH = 64  # part 8: the notebook's (tests/test_train_mnist_verdict.py checks)

# This term's variant (the source's `VARIANT` cell), the upstream default first:
# - hidden_activation: the activation between the layers of the two-layer network (parts 4, 7,
#   8) and of the deep one (parts 10, 11), the student's own tanh_backward or relu_backward.
#   (The sigmoid is left out: with the fixed MNIST settings its network ends near 90.5%, too
#   close to the 90% part 8 asks for.)
# - relu_slope: the ReLU of part 2 (and of a ReLU network) is leaky with this slope for z < 0.
VARIANTS: dict[str, tuple] = {
    "hidden_activation": ("tanh", "relu"),
    "relu_slope": RELU_SLOPES,
}


def linear_cases(rng):
    r0 = np.random.default_rng(0)
    X, W, _b = r0.standard_normal((4, 3)), r0.standard_normal((2, 3)), r0.standard_normal(2)
    visible = [{"dZ": r0.standard_normal((4, 2)), "X": X, "W": W}]
    sizes = [(1, 1, 1), (1, 5, 2), tuple(int(v) for v in rng.integers(2, 10, 3)), (25, 10, 4)]
    return visible + [
        {
            "dZ": rng.standard_normal((n, m)),
            "X": rng.standard_normal((n, d)),
            "W": rng.standard_normal((m, d)),
        }
        for n, d, m in sizes
    ]


def linear_judge(case, got, solution):
    return compare_all(
        got, paths(solution["linear_backward"](case["dZ"], case["X"], case["W"])), **GRADIENT
    )


def activation_cases(extreme: bool):
    def cases(rng):
        r1 = np.random.default_rng(1)
        Z = r1.uniform(-3, 3, (5, 4))
        Z[np.abs(Z) < 0.05] = 0.5
        visible = [{"dA": r1.standard_normal((5, 4)), "Z": Z}]
        hidden = []
        for shape, scale in [((1, 2), 1.0), ((3, 7), 4.0), ((8, 2), 0.3)]:
            Z = rng.standard_normal(shape) * scale
            Z[np.abs(Z) < 0.01] = 0.1  # away from ReLU's kink
            # both signs in every case: neither dA nor zeros passes ReLU's
            Z.flat[0], Z.flat[-1] = -abs(Z.flat[0]), abs(Z.flat[-1])
            hidden.append({"dA": rng.standard_normal(shape), "Z": Z})
        if extreme:  # exp(-z) overflows in a naive sigmoid; 2 and -1.5 keep the case nonzero
            hidden.append({"dA": rng.standard_normal(5), "Z": [-800.0, 800.0, -1e4, 2.0, -1.5]})
        return visible + hidden

    return cases


def activation_judge(name):
    def judge(case, got, solution):
        return compare_all(got, paths(solution[name](case["dA"], case["Z"])), **GRADIENT)

    return judge


def softmax_ce_cases(rng):
    r2 = np.random.default_rng(2)
    visible = [
        {"Z": np.zeros((2, 3)), "t": [0, 2]},
        {"Z": r2.standard_normal((5, 4)), "t": [3, 0, 1, 1, 2]},
    ]
    hidden = [
        {"Z": rng.standard_normal((n, K)) * scale, "t": rng.integers(0, K, n)}
        for n, K, scale in [(1, 2, 1.0), (6, 10, 3.0)]
    ]
    return visible + hidden + [{"Z": [[1000.0, 0.0, -1000.0]], "t": [1]}]


def softmax_ce_judge(case, got, solution):
    return compare_all(
        got, paths(solution["softmax_ce_backward"](case["Z"], case["t"])), **GRADIENT
    )


def _network(rng, d, h, K, n, big=False):
    if big:  # generated in the kernel from a seed
        seed = lambda: int(rng.integers(2**31))
        return {
            "W1~normal": normal(seed(), 1 / np.sqrt(d), h, d),
            "b1~normal": normal(seed(), 1.0, h),
            "W2~normal": normal(seed(), 1 / np.sqrt(h), K, h),
            "b2~normal": normal(seed(), 1.0, K),
            "X~normal": normal(seed(), 1.0, n, d),
            "t": rng.integers(0, K, n),
        }
    return {
        "W1": rng.standard_normal((h, d)) / np.sqrt(d),
        "b1": rng.standard_normal(h),
        "W2": rng.standard_normal((K, h)) / np.sqrt(h),
        "b2": rng.standard_normal(K),
        "X": rng.standard_normal((n, d)) * 2,
        "t": rng.integers(0, K, n),
    }


def two_layer_cases(rng):
    r3 = np.random.default_rng(3)
    params = {
        "W1": r3.standard_normal((5, 3)) / np.sqrt(3),
        "b1": np.zeros(5),
        "W2": r3.standard_normal((4, 5)) / np.sqrt(5),
        "b2": np.zeros(4),
    }
    params["b1"], params["b2"] = r3.standard_normal(5), r3.standard_normal(4)
    visible = [dict(params, X=r3.standard_normal((6, 3)), t=[0, 3, 1, 1, 2, 0])]
    # the big network first: a cell stopped at the time limit hands nothing more out
    big = _network(rng, 784, 256, 10, 64, big=True)
    return (
        visible
        + [big]
        + [_network(rng, *size) for size in [(1, 1, 2, 1), (4, 8, 3, 11), (10, 3, 10, 5)]]
    )


def two_layer_judge(case, got, solution):
    params = {k: case[k] for k in ("W1", "b1", "W2", "b2")}
    return compare_all(
        got, paths(solution["two_layer_loss_and_grads"](params, case["X"], case["t"])), **GRADIENT
    )


def numerical_gradient_cases(rng):
    r4 = np.random.default_rng(4)
    visible = [{"x": r4.standard_normal((3, 4)), "c": r4.standard_normal((3, 4))}]
    return visible + [
        {"x": rng.standard_normal(shape), "c": rng.standard_normal(shape)}
        for shape in [(5,), (2, 3, 2), (1, 1)]
    ]


def numerical_gradient_judge(case, got, solution):
    """The gradient of f(x) = sum(c sin x) + sum(x^3) / 3, and x put back exactly as it was."""
    x, c = case["x"].copy(), case["c"]
    f = lambda: float(np.sum(c * np.sin(x)) + np.sum(x**3) / 3)
    expected = solution["numerical_gradient"](f, x)
    problems = [
        same(got, "out.0", expected, rtol=1e-5, atol=1e-7),
        same(got, "out.1", case["x"], rtol=0.0, atol=0.0),
    ]
    if problems[1] and "entries are wrong" in problems[1]:
        problems[1] = "x was not put back exactly as it was after numerical_gradient"
    return [p for p in problems if p]


def check_layer_cases(rng):
    # broken: 0 = your layer as it is, 1 = dW twice too large, 2 = dx negated and db zeroed,
    # 3 = your numerical_gradient's result 1.5 times too large (a check that works the
    # gradients out by hand instead of by central differences does not notice)
    # (every hidden case breaks something, each a different part: a report that never changes
    # cannot pass them all; a right layer reported right is asked by the visible cases)
    return [
        {"seed": 0, "broken": 0},
        {"seed": 0, "broken": 1},
        {"seed": int(rng.integers(1000)), "broken": 1},
        {"seed": int(rng.integers(1000)), "broken": 2},
        {"seed": int(rng.integers(1000)), "broken": 3},
    ]


def check_layer_judge(case, got, solution):
    """The check must report tiny errors for a right layer and large ones where it is broken."""
    broken = {0: set(), 1: {"dW"}, 2: {"dx", "db"}, 3: {"dx", "dW", "db"}}[int(case["broken"])]
    problems = []
    for key in ("dx", "dW", "db"):
        error = scalar(got, f"out.{key}", kinds="fi")
        if error is None or not np.isfinite(error):
            problems.append(f"the relative error for {key} is missing or not one number")
        elif key in broken and not error > 1e-2:
            problems.append(f"a broken {key} was not noticed (relative error {error:.1e})")
        elif key not in broken and not 0 <= error < 1e-6:
            problems.append(f"a right {key} was reported as wrong (relative error {error:.1e})")
    return problems


def train_xor_cases(rng):
    return [{"seed": 0}] + [{"seed": int(s)} for s in rng.integers(1, 10_000, 3)]


def train_xor_judge(case, got, solution):
    """Replay: len(losses) gradient steps from the given initialisation must give what came back."""
    losses = got.get("out.1")
    if (
        losses is None
        or losses.ndim != 1
        or losses.dtype.kind not in "fi"
        or not 1 <= losses.size <= 20_000
    ):
        return [
            "`losses` (the second item returned) should be a 1-D array of the losses, one per step"
        ]
    init, grads_of = solution["init_two_layer"], solution["two_layer_loss_and_grads"]
    params = init(2, solution["XOR_HIDDEN"], 2, np.random.default_rng(int(case["seed"])))
    replayed = []
    for _ in range(losses.size):
        L, grads = grads_of(params, solution["X_XOR"], solution["T_XOR"])
        replayed.append(L)
        params = {k: v - solution["XOR_LR"] * grads[k] for k, v in params.items()}
    problems = compare_all(got, {"out.1": np.array(replayed)}, rtol=1e-6, atol=1e-9)
    if problems:
        return [
            "the loss curve is not the one gradient descent from init_two_layer(2, XOR_HIDDEN, "
            "2, default_rng(seed)) with XOR_LR gives"
        ]
    problems = compare_all(got, paths(params, "out.0"), rtol=1e-6, atol=1e-9)
    if problems:
        return ["the returned parameters are not the ones after the last step of the loss curve"]
    accuracy = solution["two_layer_accuracy"](params, solution["X_XOR"], solution["T_XOR"])
    return [] if accuracy == 1.0 else [f"the trained network classifies {accuracy:.0%} of XOR"]


def _short_batch_size(rng, low: int, high: int) -> int:
    """A number of digits from low to high batches that is not a multiple of the batch size."""
    return MNIST_BATCH * int(rng.integers(low, high)) + int(rng.integers(1, MNIST_BATCH))


def train_mnist_cases(rng):
    """Two SGD runs with the student's own seeds on the first n training digits, each replayed
    exactly by the grader. Each n leaves a short last batch, each run has several epochs (every
    epoch draws its own order from the generator that made the start). A trainer that differs
    from the instructor's SGD in any step (the gradient, the learning rate, the loss, where the
    order comes from, an order kept from one epoch to the next, a batch left out) is off by far
    more than the tolerance within these 70 or so steps; a longer run proves nothing more, and
    the whole set for MNIST_EPOCHS epochs is the visible test's, whose test accuracy the exact
    replay implies (`tests/test_train_mnist_verdict.py` checks all of this)."""
    return [
        {"seed": int(rng.integers(10_000)), "n": _short_batch_size(rng, 4, 10), "epochs": 3},
        {"seed": int(rng.integers(10_000)), "n": _short_batch_size(rng, 16, 32), "epochs": 2},
    ]


def train_mnist_judge(case, got, solution):
    """Replayed: the instructor's SGD from the same start, on the same training digits, in the
    same order, must give the returned parameters (the test digits never reach the student's
    code)."""
    problems = []
    for key, shape in [("W1", (None, 784)), ("b1", (None,)), ("W2", (10, None)), ("b2", (10,))]:
        value = got.get(f"out.{key}")
        fits = (
            value is not None
            and value.dtype.kind == "f"
            and value.ndim == len(shape)
            and all(s is None or s == v for s, v in zip(shape, value.shape))
        )
        if not fits or not np.all(np.isfinite(value)):
            problems.append(f"`{key}` is missing, or not a finite float array of shape {shape}")
    if problems:
        return problems
    mnist, n = solution["MNIST"], int(case["n"])
    reference = solution["train_mnist"](
        mnist.X_train[:n].astype(np.float64),
        mnist.t_train[:n],
        int(case["seed"]),
        int(case["epochs"]),
    )
    if compare_all(got, paths(reference), rtol=1e-6, atol=1e-8):
        return [
            "the parameters are not the ones SGD gives from init_two_layer(784, MNIST_HIDDEN, "
            "10, default_rng(seed)) with batches of rng.permutation(n) and MNIST_LR"
        ]
    return []


def _deep_case(rng, sizes, n, big=False):
    case = {"depth": len(sizes) - 1, "t": rng.integers(0, sizes[-1], n)}
    seed = lambda: int(rng.integers(2**31))
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if big:
            case[f"W{i}~normal"] = normal(seed(), 1 / np.sqrt(n_in), n_out, n_in)
            case[f"b{i}~normal"] = normal(seed(), 0.1, n_out)
        else:
            case[f"W{i}"] = rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)
            case[f"b{i}"] = 0.1 * rng.standard_normal(n_out)
    if big:
        case["X~normal"] = normal(seed(), 1.0, n, sizes[0])
    else:
        case["X"] = rng.standard_normal((n, sizes[0]))
    return case


def _layers(case):
    return [(case[f"W{i}"], case[f"b{i}"]) for i in range(int(case["depth"]))]


def deep_cases(rng):
    # the big network first, as in part 4: central differences cannot finish it in time
    cases = [_deep_case(rng, [784, 256, 128, 64, 10], 64, big=True)]
    for depth in (3, 5, 8):
        sizes = (
            [int(rng.integers(2, 7))]
            + [int(rng.integers(2, 8)) for _ in range(depth - 1)]
            + [int(rng.integers(2, 6))]
        )
        cases.append(_deep_case(rng, sizes, int(rng.integers(1, 9))))
    return cases


def deep_judge(case, got, solution):
    expected = solution["deep_loss_and_grads"](_layers(case), case["X"], case["t"])
    return compare_all(got, paths(expected), **GRADIENT)


def broken_cases(rng):
    cases = []
    for _ in range(4):
        depth = int(rng.integers(3, 6))
        sizes = (
            [int(rng.integers(2, 5))] + [int(rng.integers(3, 6)) for _ in range(depth - 1)] + [3]
        )
        case = _deep_case(rng, sizes, int(rng.integers(3, 7)))
        # never the first layer: an answer of 0 (or any one index) cannot pass every case
        case["broken"], case["how"] = int(rng.integers(1, depth)), int(rng.integers(3))
        cases.append(case)
    return cases


def broken_judge(case, got, solution):
    found = scalar(got, "out", kinds="iu")
    if found is None:
        return ["the index should be one int"]
    return [] if found == int(case["broken"]) else ["named the wrong layer"]


def _may_use(function: str, *given: str) -> MayUse:
    return MayUse((function,), frozenset(given))


# the network's given pieces, harmless where the test digits are out of reach (no `MNIST`); an
# answer may not read `VARIANT` (grading.own_work): the student writes this term's choice in
NETWORK_GIVEN = ("init_two_layer", "two_layer_forward", "two_layer_accuracy", "softmax_ce_loss",
                 "hidden_activation")
XOR_GIVEN = NETWORK_GIVEN + ("X_XOR", "T_XOR", "XOR_HIDDEN", "XOR_LR")
MNIST_GIVEN = NETWORK_GIVEN + ("MNIST_HIDDEN", "MNIST_EPOCHS", "MNIST_BATCH", "MNIST_LR")

PARTS = {
    "test-linear-backward": Part(
        linear_cases, linear_judge, visible=1, may_use=_may_use("linear_backward")
    ),
    "test-sigmoid-backward": Part(
        activation_cases(True),
        activation_judge("sigmoid_backward"),
        visible=1,
        may_use=_may_use("sigmoid_backward"),
    ),
    "test-relu-backward": Part(
        activation_cases(False),
        activation_judge("relu_backward"),
        visible=1,
        may_use=_may_use("relu_backward"),
    ),
    "test-tanh-backward": Part(
        activation_cases(False),
        activation_judge("tanh_backward"),
        visible=1,
        may_use=_may_use("tanh_backward"),
    ),
    "test-softmax-ce-backward": Part(
        softmax_ce_cases, softmax_ce_judge, visible=2, may_use=_may_use("softmax_ce_backward")
    ),
    "test-two-layer-backward": Part(
        two_layer_cases,
        two_layer_judge,
        visible=1,
        may_use=_may_use(
            "two_layer_loss_and_grads",
            "two_layer_forward",
            "softmax_ce_loss",
            "hidden_activation",
        ),
    ),
    "test-numerical-gradient": Part(
        numerical_gradient_cases,
        numerical_gradient_judge,
        visible=1,
        may_use=_may_use("numerical_gradient"),
    ),
    "test-check-linear-layer": Part(
        check_layer_cases,
        check_layer_judge,
        visible=2,
        may_use=_may_use("check_linear_layer", "relative_error"),
    ),
    "test-train-xor": Part(
        train_xor_cases, train_xor_judge, visible=1, may_use=_may_use("train_xor", *XOR_GIVEN)
    ),
    "test-train-mnist": Part(
        train_mnist_cases, train_mnist_judge, may_use=_may_use("train_mnist", *MNIST_GIVEN)
    ),
    "test-deep-backward": Part(
        deep_cases,
        deep_judge,
        may_use=_may_use(
            "deep_loss_and_grads", "softmax_ce_loss", "init_deep", "hidden_activation"
        ),
    ),
    "test-find-broken-layer": Part(
        broken_cases,
        broken_judge,
        may_use=_may_use("find_broken_layer", "relative_error"),
    ),
}
