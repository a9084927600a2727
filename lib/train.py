"""The training loop: shuffled mini-batches, one optimiser step each, a history per epoch."""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from .losses import Loss
from .nn import Layer, as_float_batch, takes_input_grad
from .optim import Optimizer

__all__ = ["fit", "train_epoch", "History", "evaluate", "accuracy", "iterate_minibatches",
           "TrainingDiverged"]


class TrainingDiverged(RuntimeWarning):
    """The loss became NaN or infinite; training stopped (usually: the learning rate is too
    large)."""


@dataclass
class History:
    """Loss and accuracy per epoch on the training set and, if ``fit`` got one, the test set
    (accuracy is None for losses that do not classify).

    ``diverged`` is True when training stopped because the loss became NaN or infinite.
    """
    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float | None] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float | None] = field(default_factory=list)
    diverged: bool = False
    message: str = ""

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def __getitem__(self, key: str) -> list | bool | str:    # history["train_loss"], like Keras
        return getattr(self, key)


def accuracy(predictions: np.ndarray, t: np.ndarray) -> float:
    """Fraction of predictions equal to the labels (t as integer labels or one-hot rows)."""
    t = np.asarray(t)
    if t.ndim == 2 and t.shape[1] > 1:
        t = np.argmax(t, axis=1)
    return float(np.mean(np.asarray(predictions).reshape(-1) == t.reshape(-1)))


def iterate_minibatches(n: int, batch_size: int, rng: np.random.Generator,
                        shuffle: bool = True) -> Iterator[np.ndarray]:
    """Yield index arrays that cover range(n) once, in random order when ``shuffle``."""
    order = rng.permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start:start + batch_size]


def evaluate(model: Layer, loss: Loss, X: np.ndarray, t: np.ndarray,
             batch_size: int = 4096) -> tuple[float, float | None]:
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


def train_epoch(model: Layer, loss: Loss, optimizer: Optimizer, X: np.ndarray, t: np.ndarray,
                batch_size: int, rng: np.random.Generator,
                before_step: Callable[[], None] | None = None) -> float | None:
    """One pass over (X, t) in shuffled mini-batches: forward, backward, one optimiser step each.

    X : (n, d) float batch; t : (n, ...) targets as ``loss`` expects them.
    rng : the Generator that shuffles (its state moves on: the next epoch gets a new order).
    before_step : called after each backward pass, before the step (the playground adds its
        penalty's gradient there).
    Returns None, or the first loss that is NaN or infinite: the epoch stops there.
    """
    # A diverging run overflows before its loss is inf: NumPy's overflow/invalid warnings
    # would only repeat, less clearly, what the caller says about the non-finite loss.
    with np.errstate(over="ignore", invalid="ignore"):
        for idx in iterate_minibatches(len(X), batch_size, rng):
            value = loss.forward(model.forward(X[idx]), t[idx])
            if not math.isfinite(value):
                return value
            _backward_for_training(model, loss.backward())
            if before_step is not None:
                before_step()
            optimizer.step()
    return None


def fit(model: Layer, loss: Loss, optimizer: Optimizer, X: ArrayLike, t: ArrayLike, *,
        epochs: int = 10, batch_size: int = 32, X_test: ArrayLike | None = None,
        t_test: ArrayLike | None = None, rng: int | np.random.Generator | None = 0,
        progress: bool = True,
        callback: Callable[[int, History], bool | None] | None = None) -> History:
    """Train ``model`` with ``optimizer`` on (X, t) for ``epochs`` passes of shuffled mini-batches.

    Parameters
    ----------
    X : (n, d) float array; t : targets as ``loss`` expects them.
    batch_size : samples per step (``len(X)`` for full-batch gradient descent).
    X_test, t_test : optional held-out set, evaluated after every epoch (never trained on).
    rng : seed or Generator for the shuffling (fixed by default: runs are reproducible).
    progress : show a progress bar (tqdm; a widget in notebooks, text in terminals).
    callback : called as ``callback(epoch, history)`` after every epoch; return True to stop.

    Returns a ``History``. If the loss becomes NaN or infinite, training stops at once,
    a ``TrainingDiverged`` warning says so, and ``history.diverged`` is True.
    """
    X, t = _check_fit_data(X, t, batch_size, X_test, t_test)
    rng = np.random.default_rng(rng)
    history = History()
    bar = _progress_bar(epochs, enabled=progress)
    try:
        # a diverging run can overflow in the evaluation too: the check on the loss says it
        with np.errstate(over="ignore", invalid="ignore"):
            for epoch in range(epochs):
                bad = train_epoch(model, loss, optimizer, X, t, batch_size, rng)
                if bad is not None:
                    history.diverged = True
                    history.message = (
                        f"Training stopped in epoch {epoch + 1}: the loss became {bad}. The "
                        f"learning rate ({optimizer.lr}) is probably too large; try a smaller one.")
                    warnings.warn(history.message, TrainingDiverged, stacklevel=2)
                    return history
                _record_epoch(history, model, loss, X, t, X_test, t_test)
                if bar is not None:
                    bar.set_postfix(loss=f"{history.train_loss[-1]:.4f}")
                    bar.update(1)
                if callback is not None and callback(epoch, history):
                    break
    finally:
        if bar is not None:
            bar.close()
    return history


def _check_fit_data(X, t, batch_size: int, X_test, t_test) -> tuple[np.ndarray, np.ndarray]:
    """X as a float batch and t as an array, or a ValueError that says what to fix."""
    X = as_float_batch(X, "fit (X)")
    if len(t) != len(X):
        raise ValueError(f"fit: X has {len(X)} samples but t has {len(t)} targets.")
    if batch_size < 1:
        raise ValueError(f"fit: batch_size must be at least 1, got {batch_size}.")
    if (X_test is None) != (t_test is None):
        raise ValueError("fit: give both X_test and t_test (the held-out inputs and their "
                         "targets), or neither.")
    return X, np.asarray(t)


def _record_epoch(history: History, model: Layer, loss: Loss, X, t, X_test, t_test) -> None:
    """Append the epoch's loss and accuracy on the training set (and the test set, if any)."""
    train_loss, train_acc = evaluate(model, loss, X, t)
    history.train_loss.append(train_loss)
    history.train_accuracy.append(train_acc)
    if X_test is not None:
        test_loss, test_acc = evaluate(model, loss, X_test, t_test)
        history.test_loss.append(test_loss)
        history.test_accuracy.append(test_acc)


def _backward_for_training(model: Layer, grad_out: np.ndarray) -> None:
    """model.backward(grad_out), without dL/dX of the data where the model can skip it."""
    if takes_input_grad(model):
        model.backward(grad_out, input_grad=False)
    else:                               # any other Layer: its backward(grad_out) as written
        model.backward(grad_out)


def _progress_bar(total: int, enabled: bool):  # -> tqdm | None
    if not enabled:
        return None
    from tqdm.auto import tqdm  # notebook widget under Jupyter, text bar elsewhere
    return tqdm(total=total, desc="epochs", leave=False)
