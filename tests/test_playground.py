"""The playground (lib.playground) without a display, and its widget (lib.playground.widget) built
headless: every control set once, step and reset pressed, the state checked."""
from __future__ import annotations

import json

import numpy as np
import pytest

from lib.data import grid_points
from lib.gradcheck import numerical_gradient, relative_error
from lib.nn import Identity, Linear, ReLU, Sigmoid, Tanh
from lib.playground import (
    FEATURES,
    Playground,
    PlaygroundConfig,
    feature_map,
    load_playground,
    penalty,
    penalty_gradient,
)


# -- features ----------------------------------------------------------------------------------
def test_feature_map_columns_are_the_named_functions_of_x1_and_x2():
    X = np.array([[0.5, -2.0], [1.0, 3.0], [-0.25, 0.0]])
    Phi = feature_map(X, ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"])
    x1, x2 = X[:, 0], X[:, 1]
    expected = np.column_stack([x1, x2, x1 * x1, x2 * x2, x1 * x2, np.sin(x1), np.sin(x2)])
    assert Phi.shape == (3, 7)
    np.testing.assert_allclose(Phi, expected)


def test_feature_map_keeps_the_requested_order():
    X = np.array([[2.0, 3.0]])
    np.testing.assert_allclose(feature_map(X, ("x2^2", "x1")), [[9.0, 2.0]])


@pytest.mark.parametrize("features, match", [((), "at least one"), (("x3",), "unknown feature"),
                                             (("x1", "x1"), "twice")])
def test_feature_map_rejects_bad_feature_lists(features, match):
    with pytest.raises(ValueError, match=match):
        feature_map(np.zeros((2, 2)), features)


def test_feature_map_rejects_points_that_are_not_2d():
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        feature_map(np.zeros((5, 3)), ("x1",))


# -- the network built from the settings -----------------------------------------------------
@pytest.mark.parametrize("hidden", [(), (3,), (8, 8), (2, 3, 4, 5, 6, 7)])
@pytest.mark.parametrize("activation, cls", [("relu", ReLU), ("tanh", Tanh),
                                             ("sigmoid", Sigmoid), ("linear", Identity)])
def test_network_has_the_chosen_layers_and_activation(hidden, activation, cls):
    pg = Playground(features=("x1", "x2", "x1*x2"), hidden=hidden, activation=activation,
                    n_points=40)
    sizes = [(layer.n_in, layer.n_out) for layer in pg.model.layers if isinstance(layer, Linear)]
    widths = [3, *hidden, 1]
    assert sizes == list(zip(widths[:-1], widths[1:]))
    acts = [layer for layer in pg.model.layers if not isinstance(layer, Linear)]
    assert len(acts) == len(hidden) and all(type(a) is cls for a in acts)


def test_squared_error_ends_with_a_sigmoid_and_cross_entropy_with_a_logit():
    ce = Playground(loss="cross_entropy", n_points=40)
    se = Playground(loss="squared_error", n_points=40)
    assert isinstance(ce.model.layers[-1], Linear)
    assert type(ce.loss).__name__ == "BinaryCrossEntropy"
    assert isinstance(se.model.layers[-1], Sigmoid) and type(se.loss).__name__ == "MeanSquaredError"
    # same seed, same hidden weights: both give the same p(class 1) before training
    X = np.array([[0.3, -0.7], [1.0, 1.0]])
    np.testing.assert_allclose(ce.predict_proba(X), se.predict_proba(X))


def test_split_follows_train_fraction_and_keeps_every_point_once():
    pg = Playground(dataset="xor", n_points=200, train_fraction=0.7, rng=3)
    assert len(pg.X_train) == 140 and len(pg.X_test) == 60
    both = np.concatenate([pg.X_train, pg.X_test])
    assert len(np.unique(both, axis=0)) == 200


def test_noise_moves_the_points_and_seed_fixes_them():
    clean = Playground(dataset="circle", n_points=100, noise=0.0, rng=1)
    noisy = Playground(dataset="circle", n_points=100, noise=0.2, rng=1)
    again = Playground(dataset="circle", n_points=100, noise=0.2, rng=1)
    other = Playground(dataset="circle", n_points=100, noise=0.2, rng=2)
    radius = lambda pg: np.hypot(*pg.X_train.T)
    # clean circle data: labels 1 inside radius 0.5, 0 outside 0.7; noise blurs the gap
    r, t = radius(clean), clean.t_train
    assert r[t == 1].max() <= 0.5 and r[t == 0].min() >= 0.7
    r, t = radius(noisy), noisy.t_train
    assert r[t == 1].max() > 0.5 or r[t == 0].min() < 0.7
    np.testing.assert_array_equal(noisy.X_train, again.X_train)
    assert not np.array_equal(noisy.X_train, other.X_train)


def test_custom_points_are_used_as_given():
    X = np.array([[-0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [0.5, -0.5], [0.1, 0.1], [-0.1, -0.2]])
    t = np.array([0, 1, 0, 1, 1, 0])
    pg = Playground(dataset="custom", points=(X, t), train_fraction=0.5, hidden=())
    both = np.concatenate([pg.X_train, pg.X_test])
    labels = np.concatenate([pg.t_train, pg.t_test])
    order = np.lexsort(both.T)
    ref = np.lexsort(X.T)
    np.testing.assert_array_equal(both[order], X[ref])
    np.testing.assert_array_equal(labels[order], t[ref])


# -- training ----------------------------------------------------------------------------------
def test_circle_with_squared_features_is_learnt_in_a_few_epochs():
    # x1^2 + x2^2 < 0.25 is a linear rule in the features x1^2, x2^2: no hidden layer needed
    pg = Playground(dataset="circle", features=("x1^2", "x2^2"), hidden=(), learning_rate=0.5,
                    n_points=400, rng=0)
    start = pg.train_loss[0]
    pg.step(15)
    assert pg.epoch == 15 and len(pg.train_loss) == 16 and len(pg.test_loss) == 16
    assert pg.train_loss[-1] < 0.5 * start
    assert pg.test_accuracy[-1] >= 0.95


def test_circle_with_raw_inputs_and_no_hidden_layer_stays_near_chance():
    # the opposite claim: a single linear boundary in (x1, x2) cannot cut a disc from a ring
    pg = Playground(dataset="circle", features=("x1", "x2"), hidden=(), learning_rate=0.5,
                    n_points=400, rng=0).step(30)
    assert pg.test_accuracy[-1] < 0.75


def test_step_is_reproducible_for_a_seed():
    a = Playground(dataset="spiral", hidden=(5, 5), rng=4).step(3)
    b = Playground(dataset="spiral", hidden=(5, 5), rng=4).step(3)
    assert a.train_loss == b.train_loss
    np.testing.assert_array_equal(a.weights[0], b.weights[0])


def test_one_step_is_one_epoch_of_minibatch_updates():
    pg = Playground(n_points=100, train_fraction=0.5, batch_size=10)
    calls = []
    original = pg.optimizer.step
    pg.optimizer.step = lambda: (calls.append(1), original())
    pg.step()
    assert len(calls) == 5                    # 50 training points / batch of 10
    calls.clear()
    pg.update(batch_size=1000)                # larger than the training set: full batch
    pg.step()
    assert len(calls) == 1


def test_reset_restores_the_initial_weights_and_clears_the_history():
    pg = Playground(dataset="xor", hidden=(4,), rng=2)
    W0 = pg.weights[0].copy()
    pg.step(5)
    assert not np.array_equal(pg.weights[0], W0)
    pg.reset()
    np.testing.assert_array_equal(pg.weights[0], W0)
    assert pg.epoch == 0 and len(pg.train_loss) == 1


def test_reset_with_new_settings_rebuilds_what_they_touch():
    pg = Playground(dataset="xor", hidden=(4,), rng=2)
    X_before = pg.X_train.copy()
    pg.reset(features=("x1", "x2", "x1*x2"), hidden=(3, 3))
    np.testing.assert_array_equal(pg.X_train, X_before)        # same data
    assert pg.Phi_train.shape[1] == 3 and len(pg.weights) == 3
    pg.reset(dataset="gaussians")
    assert not np.array_equal(pg.X_train, X_before)


def test_update_keeps_the_weights_and_changes_the_learning_rate():
    pg = Playground(rng=1).step(2)
    W = pg.weights[0].copy()
    pg.update(learning_rate=0.3, regularization="L2", regularization_rate=0.01)
    np.testing.assert_array_equal(pg.weights[0], W)
    assert pg.optimizer.lr == 0.3 and pg.epoch == 2
    with pytest.raises(ValueError, match="reset"):
        pg.update(hidden=(3,))


def test_a_huge_learning_rate_is_reported_as_divergence_not_a_crash():
    pg2 = Playground(dataset="spiral", hidden=(8, 8), activation="linear",
                     learning_rate=1e12, rng=0).step(10)
    assert pg2.diverged and "Lower the learning rate" in pg2.message
    epoch = pg2.epoch
    pg2.step(3)                               # nothing more happens once diverged
    assert pg2.epoch == epoch


# -- regularisation: the gradient terms match finite differences of the regularised loss -------
@pytest.mark.parametrize("kind", ["L1", "L2"])
@pytest.mark.parametrize("loss", ["cross_entropy", "squared_error"])
def test_regularised_gradient_matches_finite_differences(kind, loss):
    pg = Playground(dataset="spiral", hidden=(5, 3), activation="tanh", loss=loss,
                    regularization=kind, regularization_rate=0.05, n_points=60, rng=5)
    Phi, t = pg.Phi_train[:12], pg.t_train[:12]
    pg.compute_gradients(Phi, t)
    analytic = {k: g.copy() for k, g in pg.model.grads.items()}
    for name, param in pg.model.params.items():
        numeric = numerical_gradient(lambda: pg.objective(Phi, t), param)
        assert relative_error(analytic[name], numeric) < 1e-6, name


@pytest.mark.parametrize("kind", ["L1", "L2"])
def test_penalty_adds_exactly_its_own_gradient_term(kind):
    base = Playground(hidden=(4,), n_points=40, rng=3)
    reg = Playground(hidden=(4,), n_points=40, rng=3, regularization=kind,
                     regularization_rate=0.1)
    Phi, t = base.Phi_train, base.t_train
    base.compute_gradients(Phi, t)
    reg.compute_gradients(Phi, t)
    for lb, lr_ in zip(base.linears, reg.linears):
        W = lb.params["W"]
        term = 0.1 * np.sign(W) if kind == "L1" else 0.1 * W
        np.testing.assert_allclose(lr_.grads["W"] - lb.grads["W"], term, atol=1e-12)
        np.testing.assert_allclose(lr_.grads["b"], lb.grads["b"])   # biases are not penalised


def test_penalty_values():
    W = [np.array([[1.0, -2.0]]), np.array([[3.0]])]
    assert penalty(W, "L1", 0.5) == pytest.approx(0.5 * 6)
    assert penalty(W, "L2", 0.5) == pytest.approx(0.25 * 14)
    assert penalty(W, "none", 0.5) == 0
    np.testing.assert_array_equal(penalty_gradient(np.array([-2.0, 0.0, 3.0]), "L1", 2.0),
                                  [-2.0, 0.0, 2.0])


def test_l1_drives_more_weights_to_near_zero_than_l2():
    common = dict(dataset="gaussians", features=tuple(FEATURES), hidden=(8,), learning_rate=0.1,
                  regularization_rate=0.01, rng=0)
    l1 = Playground(regularization="L1", **common).step(60)
    l2 = Playground(regularization="L2", **common).step(60)
    small = lambda pg: np.mean(np.abs(np.concatenate([W.ravel() for W in pg.weights])) < 0.01)
    assert small(l1) > small(l2) + 0.2


# -- what the widget draws -----------------------------------------------------------------------
def test_neuron_outputs_give_one_image_per_node():
    pg = Playground(features=("x1", "x2", "x1^2"), hidden=(4, 3), n_points=40)
    cols = pg.neuron_outputs(resolution=20)
    assert [c.shape for c in cols] == [(3, 20, 20), (4, 20, 20), (3, 20, 20), (1, 20, 20)]
    P, (xx, yy) = grid_points([(-1.2, 1.2)] * 2, 20)
    np.testing.assert_allclose(cols[0][2], xx ** 2)                      # the x1^2 feature
    # the first hidden layer's outputs are tanh(W phi + b), computed here independently
    W, b = pg.model.layers[0].params["W"], pg.model.layers[0].params["b"]
    a1 = np.tanh(feature_map(P, ("x1", "x2", "x1^2")) @ W.T + b)
    np.testing.assert_allclose(cols[1], a1.T.reshape(4, 20, 20))
    np.testing.assert_allclose(cols[-1][0].ravel(), pg.predict_proba(P))


# -- export --------------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_export_round_trips(tmp_path, suffix):
    pg = Playground(dataset="spiral", features=("x1", "x2", "sin(x1)"), hidden=(6, 4),
                    activation="relu", regularization="L1", regularization_rate=0.001,
                    rng=7).step(4)
    path = pg.save(tmp_path / f"run{suffix}")
    back = load_playground(path)
    assert back.config == pg.config
    assert back.epoch == 4 and back.train_loss == pg.train_loss
    for a, b in zip(pg.weights, back.weights):
        np.testing.assert_array_equal(a, b)
    P, _ = grid_points([(-1.2, 1.2)] * 2, 15)
    np.testing.assert_array_equal(back.predict_proba(P), pg.predict_proba(P))


def test_export_of_custom_points_round_trips_through_json():
    X = np.array([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6], [0.7, 0.8], [-0.9, -0.1]])
    t = np.array([1, 0, 1, 0, 1])
    pg = Playground(dataset="custom", points=(X, t), hidden=(2,)).step(2)
    d = json.loads(pg.to_json())
    assert d["config"]["points"]["X"] == X.tolist()
    back = Playground.from_dict(d)
    assert back.config == pg.config
    assert back.config != PlaygroundConfig(dataset="custom", points=(X[:4], t[:4])).validated()
    np.testing.assert_array_equal(back.X_train, pg.X_train)
    np.testing.assert_array_equal(back.weights[1], pg.weights[1])


def test_save_rejects_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match=".json or .npz"):
        Playground(n_points=20).save(tmp_path / "weights.txt")


# -- bad settings give clear errors ----------------------------------------------------------------
@pytest.mark.parametrize("settings, match", [
    (dict(dataset="spirals"), "unknown dataset"),
    (dict(hidden=(4,) * 7), "at most 6 hidden layers"),
    (dict(hidden=(4, 0)), "hidden layer 2 has 0 neurons"),
    (dict(activation="softmax"), "unknown activation"),
    (dict(loss="hinge"), "unknown loss"),
    (dict(learning_rate=0), "learning_rate must be a positive"),
    (dict(learning_rate=float("nan")), "learning_rate must be a positive"),
    (dict(regularization="L3"), "unknown regularization"),
    (dict(regularization_rate=-1), "regularization_rate must be 0 or positive"),
    (dict(batch_size=0), "batch_size must be"),
    (dict(train_fraction=1.0), "train_fraction"),
    (dict(noise=-0.1), "noise"),
    (dict(features=()), "at least one input feature"),
    (dict(rng=-1), "rng"),
    (dict(momentum=0.9), "unknown playground setting"),
    (dict(dataset="custom"), "needs points"),
    (dict(dataset="custom", points=(np.zeros((5, 3)), np.zeros(5))), r"shape \(n, 2\)"),
    (dict(dataset="custom", points=(np.zeros((5, 2)), np.array([0, 1, 2, 0, 1]))), "0 or 1"),
    (dict(dataset="custom", points=(np.zeros((3, 2)), np.array([0, 1, 0]))), "at least 4"),
])
def test_bad_settings_raise_clear_errors(settings, match):
    with pytest.raises(ValueError, match=match):
        Playground(**settings)


def test_config_rejects_unknown_saved_keys():
    with pytest.raises(ValueError, match="unknown playground setting"):
        PlaygroundConfig.from_dict({"dataset": "xor", "momentum": 0.9})


# -- the widget, built without a front end -------------------------------------------------------
ipywidgets = pytest.importorskip("ipywidgets")


@pytest.fixture
def widget():
    from lib.playground.widget import PlaygroundWidget
    return PlaygroundWidget(dataset="circle", hidden=(3, 2), n_points=100, resolution=12, rng=0)


def test_widget_draws_the_boundary_and_one_heat_map_per_node(widget):
    assert widget.boundary_image.value[:8] == b"\x89PNG\r\n\x1a\n"
    sizes = [len(col) for col in widget._neuron_images]
    assert sizes == [2, 3, 2]                 # features x1, x2; hidden layers 3 and 2
    assert all(im.value[:4] == b"\x89PNG" for col in widget._neuron_images for im in col)
    assert "epoch <b>0</b>" in widget.epoch_label.value


def test_widget_step_play_and_reset_buttons(widget):
    before = widget.boundary_image.value
    widget.step_button.click()
    assert widget.pg.epoch == 1 and "epoch <b>1</b>" in widget.epoch_label.value
    assert widget.boundary_image.value != before
    widget.play.value += 1                    # what the Play widget does on every tick
    widget.play.value += 1
    assert widget.pg.epoch == 3
    widget.play.value = 0                     # its stop button rewinds: no training step
    assert widget.pg.epoch == 3
    widget.reset_button.click()
    assert widget.pg.epoch == 0 and len(widget.pg.train_loss) == 1


@pytest.mark.parametrize("control, value, check", [
    ("dataset", "spiral", lambda pg: pg.config.dataset == "spiral"),
    ("noise", 0.2, lambda pg: pg.config.noise == 0.2),
    ("train_percent", 70, lambda pg: len(pg.X_train) == 70),
    ("n_points", 200, lambda pg: len(pg.X_train) + len(pg.X_test) == 200),
    ("rng", 5, lambda pg: pg.config.rng == 5),
    ("n_layers", 1, lambda pg: pg.config.hidden == (3,)),
    ("activation", "relu", lambda pg: pg.config.activation == "relu"),
    ("loss", "squared_error", lambda pg: pg.config.loss == "squared_error"),
    ("learning_rate", 0.3, lambda pg: pg.optimizer.lr == 0.3),
    ("regularization", "L1", lambda pg: pg.config.regularization == "L1"),
    ("regularization_rate", 0.01, lambda pg: pg.config.regularization_rate == 0.01),
    ("batch_size", 25, lambda pg: pg.config.batch_size == 25),
])
def test_widget_each_control_changes_the_playground(widget, control, value, check):
    assert not check(widget.pg)
    getattr(widget, control).value = value
    assert check(widget.pg), widget.status.value


def test_widget_training_settings_keep_the_weights_but_rebuild_settings_reset(widget):
    widget.step(3)
    widget.learning_rate.value = 0.1
    assert widget.pg.epoch == 3               # learning rate: keep training where it is
    widget.activation.value = "sigmoid"
    assert widget.pg.epoch == 0               # a new network starts again


def test_widget_neuron_and_feature_controls_rebuild_the_network_picture(widget):
    widget.neurons[1].value = 5
    assert widget.pg.config.hidden == (3, 5)
    widget.n_layers.value = 3
    assert widget.pg.config.hidden == (3, 5, widget.neurons[2].value)
    assert widget.neurons[2].layout.display is None and widget.neurons[3].layout.display == "none"
    widget.features["x1^2"].value = True
    assert widget.pg.config.features == ("x1", "x2", "x1^2")
    assert [len(c) for c in widget._neuron_images] == [3, 3, 5, widget.neurons[2].value]


def test_widget_unticking_every_feature_shows_an_error_and_keeps_the_model(widget):
    widget.features["x1"].value = False
    widget.features["x2"].value = False
    assert "at least one input feature" in widget.status.value
    assert widget.pg.config.features == ("x2",)


def test_widget_own_points(widget):
    widget.points_text.value = "0.5, 0.5, 1\n-0.5, -0.5, 0\n0.5, -0.5, 1\n-0.5, 0.5, 0"
    widget.new_x1.value, widget.new_x2.value, widget.new_label.value = 0.9, 0.1, 1
    widget.add_point_button.click()
    assert widget.points_text.value.endswith("0.900, 0.100, 1")
    widget.use_points_button.click()
    pg = widget.pg
    assert pg.config.dataset == "custom" and widget.dataset.value == "custom"
    assert len(pg.X_train) + len(pg.X_test) == 5
    widget.points_text.value = "0.5, 0.5, 2"
    widget.use_points_button.click()
    assert "label t must be 0 or 1" in widget.status.value and len(pg.X_train) + len(pg.X_test) == 5
    widget.copy_points_button.click()
    assert len(widget.points_text.value.splitlines()) == 5


def test_widget_export_button_writes_a_file_that_loads(widget, tmp_path):
    widget.step(2)
    widget.export_name.value = str(tmp_path / "w.npz")
    widget.export_button.click()
    assert "saved epoch 2" in widget.status.value
    back = load_playground(tmp_path / "w.npz")
    np.testing.assert_array_equal(back.weights[0], widget.pg.weights[0])
    widget.export_name.value = str(tmp_path / "w.csv")
    widget.export_button.click()
    assert ".json or .npz" in widget.status.value


def test_parse_points_names_the_bad_line():
    from lib.playground.widget import parse_points
    X, t = parse_points("# my points\n0.1, 0.2, 1\n\n-0.3 0.4 0\n")
    np.testing.assert_array_equal(X, [[0.1, 0.2], [-0.3, 0.4]])
    np.testing.assert_array_equal(t, [1, 0])
    with pytest.raises(ValueError, match="line 2"):
        parse_points("0.1, 0.2, 1\n0.3, 0.4\n")
    with pytest.raises(ValueError, match="not a number"):
        parse_points("a, 0.2, 1\n")


def test_plot_network_has_one_picture_per_node():
    from lib.playground.widget import plot_network
    pg = Playground(features=("x1", "x2", "sin(x1)"), hidden=(4, 2), n_points=40)
    fig = plot_network(pg, resolution=10)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 3 + 4 + 2 + 1
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["features", "layer 1", "layer 2", "output"]


def test_widget_closes_the_heat_maps_it_replaces_and_everything_on_close(widget):
    old = [im for col in widget._neuron_images for im in col]
    assert all(im.comm is not None for im in old)
    widget.n_layers.value = 1
    assert all(im.comm is None for im in old)
    current = [im for col in widget._neuron_images for im in col]
    widget.close()
    assert all(im.comm is None for im in current)
    assert widget.ui.comm is None and widget.step_button.comm is None
