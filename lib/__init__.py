"""``lib``: the NumPy engine of *From Shallow to Deep Neural Networks*.

The engine (what chapter 8's reader could rebuild; the chapters import it by these short names):

======================  ==========================================================================
``lib.functional``      sigmoid, softmax, log_softmax, logsumexp, relu (stable)
``lib.nn``              Linear, Sigmoid, Tanh, ReLU, Identity, Sequential (forward/backward)
``lib.losses``          MeanSquaredError, BinaryCrossEntropy, SoftmaxCrossEntropy
``lib.optim``           SGD (momentum, weight decay), Adam
``lib.train``           fit = train_epoch (shuffled mini-batches) + the loop; history; NaN stop
``lib.gradcheck``       central differences (gradients, Hessians) and relative errors
``lib.data``            2-D data sets (``planar``), real MNIST digits (``mnist``), ``grid_points``
``lib.plot``            decision boundaries, training curves, digit images
======================  ==========================================================================

Around the engine:

====================================  ====================================================="""
from . import data, functional, gradcheck, losses, nn, optim, plot, train

__version__ = "0.1.0"
__all__ = ["data", "functional", "gradcheck", "losses", "nn", "optim", "plot", "train"]
