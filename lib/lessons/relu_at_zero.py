"""ReLU with the other choice of derivative at z = 0, to see when that choice matters.

``lib.nn.ReLU`` passes no gradient at z = 0 (derivative 0 there, as most libraries do);
``ReLUDerivativeOneAtZero`` computes the same forward pass and passes the gradient at z = 0
(derivative 1 there). The two differ only on pre-activations that are exactly 0, which
``count_exact_zero_pre_activations`` counts.
"""
from __future__ import annotations

import numpy as np

from lib.lessons.diagnostics import relu_pre_activations
from lib.losses import Loss
from lib.nn import Layer, Linear, ReLU, Sequential, layers_of

__all__ = ["ReLUDerivativeOneAtZero", "count_exact_zero_pre_activations",
           "with_derivative_one_at_zero", "bias_gradient_norms_per_layer"]


class ReLUDerivativeOneAtZero(ReLU):
    """a = max(0, z);  da/dz = 1 for z >= 0 and 0 for z < 0 (1 at z = 0)."""

    def _backward(self, grad_out, z, a):
        return np.multiply(grad_out, z >= 0)


def count_exact_zero_pre_activations(model: Layer, X) -> list[int]:
    """How many entries of each ReLU layer's input z are exactly 0 on the batch X (n, n_in)."""
    return [int(np.count_nonzero(z == 0)) for z in relu_pre_activations(model, X)]


def with_derivative_one_at_zero(model: Sequential) -> Sequential:
    """The same network (the very same Linear layers, shared) with every ReLU replaced by
    ``ReLUDerivativeOneAtZero``: same outputs, other gradients wherever some z is exactly 0."""
    return Sequential(*[ReLUDerivativeOneAtZero() if type(layer) is ReLU else layer
                        for layer in layers_of(model)])


def bias_gradient_norms_per_layer(model: Layer, loss: Loss, X, t) -> list[float]:
    """||dL/db|| of every Linear layer, first layer first, after one backward pass on (X, t).

    A unit with z exactly 0 whose inputs are all 0 passes a gradient only to its bias (its
    weights' gradient is the gradient at z times the inputs, 0): the bias is where the choice
    of the derivative at 0 shows first.
    """
    loss.forward(model.forward(X), t)
    model.backward(loss.backward())
    return [float(np.linalg.norm(layer.grads["b"])) for layer in layers_of(model)
            if isinstance(layer, Linear)]
