"""lib.lessons.computational_graph: the listed backward steps are the gradient, and use only
the cached values they name (chapter 8's figure is drawn from the same list)."""
from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from lib.gradcheck import numerical_gradient
from lib.lessons.computational_graph import (
    BACKWARD_STEPS,
    backward_by_steps,
    draw_computational_graph,
    forward_cache,
)

matplotlib.use("Agg")


def _network(seed=0, n=5, d=3, h=4, k=3):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    T = np.eye(k)[rng.integers(0, k, size=n)]
    params = dict(W1=rng.standard_normal((h, d)), b1=rng.standard_normal(h),
                  W2=rng.standard_normal((k, h)), b2=rng.standard_normal(k))
    return X, T, params


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_steps_give_the_gradient_of_the_loss_by_finite_differences(seed):
    X, T, p = _network(seed)
    grads = backward_by_steps(forward_cache(X, T, **p))
    for name in ("W1", "b1", "W2", "b2"):
        numeric = numerical_gradient(lambda: forward_cache(X, T, **p)["L"], p[name])
        np.testing.assert_allclose(grads["d" + name], numeric, rtol=1e-6, atol=1e-9, err_msg=name)
    numeric_x = numerical_gradient(lambda: forward_cache(X, T, **p)["L"], X)
    # dX = dZ1 W1: one more line of the boxed equations, from the steps' dZ1
    np.testing.assert_allclose(grads["dZ1"] @ p["W1"], numeric_x, rtol=1e-6, atol=1e-9)


def test_steps_use_only_the_values_they_name():
    X, T, p = _network(3)
    cache = forward_cache(X, T, **p)
    named = {v for _, _, _, reused in BACKWARD_STEPS for v in reused}
    assert named == {"P", "T", "A1", "W2", "X"}
    spoiled = {key: (np.full_like(v, np.nan) if key not in named and isinstance(v, np.ndarray)
                     else v) for key, v in cache.items()}
    assert np.isnan(spoiled["Z1"]).all() and np.isnan(spoiled["Z2"]).all()
    clean, from_spoiled = backward_by_steps(cache), backward_by_steps(spoiled)
    for g in clean:
        np.testing.assert_array_equal(clean[g], from_spoiled[g])


def test_shapes_follow_the_boxed_equations():
    X, T, p = _network(4, n=7, d=2, h=5, k=4)
    g = backward_by_steps(forward_cache(X, T, **p))
    assert g["dZ2"].shape == (7, 4) and g["dW2"].shape == (4, 5) and g["db2"].shape == (4,)
    assert g["dA1"].shape == (7, 5) and g["dZ1"].shape == (7, 5)
    assert g["dW1"].shape == (5, 2) and g["db1"].shape == (5,)


def test_bad_shapes_are_named():
    X, T, p = _network(5)
    with pytest.raises(ValueError, match=r"T has shape \(5, 2\).*\(5, 3\)"):
        forward_cache(X, T[:, :2], **p)
    with pytest.raises(ValueError, match=r"X has shape \(5, 2\), W1 has shape \(4, 3\)"):
        forward_cache(X[:, :2], T, **p)


def test_the_figure_has_a_box_per_step_and_a_dashed_arrow_per_reused_value():
    from matplotlib.colors import to_rgba
    fig = draw_computational_graph()
    texts = [t.get_text() for t in fig.axes[0].texts]
    for grad, formula, _, _ in BACKWARD_STEPS:
        assert f"{grad}\n{formula}" in texts
    reuse_arrows = [a for a in fig.axes[0].texts if getattr(a, "arrow_patch", None) is not None
                    and a.arrow_patch.get_edgecolor() == to_rgba("tab:blue")]
    assert len(reuse_arrows) == sum(len(r) for _, _, _, r in BACKWARD_STEPS)
