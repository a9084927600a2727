"""Layers of a neural network, each with its ``forward`` and ``backward`` side by side.

The contract (CS231n's, written out):

* ``forward(x)`` takes a batch ``x`` of shape ``(n, n_in)`` (one sample per row) and
  returns ``(n, n_out)``; it keeps what ``backward`` will need.
* ``backward(grad_out)`` takes dL/d(output), shape ``(n, n_out)``, stores dL/d(param)
  in ``self.grads`` (same keys as ``self.params``) and returns dL/d(input), ``(n, n_in)``.
* ``layer(x)`` is ``layer.forward(x)``.

Notation of the course: x input, W weights, b bias, z = Wx + b pre-activation,
a = f(z) activation. With a batch ``X`` as rows, the lecture's ``Wx + b`` is ``X @ W.T + b``.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import functional as F

__all__ = ["Layer", "Linear", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Identity", "Sequential",
           "ShapeError", "mlp", "layers_of", "parameters_of", "as_float_batch", "takes_input_grad"]


class ShapeError(ValueError):
    """An array of the wrong shape reached a layer or loss (a ``ValueError``)."""


class Layer:
    """Base class: no parameters, names itself in error messages."""

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.name: str = self.describe()
        self._cache = None              # what backward needs; None until forward has run

    def describe(self) -> str:
        """Short human description, e.g. ``Linear(784 -> 256)``; used in error messages."""
        return f"{type(self).__name__}()"

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def __repr__(self) -> str:
        return self.describe()

    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- checks shared by every layer: they make mistakes readable ---------------------------
    def _check_input(self, x, n_in: int | None = None) -> np.ndarray:
        x = as_float_batch(x, where=f"{self.name}.forward")
        if n_in is not None and x.shape[1] != n_in:
            raise ShapeError(
                f"{self.name}: input has shape {x.shape} but this layer expects (n, {n_in}) "
                f"(n samples as rows, {n_in} features each){self._shape_hint()}.")
        return x

    def _shape_hint(self) -> str:
        """Extra words for a shape error (Linear names its weight matrix)."""
        return ""

    def _check_grad(self, grad_out, expected_shape: tuple[int, ...]) -> np.ndarray:
        if self._cache is None:
            raise RuntimeError(f"{self.name}.backward was called before forward: run the forward "
                               "pass first, it stores what the backward pass needs.")
        grad_out = np.asarray(grad_out)
        if grad_out.shape != expected_shape:
            raise ShapeError(f"{self.name}.backward: grad_out has shape {grad_out.shape} but the "
                             f"forward output had shape {expected_shape}; they must match.")
        return grad_out


def as_float_batch(x: ArrayLike, where: str) -> np.ndarray:
    """Return ``x`` as a 2-D float batch (n, features) or raise a message that says what to fix.

    ``where`` names the caller in the message (``"Linear(2 -> 3).forward"``, ``"fit (X)"``):
    layers, losses and ``fit`` check their inputs with it.
    """
    # fast path, taken by every call inside a network: a non-empty 2-D float ndarray
    if type(x) is np.ndarray and x.ndim == 2 and x.dtype.kind == "f" and x.shape[0]:
        return x
    x = np.asarray(x)
    if x.dtype == object or not (np.issubdtype(x.dtype, np.floating)):
        hint = " (for images stored as uint8, use x.astype(np.float32) / 255)" \
            if np.issubdtype(x.dtype, np.integer) else ""
        raise TypeError(f"{where}: expected a float array, got dtype {x.dtype}{hint}.")
    if x.ndim == 1:
        raise ShapeError(f"{where}: got a 1-D array of shape {x.shape}; layers take a batch of "
                         f"shape (n, features). For one sample use x.reshape(1, -1).")
    if x.ndim != 2:
        raise ShapeError(f"{where}: expected a 2-D batch (n, features), got shape {x.shape} "
                         "(flatten images first, e.g. x.reshape(len(x), -1)).")
    if x.shape[0] == 0:
        raise ShapeError(f"{where}: the batch is empty (shape {x.shape}); pass at least one "
                         "sample (check the slicing or the batch size that produced it).")
    return x


class Linear(Layer):
    """The layer of the lecture: z = W x + b for every sample, ``Z = X @ W.T + b``.

    Parameters
    ----------
    n_in, n_out : number of inputs d and of neurons (outputs).
    rng : ``numpy.random.Generator`` (or a seed) for the initial weights.
    init : how the weights are drawn, W ~ N(0, variance) (biases start at 0):

        * ``"he"``: variance 2/n_in, He et al. 2015 (for ReLU: it keeps the signal's size
          through a layer that zeroes half of its inputs);
        * ``"lecun"``: variance 1/n_in, LeCun et al. 1998 ("Efficient BackProp"; for sigmoid
          and tanh layers: it keeps the pre-activations' variance near that of the inputs);
        * ``"glorot"``: variance 2/(n_in + n_out), Glorot & Bengio 2010 (a compromise between
          the forward pass, which wants 1/n_in, and the backward pass, which wants 1/n_out);
        * ``"normal"`` (std 0.01) or ``"zeros"``.
    dtype : float dtype of the parameters (float64 by default; float32 for speed).

    Shapes: ``params["W"]`` (n_out, n_in), ``params["b"]`` (n_out,);
    forward (n, n_in) -> (n, n_out).
    """

    def __init__(self, n_in: int, n_out: int, rng: int | np.random.Generator | None = None,
                 init: str = "he", dtype: DTypeLike = np.float64):
        self.n_in, self.n_out = int(n_in), int(n_out)
        if self.n_in < 1 or self.n_out < 1:
            raise ValueError(f"Linear({n_in}, {n_out}): sizes must be positive integers.")
        super().__init__()
        rng = np.random.default_rng(rng)
        std = {"he": np.sqrt(2.0 / n_in), "lecun": np.sqrt(1.0 / n_in),
               "glorot": np.sqrt(2.0 / (n_in + n_out)), "normal": 0.01, "zeros": 0.0}
        if init == "xavier":            # the old name, which wrongly credited 1/n_in to Glorot
            raise ValueError(f"{self.name}: init 'xavier' was renamed: its variance 1/n_in is "
                             "LeCun's, use init='lecun'; for Glorot & Bengio's "
                             "2/(n_in + n_out) use init='glorot'.")
        if init not in std:
            raise ValueError(f"{self.name}: unknown init {init!r}; choose one of {sorted(std)}.")
        self.params["W"] = (std[init] * rng.standard_normal((n_out, n_in))).astype(dtype)
        self.params["b"] = np.zeros(n_out, dtype=dtype)
        self.grads["W"] = np.zeros_like(self.params["W"])
        self.grads["b"] = np.zeros_like(self.params["b"])

    @classmethod
    def from_weights(cls, W: ArrayLike, b: ArrayLike = 0.0,
                     dtype: DTypeLike = np.float64) -> Linear:
        """A layer with the given weights: W (n_out, n_in), b of shape (n_out,) or a scalar.

        For networks built by hand (the XOR network, bumps, the tent map) rather than trained.
        """
        W = np.atleast_2d(np.asarray(W, dtype=dtype))
        layer = cls(W.shape[1], W.shape[0], init="zeros", dtype=dtype)
        layer.params["W"][...] = W
        layer.params["b"][...] = b          # broadcasts a scalar; a wrong shape raises here
        return layer

    def describe(self) -> str:
        return f"Linear({self.n_in} -> {self.n_out})"

    def _shape_hint(self) -> str:
        return f"; its W has shape {self.params['W'].shape} = (n_out, n_in)"

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (n, n_in) -> z: (n, n_out)."""
        W, b = self.params["W"], self.params["b"]
        x = self._check_input(x, self.n_in)
        if x.dtype != W.dtype:          # mixing float32 and float64 would silently go slow
            x = x.astype(W.dtype)
        self._cache = x
        z = x @ W.T
        z += b                          # in place: one (n, n_out) array, not two
        return z

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """grad_out = dL/dz: (n, n_out) -> dL/dx: (n, n_in); fills grads W and b.

        dL/dW = grad_out^T x  (summed over the batch: the lecture's sum over samples),
        dL/db = sum_i grad_out_i,  dL/dx = grad_out W.
        ``input_grad=False`` skips dL/dx (and returns None): a first layer's input is data,
        whose gradient training never uses, and it costs one of the three matrix products.
        """
        x = self._cache
        grad_out = self._check_grad(grad_out, (x.shape[0] if x is not None else 0, self.n_out))
        if grad_out.dtype != x.dtype:   # keep float32 networks in float32 (no silent upcast)
            grad_out = grad_out.astype(x.dtype)
        np.matmul(grad_out.T, x, out=self.grads["W"])
        np.sum(grad_out, axis=0, out=self.grads["b"])
        return grad_out @ self.params["W"] if input_grad else None


class _Activation(Layer):
    """A point-wise function: same shape in and out, no parameters."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = self._check_input(x)
        a = self._f(x)
        self._cache = (x, a)
        return a

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        x, a = self._cache if self._cache is not None else (None, None)
        grad_out = self._check_grad(grad_out, a.shape if a is not None else ())
        return self._backward(grad_out, x, a)


class Sigmoid(_Activation):
    """a = 1 / (1 + e^-z);  da/dz = a (1 - a), at most 1/4: the root of vanishing gradients."""

    def _f(self, z):
        return F.sigmoid(z)

    def _backward(self, grad_out, z, a):
        return grad_out * a * (1 - a)


class Tanh(_Activation):
    """a = tanh(z);  da/dz = 1 - a^2."""

    def _f(self, z):
        return np.tanh(z)

    def _backward(self, grad_out, z, a):
        return grad_out * (1 - a * a)


class ReLU(_Activation):
    """a = max(0, z);  da/dz = 1 for z > 0 and 0 otherwise (0 at z = 0, where none exists)."""

    def _f(self, z):
        return F.relu(z)

    def _backward(self, grad_out, z, a):
        # g * (z > 0): a float times a bool mask keeps g's dtype, and is several times faster
        # than np.where(z > 0, g, 0), which NumPy does not vectorise as well
        return np.multiply(grad_out, z > 0)


class LeakyReLU(_Activation):
    """a = z for z > 0, slope * z otherwise; never completely dead."""

    def __init__(self, slope: float = 0.01):
        self.slope = float(slope)
        super().__init__()

    def describe(self) -> str:
        return f"LeakyReLU(slope={self.slope})"

    def _f(self, z):
        if 0 <= self.slope <= 1:        # then max(z, slope z) is the same function, and faster
            return np.maximum(z, self.slope * z)
        return np.where(z > 0, z, self.slope * z)

    def _backward(self, grad_out, z, a):
        return np.where(z > 0, grad_out, self.slope * grad_out)


class Identity(_Activation):
    """a = z: the "linear" activation."""

    def _f(self, z):
        return z

    def _backward(self, grad_out, z, a):
        return grad_out


class Sequential(Layer):
    """f_k(... f_2(f_1(x))): the forward pass as a composition, backward in reverse order.

    ``model.layers`` lists the layers; ``model.params``/``model.grads`` expose every
    parameter under a name like ``"0.W"`` (layer index, parameter name).
    """

    def __init__(self, *layers: Layer):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential: item {i} is {layer!r}, not a Layer.")
        self.layers = list(layers)
        # not Layer.__init__: params and grads are read-only views of the layers' own
        self.name = self.describe()
        self._cache = ()
        for i, layer in enumerate(self.layers):
            layer.name = f"layer {i} ({layer.describe()})"

    def describe(self) -> str:
        inner = ", ".join(layer.describe() for layer in getattr(self, "layers", []))
        return f"Sequential({inner})"

    def __repr__(self) -> str:
        body = "\n".join(f"  ({i}) {layer.describe()}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{body}\n)"

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in layer.params.items()}

    @property
    def grads(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": v for i, layer in enumerate(self.layers)
                for k, v in layer.grads.items()}

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backward through every layer in reverse; returns dL/dx of the first layer's input.

        ``input_grad=False`` (what ``fit`` uses) lets a first layer that can (``Linear``)
        skip dL/dx, which training never needs; the result is then None.
        """
        if not self.layers:
            return grad_out
        for layer in reversed(self.layers[1:]):
            grad_out = layer.backward(grad_out)
        first = self.layers[0]
        if not input_grad and takes_input_grad(first):
            return first.backward(grad_out, input_grad=False)
        return first.backward(grad_out)

    def num_parameters(self) -> int:
        return sum(p.size for p in self.params.values())


@functools.cache
def _backward_takes_input_grad(cls: type) -> bool:
    return "input_grad" in inspect.signature(cls.backward).parameters


def takes_input_grad(layer: Layer) -> bool:
    """Whether ``layer.backward`` accepts ``input_grad=`` (a subclass that overrides
    ``backward(grad_out)`` does not: it is then called the plain way)."""
    return _backward_takes_input_grad(type(layer))


def layers_of(model: Layer) -> list[Layer]:
    """The layers of a model, first to last: a ``Sequential``'s list, or ``[model]`` for one layer.

    The one walker over a network: optimisers, diagnostics, region counting and the playground
    go through it.
    """
    return model.layers if isinstance(model, Sequential) else [model]


def parameters_of(model: Layer) -> Iterator[tuple[Layer, str]]:
    """(layer, key) pairs of every parameter of a model, for optimisers."""
    return ((layer, k) for layer in layers_of(model) for k in layer.params)


def mlp(sizes: list[int], activation: type[Layer] = ReLU,
        rng: int | np.random.Generator | None = None, dtype: DTypeLike = np.float64,
        init: str | None = None) -> Sequential:
    """A multi-layer perceptron: Linear, activation, ..., Linear (no activation at the end).

    ``mlp([2, 8, 8, 1], Tanh, rng=0)`` is the playground's 2-8-8-1 network. The last layer
    outputs logits; the loss applies sigmoid or softmax itself. ``init`` is passed to every
    ``Linear`` (see there); by default ``"he"`` for ReLU and LeakyReLU, ``"lecun"`` otherwise.
    """
    rng = np.random.default_rng(rng)
    if init is None:
        init = "he" if activation in (ReLU, LeakyReLU) else "lecun"
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(n_in, n_out, rng=rng, init=init, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(activation())
    return Sequential(*layers)
