"""Figures shared by the chapters: decision boundaries, training curves, digit images."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from lib.data.grid import grid_points

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap
    from matplotlib.figure import Figure

    from lib.train import History

Limits = tuple[float, float]

__all__ = ["class_colormap", "plot_decision_boundary", "plot_history", "plot_digits",
           "plot_weight_images", "plot_hyperplane", "CLASS_COLORS"]

# colour-blind-safe pair (Okabe & Ito): orange for class 0, blue for class 1
CLASS_COLORS = ("#E69F00", "#0072B2")


def class_colormap() -> Colormap:
    """Orange (class 0, z < 0) - white (the boundary) - blue (class 1, z > 0), for planes."""
    from matplotlib.colors import LinearSegmentedColormap
    colors = [CLASS_COLORS[0], "#FFFFFF", CLASS_COLORS[1]]
    return LinearSegmentedColormap.from_list("classes", colors)


def plot_decision_boundary(predict: Callable[[np.ndarray], ArrayLike], X: np.ndarray | None = None,
                           t: ArrayLike | None = None, ax: Axes | None = None,
                           xlim: Limits | None = None, ylim: Limits | None = None,
                           resolution: int = 200, title: str | None = None,
                           levels: int = 21) -> Axes:
    """Shade the plane by ``predict(points) -> p(class 1)`` in [0, 1] and draw the 0.5 contour.

    predict : function from (m, 2) points to (m,) or (m, 1) probabilities.
    X, t : optional data points (n, 2) and labels in {0, 1}, drawn on top.
    Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    if xlim is None or ylim is None:
        if X is not None:
            lo, hi = X.min(axis=0) - 0.2, X.max(axis=0) + 0.2
        else:
            lo, hi = (-1.2, -1.2), (1.2, 1.2)
        xlim = xlim or (lo[0], hi[0])
        ylim = ylim or (lo[1], hi[1])
    P, (xx, yy) = grid_points([xlim, ylim], resolution)
    p = np.asarray(predict(P), dtype=float).reshape(xx.shape)
    ax.contourf(xx, yy, p, levels=np.linspace(0, 1, levels), cmap=class_colormap(), alpha=0.6)
    ax.contour(xx, yy, p, levels=[0.5], colors="k", linewidths=1.2)
    if X is not None:
        t = np.asarray(t).reshape(-1)
        for label, marker in ((0, "o"), (1, "s")):
            m = t == label
            ax.scatter(X[m, 0], X[m, 1], c=CLASS_COLORS[label], marker=marker, edgecolors="k",
                       linewidths=0.5, s=22, label=f"t = {label}")
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return ax


def plot_history(history: History, ax: Axes | None = None, metric: str = "loss",
                 title: str | None = None) -> Axes:
    """Training (and test) curve of ``metric`` ("loss" or "accuracy") per epoch."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.2))
    train = getattr(history, f"train_{metric}")
    epochs = np.arange(1, len(train) + 1)
    ax.plot(epochs, train, label="train")
    test = getattr(history, f"test_{metric}")
    if test:
        ax.plot(epochs, test, label="test", linestyle="--")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.legend()
    if title:
        ax.set_title(title)
    return ax


def plot_digits(images: ArrayLike, labels: Sequence[object] | None = None, ncols: int = 10,
                axes_size: float = 0.9, cmap: str = "gray_r") -> Figure:
    """A grid of 28x28 digits (rows of 784 or (n, 28, 28)), with optional labels as titles."""
    import matplotlib.pyplot as plt

    images = np.asarray(images).reshape(-1, 28, 28)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * axes_size, nrows * axes_size),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            ax.imshow(images[i], cmap=cmap)
            if labels is not None:
                ax.set_title(str(labels[i]), fontsize=8)
    return fig


def plot_weight_images(W: ArrayLike, titles: Sequence[object] | None = None, ncols: int = 10,
                       shape: tuple[int, int] = (28, 28), axes_size: float = 1.0) -> Figure:
    """Rows of W (one neuron each) as images, coloured symmetrically: red > 0 > blue."""
    import matplotlib.pyplot as plt

    W = np.asarray(W)
    nrows = int(np.ceil(len(W) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * axes_size, nrows * axes_size * 1.1),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(W):
            v = np.abs(W[i]).max() or 1.0
            ax.imshow(W[i].reshape(shape), cmap="RdBu_r", vmin=-v, vmax=v)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    return fig


def plot_hyperplane(w: ArrayLike, b: float, ax: Axes, xlim: Limits | None = None,
                    ylim: Limits | None = None, normal: bool = True, color: str = "k",
                    label: str | None = None, **line_kwargs: object) -> Axes:
    """Draw the line w_1 x_1 + w_2 x_2 + b = 0 of one neuron inside the axes' box.

    normal : also draw the vector w as an arrow from the point of the line closest to the
        origin; it points to the side where the neuron is positive (z > 0).
    Returns the Axes (nothing is drawn when the line misses the box or w = 0).
    """
    from lib.lessons.neuron import hyperplane_segment

    xlim = xlim or ax.get_xlim()
    ylim = ylim or ax.get_ylim()
    seg = hyperplane_segment(w, b, xlim, ylim)
    if seg is not None:
        ax.plot(seg[:, 0], seg[:, 1], color=color, label=label, **line_kwargs)
        if normal:
            w = np.asarray(w, dtype=float)
            foot = -b * w / (w @ w)              # the line's point closest to the origin
            scale = 0.25 * min(xlim[1] - xlim[0], ylim[1] - ylim[0]) / np.linalg.norm(w)
            ax.annotate("", xy=foot + scale * w, xytext=foot,
                        arrowprops=dict(arrowstyle="->", color=color, lw=1.2))
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    return ax
