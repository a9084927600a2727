"""The training loop: shuffled mini-batches, one optimiser step each, a history per epoch."""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from .losses import Loss
from .nn import Layer, _as_float_batch, takes_input_grad
from .optim import Optimizer

__all__ = ["fit", "History", "evaluate", "accuracy", "iterate_minibatches", "TrainingDiverged"]


class TrainingDiverged(RuntimeWarning):
    """The loss became NaN or infinite; training stopped (usually: the learning rate is too
    large)."""


@dataclass
class History:
    """Loss and accuracy per epoch (accuracy is None for losses that do not classify).

    ``diverged`` is True when training stopped because the loss became NaN or infinite.
    """
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float | None] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float | None] = field(default_factory=list)
    diverged: bool = False
    message: str = ""

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def __getitem__(self, key: str):    # history["train_loss"], like Keras
        return getattr(self, key)


def accuracy(predictions, t) -> float:
    """Fraction of predictions equal to the labels (t as integer labels or one-hot rows)."""
    t = np.asarray(t)
    if t.ndim == 2 and t.shape[1] > 1:
        t = np.argmax(t, axis=1)
    return float(np.mean(np.asarray(predictions).reshape(-1) == t.reshape(-1)))


def iterate_minibatches(n: int, batch_size: int, rng: np.random.Generator, shuffle: bool = True):
    """Yield index arrays that cover range(n) once, in random order when ``shuffle``."""
    order = rng.permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def evaluate(model: Layer, loss: Loss, X, t, batch_size: int = 4096) -> tuple[float, float | None]:
    """Mean loss and accuracy of ``model`` on (X, t), in batches, without changing the model."""
    n = len(X)
    total, correct, has_acc = 0.0, 0, True
    for start in range(0, n, batch_size):
        xb, tb = X[start:start + batch_size], t[start:start + batch_size]
        z = model.forward(xb)
        total += loss.forward(z, tb) * (len(xb) if loss.reduction == "mean" else 1)
        pred = loss.predict(z)
        if pred is None:
            has_acc = False
        else:
            correct += accuracy(pred, tb) * len(xb)
    return total / n, (correct / n if has_acc else None)


def fit(model: Layer, loss: Loss, optimizer: Optimizer, X, t, *, epochs: int = 10,
        batch_size: int = 32, X_val=None, t_val=None, rng=0, progress: bool = True,
        callback=None) -> History:
    """Train ``model`` with ``optimizer`` on (X, t) for ``epochs`` passes of shuffled mini-batches.

    Parameters
    ----------
    X : (n, d) float array; t : targets as ``loss`` expects them.
    batch_size : samples per step (``len(X)`` for full-batch gradient descent).
    X_val, t_val : optional validation set, evaluated after every epoch.
    rng : seed or Generator for the shuffling (fixed by default: runs are reproducible).
    progress : show a progress bar (tqdm; a widget in notebooks, text in terminals).
    callback : called as ``callback(epoch, history)`` after every epoch; return True to stop.

    Returns a ``History``. If the loss becomes NaN or infinite, training stops at once,
    a ``TrainingDiverged`` warning says so, and ``history.diverged`` is True.
    """
    X = _as_float_batch(X, "fit (X)")
    if len(t) != len(X):
        raise ValueError(f"fit: X has {len(X)} samples but t has {len(t)} targets.")
    if batch_size < 1:
        raise ValueError(f"fit: batch_size must be at least 1, got {batch_size}.")
    if (X_val is None) != (t_val is None):
        raise ValueError("fit: give both X_val and t_val (the validation inputs and their "
                         "targets), or neither.")
    rng = np.random.default_rng(rng)
    t = np.asarray(t)
    history = History()
    bar = _progress_bar(epochs, enabled=progress)
    try:
        # A diverging run overflows before its loss is inf: NumPy's overflow/invalid warnings
        # would only repeat, less clearly, what the TrainingDiverged check below says.
        with np.errstate(over="ignore", invalid="ignore"):
            for epoch in range(epochs):
                for idx in iterate_minibatches(len(X), batch_size, rng):
                    value = loss.forward(model.forward(X[idx]), t[idx])
                    if not math.isfinite(value):
                        history.diverged = True
                        history.message = (
                            f"Training stopped in epoch {epoch + 1}: the loss became {value}. "
                            f"The learning rate ({optimizer.lr}) is probably too large; try a "
                            "smaller one.")
                        warnings.warn(history.message, TrainingDiverged, stacklevel=2)
                        return history
                    _backward_for_training(model, loss.backward())
                    optimizer.step()
                train_loss, train_acc = evaluate(model, loss, X, t)
                history.train_loss.append(train_loss)
                history.train_accuracy.append(train_acc)
                if X_val is not None:
                    val_loss, val_acc = evaluate(model, loss, X_val, t_val)
                    history.val_loss.append(val_loss)
                    history.val_accuracy.append(val_acc)
                if bar is not None:
                    bar.set_postfix(loss=f"{train_loss:.4f}")
                    bar.update(1)
                if callback is not None and callback(epoch, history):
                    break
    finally:
        if bar is not None:
            bar.close()
    return history


def _backward_for_training(model: Layer, grad_out: np.ndarray) -> None:
    """model.backward(grad_out), without dL/dX of the data where the model can skip it."""
    if takes_input_grad(model):
        model.backward(grad_out, input_grad=False)
    else:                               # any other Layer: its backward(grad_out) as written
        model.backward(grad_out)


def _progress_bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm   # notebook widget under Jupyter, text bar elsewhere
    return tqdm(total=total, desc="epochs", leave=False)
