"""``lib``: the NumPy engine of *From Shallow to Deep Neural Networks*.

Modules, named after the lecture's ideas:

========================  ===============================================================
``lib.functional``        sigmoid, softmax, log_softmax, logsumexp, relu (stable)
``lib.nn``                Linear, Sigmoid, Tanh, ReLU, Identity, Sequential (forward/backward)
``lib.losses``            MeanSquaredError, BinaryCrossEntropy, SoftmaxCrossEntropy
``lib.optim``             SGD (momentum, weight decay), Adam
``lib.train``             fit: shuffled mini-batches, history, stop on NaN
``lib.gradcheck``         central differences and relative errors
``lib.perceptron``        the perceptron learning algorithm of the slide
``lib.data``              playground 2-D data sets, real MNIST digits
``lib.plot``              decision boundaries, training curves, digit images
========================  ===============================================================
"""
from . import data, functional, gradcheck, losses, nn, optim, perceptron, plot, train

__version__ = "0.1.0"
__all__ = ["data", "functional", "gradcheck", "losses", "nn", "optim", "perceptron", "plot", "train"]
