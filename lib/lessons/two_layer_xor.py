"""XOR with two layers: the lecture's hand-chosen hyperplanes, and the same network learned.

The 2-2-1 network  x -> z1 = W1 x + b1 -> a = sigma(z1) -> z2 = W2 a + b2  (logit of class 1).

``hand_crafted_xor_network`` sets its weights by hand, following p XOR q = (p OR q) AND NOT
(p AND q): hidden neuron 1 fires for "p OR q" (line x1 + x2 = 0.5), hidden neuron 2 for
"p AND q" (line x1 + x2 = 1.5), and the output fires for "OR and not AND" (a1 - a2 = 0.5).
``train_xor_network`` learns the weights by gradient descent with the course engine instead.
"""
from __future__ import annotations

import numpy as np

from lib.data import xor_truth_table
from lib.losses import BinaryCrossEntropy
from lib.nn import Linear, Sequential, Sigmoid, mlp
from lib.optim import SGD
from lib.train import History, fit

__all__ = ["hand_crafted_xor_network", "hidden_representation", "train_xor_network"]


def hand_crafted_xor_network(steepness: float = 10.0) -> Sequential:
    """The 2-2-1 sigmoid network with the hand-chosen hyperplanes (logit output).

    steepness : multiplies every weight and bias; larger values make the sigmoids closer to
    steps, so the hidden values get closer to the corners of [0, 1]^2. Must be positive.
    """
    if not steepness > 0:
        raise ValueError(f"steepness must be positive, got {steepness}.")
    k = float(steepness)
    hidden = Linear.from_weights(k * np.array([[1.0, 1.0],      # neuron 1: x1 + x2 - 0.5 (OR)
                                               [1.0, 1.0]]),    # neuron 2: x1 + x2 - 1.5 (AND)
                                 k * np.array([-0.5, -1.5]))
    output = Linear.from_weights(k * np.array([[1.0, -1.0]]),   # a1 - a2 - 0.5: OR and not AND
                                 k * np.array([-0.5]))
    return Sequential(hidden, Sigmoid(), output)


def hidden_representation(model: Sequential, X) -> np.ndarray:
    """The hidden activations a = sigma(W1 x + b1) of a 2-h-1 network: (n, 2) -> (n, h)."""
    if not isinstance(model, Sequential) or len(model) != 3:
        raise ValueError("expected a Sequential(Linear, activation, Linear) network.")
    return model[1].forward(model[0].forward(np.asarray(X, dtype=np.float64)))


def train_xor_network(hidden: int = 2, lr: float = 1.0, momentum: float = 0.9,
                      epochs: int = 1000, rng=0, X=None, t=None) -> tuple[Sequential, History]:
    """Learn a 2-``hidden``-1 sigmoid network on XOR by full-batch gradient descent.

    X, t default to the four points of the truth table. Binary cross-entropy on the logit,
    SGD with momentum, initial weights drawn from ``rng`` (LeCun: variance 1/n_in).
    Returns (model, history).
    """
    if int(hidden) < 1:
        raise ValueError(f"hidden must be at least 1 neuron, got {hidden}.")
    if X is None:
        X, t = xor_truth_table()
    model = mlp([2, int(hidden), 1], Sigmoid, rng=rng)
    history = fit(model, BinaryCrossEntropy(), SGD(model, lr=lr, momentum=momentum), X, t,
                  epochs=epochs, batch_size=len(X), rng=rng, progress=False)
    return model, history
