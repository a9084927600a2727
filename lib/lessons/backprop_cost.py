"""What backpropagation saves: the same gradients computed three ways, with the work counted.

The lecture's claim: "computations can be re-used (makes it linear [faster], otherwise
quadratic)". For a network of K layers f_K(...f_1(x)) and a loss L, the gradient with
respect to the parameters of layer j is the chain

    dL/dtheta_j = dL/dy . df_K/da_{K-1} . ... . df_{j+1}/da_j . df_j/dtheta_j.

Three ways to get every layer's gradient, each counted in *layer calls* (one ``forward``
or ``backward`` of one lib layer) and in *multiply-adds* of the ``Linear`` layers (the
matrix products, which dominate the arithmetic):

:func:`backprop_gradients`
    One forward pass, then one backward pass in reverse order. The product
    dL/dy . ... . df_{j+1}/da_j arriving at layer j is handed on to layer j-1: every
    partial product is computed once and re-used. K forward + K backward calls: 2K.
:func:`no_reuse_gradients`
    The same chain rule, but nothing is kept between layers: for each layer j that has
    parameters, redo the forward pass (K calls) and multiply the chain from dL/dy down to
    layer j from scratch (K - j + 1 backward calls). For a plain chain where every layer
    has parameters that is sum_j (K + K - j + 1) = K^2 + K(K+1)/2 calls: quadratic in depth.
:func:`finite_difference_gradients`
    No chain rule at all: central differences (``lib.gradcheck.numerical_gradient``), two
    forward passes per scalar parameter, 2 P K calls for P parameters.

The counts depend only on the architecture, never on the machine: tests assert them exactly.
Seconds are measured in the chapter, not here.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.gradcheck import numerical_gradient
from lib.losses import Loss
from lib.nn import Layer, Linear, Sequential, Tanh, mlp

__all__ = ["OpCounter", "Counted", "counted", "counted_mlp", "backprop_gradients",
           "no_reuse_gradients", "finite_difference_gradients", "METHODS"]


@dataclass
class OpCounter:
    """Work done by a counted model since the last ``reset``.

    forward_calls, backward_calls : layer ``forward`` / ``backward`` calls.
    loss_calls : loss ``forward`` + ``backward`` calls made by the gradient functions.
    madds : multiply-adds in ``Linear`` layers: n * n_in * n_out for a forward call
        (X @ W.T), 2 * n * n_in * n_out for a backward call (dL/dW and dL/dx).
    """

    forward_calls: int = 0
    backward_calls: int = 0
    loss_calls: int = 0
    madds: int = 0

    @property
    def layer_calls(self) -> int:
        """forward_calls + backward_calls."""
        return self.forward_calls + self.backward_calls

    def reset(self) -> None:
        self.forward_calls = self.backward_calls = self.loss_calls = self.madds = 0


class Counted(Layer):
    """A lib layer that reports each call to an :class:`OpCounter`; otherwise the same layer.

    ``params`` and ``grads`` are the wrapped layer's own dictionaries (not copies), so
    optimisers and gradient checks see the real parameters.
    """

    def __init__(self, inner: Layer, counter: OpCounter):
        if not isinstance(inner, Layer):
            raise TypeError(f"Counted: expected a lib Layer, got {inner!r}.")
        self.inner, self.counter = inner, counter
        super().__init__()
        self.params, self.grads = inner.params, inner.grads

    def describe(self) -> str:
        return self.inner.describe()

    def _madds(self, n: int) -> int:
        if isinstance(self.inner, Linear):
            return n * self.inner.n_in * self.inner.n_out
        return 0

    def forward(self, x):
        out = self.inner.forward(x)
        self.counter.forward_calls += 1
        self.counter.madds += self._madds(out.shape[0])
        return out

    def backward(self, grad_out):
        grad_in = self.inner.backward(grad_out)
        self.counter.backward_calls += 1
        self.counter.madds += 2 * self._madds(grad_out.shape[0])
        return grad_in


def counted(model: Sequential) -> tuple[Sequential, OpCounter]:
    """A Sequential whose every layer is wrapped in :class:`Counted` sharing one counter.

    The new model shares the parameters of ``model`` (same arrays).
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"counted: expected a lib.nn.Sequential, got {type(model).__name__}.")
    counter = OpCounter()
    return Sequential(*[Counted(layer, counter) for layer in model.layers]), counter


def counted_mlp(sizes: list[int], activation: type[Layer] = Tanh, rng=None
                ) -> tuple[Sequential, OpCounter]:
    """``lib.nn.mlp(sizes, activation, rng=rng)`` with every layer counted.

    ``len(sizes) - 1`` Linear layers with an activation between consecutive ones, so
    K = 2 (len(sizes) - 1) - 1 layers in all.
    """
    return counted(mlp(list(sizes), activation, rng=rng))


def _check(model, loss, x, t):
    if not isinstance(model, Sequential):
        raise TypeError(f"expected a lib.nn.Sequential model, got {type(model).__name__}.")
    if not isinstance(loss, Loss):
        raise TypeError(f"expected a lib.losses Loss, got {type(loss).__name__}.")
    return np.asarray(x, dtype=np.float64)


def backprop_gradients(model: Sequential, loss: Loss, x, t) -> dict[str, np.ndarray]:
    """dL/dtheta for every parameter (names as in ``model.params``) by backpropagation.

    One forward and one backward pass: each layer is called twice.
    """
    x = _check(model, loss, x, t)
    y = model.forward(x)
    loss.forward(y, t)
    model.backward(loss.backward())
    _count_loss(model, 2)
    return {k: v.copy() for k, v in model.grads.items()}


def no_reuse_gradients(model: Sequential, loss: Loss, x, t) -> dict[str, np.ndarray]:
    """The same gradients as :func:`backprop_gradients`, recomputed without re-use.

    For each layer j that has parameters: a fresh forward pass through all K layers, then
    the chain dL/dy . df_K/da_{K-1} ... from the loss down to layer j, started again from
    dL/dy. Nothing computed for layer j+1 is used for layer j.
    """
    x = _check(model, loss, x, t)
    grads: dict[str, np.ndarray] = {}
    for j, layer_j in enumerate(model.layers):
        if not layer_j.params:
            continue
        y = model.forward(x)                     # recomputed for every layer: no re-use
        loss.forward(y, t)
        g = loss.backward()
        for layer in reversed(model.layers[j:]):  # the chain K, K-1, ..., j from scratch
            g = layer.backward(g)
        _count_loss(model, 2)
        grads.update({f"{j}.{k}": v.copy() for k, v in layer_j.grads.items()})
    return {k: grads[k] for k in model.params}    # the same order as model.params


def finite_difference_gradients(model: Sequential, loss: Loss, x, t, eps: float = 1e-6
                                ) -> dict[str, np.ndarray]:
    """The gradients by central differences: two forward passes per scalar parameter."""
    x = _check(model, loss, x, t)

    def f() -> float:
        return loss.forward(model.forward(x), t)

    grads = {}
    for name, param in model.params.items():
        grads[name] = numerical_gradient(f, param, eps)
        _count_loss(model, 2 * param.size)
    return grads


def _count_loss(model: Sequential, n: int) -> None:
    """Add n loss calls to the model's counter (models without a counter are not counted)."""
    counters = [layer.counter for layer in model.layers if isinstance(layer, Counted)]
    if counters:
        counters[0].loss_calls += n


METHODS = {"backprop": backprop_gradients, "no reuse": no_reuse_gradients,
           "finite differences": finite_difference_gradients}
