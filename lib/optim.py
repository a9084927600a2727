"""Optimisers: theta <- theta - alpha * (something made of the gradient).

An optimiser holds (layer, key) pairs and reads ``layer.params[key]`` and
``layer.grads[key]`` at each ``step()``, updating the parameter in place.
"""
from __future__ import annotations

import numpy as np

from .nn import Layer, parameters_of

__all__ = ["SGD", "Adam"]


class Optimizer:
    def __init__(self, model: Layer, lr: float):
        if not lr > 0:
            raise ValueError(f"{type(self).__name__}: the learning rate must be positive, got {lr}.")
        self.lr = float(lr)
        self.slots = list(parameters_of(model))
        self.model = model

    def zero_grad(self) -> None:
        for layer, key in self.slots:
            layer.grads[key][...] = 0

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

    def step(self) -> None:
        for i, (layer, key) in enumerate(self.slots):
            p, g = layer.params[key], layer.grads[key]
            if self.weight_decay:
                g = g + self.weight_decay * p
            if self.velocity is not None:
                v = self.velocity[i]
                v *= self.momentum
                v += g
                g = v
            p -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015): per-parameter steps from running means of g and g^2."""

    def __init__(self, model: Layer, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        super().__init__(model, lr)
        self.beta1, self.beta2 = map(float, betas)
        self.eps, self.weight_decay = float(eps), float(weight_decay)
        self.m = [np.zeros_like(layer.params[key]) for layer, key in self.slots]
        self.v = [np.zeros_like(layer.params[key]) for layer, key in self.slots]
        self.t = 0

    def step(self) -> None:
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # bias corrections folded into the step size (as in the paper's Algorithm 1 note)
        step = self.lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for i, (layer, key) in enumerate(self.slots):
            p, g = layer.params[key], layer.grads[key]
            if self.weight_decay:
                g = g + self.weight_decay * p
            m, v = self.m[i], self.v[i]
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * (g * g)
            p -= (step * m / (np.sqrt(v) + self.eps)).astype(p.dtype, copy=False)
