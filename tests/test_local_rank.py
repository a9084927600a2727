"""lib.lessons.local_rank: where a ReLU network squashes the plane, checked on hand-built nets."""
from __future__ import annotations

import numpy as np
import pytest

from lib.lessons.local_rank import hidden_jacobians, local_rank
from lib.nn import Linear, ReLU, Sequential, Tanh


def identity_relu_net():
    """Two hidden units relu(x1), relu(x2), then an output layer."""
    return Sequential(Linear.from_weights(np.eye(2), [0.0, 0.0]), ReLU(),
                      Linear.from_weights([[1.0, 1.0]], [0.0]))


def test_rank_counts_the_units_that_are_on_in_each_quadrant():
    X = np.array([[1.0, 2.0], [1.0, -2.0], [-1.0, 2.0], [-1.0, -2.0]])
    np.testing.assert_array_equal(local_rank(identity_relu_net(), X), [2, 1, 1, 0])
    J = hidden_jacobians(identity_relu_net(), X)
    np.testing.assert_array_equal(J[1], [[1.0, 0.0], [0.0, 0.0]])


def test_parallel_units_squash_the_plane_onto_a_line_even_when_all_are_on():
    # four units that all look along (1, 1): on, they still see only x1 + x2
    W = np.array([[1.0, 1.0], [2.0, 2.0], [0.5, 0.5], [3.0, 3.0]])
    net = Sequential(Linear.from_weights(W, [1.0, 1.0, 1.0, 1.0]), ReLU(),
                     Linear.from_weights(np.ones((1, 4)), [0.0]))
    assert local_rank(net, np.array([[1.0, 1.0]]))[0] == 1


def test_a_second_layer_composes_with_the_first():
    # layer 1 keeps both coordinates on the positive quadrant; layer 2's single unit keeps one
    # direction, so the composition has rank 1 where that unit is on and 0 where it is off
    net = Sequential(Linear.from_weights(np.eye(2), [0.0, 0.0]), ReLU(),
                     Linear.from_weights([[1.0, -1.0]], [0.0]), ReLU(),
                     Linear.from_weights([[1.0]], [0.0]))
    X = np.array([[2.0, 1.0], [1.0, 2.0]])
    np.testing.assert_array_equal(local_rank(net, X), [1, 0])
    np.testing.assert_allclose(hidden_jacobians(net, X)[0], [[1.0, -1.0]])


def test_bad_networks_and_inputs_are_refused():
    with pytest.raises(ValueError, match="Linear, ReLU"):
        local_rank(Sequential(Linear(2, 3, rng=0), Tanh(), Linear(3, 1, rng=0)), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="shape"):
        local_rank(identity_relu_net(), np.zeros((3, 5)))
