"""The common ways to get each graded part wrong, written down once and recognised from values.

Both sides use this catalogue: the visible checks in your notebook (``lib.exercises.checks``,
with the test's own inputs) and the trusted grader (``grading.named_mistakes``, with the inputs it
drew). A :class:`Mistake` computes, from the same inputs, what a function with that mistake
returns -- the right answer made wrong in that one way -- and :func:`diagnose` names the mistake
whose values your function returned: every output either right or equal to the mistaken one,
and at least one equal to the mistaken one and not to the right one. An answer wrong in some
other way gets no name (the plain comparison says what differs).

Outputs are named as the visible tests name them (``dW``, ``db``, ``dx``; ``dZ``; ``W1`` ...);
``OUTPUTS`` maps those names to the paths the grader receives (``out.1`` ...).

This module computes wrong answers: the mistaken variants are written with the course engine's
forward functions and NumPy, from the inputs and the right answer itself where they can be
(a transpose, a sign, a factor).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lib.functional import log_softmax, sigmoid, softmax

__all__ = ["Mistake", "GENERIC", "MISTAKES", "OUTPUTS", "RELU_SLOPES", "close", "diagnose",
           "evidence", "output_paths"]

Values = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Mistake:
    """One common mistake of a part.

    name  -- a few words, for tables (the class report counts mistakes by it);
    says  -- the one sentence a student reads, diagnosis first;
    wrong -- (inputs, right outputs) -> the outputs that mistake changes, by output name.
    """

    name: str
    says: str
    wrong: Callable[[Values, Values], Values]


def close(a, b, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    try:
        a, b = a.astype(np.float64), b.astype(np.float64)
    except (TypeError, ValueError):
        return bool(np.array_equal(a, b))
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def diagnose(part: str, inputs: Values, got: Values, expected: Values,
             *, rtol: float | None = None, atol: float | None = None,
             variant: Mapping[str, Any] | None = None) -> Mistake | None:
    """The first mistake of ``part`` whose values ``got`` shows, or None.

    ``got`` and ``expected`` map output names to arrays (the names of ``expected`` are compared;
    a name missing from ``got`` is no match). A mistake whose variant cannot be computed for
    these inputs, or changes nothing here, is skipped. ``variant``: the exercise's ``VARIANT``
    (its parameters, e.g. the softmax's temperature; the upstream default if None); the mistakes
    are computed for it.
    """
    inputs = {**inputs, _VARIANT: dict(variant or {})}
    rtol = TOLERANCE.get(part, (1e-6, 1e-9))[0] if rtol is None else rtol
    atol = TOLERANCE.get(part, (1e-6, 1e-9))[1] if atol is None else atol
    names = [k for k in expected if k in got]
    if len(names) < len(expected):
        return None
    wrong_now = [k for k in names if not close(got[k], expected[k], rtol, atol)]
    if not wrong_now:
        return None
    for mistake in [*MISTAKES.get(part, []), *GENERIC]:
        try:
            with np.errstate(all="ignore"):
                variant = dict(mistake.wrong(inputs, expected))
        except (ValueError, TypeError, KeyError, IndexError, ZeroDivisionError):
            continue
        changed = [
            k for k in names if k in variant and not close(variant[k], expected[k], rtol, atol)
        ]
        if not changed:
            continue
        if all(k in variant and close(got[k], variant[k], rtol, atol) for k in wrong_now):
            return mistake
    return None


def evidence(name: str, got, expected, *, entries: int = 2) -> str:
    """Shapes, or a few entries got vs expected, of one output: for the visible tests only."""
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape:
        return f"{name} has shape {got.shape}, expected {expected.shape}"
    with np.errstate(all="ignore"):
        diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    diff = np.where(np.isnan(diff), np.inf, diff)
    if got.ndim == 0:
        return f"{name}: got {float(got):.4g}, expected {float(expected):.4g}"
    order = np.argsort(-diff, axis=None, kind="stable")[:entries]
    shown = []
    for flat in order:
        idx = tuple(int(i) for i in np.unravel_index(flat, got.shape))
        shown.append(f"{name}[{', '.join(map(str, idx))}]: got {float(got[idx]):.4g}, "
                     f"expected {float(expected[idx]):.4g}")
    return "; ".join(shown)


# -- the mistakes, part by part ---------------------------------------------------------------


def _f(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


_VARIANT = "__variant__"      # where diagnose puts the exercise's VARIANT among the inputs


def _param(inputs, name: str, default):
    """The variant's parameter ``name`` (the upstream ``default`` when none is given)."""
    return inputs.get(_VARIANT, {}).get(name, default)


def _tau(inputs) -> float:
    return float(_param(inputs, "temperature", 1.0))


def _onehot(t, K: int) -> np.ndarray:
    t = np.asarray(t).astype(int)
    return np.eye(K)[t]


GENERIC = [
    Mistake("wrong sign", "Wrong sign: check the minus in the update or the derivative.",
            lambda inputs, right: {k: -_f(v) for k, v in right.items()}),
    Mistake("transposed", "Transposed: check the order of the matrix product's factors.",
            lambda inputs, right: {k: _f(v).T for k, v in right.items() if np.ndim(v) == 2}),
]


# Exercise 3's variants: the slopes its (leaky) ReLU may have for z < 0, and the activations
# between the layers of its networks, as (name, slope). A mistake of a varied part is computed
# for the activation the right answer shows, and names nothing when none of these fits.
RELU_SLOPES = (0.0, 0.01, 0.1, 0.2)
HIDDEN = (("tanh", 0.0), *(("relu", s) for s in RELU_SLOPES))


def _hidden_f(hidden):
    name, slope = hidden
    return np.tanh if name == "tanh" else (lambda z: np.maximum(z, slope * z))


def _hidden_slope(hidden):
    name, slope = hidden
    if name == "tanh":
        return lambda z: 1.0 - np.tanh(z) ** 2
    return lambda z: np.where(z > 0, 1.0, slope)


def _fits(values, right) -> bool:
    # loose: a visible test's right answer comes from central differences
    return all(k in values and close(values[k], right[k], 1e-4, 1e-7) for k in right)


def _network(inputs, *, depth=None, softmax_axis=1, extra_mean=False, at_activation=False,
             bias_summed=True, forgot_upstream=False, cache_shift=False, hidden=HIDDEN[0]):
    """Loss and gradients of a network of exercise 3, made wrong as the flags say.

    ``hidden`` is the activation between the layers, (name, slope) of :data:`HIDDEN`.
    Returns {"L", "dZ{i}", "dA{i}", "dW{i}", "db{i}"} with layers numbered from 0.
    """
    f, f_slope = _hidden_f(hidden), _hidden_slope(hidden)
    depth = int(inputs["depth"]) if depth is None else depth
    layers = [(_f(inputs[f"W{i}"]), _f(inputs[f"b{i}"])) for i in range(depth)]
    X, t = _f(inputs["X"]), np.asarray(inputs["t"]).astype(int)
    A, As, Zs = X, [], []
    for i, (W, b) in enumerate(layers):
        Z = A @ W.T + b
        As.append(A)
        Zs.append(Z)
        A = f(Z) if i < depth - 1 else Z
    n, K = Z.shape
    out = {"L": float(-np.mean(log_softmax(Z, axis=1)[np.arange(n), t]))}
    dZ = (softmax(Z, axis=softmax_axis) - _onehot(t, K)) / n
    if extra_mean:
        dZ = dZ / n
    for i in reversed(range(depth)):
        out[f"dZ{i}"] = dZ
        out[f"dW{i}"] = dZ.T @ As[i]
        out[f"db{i}"] = dZ.sum(axis=0) if bias_summed else dZ
        dA = dZ @ layers[i][0]
        out[f"dA{i - 1}"] = dA
        if i > 0:
            at = As[i] if at_activation else Zs[i] if cache_shift else Zs[i - 1]
            if at.shape != dA.shape:
                raise ValueError("this mistake does not fit these layers' sizes")
            slope = f_slope(at)
            dZ = slope if forgot_upstream else dA * slope
    return out


def _hidden_of(values, right):
    """The activation (of :data:`HIDDEN`) whose right network gives ``right``, else ValueError."""
    for hidden in HIDDEN:
        if _fits(values(hidden=hidden), right):
            return hidden
    raise ValueError("the right answer fits none of the exercise's activations")


def _two_layer(**flags):
    def values(inputs, **flags):
        g = _network({**inputs, "depth": 2, "W0": inputs["W1"], "b0": inputs["b1"],
                      "W1": inputs["W2"], "b1": inputs["b2"]}, **flags)
        return {"L": g["L"], "W1": g["dW0"], "b1": g["db0"], "W2": g["dW1"], "b2": g["db1"],
                "Z2": g["dZ1"], "A1": g["dA0"], "Z1": g["dZ0"]}

    def wrong(inputs, right):
        hidden = _hidden_of(lambda **h: values(inputs, **h), right)
        return values(inputs, **flags, hidden=hidden)
    return wrong


def _deep(**flags):
    def values(inputs, **flags):
        g = _network(inputs, **flags)
        depth = int(inputs["depth"])
        return {"L": g["L"], **{f"dW{i + 1}": g[f"dW{i}"] for i in range(depth)},
                **{f"db{i + 1}": g[f"db{i}"] for i in range(depth)}}

    def wrong(inputs, right):
        hidden = _hidden_of(lambda **h: values(inputs, **h), right)
        return values(inputs, **flags, hidden=hidden)
    return wrong


def _relu(derivative_of_z_with_slope, *, leaky_only=False):
    """A ReLU mistake, computed for the slope (of :data:`RELU_SLOPES`) the right answer shows."""
    def wrong(inputs, right):
        dA, Z = _f(inputs["dA"]), _f(inputs["Z"])
        slopes = [s for s in RELU_SLOPES
                  if _fits({"dZ": dA * np.where(Z > 0, 1.0, s)}, right)]
        if not slopes or (leaky_only and slopes[0] == 0):
            raise ValueError("not this variant's ReLU")
        return {"dZ": derivative_of_z_with_slope(dA, Z, slopes[0])}
    return wrong


def _activation(derivative_of_z):
    return lambda inputs, right: {"dZ": derivative_of_z(_f(inputs["dA"]), _f(inputs["Z"]))}


def _softmax_ce_grad(axis=1, scale=1.0, subtract=True):
    def wrong(inputs, right):
        Z = _f(inputs["Z"])
        n, K = Z.shape
        P = softmax(Z, axis=axis) - (_onehot(inputs["t"], K) if subtract else 0.0)
        return {"dZ": P * scale / n}
    return wrong


def _update(*, strict=False, flip=False, bias=True, always=False):
    """perceptron_update made wrong (y = [w.x >= 0]; w + eta (label - y) x), applied step after
    step (eta: the variant's learning rate).

    The grader's cases are sequences, ``{"w", "xs", "labels"}``: the weights after every step,
    each step from the one before, shape (steps, d + 1). A visible test's single step,
    ``{"w", "x", "label"}``, gives the new weights, shape (d + 1,).
    """

    def step(w, x, label, eta):
        a = float(w @ x)
        y = int(a > 0) if strict else int(a >= 0)
        change = eta * ((2 * label - 1) * x if always else (label - y) * x)
        if not bias:
            change = change.copy()
            change[0] = 0.0
        return w - change if flip else w + change

    def wrong(inputs, right):
        w, eta = _f(inputs["w"]), float(_param(inputs, "learning_rate", 1.0))
        if "xs" not in inputs:
            return {"w": step(w, _f(inputs["x"]), int(inputs["label"]), eta)}
        history = []
        for x, label in zip(_f(inputs["xs"]), np.asarray(inputs["labels"]).astype(int)):
            w = step(w, x, int(label), eta)
            history.append(w)
        return {"w": np.array(history)}

    return wrong


def _bce(form):
    def wrong(inputs, right):
        z, t = _f(inputs["z"]).ravel(), _f(inputs["t"]).ravel()
        w = float(_param(inputs, "pos_weight", 1.0))
        if form == "sum":
            softplus = np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))     # log(1 + e^z)
            return {"L": float(np.sum(w * t * (softplus - z) + (1 - t) * softplus))}
        p = 1.0 / (1.0 + np.exp(-z))
        return {"L": float(-np.mean(w * t * np.log(p) + (1 - t) * np.log(1 - p)))}
    return wrong


def _softmax_ce_pair(**kind):
    def wrong(inputs, right):
        tau = _tau(inputs)
        Z, t = _f(inputs["Z"]) / tau, np.asarray(inputs["t"]).astype(int)
        n, K = Z.shape
        if kind.get("naive"):
            P = np.exp(Z) / np.exp(Z).sum(axis=1, keepdims=True)
            return {"L": float(-np.mean(np.log(P[np.arange(n), t]))),
                    "dZ": (P - _onehot(t, K)) / (n * tau)}
        if kind.get("sum"):
            return {"L": float(-np.sum(log_softmax(Z, axis=1)[np.arange(n), t])),
                    "dZ": (softmax(Z, axis=1) - _onehot(t, K)) / tau}
        P = softmax(Z, axis=0)
        return {"L": float(-np.mean(np.log(P[np.arange(n), t]))),
                "dZ": (P - _onehot(t, K)) / (n * tau)}
    return wrong


_AT_ACTIVATION = ("The derivative is taken at the activation a instead of the pre-activation z: "
                  "f'(z) needs the z of the forward pass.")
_FORGOT_UPSTREAM = ("The upstream gradient dA is not multiplied in: dZ = dA * f'(Z) "
                    "(the chain rule).")
_NOT_SUMMED = ("The bias gradient is not summed over the batch: db = dZ summed over the "
               "samples (axis 0), shape (m,).")
_MEAN_TWICE = ("The mean is taken twice: the 1/n is already in dL/dZ of the loss; "
               "do not divide by n again.")
_SOFTMAX_AXIS = ("The softmax is taken over the wrong axis: over the classes of each sample "
                 "(axis=1), not over the batch.")

MISTAKES: dict[str, list[Mistake]] = {
    # -- exercise 1 ---------------------------------------------------------------------------
    # (the inputs hold W one neuron per row, whatever the variant's layout: the products below
    # are the layer's pre-activations in both)
    "test-affine": [
        Mistake("bias left out", "The bias b is left out: it is added to every row of Z.",
                lambda i, r: {"out": _f(i["X"]) @ _f(i["W"]).T}),
        Mistake("bias subtracted", "The bias is subtracted instead of added to every row of Z.",
                lambda i, r: {"out": _f(i["X"]) @ _f(i["W"]).T - _f(i["b"])}),
    ],
    "test-perceptron-update": [
        Mistake("update sign flipped", "The update has the wrong sign: a missed positive (label "
                "1) adds x to w, a missed negative subtracts it.", _update(flip=True)),
        Mistake("w.x = 0 counted as 0", "w . x = 0 counts as output 1 (the rule is w . x >= 0), "
                "not as 0.", _update(strict=True)),
        Mistake("bias not updated", "The bias w[0] is not updated: x[0] = 1 is an input like "
                "the others.", _update(bias=False)),
        Mistake("updates when right", "The weights change although the input is classified "
                "right: update only after a mistake.", _update(always=True)),
    ],
    # -- exercise 2 ---------------------------------------------------------------------------
    "test-sigmoid": [
        Mistake("tiny values rounded to 0", "Sigmoid of very negative z is rounded to 0: "
                "1 / (1 + exp(-z)) and 0.5 (1 + tanh(z/2)) lose it; use exp(z) / (1 + exp(z)) "
                "for z < 0.",
                lambda i, r: {"out": 1.0 / (1.0 + np.exp(-float(_param(i, "slope", 1.0))
                                                         * _f(i["z"])))}),
    ],
    "test-bce": [
        Mistake("log of probabilities", "log(p) of p = sigmoid(z) without care gives inf for "
                "large |z|: write the loss with softplus, log(1 + e^z) = max(z, 0) + "
                "log1p(e^-|z|).", _bce("naive")),
        Mistake("sum instead of mean", "The loss is summed, not averaged, over the samples "
                "(np.mean).", _bce("sum")),
    ],
    "test-softmax": [
        Mistake("no max subtracted", "exp overflows for large logits: subtract each row's "
                "maximum before exp.",
                lambda i, r: {"out": np.exp(_f(i["Z"]) / _tau(i))
                              / np.exp(_f(i["Z"]) / _tau(i)).sum(axis=1, keepdims=True)}),
        Mistake("softmax over wrong axis", _SOFTMAX_AXIS,
                lambda i, r: {"out": softmax(_f(i["Z"]) / _tau(i), axis=0)}),
    ],
    "test-log-softmax": [
        Mistake("log of softmax", "log(softmax(Z)) gives -inf where the softmax rounds to 0: "
                "use Z - max - log(sum(exp(Z - max))).",
                lambda i, r: {"out": np.log(softmax(_f(i["Z"]) / _tau(i), axis=1))}),
        Mistake("no max subtracted", "exp overflows for large logits: subtract each row's "
                "maximum before exp.",
                lambda i, r: {"out": _f(i["Z"]) / _tau(i) - np.log(
                    np.exp(_f(i["Z"]) / _tau(i)).sum(axis=1, keepdims=True))}),
        Mistake("log-softmax over wrong axis", _SOFTMAX_AXIS,
                lambda i, r: {"out": log_softmax(_f(i["Z"]) / _tau(i), axis=0)}),
    ],
    "test-softmax-ce": [
        Mistake("softmax not stabilised", "exp overflows for large logits: subtract each row's "
                "maximum before exp (or use log_softmax).", _softmax_ce_pair(naive=True)),
        Mistake("sum instead of mean", "The loss is summed, not averaged, over the samples: "
                "L and dZ need the 1/n.", _softmax_ce_pair(sum=True)),
        Mistake("softmax over wrong axis", _SOFTMAX_AXIS, _softmax_ce_pair()),
    ],
    # -- exercise 3 ---------------------------------------------------------------------------
    "test-linear-backward": [
        Mistake("bias gradient not summed", _NOT_SUMMED,
                lambda i, r: {"db": _f(i["dZ"])}),
        Mistake("bias summed over wrong axis", "db is summed over the wrong axis: over the "
                "samples (axis 0), one entry per neuron.",
                lambda i, r: {"db": _f(i["dZ"]).sum(axis=1)}),
        Mistake("mean instead of sum", "dW and db are divided by n: the 1/n of the mean is "
                "already in dZ; sum over the samples.",
                lambda i, r: {"dW": _f(r["dW"]) / len(_f(i["dZ"])),
                              "db": _f(r["db"]) / len(_f(i["dZ"]))}),
        Mistake("dx uses W.T", "dx is dZ @ W.T instead of dZ @ W: W has shape (m, d).",
                lambda i, r: {"dx": _f(i["dZ"]) @ _f(i["W"]).T}),
    ],
    "test-sigmoid-backward": [
        Mistake("sigmoid' at the activation", _AT_ACTIVATION,
                _activation(lambda dA, Z: dA * sigmoid(sigmoid(Z)) * (1 - sigmoid(sigmoid(Z))))),
        Mistake("sigmoid' as s", "sigmoid'(z) is s (1 - s), not s itself.",
                _activation(lambda dA, Z: dA * sigmoid(Z))),
        Mistake("dA not multiplied in", _FORGOT_UPSTREAM,
                _activation(lambda dA, Z: sigmoid(Z) * (1 - sigmoid(Z)))),
    ],
    "test-relu-backward": [
        Mistake("ReLU mask on dA", "The mask is taken on dA instead of Z: dZ = dA * (Z > 0).",
                _relu(lambda dA, Z, s: dA * np.where(dA > 0, 1.0, s))),
        Mistake("dA not multiplied in", _FORGOT_UPSTREAM,
                _relu(lambda dA, Z, s: np.where(Z > 0, 1.0, s))),
        Mistake("ReLU instead of its derivative", "This is ReLU applied to dA * Z, not its "
                "derivative: dZ = dA * (Z > 0).",
                _relu(lambda dA, Z, s: dA * np.maximum(Z, s * Z))),
        Mistake("leaky slope left out", "This is the plain ReLU's derivative: the leaky ReLU's "
                "is its slope, not 0, where z < 0.",
                _relu(lambda dA, Z, s: dA * (Z > 0), leaky_only=True)),
        Mistake("leaky slope everywhere", "The slope is used where z > 0 too: the leaky ReLU's "
                "derivative is 1 there and the slope only where z < 0.",
                _relu(lambda dA, Z, s: dA * s, leaky_only=True)),
    ],
    "test-tanh-backward": [
        Mistake("tanh' at the activation", _AT_ACTIVATION,
                _activation(lambda dA, Z: dA * (1 - np.tanh(np.tanh(Z)) ** 2))),
        Mistake("tanh' as 1 - z^2", "tanh'(z) is 1 - tanh(z)^2, not 1 - z^2.",
                _activation(lambda dA, Z: dA * (1 - Z**2))),
        Mistake("dA not multiplied in", _FORGOT_UPSTREAM,
                _activation(lambda dA, Z: 1 - np.tanh(Z) ** 2)),
    ],
    "test-softmax-ce-backward": [
        Mistake("softmax over wrong axis", _SOFTMAX_AXIS, _softmax_ce_grad(axis=0)),
        Mistake("no 1/n", "dZ is not divided by the batch size n: the loss is a mean.",
                lambda i, r: {"dZ": _f(r["dZ"]) * len(_f(i["Z"]))}),
        Mistake("mean taken twice", _MEAN_TWICE,
                lambda i, r: {"dZ": _f(r["dZ"]) / len(_f(i["Z"]))}),
        Mistake("target not subtracted", "The one-hot target is not subtracted: "
                "dZ = (softmax(Z) - T) / n.", _softmax_ce_grad(subtract=False)),
    ],
    "test-two-layer-backward": [
        Mistake("tanh' at the activation", _AT_ACTIVATION, _two_layer(at_activation=True)),
        Mistake("bias gradient not summed", _NOT_SUMMED, _two_layer(bias_summed=False)),
        Mistake("mean taken twice", _MEAN_TWICE, _two_layer(extra_mean=True)),
        Mistake("softmax over wrong axis", _SOFTMAX_AXIS, _two_layer(softmax_axis=0)),
        Mistake("dA not multiplied in", _FORGOT_UPSTREAM, _two_layer(forgot_upstream=True)),
    ],
    "test-deep-backward": [
        Mistake("tanh' at the activation", _AT_ACTIVATION, _deep(at_activation=True)),
        Mistake("bias gradient not summed", _NOT_SUMMED, _deep(bias_summed=False)),
        Mistake("mean taken twice", _MEAN_TWICE, _deep(extra_mean=True)),
        Mistake("softmax over wrong axis", _SOFTMAX_AXIS, _deep(softmax_axis=0)),
        Mistake("dA not multiplied in", _FORGOT_UPSTREAM, _deep(forgot_upstream=True)),
        Mistake("cache off by one", "The cache is read one layer off: turning dA into dZ for "
                "layer l needs layer l's own pre-activation z[l] from its forward pass, not "
                "z[l+1] of the layer after it.",
                _deep(cache_shift=True)),
    ],
    # -- exercise 4 ---------------------------------------------------------------------------
    "test-count-regions": [
        Mistake("breakpoints, not regions", "One too few: that is the number of breakpoints; "
                "k breakpoints cut the segment into k + 1 regions.",
                lambda i, r: {"out": np.asarray(int(r["out"]) - 1)}),
        Mistake("one region too many", "One too many: an endpoint of the segment, or a unit "
                "that only touches 0, counted as a breakpoint?",
                lambda i, r: {"out": np.asarray(int(r["out"]) + 1)}),
    ],
}


# parts compared more strictly than the default (rtol, atol): as their judges compare
TOLERANCE = {"test-sigmoid": (1e-6, 0.0), "test-bce": (1e-6, 0.0), "test-softmax": (1e-9, 1e-300),
             "test-log-softmax": (1e-9, 1e-9), "test-softmax-ce": (1e-8, 1e-12)}


def _deep_paths(inputs):
    depth = int(inputs["depth"])
    return {"L": "out.0", **{f"dW{i + 1}": f"out.1.{i}.0" for i in range(depth)},
            **{f"db{i + 1}": f"out.1.{i}.1" for i in range(depth)}}


_TWO_LAYER = {"L": "out.0", **{k: f"out.1.{k}" for k in ("W1", "b1", "W2", "b2", "Z2", "A1",
                                                         "Z1")}}
OUTPUTS: dict[str, Mapping[str, str] | Callable[[Values], Mapping[str, str]]] = {
    "test-affine": {"out": "out"},
    "test-perceptron-update": {"w": "out"},
    "test-sigmoid": {"out": "out"},
    "test-bce": {"L": "out"},
    "test-softmax": {"out": "out"},
    "test-log-softmax": {"out": "out"},
    "test-softmax-ce": {"L": "out.0", "dZ": "out.1"},
    "test-linear-backward": {"dx": "out.0", "dW": "out.1", "db": "out.2"},
    "test-sigmoid-backward": {"dZ": "out"},
    "test-relu-backward": {"dZ": "out"},
    "test-tanh-backward": {"dZ": "out"},
    "test-softmax-ce-backward": {"dZ": "out"},
    "test-two-layer-backward": _TWO_LAYER,
    "test-deep-backward": _deep_paths,
    "test-count-regions": {"out": "out"},
}


def output_paths(part: str, inputs: Values) -> dict[str, str] | None:
    """Output name -> the path the grader receives it under, for this part and these inputs."""
    outputs = OUTPUTS.get(part)
    if outputs is None:
        return None
    return dict(outputs(inputs) if callable(outputs) else outputs)
