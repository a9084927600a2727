"""Where depth wins outright: composed tent maps (Telgarsky, 2016).

The tent map on [0, 1],

    T(x) = 2x for x <= 1/2,  2 - 2x for x >= 1/2,   i.e.  T(x) = 2 relu(x) - 4 relu(x - 1/2),

takes two ReLU units. Composing it L times, T^L = T o ... o T, gives a saw-tooth with 2^(L-1)
teeth: 2^L linear pieces on [0, 1] from a network of L hidden layers of 2 units (2L units).
A network with one hidden layer of k ReLU units is affine between the k points -b_i/w_i, so it
has at most k + 1 pieces: it needs at least 2^L - 1 units, and ``shallow_tent_network`` shows
that 2^L units suffice (the extra unit carries the initial slope; see chapter 6).
"""
from __future__ import annotations

import numpy as np

from lib.nn import Linear, ReLU, Sequential

__all__ = ["tent_map", "tent_map_network", "shallow_tent_network"]


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
