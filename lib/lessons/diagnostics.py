"""What goes wrong inside deep networks, measured: dead ReLUs and gradient norms per layer.

* ``dead_relu_masks``, ``count_dead_relus``: a ReLU unit is *dead* on a data set when its
  pre-activation z is <= 0 for every sample: its output is 0 and so is the gradient of its
  incoming weights and bias (lib's ReLU passes no gradient at z <= 0). Plain gradient descent
  then never changes those weights; the unit revives only if its *input* changes: in a
  first hidden layer the input is the data, so the unit stays dead, but in a deeper layer the
  layers below keep learning and can move some inputs to z > 0. (Momentum left over from
  earlier steps, weight decay or new data can move it too.)
* ``gradient_norms_per_layer``: ||dL/dW|| of every Linear layer after one backward pass; in a
  deep sigmoid stack it shrinks towards the input (each sigmoid multiplies by at most 1/4),
  in a ReLU stack with He initialisation it does not.
"""
from __future__ import annotations

import numpy as np

from lib.losses import Loss
from lib.nn import Layer, Linear, ReLU, layers_of

__all__ = ["relu_pre_activations", "dead_relu_masks", "count_dead_relus",
           "gradient_norms_per_layer"]


def relu_pre_activations(model: Layer, X) -> list[np.ndarray]:
    """The input z of every ReLU layer on the batch X, a list of (n, units) arrays.

    Runs the forward pass layer by layer (it also leaves the caches a backward pass would use).
    """
    out = []
    a = X
    for layer in layers_of(model):
        if isinstance(layer, ReLU):
            out.append(np.asarray(a))
        a = layer.forward(a)
    if not out:
        raise ValueError("the model has no ReLU layer, so no ReLU can be dead.")
    return out


def dead_relu_masks(model: Layer, X) -> list[np.ndarray]:
    """Which units of each ReLU layer are dead: z <= 0 for every row of X.

    X : (n, n_in) inputs, e.g. the whole training set. Returns one boolean (units,) array per
    ReLU layer, True where the unit is dead.
    """
    return [np.all(z <= 0, axis=0) for z in relu_pre_activations(model, X)]


def count_dead_relus(model: Layer, X) -> list[int]:
    """Number of dead units in each ReLU layer: units with z <= 0 for every row of X.

    X : (n, n_in) inputs, e.g. the whole training set. Returns one int per ReLU layer.
    """
    return [int(np.count_nonzero(dead)) for dead in dead_relu_masks(model, X)]


def gradient_norms_per_layer(model: Layer, loss: Loss, X, t) -> list[float]:
    """Frobenius norm ||dL/dW|| of every Linear layer, first layer first, for one batch.

    Runs ``loss.forward(model.forward(X), t)`` and ``model.backward(loss.backward())``; the
    model's stored gradients are overwritten (no parameter changes).
    """
    linears = [layer for layer in layers_of(model) if isinstance(layer, Linear)]
    if not linears:
        raise ValueError("the model has no Linear layer.")
    loss.forward(model.forward(X), t)
    model.backward(loss.backward())
    return [float(np.linalg.norm(layer.grads["W"])) for layer in linears]
