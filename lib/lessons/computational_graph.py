"""The computational graph of a two-layer network, and which cached value each backward step reuses.

The network (batches are rows, the course's notation):

    Z1 = X W1^T + b1  (n, h)      A1 = f_sigma(Z1)  (n, h)
    Z2 = A1 W2^T + b2  (n, k)     L = cross-entropy(softmax(Z2), T) averaged over n

``BACKWARD_STEPS`` lists the backward pass as data: each gradient, its formula, the gradient
it starts from and the values of the forward pass (or parameters) it reuses. Two functions
use that one list, so the figure cannot drift from the arithmetic:

* ``backward_by_steps`` computes every gradient from exactly the values its step names (a
  test compares them with ``lib``'s layers and with finite differences);
* ``draw_computational_graph`` draws the graph: forward values on top, backward steps below,
  a dashed arrow from each reused value to the step that reuses it.
"""
from __future__ import annotations

import numpy as np

from lib.functional import sigmoid, softmax

__all__ = ["BACKWARD_STEPS", "forward_cache", "backward_by_steps", "draw_computational_graph"]

# (gradient, formula as drawn, the gradient it starts from, values it reuses)
BACKWARD_STEPS = [
    ("dZ2", "(P − T) / n", None, ("P", "T")),
    ("dW2", "dZ2ᵀ A1", "dZ2", ("A1",)),
    ("db2", "1ᵀ dZ2", "dZ2", ()),
    ("dA1", "dZ2 W2", "dZ2", ("W2",)),
    ("dZ1", "dA1 ⊙ A1 ⊙ (1 − A1)", "dA1", ("A1",)),
    ("dW1", "dZ1ᵀ X", "dZ1", ("X",)),
    ("db1", "1ᵀ dZ1", "dZ1", ()),
]

_FORMULAS = {
    "dZ2": lambda c: (c["P"] - c["T"]) / len(c["T"]),
    "dW2": lambda c: c["dZ2"].T @ c["A1"],
    "db2": lambda c: c["dZ2"].sum(axis=0),
    "dA1": lambda c: c["dZ2"] @ c["W2"],
    "dZ1": lambda c: c["dA1"] * c["A1"] * (1 - c["A1"]),
    "dW1": lambda c: c["dZ1"].T @ c["X"],
    "db1": lambda c: c["dZ1"].sum(axis=0),
}


def forward_cache(X, T, W1, b1, W2, b2) -> dict[str, np.ndarray]:
    """The forward pass, keeping every value: X (n, d), T one-hot (n, k), W1 (h, d), b1 (h,),
    W2 (k, h), b2 (k,) -> dict with X, T, W1, W2, Z1, A1, Z2, P = softmax(Z2) and the loss L."""
    X, T = np.asarray(X, dtype=float), np.asarray(T, dtype=float)
    if X.ndim != 2 or X.shape[1] != np.shape(W1)[1]:
        raise ValueError(f"forward_cache: X has shape {np.shape(X)}, W1 has shape "
                         f"{np.shape(W1)}; X must be (n, d) with d = W1.shape[1].")
    Z1 = X @ W1.T + b1
    A1 = sigmoid(Z1)
    Z2 = A1 @ W2.T + b2
    if T.shape != Z2.shape:
        raise ValueError(f"forward_cache: T has shape {T.shape} but the logits Z2 have shape "
                         f"{Z2.shape}; T must be one-hot (n, k).")
    P = softmax(Z2)
    L = float(-np.mean(np.sum(T * np.log(P), axis=1)))
    return dict(X=X, T=T, W1=W1, W2=W2, Z1=Z1, A1=A1, Z2=Z2, P=P, L=L)


def backward_by_steps(cache: dict) -> dict[str, np.ndarray]:
    """Every gradient of ``BACKWARD_STEPS``, each computed from only the values its step names."""
    known: dict[str, np.ndarray] = {}
    for grad, _, start, reused in BACKWARD_STEPS:
        inputs = {name: cache[name] for name in reused}
        if start is not None:
            inputs[start] = known[start]
        if grad == "dZ2":
            inputs["T"] = cache["T"]
        known[grad] = _FORMULAS[grad](inputs)
    return known


# where each node sits in the drawing: forward values on top, parameters above, gradients below
_FORWARD_NODES = {"X": (0, 2), "Z1": (2, 2), "A1": (4, 2), "Z2": (6, 2), "P": (8, 2),
                  "L": (10, 2), "W1": (1, 3.3), "W2": (5, 3.3), "T": (9.6, 3.3)}
_FORWARD_EDGES = [("X", "Z1", "X W1ᵀ + b1"), ("W1", "Z1", ""), ("Z1", "A1", "f_σ"),
                  ("A1", "Z2", "A1 W2ᵀ + b2"), ("W2", "Z2", ""), ("Z2", "P", "softmax"),
                  ("P", "L", "−mean log"), ("T", "L", "")]
_BACKWARD_NODES = {"dZ2": (8.0, 0), "dW2": (6.2, -1.6), "db2": (8.8, -1.6), "dA1": (5.2, 0),
                   "dZ1": (2.2, 0), "dW1": (0.4, -1.6), "db1": (3.0, -1.6)}


def draw_computational_graph(ax=None):
    """Draw the graph on ``ax`` (a new figure if None) and return the figure."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(12, 5.2))
    box = dict(boxstyle="round,pad=0.35", fc="white", ec="black")

    def node(name, xy, **style):
        ax.text(*xy, name, ha="center", va="center", fontsize=11, bbox={**box, **style}, zorder=3)

    def arrow(a, b, colour, style="-", label="", offset=0.22, shrink=(16, 20)):
        ax.annotate("", xy=b, xytext=a, zorder=2,
                    arrowprops=dict(arrowstyle="->", color=colour, ls=style, lw=1.4,
                                    shrinkA=shrink[0], shrinkB=shrink[1]))
        if label:
            ax.text((a[0] + b[0]) / 2, (a[1] + b[1]) / 2 + offset, label, ha="center",
                    fontsize=8.5, color=colour)

    for name, xy in _FORWARD_NODES.items():
        node(name, xy, fc="#f2f2f2" if name in ("W1", "W2", "T") else "white")
    for a, b, label in _FORWARD_EDGES:
        arrow(_FORWARD_NODES[a], _FORWARD_NODES[b], "black", label=label)
    for grad, formula, start, reused in BACKWARD_STEPS:
        xy = _BACKWARD_NODES[grad]
        node(f"{grad}\n{formula}", xy, ec="crimson")
        if start is not None:
            a = _BACKWARD_NODES[start]
            if a[1] == xy[1]:           # along the row: from box edge to box edge, head visible
                half = 1.4 if grad == "dZ1" else 0.75
                a, xy = (a[0] - 0.75, a[1]), (xy[0] + half, xy[1])
            arrow(a, xy, "crimson", shrink=(0, 0) if a[1] == xy[1] else (16, 28))
            xy = _BACKWARD_NODES[grad]
        for name in reused:
            arrow(_FORWARD_NODES[name], xy, "tab:blue", style="--")
    ax.text(9.8, -1.0, "forward pass (black)\nbackward pass (red)\nreused value (blue, dashed)",
            fontsize=9, va="center")
    ax.set_xlim(-0.8, 11.8)
    ax.set_ylim(-2.3, 3.9)
    ax.axis("off")
    return ax.figure
