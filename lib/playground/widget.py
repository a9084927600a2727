"""The playground as a notebook widget: controls on top, the network drawn as columns of
small heat maps (one per neuron), the decision boundary and loss curves on the right.

    from lib.playground.widget import playground_widget
    playground_widget(dataset="spiral", hidden=(8, 8))      # in a notebook cell

Needs only ipywidgets and matplotlib (plain Jupyter, JupyterLab, VS Code, Colab). The model is
``lib.playground.Playground``; this module only draws it. Drawing is kept cheap so that a step
and a redraw fit in about 100 ms: the figure is made once, its axes are drawn into a cached
background (blitting) and only the image, the points and the loss lines are drawn again; each
neuron's heat map is a 50 x 50 PNG written straight from the array.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from lib.playground.model import (
    ACTIVATIONS,
    FEATURE_LABELS,
    FEATURES,
    MAX_HIDDEN_LAYERS,
    REGULARIZATIONS,
    TRAINING_SETTINGS,
    Playground,
)
from lib.plot import CLASS_COLORS, class_colormap

__all__ = ["PlaygroundWidget", "playground_widget", "plot_boundary", "plot_network",
           "parse_points", "heatmap_png"]

DATASET_CHOICES = [("circle", "circle"), ("XOR", "xor"), ("two gaussians", "gaussians"),
                   ("spiral", "spiral"), ("moons", "moons"), ("your own points", "custom")]
LEARNING_RATES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
REGULARIZATION_RATES = [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
MAX_WIDGET_NEURONS = 8                       # as on the web page: the columns stay readable
LIM = 1.2                                    # the picture shows [-LIM, LIM]^2
NEURON_PX = "52px"
_STYLE = {"description_width": "initial"}

_CMAP = None


def _cmap():
    """Orange (class 0, negative) - white - blue (class 1, positive), as on the web page."""
    global _CMAP
    if _CMAP is None:
        _CMAP = class_colormap()         # built once: the widget redraws many times a second
    return _CMAP


def heatmap_png(values: np.ndarray, vmin: float, vmax: float) -> bytes:
    """PNG bytes of a (rows, cols) array coloured orange-white-blue from vmin to vmax.

    Row 0 of ``values`` is the bottom of the picture (x2 grows upwards), as in the grids of
    ``Playground.neuron_outputs``.
    """
    from PIL import Image

    span = (vmax - vmin) or 1.0
    v = np.nan_to_num((np.asarray(values, dtype=np.float64) - vmin) / span, nan=0.5)
    rgba = _cmap()(np.clip(v[::-1], 0, 1), bytes=True)
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def parse_points(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Points typed one per line as ``x1, x2, t`` (t is 0 or 1) -> X (n, 2), t (n,).

    Blank lines and lines starting with ``#`` are skipped. Raises ValueError naming the line.
    """
    X, t = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p for p in line.replace(";", ",").replace(" ", ",").split(",") if p]
        if len(parts) != 3:
            raise ValueError(f"line {number} ({line!r}): write three numbers, x1, x2, t.")
        try:
            x1, x2, label = float(parts[0]), float(parts[1]), float(parts[2])
        except ValueError:
            raise ValueError(f"line {number} ({line!r}): not a number.") from None
        if label not in (0, 1):
            raise ValueError(f"line {number} ({line!r}): the label t must be 0 or 1.")
        X.append((x1, x2))
        t.append(int(label))
    return np.array(X, dtype=np.float64).reshape(-1, 2), np.array(t, dtype=np.int64)


def _format_points(X, t) -> str:
    return "\n".join(f"{a:.3f}, {b:.3f}, {int(c)}" for (a, b), c in zip(X, t))


class PlaygroundWidget:
    """The controls, pictures and behaviour of the playground; ``.ui`` is the widget to show.

    Every control is an attribute (``dataset``, ``noise``, ``features`` (dict of checkboxes),
    ``n_layers``, ``neurons`` (list of sliders), ``activation``, ``loss``, ``learning_rate``,
    ``regularization``, ``regularization_rate``, ``batch_size``, ``train_percent``, ``rng``,
    ``play``, ``step_button``, ``reset_button``, ``export_button``...), so the widget can be
    driven from code, e.g. in tests: ``w.step_button.click()``.
    """

    def __init__(self, playground: Playground | None = None, resolution: int = 50, **settings):
        import ipywidgets as W

        self.pg = playground if playground is not None else Playground(**settings)
        self.resolution = int(resolution)
        self._busy = False                   # True while the controls are set from code
        self._small = W.Layout(width="230px")   # shared by the controls that are never hidden
        self._build_data_controls()
        self._build_network_controls()
        self._build_training_controls()
        self._build_run_controls()
        self._build_points_controls()
        self._build_pictures()
        self._connect()
        self.ui = self._layout()
        self._sync_layer_sliders()
        self.redraw()

    # -- building the controls (each set to the playground's settings) ---------------------------
    def _build_data_controls(self) -> None:
        import ipywidgets as W

        c = self.pg.config
        self.dataset = W.Dropdown(options=DATASET_CHOICES, value=c.dataset,
                                  description="data", layout=self._small)
        self.noise = W.FloatSlider(value=c.noise, min=0, max=0.5, step=0.05,
                                   description="noise", layout=self._small)
        self.train_percent = W.IntSlider(value=round(100 * c.train_fraction), min=10, max=90,
                                         step=10, description="train %", layout=self._small)
        self.n_points = W.IntSlider(value=c.n_points, min=50, max=1000, step=50,
                                    description="points", layout=self._small)
        self.rng = W.BoundedIntText(value=c.rng, min=0, max=2**31 - 1, description="seed",
                                    layout=self._small)
        self.features = {name: W.Checkbox(value=name in c.features,
                                          description=_plain(name), indent=False,
                                          layout=W.Layout(width="95px"))
                         for name in FEATURES}

    def _build_network_controls(self) -> None:
        import ipywidgets as W

        c = self.pg.config
        self.n_layers = W.IntSlider(value=len(c.hidden), min=0, max=MAX_HIDDEN_LAYERS,
                                    description="hidden layers", style=_STYLE, layout=self._small)
        widths = list(c.hidden) + [4] * (MAX_HIDDEN_LAYERS - len(c.hidden))
        self.neurons = [W.IntSlider(value=min(n, MAX_WIDGET_NEURONS), min=1,
                                    max=MAX_WIDGET_NEURONS, description=f"layer {i + 1}",
                                    layout=W.Layout(width="230px"))   # own layout: hidden alone
                        for i, n in enumerate(widths)]
        self.activation = W.Dropdown(options=list(ACTIVATIONS), value=c.activation,
                                     description="activation", layout=self._small)
        self.loss = W.Dropdown(options=[("cross-entropy", "cross_entropy"),
                                        ("squared error", "squared_error")], value=c.loss,
                               description="loss", layout=self._small)

    def _build_training_controls(self) -> None:
        import ipywidgets as W

        c = self.pg.config
        self.learning_rate = W.SelectionSlider(options=_with(LEARNING_RATES, c.learning_rate),
                                               value=c.learning_rate, description="learning rate",
                                               style=_STYLE, layout=self._small)
        self.regularization = W.Dropdown(options=list(REGULARIZATIONS), value=c.regularization,
                                         description="regularisation", style=_STYLE,
                                         layout=self._small)
        self.regularization_rate = W.SelectionSlider(
            options=_with(REGULARIZATION_RATES, c.regularization_rate),
            value=c.regularization_rate, description="reg. rate λ", style=_STYLE,
            layout=self._small)
        self.batch_size = W.IntSlider(value=min(c.batch_size, 30), min=1, max=30,
                                      description="batch size", style=_STYLE, layout=self._small)

    def _build_run_controls(self) -> None:
        import ipywidgets as W

        self.play = W.Play(value=0, min=0, max=10**9, step=1, interval=120, show_repeat=False,
                           description="play")
        self.step_button = W.Button(description="step", icon="step-forward",
                                    layout=W.Layout(width="80px"))
        self.reset_button = W.Button(description="reset", icon="undo",
                                     layout=W.Layout(width="80px"))
        self.epoch_label = W.HTML()
        self.export_name = W.Text(value="playground.json", description="file",
                                  layout=W.Layout(width="230px"))
        self.export_button = W.Button(description="export weights", icon="download",
                                      layout=W.Layout(width="140px"))
        self.status = W.HTML()

    def _build_points_controls(self) -> None:
        import ipywidgets as W

        self.points_text = W.Textarea(
            value=_format_points(*_starter_points()), rows=6,
            placeholder="one point per line: x1, x2, t", layout=W.Layout(width="230px"))
        self.new_x1 = W.FloatText(value=0.0, description="x1", layout=W.Layout(width="120px"))
        self.new_x2 = W.FloatText(value=0.0, description="x2", layout=W.Layout(width="120px"))
        self.new_label = W.ToggleButtons(options=[("t = 0", 0), ("t = 1", 1)], value=1,
                                         style={"button_width": "55px"})
        self.add_point_button = W.Button(description="add point", layout=W.Layout(width="100px"))
        self.use_points_button = W.Button(description="train on these points",
                                          button_style="info", layout=W.Layout(width="180px"))
        self.copy_points_button = W.Button(description="copy current data",
                                           layout=W.Layout(width="150px"))

    def _build_pictures(self) -> None:
        import ipywidgets as W

        self.boundary_image = W.Image(format="png", layout=W.Layout(width="380px"))
        self.stats = W.HTML()
        self.network_box = W.HBox(layout=W.Layout(align_items="flex-start"))
        self._make_figure()
        self._rebuild_network_view()

    # -- building the pictures -----------------------------------------------------------------
    def _make_figure(self) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(4.2, 5.6), dpi=72)
        FigureCanvasAgg(fig)
        ax, axl = fig.subplots(2, 1, gridspec_kw={"height_ratios": [3, 1.2]})
        fig.subplots_adjust(left=0.13, right=0.97, top=0.95, bottom=0.08, hspace=0.3)
        self._image, self._train_dots, self._test_dots = plot_boundary(self.pg, ax,
                                                                      self.resolution)
        ax.set_title("p(class 1): ○ training, △ test points", fontsize=9)
        (self._train_line,) = axl.plot([], [], color="k", label="train")
        (self._test_line,) = axl.plot([], [], color="C3", linestyle="--", label="test")
        axl.set_xlabel("epoch", labelpad=1)
        axl.set_ylabel("loss")
        axl.legend(fontsize=8, loc="upper right")
        self._fig, self._ax, self._loss_ax = fig, ax, axl
        # Blitting: the axes, ticks and labels are drawn once into a background; a redraw
        # pastes it and draws only the changing ("animated") artists on top.
        self._dynamic = [(ax, self._image), (ax, self._train_dots), (ax, self._test_dots),
                         (axl, self._train_line), (axl, self._test_line)]
        for _, artist in self._dynamic:
            artist.set_animated(True)
        self._background = None

    def _set_points(self) -> None:
        _set_points(self.pg, self._train_dots, self._test_dots)

    def _render(self, last_epoch: int, losses: np.ndarray) -> bytes:
        """PNG of the figure. The static background is redrawn only when the loss axes must
        grow (the epoch axis doubles, the loss axis covers the largest loss seen)."""
        from PIL import Image

        finite = losses[np.isfinite(losses)]
        top = min(max(float(finite.max()) if finite.size else 1.0, 1e-3) * 1.05, 10.0)
        x_max, y_max = self._loss_ax.get_xlim()[1], self._loss_ax.get_ylim()[1]
        if self._background is None or last_epoch > x_max or top > y_max or last_epoch == 0:
            width = 10
            while width < last_epoch:
                width *= 2
            self._loss_ax.set_xlim(0, width)
            self._loss_ax.set_ylim(0, top if last_epoch == 0 else max(top, y_max))
            self._fig.canvas.draw()                     # everything but the animated artists
            self._background = self._fig.canvas.copy_from_bbox(self._fig.bbox)
        canvas = self._fig.canvas
        canvas.restore_region(self._background)
        for ax, artist in self._dynamic:
            ax.draw_artist(artist)
        buf = io.BytesIO()
        Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buf, format="PNG",
                                                                compress_level=1)
        return buf.getvalue()

    def _rebuild_network_view(self) -> None:
        """One column of small images per layer: the features, each hidden layer."""
        import ipywidgets as W

        pg = self.pg
        for column in self.network_box.children:     # the old picture's widgets are done with
            _close_tree(column)
        img = lambda: W.Image(format="png", layout=W.Layout(width=NEURON_PX, height=NEURON_PX,
                                                           margin="1px"))
        self._neuron_images = [[img() for _ in pg.config.features]]
        self._neuron_images += [[img() for _ in range(n)] for n in pg.config.hidden]
        columns = []
        feature_col = [W.HBox([im, W.HTML(f"<small>{_plain(name)}</small>")])
                       for im, name in zip(self._neuron_images[0], pg.config.features)]
        columns.append(W.VBox([W.HTML("<b>features</b>")] + feature_col))
        for i, images in enumerate(self._neuron_images[1:], start=1):
            columns.append(W.VBox([W.HTML(f"<b>layer {i}</b>")] + images,
                                  layout=W.Layout(margin="0 0 0 10px")))
        self.network_box.children = columns

    def _layout(self):
        import ipywidgets as W

        box = lambda title, items: W.VBox([W.HTML(f"<b>{title}</b>")] + list(items),
                                          layout=W.Layout(margin="0 12px 0 0"))
        feature_grid = W.GridBox(list(self.features.values()),
                                 layout=W.Layout(grid_template_columns="repeat(2, 100px)"))
        self.custom_box = W.VBox([
            W.HTML("<b>your own points</b> (x1, x2, t per line; the picture spans "
                   f"[-{LIM}, {LIM}]²)"),
            self.points_text, W.HBox([self.new_x1, self.new_x2]),
            W.HBox([self.new_label, self.add_point_button]),
            W.HBox([self.use_points_button, self.copy_points_button])])
        controls = W.HBox([
            box("data", [self.dataset, self.noise, self.train_percent, self.n_points, self.rng]),
            box("features", [feature_grid]),
            box("network", [self.n_layers, *self.neurons, self.activation, self.loss]),
            box("training", [self.learning_rate, self.regularization, self.regularization_rate,
                             self.batch_size]),
        ], layout=W.Layout(flex_flow="row wrap"))
        run = W.HBox([self.play, self.step_button, self.reset_button, self.epoch_label])
        output = W.VBox([self.boundary_image, self.stats])
        export = W.HBox([self.export_name, self.export_button])
        return W.VBox([controls, run, W.HBox([self.network_box, output]),
                       self.custom_box, export, self.status])

    # -- behaviour -----------------------------------------------------------------------------
    def _connect(self) -> None:
        rebuild = [self.dataset, self.noise, self.train_percent, self.n_points, self.rng,
                   self.n_layers, *self.neurons, self.activation, self.loss,
                   *self.features.values()]
        for control in rebuild:
            control.observe(self._on_rebuild, names="value")
        for control in (self.learning_rate, self.regularization, self.regularization_rate,
                        self.batch_size):
            control.observe(self._on_training_setting, names="value")
        self.play.observe(self._on_play, names="value")
        self.step_button.on_click(lambda _: self.step())
        self.reset_button.on_click(lambda _: self.reset())
        self.export_button.on_click(lambda _: self.export())
        self.add_point_button.on_click(lambda _: self.add_point())
        self.use_points_button.on_click(lambda _: self.use_points())
        self.copy_points_button.on_click(lambda _: self.copy_points())

    def settings(self) -> dict:
        """The settings the controls show, as keyword arguments of ``Playground``."""
        hidden = tuple(s.value for s in self.neurons[:self.n_layers.value])
        return dict(dataset=self.dataset.value, noise=self.noise.value,
                    train_fraction=self.train_percent.value / 100, n_points=self.n_points.value,
                    rng=self.rng.value,
                    features=tuple(n for n, box in self.features.items() if box.value),
                    hidden=hidden, activation=self.activation.value, loss=self.loss.value,
                    learning_rate=self.learning_rate.value,
                    regularization=self.regularization.value,
                    regularization_rate=self.regularization_rate.value,
                    batch_size=self.batch_size.value)

    def _on_rebuild(self, change) -> None:
        if self._busy:
            return
        self._sync_layer_sliders()
        settings = self.settings()
        if settings["dataset"] == "custom":
            try:
                settings["points"] = parse_points(self.points_text.value)
            except ValueError as exc:
                return self._error(str(exc))
        self.reset(**settings)

    def _on_training_setting(self, change) -> None:
        if self._busy:
            return
        s = self.settings()
        self._apply(lambda: self.pg.update(**{k: s[k] for k in TRAINING_SETTINGS}))
        self.redraw()

    def _on_play(self, change) -> None:
        if change["new"] > change["old"]:     # the Play widget counts up while playing
            self.step()

    def _sync_layer_sliders(self) -> None:
        for i, slider in enumerate(self.neurons):
            slider.layout.display = None if i < self.n_layers.value else "none"
        self.custom_box.layout.display = None if self.dataset.value == "custom" else "none"

    def _apply(self, action) -> bool:
        try:
            action()
        except ValueError as exc:
            self._error(str(exc))
            return False
        self.status.value = ""
        return True

    def _error(self, message: str) -> None:
        self.status.value = f"<span style='color:#b00020'>⚠ {_escape(message)}</span>"

    def step(self, epochs: int = 1) -> None:
        """Train ``epochs`` epochs and redraw (what the step button and the play widget do)."""
        if self.pg.diverged:
            self.play.playing = False
            self._error(self.pg.message)
            return
        self.pg.step(epochs)
        self.redraw()
        if self.pg.diverged:
            self.play.playing = False
            self._error(self.pg.message)

    def reset(self, **settings) -> None:
        """New initial weights (and data, network... for the settings given); redraw."""
        old_shape = (self.pg.config.features, self.pg.config.hidden)
        if not self._apply(lambda: self.pg.reset(**settings)):
            return
        self.play.playing = False
        if (self.pg.config.features, self.pg.config.hidden) != old_shape:
            self._rebuild_network_view()
        self._set_points()
        self.redraw()

    def add_point(self) -> None:
        """Append the point typed in x1, x2 with the chosen label to the list of points."""
        line = f"{self.new_x1.value:.3f}, {self.new_x2.value:.3f}, {self.new_label.value}"
        text = self.points_text.value.rstrip("\n")
        self.points_text.value = f"{text}\n{line}" if text else line

    def copy_points(self) -> None:
        """Fill the list of points with the current data set, to edit it."""
        X = np.concatenate([self.pg.X_train, self.pg.X_test])
        t = np.concatenate([self.pg.t_train, self.pg.t_test])
        self.points_text.value = _format_points(X, t)

    def use_points(self) -> None:
        """Train on the points in the list (switches the data set to "your own points")."""
        try:
            points = parse_points(self.points_text.value)
        except ValueError as exc:
            return self._error(str(exc))
        self._busy = True
        self.dataset.value = "custom"
        self._busy = False
        self._sync_layer_sliders()
        self.reset(**{**self.settings(), "points": points})

    def export(self) -> Path | None:
        """Save the trained weights (and settings, history) to the file named in the text box."""
        try:
            path = self.pg.save(self.export_name.value)
        except (ValueError, OSError) as exc:
            self._error(str(exc))
            return None
        where = _escape(str(path.resolve()))
        self.status.value = f"saved epoch {self.pg.epoch} to <code>{where}</code>"
        return path

    def close(self) -> None:
        """Close every widget of the playground (frees them in the kernel and the page)."""
        self.play.playing = False
        _close_tree(self.ui)

    # -- drawing -------------------------------------------------------------------------------
    def redraw(self) -> None:
        """Update the pictures in place from the playground's current state."""
        pg = self.pg
        columns = pg.neuron_outputs(self.resolution, LIM)
        self._image.set_data(columns[-1][0])
        epochs = np.arange(len(pg.train_loss))
        train, test = np.asarray(pg.train_loss), np.asarray(pg.test_loss)
        self._train_line.set_data(epochs, train)
        self._test_line.set_data(epochs, test)
        self.boundary_image.value = self._render(len(epochs) - 1, np.concatenate([train, test]))

        for j, (images, values) in enumerate(zip(self._neuron_images, columns[:-1])):
            for image, v in zip(images, values):
                image.value = heatmap_png(v, *_node_range(pg, j, len(columns), v))
        self.epoch_label.value = f"&nbsp; epoch <b>{pg.epoch}</b>"
        self.stats.value = (
            f"train loss <b>{pg.train_loss[-1]:.3f}</b> · test loss <b>{pg.test_loss[-1]:.3f}</b>"
            f"<br>train accuracy {pg.train_accuracy[-1]:.1%} · "
            f"test accuracy {pg.test_accuracy[-1]:.1%}")


def plot_boundary(pg: Playground, ax, resolution: int = 50, points: bool = True):
    """Draw p(class 1) over [-1.2, 1.2]^2 and the training (o) and test (^) points on ``ax``.

    Returns the image and the two scatter artists (the widget updates their data in place).
    """
    image = ax.imshow(pg.neuron_outputs(resolution, LIM)[-1][0], extent=(-LIM, LIM, -LIM, LIM),
                      origin="lower", cmap=_cmap(), vmin=0, vmax=1, interpolation="bilinear")
    kw = dict(edgecolors="k", linewidths=0.5, s=16)
    train_dots = ax.scatter(np.empty(0), np.empty(0), marker="o", **kw)
    test_dots = ax.scatter(np.empty(0), np.empty(0), marker="^", **kw)
    if points:
        _set_points(pg, train_dots, test_dots)
    ax.set_xlim(-LIM, LIM)
    ax.set_ylim(-LIM, LIM)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$", labelpad=1)
    ax.set_ylabel("$x_2$", labelpad=1)
    return image, train_dots, test_dots


def _set_points(pg: Playground, train_dots, test_dots) -> None:
    for dots, X, t in ((train_dots, pg.X_train, pg.t_train), (test_dots, pg.X_test, pg.t_test)):
        dots.set_offsets(X)
        dots.set_facecolors([CLASS_COLORS[int(label)] for label in t])


def plot_network(pg: Playground, resolution: int = 40, size: float = 0.75):
    """A static picture of the playground's network: one column per layer (features, hidden
    layers, output), each node's output over the plane as a small heat map.

    Returns the matplotlib Figure. Colours as in the widget: orange negative (or class 0),
    blue positive (or class 1); tanh/sigmoid neurons on their fixed range, others scaled per
    node.
    """
    from matplotlib.figure import Figure

    columns = pg.neuron_outputs(resolution, LIM)
    rows = max(len(c) for c in columns)
    fig = Figure(figsize=(size * len(columns) * 1.25, size * rows * 1.05 + 0.3))
    axes = fig.subplots(rows, len(columns), squeeze=False)
    names = ["features"] + [f"layer {i}" for i in range(1, len(columns) - 1)] + ["output"]
    for j, (values, name) in enumerate(zip(columns, names)):
        for i, ax in enumerate(axes[:, j]):
            ax.set_xticks([])
            ax.set_yticks([])
            if i >= len(values):
                ax.set_visible(False)
                continue
            lo, hi = _node_range(pg, j, len(columns), values[i])
            ax.imshow(values[i], origin="lower", extent=(-LIM, LIM, -LIM, LIM), cmap=_cmap(),
                      vmin=lo, vmax=hi)
            if j == 0:
                ax.set_ylabel(FEATURE_LABELS[pg.config.features[i]], rotation=0, ha="right",
                              va="center", fontsize=9)
        axes[0, j].set_title(name, fontsize=9)
    fig.subplots_adjust(wspace=0.15, hspace=0.15, left=0.12, right=0.98, top=0.9, bottom=0.02)
    return fig


def _node_range(pg: Playground, column: int, n_columns: int, values) -> tuple[float, float]:
    """Colour range of a node's heat map: fixed for bounded outputs, symmetric otherwise."""
    if column == n_columns - 1:
        return 0.0, 1.0                       # the output is p(class 1)
    if column > 0 and pg.config.activation in ("tanh", "sigmoid"):
        return (-1.0, 1.0) if pg.config.activation == "tanh" else (0.0, 1.0)
    finite = np.isfinite(values)
    m = float(np.max(np.abs(values[finite]))) if finite.any() else 1.0
    return -(m or 1.0), (m or 1.0)


def playground_widget(playground: Playground | None = None, **settings):
    """Build the playground widget and return its ``ipywidgets`` box (display it in a cell).

    Settings as in ``lib.playground.PlaygroundConfig``; the ``PlaygroundWidget`` object is
    reachable as ``box.playground_widget`` for use from code.
    """
    w = PlaygroundWidget(playground, **settings)
    w.ui.playground_widget = w
    return w.ui


def _close_tree(widget) -> None:
    """Close a widget, its children and its layout/style models."""
    for child in getattr(widget, "children", ()):
        _close_tree(child)
    for part in ("layout", "style"):
        sub = getattr(widget, part, None)
        if sub is not None and hasattr(sub, "close"):
            sub.close()
    widget.close()


def _with(options: list[float], value: float) -> list[float]:
    """The slider's options, with ``value`` added in order if it is not one of them."""
    return sorted(set(options) | {value})


def _starter_points():
    """A small XOR-like set to start the list of own points from."""
    X = np.array([[-0.6, -0.6], [-0.5, -0.7], [0.6, 0.6], [0.7, 0.5],
                  [-0.6, 0.6], [-0.5, 0.7], [0.6, -0.6], [0.7, -0.5]])
    return X, np.array([0, 0, 0, 0, 1, 1, 1, 1])


def _plain(feature: str) -> str:
    return {"x1^2": "x₁²", "x2^2": "x₂²", "x1*x2": "x₁x₂", "sin(x1)": "sin x₁",
            "sin(x2)": "sin x₂", "x1": "x₁", "x2": "x₂"}[feature]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
