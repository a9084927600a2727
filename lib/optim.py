"""Optimisers: theta <- theta - alpha * (something made of the gradient).

An optimiser holds (layer, key) pairs and reads ``layer.params[key]`` and
``layer.grads[key]`` at each ``step()``, updating the parameter in place.
"""
from __future__ import annotations

import math

import numpy as np

from .nn import Layer, parameters_of

__all__ = ["SGD", "Adam"]


class Optimizer:
    """Holds the model's (layer, key) pairs and the learning rate alpha; ``step()`` updates.

    No ``zero_grad``: every ``backward`` overwrites the gradients it computes.
    """

    def __init__(self, model: Layer, lr: float):
        if not lr > 0:
            raise ValueError(f"{type(self).__name__}: the learning rate must be positive, "
                             f"got {lr}.")
        self.lr = float(lr)
        self.slots = list(parameters_of(model))

    def step(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class SGD(Optimizer):
    """Gradient descent, theta_{t+1} = theta_t - alpha grad L(theta_t), optionally with
    momentum (v <- mu v + g; theta <- theta - alpha v) and weight decay (g <- g + lambda theta,
    i.e. an L2 penalty lambda/2 ||theta||^2)."""

    def __init__(self, model: Layer, lr: float = 0.1, momentum: float = 0.0,
                 weight_decay: float = 0.0):
        super().__init__(model, lr)
        self.momentum, self.weight_decay = float(momentum), float(weight_decay)
        self.velocity = [np.zeros_like(layer.params[key]) for layer, key in self.slots] \
            if self.momentum else None
        self._scratch: list[np.ndarray] | None = None

    def step(self) -> None:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        if self._scratch is None:       # one buffer per parameter, reused at every step
            self._scratch = [np.empty_like(layer.params[key]) for layer, key in self.slots]
        for i, (layer, key) in enumerate(self.slots):
            p, g, tmp = layer.params[key], layer.grads[key], self._scratch[i]
            if wd:
                np.multiply(p, wd, out=tmp)
                tmp += g                # g + lambda theta, without touching grads
                g = tmp
            if self.velocity is not None:
                v = self.velocity[i]
                v *= mu
                v += g
                g = v
            np.multiply(g, lr, out=tmp)     # alpha g into the buffer: no new array per step
            p -= tmp


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): per-parameter steps from running means of g and g^2."""

    def __init__(self, model: Layer, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0):
        super().__init__(model, lr)
        self.beta1, self.beta2 = map(float, betas)
        self.eps, self.weight_decay = float(eps), float(weight_decay)
        self.m = [np.zeros_like(layer.params[key]) for layer, key in self.slots]
        self.v = [np.zeros_like(layer.params[key]) for layer, key in self.slots]
        self.t = 0

    def step(self) -> None:
        """Algorithm 1 of the paper: m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
        theta <- theta - alpha m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - b1^t),
        v_hat = v / (1 - b2^t)."""
        self.t += 1
        b1, b2, eps = self.beta1, self.beta2, self.eps
        # Python floats (math, not np): a NumPy float64 scalar would promote float32 arrays
        step = self.lr / (1 - b1 ** self.t)                 # alpha / (1 - b1^t) applied to m
        root_bc2 = math.sqrt(1 - b2 ** self.t)              # sqrt(v_hat) = sqrt(v) / this
        for i, (layer, key) in enumerate(self.slots):
            p, g = layer.params[key], layer.grads[key]
            if self.weight_decay:
                g = g + self.weight_decay * p
            m, v = self.m[i], self.v[i]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            denom = np.sqrt(v)
            denom /= root_bc2
            denom += eps
            np.divide(m, denom, out=denom)
            denom *= step
            p -= denom
