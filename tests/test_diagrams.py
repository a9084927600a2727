"""lib.diagrams draws the network it is given and the learning loop, on real matplotlib Axes."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Circle, Rectangle  # noqa: E402

from lib.diagrams import draw_learning_loop, draw_network  # noqa: E402
from lib.lessons.two_layer_xor import hand_crafted_xor_network  # noqa: E402
from lib.nn import ReLU, mlp  # noqa: E402


def circles(ax):
    return [p for p in ax.patches if isinstance(p, Circle)]


def test_one_circle_per_neuron_and_one_line_per_weight():
    fig, ax = plt.subplots()
    draw_network(mlp([3, 5, 4, 2], ReLU, rng=0), ax=ax)
    assert len(circles(ax)) == 3 + 5 + 4 + 2
    assert len(ax.lines) == 3 * 5 + 5 * 4 + 4 * 2
    plt.close(fig)


def test_line_width_follows_the_weight_and_colour_its_sign():
    W1 = np.array([[2.0, -1.0]])                      # one neuron reading two inputs
    fig, ax = plt.subplots()
    draw_network([W1], ax=ax)
    first, second = ax.lines                           # drawn input by input
    assert first.get_linewidth() > second.get_linewidth()
    assert first.get_color() != second.get_color()
    # the largest |w| gets the widest line: 0.5 + 3; half of it: 0.5 + 1.5
    assert first.get_linewidth() == pytest.approx(3.5)
    assert second.get_linewidth() == pytest.approx(2.0)
    plt.close(fig)


def test_xor_network_drawn_with_its_weights_and_biases():
    net = hand_crafted_xor_network(steepness=1)
    fig, ax = plt.subplots()
    draw_network(net, ax=ax, show_values=True)
    texts = [t.get_text() for t in ax.texts]
    # the hand-chosen hyperplanes: biases -0.5 (OR), -1.5 (AND), output -0.5; weights 1, 1, 1, -1
    for bias in ("b = -0.5", "b = -1.5"):
        assert bias in texts
    assert texts.count("1") == 5 and texts.count("-1") == 1
    plt.close(fig)


def test_architecture_only_and_bad_input():
    fig, ax = plt.subplots()
    draw_network(sizes=[2, 3, 1], ax=ax, layer_names=["x", "a", "y"])
    assert len(circles(ax)) == 6 and {"x", "a", "y"} <= {t.get_text() for t in ax.texts}
    plt.close(fig)
    with pytest.raises(ValueError, match=r"layer 2.*\(1, 4\).*layer 1.*\(3, 2\)"):
        draw_network([np.ones((3, 2)), np.ones((1, 4))])
    with pytest.raises(ValueError, match="do not match"):
        draw_network(mlp([2, 3, 1], ReLU, rng=0), sizes=[2, 4, 1])
    with pytest.raises(ValueError, match="at least two layers"):
        draw_network(sizes=[3])
    with pytest.raises(ValueError, match="layer_names"):
        draw_network(sizes=[2, 1], layer_names=["only one"])


def test_learning_loop_has_the_five_steps_in_order_and_a_way_back():
    fig, ax = plt.subplots()
    draw_learning_loop(ax=ax)
    boxes = sorted((p for p in ax.patches if isinstance(p, Rectangle)), key=lambda r: r.get_x())
    assert len(boxes) == 5
    titles = {t.get_text(): t.get_position()[0] for t in ax.texts}
    order = ["data", "model", "loss", "gradient", "update"]
    xs = [titles[name] for name in order]
    assert xs == sorted(xs)
    for box, x in zip(boxes, xs):                      # each title sits in its own box
        assert box.get_x() < x < box.get_x() + box.get_width()
    # the return path leaves the update box and ends over the model box
    back = ax.lines[0].get_xydata()
    assert back[0][0] == pytest.approx(xs[-1]) and back[-1][0] == pytest.approx(xs[1])
    plt.close(fig)


def test_one_linear_layer_is_drawn_as_two_columns():
    from lib.nn import Linear
    layer = Linear(3, 4, rng=1)
    fig, ax = plt.subplots()
    draw_network(layer, ax=ax, show_values=True)
    assert len(circles(ax)) == 7 and len(ax.lines) == 12
    # one label per weight and one per bias
    assert len(ax.texts) == 12 + 4
    plt.close(fig)
