"""Where depth wins outright: composed tent maps (Telgarsky, 2016).

The tent map on [0, 1],

    T(x) = 2x for x <= 1/2,  2 - 2x for x >= 1/2,   i.e.  T(x) = 2 relu(x) - 4 relu(x - 1/2),

takes two ReLU units. Composing it L times, T^L = T o ... o T, gives a saw-tooth with 2^(L-1)
teeth: 2^L linear pieces on [0, 1] from a network of L hidden layers of 2 units (2L units).
A network with one hidden layer of k ReLU units is affine between the k points -b_i/w_i, so it
has at most k + 1 pieces: it needs at least 2^L - 1 units, and ``shallow_tent_network`` shows
that 2^L units suffice (the extra unit carries the initial slope; see chapter 6).

Exact representation is not the whole story: could one hidden layer with fewer units still
*approximate* T^L well? No (Telgarsky, 2016): ``tent_error_lower_bound`` gives, for any network
with k ReLU units in one hidden layer, a floor on its mean absolute error that stays a constant
fraction as L grows with k / 2^L fixed; ``tent_least_squares_network`` is a fitted one for
comparison (its error is what a fit reaches, an upper bound on the best).
"""
from __future__ import annotations

import numpy as np

from lib.nn import Linear, ReLU, Sequential

__all__ = ["tent_map", "tent_map_network", "shallow_tent_network", "tent_error_lower_bound",
           "tent_least_squares_network"]


def tent_map(x, L: int = 1) -> np.ndarray:
    """T^L(x) computed directly (no network): the reference the networks are checked against."""
    _check_depth(L)
    x = np.asarray(x, dtype=float)
    for _ in range(L):
        x = np.where(x <= 0.5, 2 * x, 2 - 2 * x)
    return x


def _check_depth(L) -> None:
    if int(L) != L or L < 1:
        raise ValueError(f"L (the number of composed tent maps) must be a positive integer, "
                         f"got {L}.")


def tent_map_network(L: int) -> Sequential:
    """A ReLU network computing T^L on [0, 1]: L hidden layers of 2 units, 2L ReLUs in all.

    Layer 1 computes (relu(x), relu(x - 1/2)); every later hidden layer reads the previous tent
    value y = 2 a_1 - 4 a_2 and computes (relu(y), relu(y - 1/2)); the output is 2 a_1 - 4 a_2.
    """
    _check_depth(L)
    layers = [Linear.from_weights([[1.0], [1.0]], [0.0, -0.5]), ReLU()]
    for _ in range(L - 1):
        layers += [Linear.from_weights([[2.0, -4.0], [2.0, -4.0]], [0.0, -0.5]),
                   ReLU()]
    layers.append(Linear.from_weights([[2.0, -4.0]], [0.0]))
    return Sequential(*layers)


def shallow_tent_network(L: int) -> Sequential:
    """One hidden layer computing T^L on [0, 1] with 2^L ReLU units.

    T^L is linear between its kinks beta_i = i / 2^L (i = 1 .. 2^L - 1) with slopes
    +-2^L alternating, starting at +2^L. Written as
        T^L(x) = 2^L relu(x) + sum_i Delta_i relu(x - beta_i),  Delta_i = -+2^(L+1),
    it uses one unit per kink plus relu(x), which is x on [0, 1] and carries the first slope.
    """
    _check_depth(L)
    m = 2 ** L
    kinks = np.arange(1, m) / m
    deltas = np.where(np.arange(1, m) % 2 == 1, -2.0 * m, 2.0 * m)   # slope changes at kinks
    W1 = np.ones((m, 1))
    b1 = np.concatenate([[0.0], -kinks])
    W2 = np.concatenate([[float(m)], deltas])[None, :]
    hidden = Linear.from_weights(W1, b1)
    out = Linear.from_weights(W2, [0.0])
    return Sequential(hidden, ReLU(), out)


def tent_error_lower_bound(L: int, n_units: int) -> float:
    """A floor on the mean absolute error, over [0, 1], of ANY one-hidden-layer ReLU network
    with ``n_units`` units (one input, one output) against T^L.

    The argument (after Telgarsky, 2016) counts crossings of the level 1/2:

    * T^L crosses 1/2 once on each of its 2^L pieces, so the 2^L crossings cut [0, 1] into
      2^L - 1 interior "humps" of width 2^-L where T^L - 1/2 keeps one sign, alternating from
      one hump to the next; on a hump |T^L - 1/2| is a triangle of height 1/2: area 2^-L / 4.
    * The network has at most p = n_units + 1 affine pieces, so f - 1/2 changes sign at most p
      times. Remove the (at most p) humps holding a sign change: the rest fall into at most
      p + 1 runs of neighbouring humps on which f stays on one side of 1/2 while T^L alternates,
      so in a run of r humps at least floor(r / 2) are on the wrong side. That is at least
      (2^L - 1 - p - (p + 1)) / 2 wrong humps.
    * On a wrong hump |f - T^L| >= |T^L - 1/2|, so each costs at least its area 2^-L / 4.

    Hence mean |f - T^L| >= (2^(L-1) - p - 1) 2^-L / 4 = (1 - (2p + 2) / 2^L) / 8, floored at 0.
    """
    _check_depth(L)
    if int(n_units) != n_units or n_units < 0:
        raise ValueError(f"n_units must be a non-negative integer, got {n_units}.")
    pieces = n_units + 1
    return max(0.0, (1.0 - (2 * pieces + 2) / 2 ** L) / 8.0)


def tent_least_squares_network(L: int, n_units: int, seed: int = 0,
                               n_samples: int = 8192) -> Sequential:
    """One hidden layer of ``n_units`` ReLUs fitted to T^L on [0, 1] by least squares.

    One unit is relu(x) (the linear part); the other n_units - 1 have their kinks at seeded
    random points of (0, 1) (evenly spaced kinks at i / n_units would line up with the teeth of
    T^L and fit nothing but a constant). The output layer is the least-squares solution on
    ``n_samples`` midpoints of [0, 1].
    """
    _check_depth(L)
    if int(n_units) != n_units or n_units < 1:
        raise ValueError(f"n_units must be a positive integer, got {n_units}.")
    kinks = np.concatenate([[0.0], np.sort(np.random.default_rng(seed).uniform(0, 1, n_units - 1))])
    x = (np.arange(n_samples) + 0.5) / n_samples
    H = np.hstack([np.maximum(x[:, None] - kinks, 0.0), np.ones((n_samples, 1))])
    coef = np.linalg.lstsq(H, tent_map(x, L), rcond=None)[0]
    return Sequential(Linear.from_weights(np.ones((n_units, 1)), -kinks), ReLU(),
                      Linear.from_weights(coef[None, :-1], [coef[-1]]))
