"""The playground of playground.tensorflow.org as a headless model, on ``lib``.

Everything the playground's web page does except drawing: a 2-D data set, a choice of input
features (x1, x2, x1^2, x2^2, x1*x2, sin x1, sin x2), a fully connected network with 0 to 6
hidden layers, mini-batch gradient descent with an optional L1 or L2 penalty, training and
test loss per epoch, and each neuron's output on a grid of the plane.
``lib.playground.widget`` draws it; the tests and the book drive it without a display.

    >>> pg = Playground(dataset="circle", features=("x1^2", "x2^2"), hidden=(), rng=0)
    >>> pg.step(20).test_loss[-1] < pg.test_loss[0]
    True

One ``step`` is one epoch, as on the web page: a pass over the training points in shuffled
mini-batches of ``batch_size``, one gradient step per mini-batch.

The network's last layer has one output z. With ``loss="cross_entropy"`` the model returns z
(a logit) and the loss is binary cross-entropy of p = sigma(z); with ``loss="squared_error"``
a sigmoid is the model's last layer, y = sigma(z), and L = mean_i (y_i - t_i)^2 (the web
page uses tanh and targets -1/+1; sigmoid and 0/1 is the same model, rescaled).
"""
from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from lib.data import DATASETS, grid_points, make_dataset, train_test_split
from lib.functional import sigmoid
from lib.losses import BinaryCrossEntropy, MeanSquaredError
from lib.nn import Identity, Layer, Linear, ReLU, Sequential, Sigmoid, Tanh, layers_of, mlp
from lib.optim import SGD
from lib.train import accuracy, train_epoch

__all__ = ["FEATURES", "FEATURE_LABELS", "ACTIVATIONS", "LOSSES", "REGULARIZATIONS",
           "MAX_HIDDEN_LAYERS", "feature_map", "penalty", "penalty_gradient",
           "PlaygroundConfig", "Playground", "load_playground"]

# Each feature maps the points X (n, 2) to one column (n,). Order = the web page's order.
FEATURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x1": lambda X: X[:, 0],
    "x2": lambda X: X[:, 1],
    "x1^2": lambda X: X[:, 0] ** 2,
    "x2^2": lambda X: X[:, 1] ** 2,
    "x1*x2": lambda X: X[:, 0] * X[:, 1],
    "sin(x1)": lambda X: np.sin(X[:, 0]),
    "sin(x2)": lambda X: np.sin(X[:, 1]),
}
FEATURE_LABELS = {"x1": "$x_1$", "x2": "$x_2$", "x1^2": "$x_1^2$", "x2^2": "$x_2^2$",
                  "x1*x2": "$x_1 x_2$", "sin(x1)": r"$\sin x_1$", "sin(x2)": r"$\sin x_2$"}
ACTIVATIONS: dict[str, type[Layer]] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid,
                                       "linear": Identity}
LOSSES = ("cross_entropy", "squared_error")
REGULARIZATIONS = ("none", "L1", "L2")
MAX_HIDDEN_LAYERS = 6
MAX_NEURONS = 64
DATASET_NAMES = ("circle", "xor", "gaussians", "spiral", "moons", "custom")
FORMAT = "nn-course-playground"


def feature_map(X, features) -> np.ndarray:
    """The input features phi(x) of every point: X (n, 2) -> (n, k), one column per name.

    ``features`` is a sequence of names from ``FEATURES``, e.g. ``("x1", "x2", "x1^2")``;
    the columns come in that order.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"feature_map: points must have shape (n, 2) (x1, x2 per row), got "
                         f"{X.shape}.")
    features = _check_features(features)
    return np.column_stack([FEATURES[name](X) for name in features])


def _check_features(features) -> tuple[str, ...]:
    if isinstance(features, str):
        features = (features,)
    features = tuple(features)
    if not features:
        raise ValueError("choose at least one input feature, e.g. features=('x1', 'x2').")
    unknown = [f for f in features if f not in FEATURES]
    if unknown:
        raise ValueError(f"unknown feature(s) {unknown}; choose from {list(FEATURES)}.")
    if len(set(features)) != len(features):
        raise ValueError(f"features {features} name a feature twice.")
    return features


def penalty(weights, kind: str, rate: float) -> float:
    """R(W) summed over the weight matrices (biases are not penalised, as on the web page).

    L1: rate * sum |W|;   L2: rate / 2 * sum W^2;   "none": 0.
    """
    if kind == "none" or rate == 0:
        return 0.0
    if kind == "L1":
        return rate * float(sum(np.abs(W).sum() for W in weights))
    if kind == "L2":
        return 0.5 * rate * float(sum((W * W).sum() for W in weights))
    raise ValueError(f"unknown regularization {kind!r}; choose from {REGULARIZATIONS}.")


def penalty_gradient(W: np.ndarray, kind: str, rate: float) -> np.ndarray:
    """dR/dW for one weight matrix: rate * sign(W) (L1, a subgradient: 0 at W = 0) or rate * W."""
    if kind == "none" or rate == 0:
        return np.zeros_like(W)
    if kind == "L1":
        return rate * np.sign(W)
    if kind == "L2":
        return rate * W
    raise ValueError(f"unknown regularization {kind!r}; choose from {REGULARIZATIONS}.")


@dataclass(frozen=True, eq=False)
class PlaygroundConfig:
    """Every setting of the playground; the defaults are the web page's.

    dataset : "circle", "xor", "gaussians", "spiral", "moons" or "custom" (then ``points``).
    n_points : points generated (ignored for "custom").
    noise : standard deviation of the Gaussian noise added to the points (0 to 0.5 is useful).
    train_fraction : share of the points used for training; the rest is the test set.
    features : names from ``FEATURES``.
    hidden : neurons per hidden layer, e.g. (4, 2); () is no hidden layer (0 to 6 layers).
    activation : "relu", "tanh", "sigmoid" or "linear" (every hidden layer).
    loss : "cross_entropy" or "squared_error".
    learning_rate : alpha of theta <- theta - alpha * gradient.
    regularization, regularization_rate : "none", "L1" or "L2" and its lambda.
    batch_size : points per gradient step (larger than the training set = full batch).
    rng : the seed (an int: it is saved with the settings) that fixes the data, the split, the
        initial weights and the shuffling.
    points : (X (n, 2), t (n,) in {0, 1}) for ``dataset="custom"``.
    """
    dataset: str = "circle"
    n_points: int = 500
    noise: float = 0.0
    train_fraction: float = 0.5
    features: tuple[str, ...] = ("x1", "x2")
    hidden: tuple[int, ...] = (4, 2)
    activation: str = "tanh"
    loss: str = "cross_entropy"
    learning_rate: float = 0.03
    regularization: str = "none"
    regularization_rate: float = 0.0
    batch_size: int = 10
    rng: int = 0
    points: tuple | None = field(default=None, repr=False)

    def validated(self) -> PlaygroundConfig:
        """A normalised copy (tuples, plain numbers), or a ValueError that says what to fix."""
        if self.dataset not in DATASET_NAMES:
            raise ValueError(f"unknown dataset {self.dataset!r}; choose from {DATASET_NAMES}.")
        if self.dataset == "custom":
            points = _check_points(self.points)
        elif self.dataset in DATASETS:
            points = None
        else:  # pragma: no cover - DATASET_NAMES and lib.data.DATASETS agree
            raise ValueError(f"data set {self.dataset!r} is not in lib.data.DATASETS.")
        if int(self.n_points) < 4:
            raise ValueError(f"n_points must be at least 4, got {self.n_points}.")
        if not (0 <= float(self.noise) <= 10) or math.isnan(float(self.noise)):
            raise ValueError(f"noise is a standard deviation between 0 and 10, got {self.noise}.")
        if not 0 < float(self.train_fraction) < 1:
            raise ValueError(f"train_fraction must lie strictly between 0 and 1 (e.g. 0.5), got "
                             f"{self.train_fraction}.")
        features = _check_features(self.features)
        hidden = self.hidden
        hidden = (hidden,) if isinstance(hidden, (int, np.integer)) else tuple(hidden)
        if len(hidden) > MAX_HIDDEN_LAYERS:
            raise ValueError(f"at most {MAX_HIDDEN_LAYERS} hidden layers, got {len(hidden)} "
                             f"(hidden={hidden}).")
        for i, n in enumerate(hidden):
            if int(n) != n or not 1 <= n <= MAX_NEURONS:
                raise ValueError(f"hidden layer {i + 1} has {n} neurons; give a whole number "
                                 f"from 1 to {MAX_NEURONS}.")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; choose from "
                             f"{list(ACTIVATIONS)}.")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose from {LOSSES}.")
        lr = float(self.learning_rate)
        if not (lr > 0 and math.isfinite(lr)):
            raise ValueError(f"learning_rate must be a positive number, got {self.learning_rate}.")
        if self.regularization not in REGULARIZATIONS:
            raise ValueError(f"unknown regularization {self.regularization!r}; choose from "
                             f"{REGULARIZATIONS}.")
        rate = float(self.regularization_rate)
        if not (rate >= 0 and math.isfinite(rate)):
            raise ValueError(f"regularization_rate must be 0 or positive, got "
                             f"{self.regularization_rate}.")
        if int(self.batch_size) != self.batch_size or self.batch_size < 1:
            raise ValueError(f"batch_size must be a whole number of at least 1, got "
                             f"{self.batch_size}.")
        if isinstance(self.rng, np.random.Generator) or int(self.rng) != self.rng or self.rng < 0:
            raise ValueError(f"rng must be a seed, a non-negative whole number (the playground "
                             f"saves it with its settings), got {self.rng}.")
        return replace(self, n_points=int(self.n_points), noise=float(self.noise),
                       train_fraction=float(self.train_fraction), features=features,
                       hidden=tuple(int(n) for n in hidden), learning_rate=lr,
                       regularization_rate=rate, batch_size=int(self.batch_size),
                       rng=int(self.rng), points=points)

    def __eq__(self, other) -> bool:
        """Same settings (custom points compared by value, not as arrays' truth values)."""
        if not isinstance(other, PlaygroundConfig):
            return NotImplemented
        names = [f.name for f in fields(self) if f.name != "points"]
        return (all(getattr(self, n) == getattr(other, n) for n in names)
                and _same_points(self.points, other.points))

    __hash__ = None                      # holds arrays: not hashable

    def to_dict(self) -> dict:
        """Plain JSON-able values (custom points as lists)."""
        d = asdict(self)
        d["features"], d["hidden"] = list(self.features), list(self.hidden)
        if self.points is not None:
            d["points"] = {"X": np.asarray(self.points[0]).tolist(),
                           "t": np.asarray(self.points[1]).tolist()}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> PlaygroundConfig:
        d = dict(d)
        unknown = set(d) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown playground setting(s) {sorted(unknown)}.")
        if d.get("points") is not None:
            d["points"] = (np.asarray(d["points"]["X"], dtype=np.float64),
                           np.asarray(d["points"]["t"], dtype=np.int64))
        for key in ("features", "hidden"):
            if key in d:
                d[key] = tuple(d[key])
        return cls(**d).validated()


def _check_points(points) -> tuple[np.ndarray, np.ndarray]:
    if points is None:
        raise ValueError("dataset='custom' needs points=(X, t): X of shape (n, 2), t of n "
                         "labels 0 or 1.")
    try:
        X, t = points
    except (TypeError, ValueError):
        raise ValueError("points must be a pair (X, t).") from None
    X, t = np.asarray(X, dtype=np.float64), np.asarray(t)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"custom points X must have shape (n, 2), got {X.shape}.")
    if t.shape != (len(X),):
        raise ValueError(f"custom labels t must have shape ({len(X)},) for {len(X)} points, got "
                         f"{t.shape}.")
    if len(X) < 4:
        raise ValueError(f"give at least 4 custom points (some to train on, some to test), got "
                         f"{len(X)}.")
    if not np.all(np.isfinite(X)):
        raise ValueError("custom points contain NaN or infinite coordinates.")
    if not np.all((t == 0) | (t == 1)):
        raise ValueError(f"custom labels must be 0 or 1, got {sorted(set(t.tolist()))}.")
    return X, t.astype(np.int64)


# Settings that change only the training, not the data or the network: the web page keeps the
# weights when they change, and so does ``Playground.update``.
TRAINING_SETTINGS = ("learning_rate", "regularization", "regularization_rate", "batch_size")


class Playground:
    """The playground's state: data, features, network, optimiser, history.

    ``Playground(dataset="spiral", hidden=(8, 8), features=("x1", "x2"))`` builds it (settings
    as in ``PlaygroundConfig``); ``step(n)`` trains n epochs; ``reset(**changes)`` starts again
    from new initial weights (and data, if its settings changed); ``update(**changes)`` changes
    learning rate, regularisation or batch size without resetting.

    Attributes after construction: ``X_train``, ``t_train``, ``X_test``, ``t_test`` (points
    (n, 2) and labels (n,)); ``Phi_train``, ``Phi_test`` (features (n, k)); ``model`` (a
    ``lib.nn.Sequential``); ``epoch``; the per-epoch histories ``train_loss``, ``test_loss``,
    ``train_accuracy``, ``test_accuracy`` (entry 0 is before any training; the losses are the
    data loss over the whole set, without the penalty, as on the web page); ``diverged`` and
    ``message``.
    """

    def __init__(self, config: PlaygroundConfig | None = None, **settings):
        self._build(_changed(config or PlaygroundConfig(), settings))

    # -- set-up ------------------------------------------------------------------------------
    def _build(self, config: PlaygroundConfig) -> None:
        self.config = config
        data_seed, split_seed, init_seed, shuffle_seed = np.random.SeedSequence(config.rng).spawn(4)
        if config.dataset == "custom":
            X, t = config.points
            if config.noise:
                X = X + config.noise * np.random.default_rng(data_seed).standard_normal(X.shape)
        else:
            X, t = make_dataset(config.dataset, config.n_points, noise=config.noise,
                                rng=np.random.default_rng(data_seed))
        self.X_train, self.X_test, self.t_train, self.t_test = train_test_split(
            X, t, test_fraction=1 - config.train_fraction, rng=np.random.default_rng(split_seed))
        self.Phi_train = feature_map(self.X_train, config.features)
        self.Phi_test = feature_map(self.X_test, config.features)
        self._init_seed = init_seed
        self._shuffle_seed = shuffle_seed
        self._grid_cache: dict = {}
        self._new_network()

    def _new_network(self) -> None:
        c = self.config
        net = mlp([len(c.features), *c.hidden, 1], ACTIVATIONS[c.activation],
                  rng=np.random.default_rng(self._init_seed))
        if c.loss == "squared_error":
            self.model = Sequential(*net.layers, Sigmoid())
            self.loss = MeanSquaredError()
        else:
            self.model = net
            self.loss = BinaryCrossEntropy()
        self.linears = [layer for layer in layers_of(self.model) if isinstance(layer, Linear)]
        self.optimizer = SGD(self.model, lr=c.learning_rate)
        self._shuffle_rng = np.random.default_rng(self._shuffle_seed)
        self.epoch = 0
        self.diverged, self.message = False, ""
        self.train_loss: list[float] = []
        self.test_loss: list[float] = []
        self.train_accuracy: list[float] = []
        self.test_accuracy: list[float] = []
        self._record()

    def reset(self, **changes) -> Playground:
        """Start again: new initial weights (same rng, same ones), epoch 0, empty history.

        Any settings given are changed first (data and features are rebuilt when needed).
        """
        config = _changed(self.config, changes)
        if _same_data(config, self.config):
            self.config = config
            self.Phi_train = feature_map(self.X_train, config.features)
            self.Phi_test = feature_map(self.X_test, config.features)
            self._grid_cache = {}
            self._new_network()
        else:
            self._build(config)
        return self

    def update(self, **changes) -> Playground:
        """Change learning rate, regularisation or batch size and keep training where it is.

        Any other setting (data, features, network) needs new weights: use ``reset``.
        """
        others = sorted(set(changes) - set(TRAINING_SETTINGS))
        if others:
            raise ValueError(f"update() changes only {TRAINING_SETTINGS}; {others} change the "
                             "data or the network, use reset(...) for them.")
        self.config = _changed(self.config, changes)
        self.optimizer.lr = self.config.learning_rate
        return self

    # -- training ----------------------------------------------------------------------------
    @property
    def weights(self) -> list[np.ndarray]:
        """The weight matrices W (n_out, n_in) of every Linear layer, input side first."""
        return [layer.params["W"] for layer in self.linears]

    def regularization_penalty(self) -> float:
        """lambda * R(W) with the current settings (0 without regularisation)."""
        return penalty(self.weights, self.config.regularization, self.config.regularization_rate)

    def objective(self, Phi, t) -> float:
        """The loss gradient descent minimises: data loss (mean over the rows) + lambda R(W)."""
        return self.loss.forward(self.model.forward(Phi), t) + self.regularization_penalty()

    def compute_gradients(self, Phi, t) -> float:
        """Fill every layer's ``grads`` with the gradient of ``objective(Phi, t)``; return it.

        Backpropagation gives the data term; the penalty's term dR/dW (rate * sign(W) for L1,
        rate * W for L2) is added to the weight gradients here, so ``lib.optim.SGD`` needs
        to know nothing about regularisation.
        """
        value = self.objective(Phi, t)
        self.model.backward(self.loss.backward())
        self._add_penalty_gradient()
        return value

    def _add_penalty_gradient(self) -> None:
        """grads["W"] += dR/dW for every weight matrix (nothing without regularisation)."""
        kind, rate = self.config.regularization, self.config.regularization_rate
        if kind != "none" and rate > 0:
            for layer in self.linears:
                layer.grads["W"] += penalty_gradient(layer.params["W"], kind, rate)

    def step(self, epochs: int = 1) -> Playground:
        """Train ``epochs`` passes over the training set; record the losses after each.

        Each epoch is ``lib.train.train_epoch``, the epoch of ``fit``, with the penalty's
        gradient added before every step. Stops (and sets ``diverged`` and ``message``) if the
        loss becomes NaN or infinite.
        """
        if int(epochs) != epochs or epochs < 1:
            raise ValueError(f"step(epochs): epochs must be a whole number >= 1, got {epochs}.")
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(int(epochs)):
                if self.diverged:
                    break
                train_epoch(self.model, self.loss, self.optimizer, self.Phi_train, self.t_train,
                            self.config.batch_size, self._shuffle_rng,
                            before_step=self._add_penalty_gradient)
                self.epoch += 1
                self._record()
        return self

    def _record(self) -> None:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for Phi, t, losses, accs in ((self.Phi_train, self.t_train, self.train_loss,
                                          self.train_accuracy),
                                         (self.Phi_test, self.t_test, self.test_loss,
                                          self.test_accuracy)):
                out = self.model.forward(Phi)
                finite = bool(np.all(np.isfinite(out)))
                losses.append(self.loss.forward(out, t) if finite else math.inf)
                accs.append(accuracy((self._probability(out) > 0.5).astype(np.int64), t))
        if not (math.isfinite(self.train_loss[-1]) and math.isfinite(self.test_loss[-1])):
            self.diverged = True
            self.message = (f"Training diverged in epoch {self.epoch}: the loss is no longer a "
                            f"finite number. Lower the learning rate (now "
                            f"{self.config.learning_rate}) and press reset.")

    # -- what the picture shows --------------------------------------------------------------
    def _probability(self, out: np.ndarray) -> np.ndarray:
        out = out[:, 0]
        if self.config.loss == "squared_error":
            return out                         # the model ends with a sigmoid already
        return sigmoid(out)

    def predict_proba(self, X) -> np.ndarray:
        """p(class 1) for points X (n, 2): the colour of the decision-boundary picture, (n,)."""
        with np.errstate(over="ignore", invalid="ignore"):
            return self._probability(self.model.forward(feature_map(X, self.config.features)))

    def _grid_features(self, resolution: int, lim: float) -> np.ndarray:
        """The features of ``grid_points([(-lim, lim)] * 2, resolution)``, kept for redraws."""
        key = (resolution, lim)
        if key not in self._grid_cache:
            P, _ = grid_points([(-lim, lim)] * 2, resolution)
            self._grid_cache = {key: feature_map(P, self.config.features)}
        return self._grid_cache[key]

    def neuron_outputs(self, resolution: int = 50, lim: float = 1.2) -> list[np.ndarray]:
        """Every node's output on the grid, as images: a list with one array per column of the
        network picture, each (n_nodes, resolution, resolution).

        Entry 0 holds the input features, entries 1..L the hidden layers' activations a, the
        last entry p(class 1) of the output neuron, on ``grid_points([(-lim, lim)] * 2,
        resolution)``: row j of an image is x2 = yy[j, 0] of its mesh.
        """
        Phi = self._grid_features(resolution, lim)
        shape = (resolution, resolution)
        columns = [Phi.T.reshape(-1, *shape)]
        n_hidden = len(self.config.hidden)
        a = Phi
        with np.errstate(over="ignore", invalid="ignore"):
            # layers are Linear, activation, ..., Linear (, Sigmoid): hidden a's at odd places
            for i, layer in enumerate(self.model.layers):
                a = layer.forward(a)
                if i % 2 == 1 and i < 2 * n_hidden:
                    columns.append(a.T.reshape(-1, *shape))
            columns.append(self._probability(a).reshape(1, *shape))
        return columns

    # -- export ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """Settings, trained weights and history as plain JSON-able values."""
        return {"format": FORMAT, "version": 1, "config": self.config.to_dict(),
                "epoch": self.epoch,
                "layers": [{"W": layer.params["W"].tolist(), "b": layer.params["b"].tolist()}
                           for layer in self.linears],
                "history": {"train_loss": self.train_loss, "test_loss": self.test_loss,
                            "train_accuracy": self.train_accuracy,
                            "test_accuracy": self.test_accuracy}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def save(self, path) -> Path:
        """Write the trained playground to ``path``: ``.json`` (readable) or ``.npz`` (NumPy)."""
        path = Path(path)
        if path.suffix == ".json":
            path.write_text(self.to_json(), encoding="utf-8")
        elif path.suffix == ".npz":
            d = self.to_dict()
            arrays = {f"W{i}": layer.params["W"] for i, layer in enumerate(self.linears)}
            arrays.update({f"b{i}": layer.params["b"] for i, layer in enumerate(self.linears)})
            meta = {k: v for k, v in d.items() if k != "layers"}
            np.savez(path, meta=np.array(json.dumps(meta)), **arrays)
        else:
            raise ValueError(f"save: unknown file type {path.suffix!r}; use a name ending in "
                             ".json or .npz.")
        return path

    @classmethod
    def from_dict(cls, d: dict) -> Playground:
        """The playground saved by ``to_dict``: same settings, data, weights and history."""
        if d.get("format") != FORMAT:
            raise ValueError(f"not a saved playground (format {d.get('format')!r}, expected "
                             f"{FORMAT!r}).")
        pg = cls(PlaygroundConfig.from_dict(d["config"]))
        if len(d["layers"]) != len(pg.linears):
            raise ValueError(f"saved playground has {len(d['layers'])} weight layers but its "
                             f"settings build {len(pg.linears)}.")
        for layer, saved in zip(pg.linears, d["layers"]):
            W = np.asarray(saved["W"], dtype=np.float64).reshape(layer.params["W"].shape)
            b = np.asarray(saved["b"], dtype=np.float64).reshape(layer.params["b"].shape)
            layer.params["W"][...] = W
            layer.params["b"][...] = b
        pg.epoch = int(d.get("epoch", 0))
        for key in ("train_loss", "test_loss", "train_accuracy", "test_accuracy"):
            if key in d.get("history", {}):
                setattr(pg, key, [float(v) for v in d["history"][key]])
        return pg


def load_playground(path) -> Playground:
    """Read a playground written by ``Playground.save`` (``.json`` or ``.npz``)."""
    path = Path(path)
    if path.suffix == ".json":
        return Playground.from_dict(json.loads(path.read_text(encoding="utf-8")))
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as f:
            d = json.loads(str(f["meta"]))
            n = sum(1 for k in f.files if k.startswith("W"))
            d["layers"] = [{"W": f[f"W{i}"], "b": f[f"b{i}"]} for i in range(n)]
        return Playground.from_dict(d)
    raise ValueError(f"load_playground: unknown file type {path.suffix!r}; expected .json or .npz.")


def _changed(config: PlaygroundConfig, changes: dict) -> PlaygroundConfig:
    """``config`` with ``changes`` applied and checked; unknown names are a ValueError."""
    unknown = sorted(set(changes) - {f.name for f in fields(PlaygroundConfig)})
    if unknown:
        raise ValueError(f"unknown playground setting(s) {unknown}; the settings are "
                         f"{[f.name for f in fields(PlaygroundConfig)]}.")
    return replace(config, **changes).validated()


def _same_data(a: PlaygroundConfig, b: PlaygroundConfig) -> bool:
    keys = ("dataset", "n_points", "noise", "train_fraction", "rng")
    return all(getattr(a, k) == getattr(b, k) for k in keys) and _same_points(a.points, b.points)


def _same_points(p, q) -> bool:
    if p is None or q is None:
        return p is None and q is None
    return np.array_equal(p[0], q[0]) and np.array_equal(p[1], q[1])
