"""Evenly spaced grids of input points: the one grid of the course.

Every picture of a function over the plane (decision boundaries, linear regions, the
playground's neurons, loss surfaces) and every error measured over [0, 1]^d (universal
approximation) evaluates on ``grid_points``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["grid_points"]


def grid_points(box: Sequence[tuple[float, float]], resolution: int,
                midpoints: bool = False) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """All points of a ``resolution``-per-axis grid of a box in d dimensions.

    box : one ``(low, high)`` pair per axis, e.g. ``[(-1, 1), (-1, 1)]`` or ``[(0, 1)] * d``.
    resolution : points per axis (at least 1).
    midpoints : if True, the centres ``low + (i + 1/2) (high - low) / resolution`` of equal
        cells (the midpoint rule for integrals); else ``resolution`` points from low to high
        inclusive.

    Returns ``points`` of shape (resolution^d, d), the first coordinate varying fastest, and
    the mesh: one array per axis, of shape (resolution,) * d, with ``points[:, k] ==
    mesh[k].ravel()``. In 2-D the mesh is ``numpy.meshgrid``'s ``xx, yy``: row j is x2 =
    ``yy[j, 0]``, as ``imshow(origin="lower")`` and ``contourf(xx, yy, values)`` expect.
    """
    box = [tuple(map(float, limits)) for limits in box]
    if not box or any(len(limits) != 2 for limits in box):
        raise ValueError(f"grid_points: box must be one (low, high) pair per axis, got {box}.")
    if int(resolution) != resolution or resolution < 1:
        raise ValueError(f"grid_points: resolution must be a positive integer, got {resolution}.")
    n = int(resolution)
    if midpoints:
        axes = [lo + (hi - lo) * (np.arange(n) + 0.5) / n for lo, hi in box]
    else:
        axes = [np.linspace(lo, hi, n) for lo, hi in box]
    # "ij" indexing over the reversed axes makes the first coordinate vary fastest
    mesh = tuple(np.meshgrid(*axes[::-1], indexing="ij")[::-1])
    points = np.column_stack([m.ravel() for m in mesh])
    return points, mesh
