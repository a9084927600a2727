"""Diagrams drawn by code (matplotlib), so the book's pictures of networks stay true to ``lib``.

The lecture's figures were lost with its slides; these two functions redraw the ones the course
needs, one function per diagram:

* ``draw_network``: layers of neurons (circles) joined by their weights (lines). Given a
  ``Sequential`` (or a list of weight matrices), it draws *that* network: one line per entry of
  each weight matrix W (shape (n_out, n_in), the engine's convention), its width proportional
  to |W_ji| and its colour the sign, optionally labelled with the value.
* ``draw_learning_loop``: the learning process, data -> model -> loss -> gradient -> update,
  and the update's arrow back into the model's parameters.

Both return the matplotlib ``Axes`` they drew on; the caller adds the caption and alt text.
"""
from __future__ import annotations

import numpy as np

__all__ = ["draw_network", "draw_learning_loop"]

# Okabe & Ito colours (colour-blind safe), as in lib.plot: blue positive, orange negative
_POSITIVE, _NEGATIVE, _NEUTRAL = "#0072B2", "#E69F00", "#555555"


def _weights_and_biases(network):
    """(W of every Linear layer, b of every Linear layer) of a Sequential or of one Linear layer;
    for a list of weight matrices, (the matrices, None)."""
    from lib.nn import Linear, Sequential
    if isinstance(network, Linear):
        return [network.params["W"]], [network.params["b"]]
    if isinstance(network, Sequential):
        linear = [layer for layer in network.layers if isinstance(layer, Linear)]
        return [layer.params["W"] for layer in linear], [layer.params["b"] for layer in linear]
    return [np.asarray(W, dtype=float) for W in network], None


def draw_network(network=None, sizes=None, ax=None, layer_names=None, show_values=False,
                 neuron_labels=None):
    """Draw a fully connected network: one column of circles per layer, one line per weight.

    network : a ``lib.nn.Sequential``, one ``Linear`` layer, or a list of weight matrices W of
        shape (n_out, n_in);
        line widths follow |W|, colours the sign (blue +, orange -). None: draw ``sizes`` with
        plain grey lines (the architecture only).
    sizes : layer widths [n_0, n_1, ..., n_L] when ``network`` is None (or a check on it).
    layer_names : one title per column, e.g. ["input x", "hidden a", "output y"].
    show_values : write each weight's value on its line, and each bias under its neuron
        (for small networks; biases only when ``network`` is a Sequential).
    neuron_labels : one list of strings per layer, written inside the circles.
    Returns the Axes.
    """
    import matplotlib.pyplot as plt

    weights, biases = (None, None) if network is None else _weights_and_biases(network)
    if weights is not None:
        derived = [weights[0].shape[1]] + [W.shape[0] for W in weights]
        for i, (W, W_next) in enumerate(zip(weights, weights[1:])):
            if W_next.shape[1] != W.shape[0]:
                raise ValueError(f"layer {i + 2}: weight matrix of shape {W_next.shape} reads "
                                 f"{W_next.shape[1]} inputs, but layer {i + 1} (shape {W.shape}) "
                                 f"has {W.shape[0]} outputs.")
        if sizes is not None and list(sizes) != derived:
            raise ValueError(f"sizes {list(sizes)} do not match the network's layer widths "
                             f"{derived}.")
        sizes = derived
    if sizes is None or len(sizes) < 2 or any(int(n) != n or n < 1 for n in sizes):
        raise ValueError(f"need at least two layers of positive integer widths, got sizes={sizes}.")
    for name, given in (("layer_names", layer_names), ("neuron_labels", neuron_labels)):
        if given is not None and len(given) != len(sizes):
            raise ValueError(f"{name} has {len(given)} entries for {len(sizes)} layers.")
    if ax is None:
        _, ax = plt.subplots(figsize=(1.8 * len(sizes) + 1, 0.55 * max(sizes) + 1.5))

    # neuron j of a column sits at (column, centred height); columns are evenly spaced
    def position(column, j):
        return float(column), (sizes[column] - 1) / 2.0 - j

    largest = max((np.abs(W).max() for W in weights), default=1.0) if weights else 1.0
    for col in range(len(sizes) - 1):
        for j_out in range(sizes[col + 1]):
            for j_in in range(sizes[col]):
                (x0, y0), (x1, y1) = position(col, j_in), position(col + 1, j_out)
                if weights is None:
                    colour, width = _NEUTRAL, 0.8
                else:
                    w = weights[col][j_out, j_in]
                    colour = _POSITIVE if w >= 0 else _NEGATIVE
                    width = 0.5 + 3.0 * abs(w) / largest if largest > 0 else 0.5
                ax.plot([x0, x1], [y0, y1], color=colour, lw=width, zorder=1)
                if show_values and weights is not None:
                    # label a third of the way along, so labels of lines into one neuron part
                    ax.text(x0 + 0.3 * (x1 - x0), y0 + 0.3 * (y1 - y0),
                            f"{weights[col][j_out, j_in]:g}", fontsize=8, ha="center",
                            va="center", zorder=3,
                            bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"))
    for col, n in enumerate(sizes):
        for j in range(n):
            x, y = position(col, j)
            ax.add_patch(plt.Circle((x, y), 0.16, fc="white", ec="black", lw=1.2, zorder=2))
            if neuron_labels is not None:
                ax.text(x, y, neuron_labels[col][j], ha="center", va="center", fontsize=9, zorder=4)
            if show_values and biases is not None and col > 0:
                ax.text(x, y - 0.3, f"b = {biases[col - 1][j]:g}", ha="center", va="top",
                        fontsize=8, zorder=4)
        if layer_names is not None:
            ax.text(col, (max(sizes) - 1) / 2.0 + 0.6, layer_names[col], ha="center", fontsize=10)
    ax.set_xlim(-0.5, len(sizes) - 0.5)
    ax.set_ylim(-(max(sizes) - 1) / 2.0 - 0.75, (max(sizes) - 1) / 2.0 + 0.9)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


_LOOP_STEPS = (("data", "examples (x, t)"), ("model", "y = f(x; θ)"),
               ("loss", "L(y, t)"), ("gradient", "∇θ L"), ("update", "θ ← θ − α ∇θ L"))


def draw_learning_loop(ax=None):
    """The learning process as five boxes in a row, data -> model -> loss -> gradient ->
    update, and an arrow from the update back to the model (the loop repeats). Returns the Axes."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(10, 2.6))
    width, height, gap = 1.6, 0.9, 0.45
    centres = [(i * (width + gap) + width / 2, 0.0) for i in range(len(_LOOP_STEPS))]
    for (x, y), (title, formula) in zip(centres, _LOOP_STEPS):
        ax.add_patch(plt.Rectangle((x - width / 2, y - height / 2), width, height, fc="#F2F2F2",
                                   ec="black", lw=1.2))
        ax.text(x, y + 0.15, title, ha="center", va="center", fontsize=11, weight="bold")
        ax.text(x, y - 0.2, formula, ha="center", va="center", fontsize=9)
    arrow = dict(arrowstyle="->", lw=1.5, color="black")
    for (x0, _), (x1, _) in zip(centres, centres[1:]):
        ax.annotate("", xy=(x1 - width / 2, 0), xytext=(x0 + width / 2, 0), arrowprops=arrow)
    # the update changes the model's parameters: back along the top, into the model box
    (xm, _), (xu, _) = centres[1], centres[-1]
    top = height / 2 + 0.45
    ax.plot([xu, xu, xm], [height / 2, top, top], color=_POSITIVE, lw=1.5)
    ax.annotate("", xy=(xm, height / 2), xytext=(xm, top),
                arrowprops=dict(arrowstyle="->", lw=1.5, color=_POSITIVE))
    ax.text((xm + xu) / 2, top + 0.12, "repeat with the new θ", ha="center",
            fontsize=9, color=_POSITIVE)
    ax.set_xlim(-0.2, centres[-1][0] + width / 2 + 0.2)
    ax.set_ylim(-height / 2 - 0.2, height / 2 + 0.9)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
