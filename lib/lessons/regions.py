"""Linear regions of ReLU networks: where the network is one affine map, and how many there are.

A ReLU network (a ``Sequential`` of ``Linear`` and ``ReLU`` layers) computes a continuous,
piece-wise linear function. Two things can be counted, and they are not the same:

* **activation regions**: sets of inputs that switch on exactly the same ReLU units (the same
  *activation pattern*, one bit per hidden unit: ``z > 0``). Inside one, every ReLU is either
  the identity or zero, so the network is one affine map. Each activation region is convex
  (fix the pattern; every pre-activation is then an affine function of x, and the region is an
  intersection of half-spaces), so on a line it is one interval and in the plane one polygon.
* **linear pieces**: maximal sets on which the *output* is one affine map. Neighbouring
  activation regions can share their affine map (a unit whose output weight is zero, a unit
  that is dead in a later layer...), so ``linear pieces <= activation regions``.

Montúfar et al. (2014) bound the number of linear regions of the function from below (some
weights achieve it); since ``linear pieces <= activation regions``, any upper bound on
activation regions is one on pieces too. ``count_linear_regions`` counts activation regions by
default and linear pieces with ``count="pieces"`` (on a line only).

How it counts:

* **on a line segment** x(s) = start + s (end - start), s in [0, 1]: the patterns are computed on
  ``n_samples`` evenly spaced points; because a pattern's region is convex, two samples with the
  same pattern have only that pattern between them, so every breakpoint lies in a cell whose end
  patterns differ. Those cells are bisected (all at once, vectorised) until they are shorter than
  ``tol``. The count is exact except for regions shorter than ``tol`` (in units of s).
* **on a 2-D grid**: the distinct patterns among ``resolution x resolution`` grid points. Since
  regions are convex, each distinct pattern is one region; regions that no grid point falls in
  are missed, so this is a lower bound that becomes exact as the grid is refined.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.data.grid import grid_points
from lib.nn import Identity, Layer, Linear, ReLU, Sequential, layers_of, mlp

__all__ = ["random_relu_network", "relu_network_layers", "activation_patterns",
           "affine_fit_residual", "LineRegions", "GridRegions", "regions_on_line",
           "regions_on_grid", "count_linear_regions"]


def random_relu_network(sizes: list[int], rng: int | np.random.Generator = 0,
                        bias_std: float = 0.5) -> Sequential:
    """A ReLU ``mlp(sizes)`` with He-initialised weights and biases drawn from N(0, bias_std^2).

    rng : a seed (the biases then come from a stream of their own, seeded by it) or a Generator.
    ``mlp`` starts biases at zero, which makes every first-layer hyperplane pass through the
    origin; random biases give the "general position" that region counts assume.
    """
    if bias_std < 0:
        raise ValueError(f"bias_std must be >= 0, got {bias_std}.")
    net = mlp(sizes, ReLU, rng=rng)
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng([rng, 1])       # a stream separate from the weights'
    for layer in net.layers:
        if isinstance(layer, Linear):
            layer.params["b"][...] = bias_std * rng.standard_normal(layer.n_out)
    return net


def relu_network_layers(model: Layer) -> list[tuple[np.ndarray, np.ndarray, bool]]:
    """The network as a list of ``(W, b, followed_by_relu)``, one per ``Linear`` layer.

    Accepts a ``Sequential`` of ``Linear``, ``ReLU`` and ``Identity`` layers (or one ``Linear``).
    Raises ValueError for anything else: other activations are not piece-wise linear.
    """
    out: list[list] = []
    for i, layer in enumerate(layers_of(model)):
        if isinstance(layer, Linear):
            out.append([layer.params["W"], layer.params["b"], False])
        elif isinstance(layer, ReLU):
            if not out or out[-1][2]:
                raise ValueError(f"layer {i} (ReLU) must follow a Linear layer: linear regions are "
                                 "defined by the ReLUs of Linear -> ReLU pairs.")
            out[-1][2] = True
        elif isinstance(layer, Identity):
            continue
        else:
            raise ValueError(f"layer {i} is {layer.describe()}: linear regions are counted for "
                             "networks made of Linear and ReLU layers only (a Sigmoid or Tanh "
                             "network is not piece-wise linear).")
    if not out:
        raise ValueError("the model has no Linear layer.")
    return [tuple(item) for item in out]


def _forward_patterns(layers, X: np.ndarray, direction: np.ndarray | None = None):
    """Outputs (n, k), activation patterns (n, hidden units) as bools, and, if ``direction``
    (n_in,) is given, the exact directional derivative of the output along it, (n, k).

    The derivative is propagated with the same masks as the values: inside an activation
    region the network is affine, so this is the slope of that affine piece.
    """
    bits = []
    a = X
    da = None if direction is None else np.broadcast_to(direction, X.shape)
    for W, b, relu in layers:
        z = a @ W.T + b
        dz = None if da is None else da @ W.T
        if relu:
            on = z > 0
            bits.append(on)
            a = np.where(on, z, 0.0)
            da = None if dz is None else np.where(on, dz, 0.0)
        else:
            a, da = z, dz
    patterns = np.concatenate(bits, axis=1) if bits else np.zeros((len(X), 0), dtype=bool)
    return a, patterns, da


def activation_patterns(model: Layer, X) -> np.ndarray:
    """One bit per hidden ReLU unit and input: ``z > 0``. X (n, n_in) -> bool (n, units)."""
    layers = relu_network_layers(model)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != layers[0][0].shape[1]:
        raise ValueError(f"X has shape {X.shape}; the network expects "
                         f"(n, {layers[0][0].shape[1]}).")
    return _forward_patterns(layers, X)[1]


def affine_fit_residual(model: Layer, X) -> float:
    """Worst error of the best affine fit to the network on the inputs X (n, n_in).

    Fits y ~ X C + d by least squares to the outputs y = model(X), shape (n, k), and returns
    max |y - (X C + d)|. It is zero up to rounding exactly when the network is affine on the
    points: inside one activation region of a ReLU network, but not across a kink. Needs more
    points than n_in + 1 for the answer to mean anything.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or len(X) <= X.shape[1] + 1:
        raise ValueError(f"affine_fit_residual: X must be (n, n_in) with n > n_in + 1 points, "
                         f"got shape {X.shape}.")
    y = np.asarray(model.forward(X), dtype=float)
    design = np.hstack([X, np.ones((len(X), 1))])            # [x, 1]: slope and offset
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(np.max(np.abs(y - design @ coef)))


@dataclass
class LineRegions:
    """The activation regions met along a segment x(s) = start + s (end - start), s in [0, 1].

    breakpoints : (m,) values of s in (0, 1) where the pattern changes (sorted).
    patterns : (m + 1, units) bool, the pattern on each interval between breakpoints.
    slopes : (m + 1, k) d output / d s on each interval (exact, from the affine piece).
    n_activation_regions : m + 1.
    n_linear_pieces : intervals after merging neighbours with the same slope (the output is
        continuous, so the same slope means the same affine map).
    """
    breakpoints: np.ndarray
    patterns: np.ndarray
    slopes: np.ndarray
    n_activation_regions: int
    n_linear_pieces: int


def _as_point(p, n_in: int, what: str) -> np.ndarray:
    p = np.atleast_1d(np.asarray(p, dtype=float)).reshape(-1)
    if p.shape != (n_in,):
        raise ValueError(f"{what} has shape {p.shape}; the network takes {n_in} inputs, so give "
                         f"a point of shape ({n_in},).")
    return p


def regions_on_line(model: Layer, start, end, n_samples: int = 4097, tol: float = 1e-10,
                    slope_rtol: float = 1e-7) -> LineRegions:
    """Find every activation region (and linear piece) of ``model`` along a segment.

    start, end : points of shape (n_in,) (a number for a 1-input network).
    n_samples : evenly spaced samples before refinement (only speed depends on it).
    tol : bisection stops when a cell is shorter than ``tol`` (in units of s in [0, 1]); regions
        shorter than that can be missed.
    slope_rtol : neighbouring intervals whose slopes agree to this relative tolerance are one
        linear piece.
    """
    layers = relu_network_layers(model)
    n_in = layers[0][0].shape[1]
    x0, x1 = _as_point(start, n_in, "start"), _as_point(end, n_in, "end")
    if np.allclose(x0, x1):
        raise ValueError("start and end are the same point; give a segment of positive length.")
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2, got {n_samples}.")
    d = x1 - x0

    def patterns_at(s: np.ndarray) -> np.ndarray:
        return _forward_patterns(layers, x0 + s[:, None] * d)[1]

    breakpoints = _breakpoints_on_line(patterns_at, n_samples, tol)
    return _count_on_line(layers, x0, d, breakpoints, slope_rtol)


def _breakpoints_on_line(patterns_at, n_samples: int, tol: float) -> np.ndarray:
    """Sampling: estimates of every s in (0, 1) where the activation pattern changes, sorted.

    ``patterns_at(s)`` maps (m,) positions to (m, units) patterns. Cells between samples whose
    patterns differ are bisected, all at once, until shorter than ``tol``.
    """
    s = np.linspace(0.0, 1.0, n_samples)
    P = patterns_at(s)
    change = np.any(P[1:] != P[:-1], axis=1)
    lo, hi = s[:-1][change], s[1:][change]
    Plo, Phi = P[:-1][change], P[1:][change]
    while lo.size and np.max(hi - lo) > tol:
        mid = 0.5 * (lo + hi)
        Pm = patterns_at(mid)
        left = np.any(Plo != Pm, axis=1)           # a breakpoint in [lo, mid]
        right = np.any(Pm != Phi, axis=1)          # a breakpoint in [mid, hi]
        lo = np.concatenate([lo[left], mid[right]])
        hi = np.concatenate([mid[left], hi[right]])
        Plo = np.concatenate([Plo[left], Pm[right]])
        Phi = np.concatenate([Pm[left], Phi[right]])
        order = np.argsort(lo, kind="stable")
        lo, hi, Plo, Phi = lo[order], hi[order], Plo[order], Phi[order]
    cand = np.sort(0.5 * (lo + hi))
    # a sample that sits exactly on a breakpoint (z == 0) is found from both sides: merge
    # estimates closer than a few tol, and drop those at the ends of the segment
    if cand.size:
        keep = np.concatenate([[True], np.diff(cand) > 4 * tol])
        cand = cand[keep]
        cand = cand[(cand > 4 * tol) & (cand < 1 - 4 * tol)]
    return cand


def _count_on_line(layers, x0: np.ndarray, d: np.ndarray, breakpoints: np.ndarray,
                   slope_rtol: float) -> LineRegions:
    """Counting: the pattern and slope of each interval between breakpoints; neighbours with
    the same pattern are one activation region, with the same slope one linear piece."""
    edges = np.concatenate([[0.0], breakpoints, [1.0]])
    mids = 0.5 * (edges[:-1] + edges[1:])
    _, pats, slopes = _forward_patterns(layers, x0 + mids[:, None] * d, direction=d)
    # neighbouring intervals with the same pattern are one region (a merged zero-crossing)
    new = np.concatenate([[True], np.any(pats[1:] != pats[:-1], axis=1)])
    pats, slopes = pats[new], slopes[new]
    scale = np.maximum(np.abs(slopes[1:]), np.abs(slopes[:-1])).max(axis=1) + 1e-300
    same = np.max(np.abs(slopes[1:] - slopes[:-1]), axis=1) <= slope_rtol * scale
    return LineRegions(breakpoints=edges[1:-1][new[1:]], patterns=pats, slopes=slopes,
                       n_activation_regions=int(len(pats)),
                       n_linear_pieces=int(1 + np.count_nonzero(~same)))


def _pattern_keys(P: np.ndarray) -> np.ndarray:
    """One hashable scalar per row of a bool pattern matrix (n, units), for a fast np.unique.

    Rows are packed 8 units per byte; up to 64 units fit one uint64, more become one
    fixed-size byte string per row (numpy's unique on axis=0 would be far slower).
    """
    packed = np.packbits(P, axis=1)
    n_bytes = packed.shape[1]
    if n_bytes <= 8:
        padded = np.zeros((len(P), 8), dtype=np.uint8)
        padded[:, :n_bytes] = packed
        return padded.view(np.uint64).ravel()
    return np.ascontiguousarray(packed).view(f"S{n_bytes}").ravel()


@dataclass
class GridRegions:
    """Activation regions met by a 2-D grid of points.

    labels : (resolution, resolution) int, region index of each grid point (rows follow x2,
        columns x1, as ``numpy.meshgrid`` and ``imshow(origin="lower")``).
    n_regions : number of distinct activation patterns on the grid.
    xx, yy : the mesh of grid coordinates.
    """
    labels: np.ndarray
    n_regions: int
    xx: np.ndarray
    yy: np.ndarray


def regions_on_grid(model: Layer, xlim=(-1.0, 1.0), ylim=(-1.0, 1.0),
                    resolution: int = 300) -> GridRegions:
    """Label every point of a ``resolution x resolution`` grid by its activation region.

    The network must take 2 inputs. Counting distinct patterns is a lower bound on the regions
    that meet the box (a region smaller than the grid spacing can be missed).
    """
    layers = relu_network_layers(model)
    if layers[0][0].shape[1] != 2:
        raise ValueError(f"regions_on_grid needs a network with 2 inputs; this one takes "
                         f"{layers[0][0].shape[1]} (use regions_on_line for other inputs).")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}.")
    X, (xx, yy) = grid_points([xlim, ylim], resolution)
    P = _forward_patterns(layers, X)[1]
    if P.shape[1] == 0:
        return GridRegions(np.zeros(xx.shape, dtype=int), 1, xx, yy)
    _, labels = np.unique(_pattern_keys(P), return_inverse=True)
    labels = labels.reshape(xx.shape)
    return GridRegions(labels=labels, n_regions=int(labels.max() + 1), xx=xx, yy=yy)


def count_linear_regions(model: Layer, *, line=None, grid=None, count: str = "activation",
                         resolution: int = 300, n_samples: int = 4097, tol: float = 1e-10) -> int:
    """Number of linear regions of a ReLU network along a segment or on a 2-D grid.

    Give exactly one of
    line : ``(start, end)``, two points of shape (n_in,): regions met along the segment
        (exact up to regions shorter than ``tol`` of the segment);
    grid : ``(xlim, ylim)``, a box in the plane for a 2-input network: distinct patterns on a
        ``resolution x resolution`` grid (a lower bound, exact in the limit).
    count : ``"activation"`` (distinct activation patterns, the default) or ``"pieces"``
        (maximal intervals where the output is one affine map; on a line only).
    """
    if (line is None) == (grid is None):
        raise ValueError("give exactly one of line=(start, end) or grid=(xlim, ylim).")
    if count not in ("activation", "pieces"):
        raise ValueError(f"count must be 'activation' or 'pieces', got {count!r}.")
    if line is not None:
        r = regions_on_line(model, line[0], line[1], n_samples=n_samples, tol=tol)
        return r.n_activation_regions if count == "activation" else r.n_linear_pieces
    if count == "pieces":
        raise ValueError("count='pieces' is available on a line only; on a grid use "
                         "count='activation'.")
    xlim, ylim = grid
    return regions_on_grid(model, xlim, ylim, resolution).n_regions
