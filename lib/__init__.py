"""``lib``: the NumPy engine of *From Shallow to Deep Neural Networks*.

Modules, named after the lecture's ideas:

===========================  =======================================================================
``lib.functional``           sigmoid, softmax, log_softmax, logsumexp, relu (stable)
``lib.nn``                   Linear, Sigmoid, Tanh, ReLU, Identity, Sequential (forward/backward)
``lib.losses``               MeanSquaredError, BinaryCrossEntropy, SoftmaxCrossEntropy
``lib.optim``                SGD (momentum, weight decay), Adam
``lib.train``                fit: shuffled mini-batches, history, stop on NaN
``lib.gradcheck``            central differences and relative errors
``lib.perceptron``           the perceptron learning algorithm of the slide
``lib.data``                 playground 2-D data sets, real MNIST digits
``lib.plot``                 decision boundaries, training curves, digit images
``lib.neuron``               one neuron (bias trick), a layer as a loop of neurons or one product
``lib.linear_separability``  every labelling one line can produce; best accuracy of any line
``lib.naive_losses``         the slides' loss formulas written literally (to show inf / nan)
``lib.confusion``            the confusion matrix
``lib.two_layer_xor``        the hand-made 2-2-1 XOR network and the same network learned
``lib.loss_surfaces``        2-D losses (convex bowl, non-convex wells) and gradient descent paths
``lib.backprop_cost``        gradients by backprop, without re-use, by finite differences; counted
``lib.playground``           the TensorFlow playground as a headless model (features, L1/L2, export)
``lib.widgets``              the playground's ipywidgets UI and its static pictures
``lib.regions``              count_linear_regions of ReLU networks (on a line, on a 2-D grid)
``lib.approximation``        universal approximation built by hand: steps, bumps, ramps, towers
``lib.depth_separation``     the tent map: 2^L linear pieces from 2L units, against one wide layer
``lib.diagnostics``          dead ReLUs and the gradient norm of each layer
``lib.notebook``             glue: numbers computed in a chapter, quoted in its text
``lib.exercise_checks``      the visible checks of the graded exercises (type, shape, values)
===========================  =======================================================================
"""
from . import data, functional, gradcheck, losses, nn, optim, perceptron, plot, train

__version__ = "0.1.0"
__all__ = ["data", "functional", "gradcheck", "losses", "nn", "optim", "perceptron", "plot", "train"]
