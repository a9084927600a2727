"""lib.nn.Linear's initialisations: each named scheme draws weights with its paper's variance.

The expected variances are the papers' formulas written here, not read from lib: LeCun et al.
1998 (Efficient BackProp) 1/n_in, Glorot & Bengio 2010 2/(n_in + n_out), He et al. 2015 2/n_in.
With n_in * n_out = 240,000 draws the sample variance is within 1% of the true one (its
relative standard error is sqrt(2 / 240,000) = 0.3%), so a wrong formula cannot pass.
"""
from __future__ import annotations

import numpy as np
import pytest

from lib.nn import LeakyReLU, Linear, ReLU, Sigmoid, Tanh, mlp

N_IN, N_OUT = 600, 400
PAPERS = {"lecun": 1 / N_IN, "glorot": 2 / (N_IN + N_OUT), "he": 2 / N_IN}


@pytest.mark.parametrize("init, variance", PAPERS.items())
def test_weights_have_the_papers_variance_and_zero_mean(init, variance):
    W = Linear(N_IN, N_OUT, rng=0, init=init).params["W"]
    assert W.shape == (N_OUT, N_IN)
    assert W.var() == pytest.approx(variance, rel=0.01)
    assert abs(W.mean()) < 4 * np.sqrt(variance / W.size)


def test_the_three_schemes_differ():
    # glorot differs from lecun only when n_in != n_out; here by the factor 2 n_in/(n_in + n_out)
    variances = {init: Linear(N_IN, N_OUT, rng=0, init=init).params["W"].var() for init in PAPERS}
    assert variances["glorot"] / variances["lecun"] == pytest.approx(1.2, rel=0.02)
    assert variances["he"] / variances["lecun"] == pytest.approx(2.0, rel=0.02)


@pytest.mark.parametrize("activation, init", [(ReLU, "he"), (LeakyReLU, "he"),
                                              (Sigmoid, "lecun"), (Tanh, "lecun")])
def test_mlp_default_init_per_activation(activation, init):
    net = mlp([N_IN, N_OUT, 3], activation, rng=0)
    assert net[0].params["W"].var() == pytest.approx(PAPERS[init], rel=0.01)
