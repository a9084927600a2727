"""``lib``: the NumPy engine of *From Shallow to Deep Neural Networks*.

The engine (what chapter 8's reader could rebuild; the chapters import it by these short names):

======================  ==========================================================================
``lib.functional``      sigmoid, softmax, log_softmax, logsumexp, relu (stable)
``lib.nn``              Linear, Sigmoid, Tanh, ReLU, Identity, Sequential (forward/backward)
``lib.losses``          MeanSquaredError, BinaryCrossEntropy, SoftmaxCrossEntropy
``lib.optim``           SGD (momentum, weight decay), Adam
``lib.train``           fit: shuffled mini-batches, history, stop on NaN
``lib.gradcheck``       central differences and relative_error (the course's one definition)
``lib.data``            2-D data sets (``lib.data.planar``), real MNIST digits (``lib.data.mnist``)
``lib.plot``            decision boundaries, training curves, digit images
======================  ==========================================================================

Around the engine:

==============================  ==================================================================
``lib.lessons``                 one module per idea of the lecture that a chapter demonstrates:
``lib.lessons.neuron``            one neuron (bias trick), a layer as a loop of neurons or one product
``lib.lessons.perceptron``        the perceptron learning algorithm of the slide
``lib.lessons.linear_separability`` every labelling one line can produce; best accuracy of any line
``lib.lessons.naive_losses``      the slides' loss formulas written literally (to show inf / nan)
``lib.lessons.confusion``         the confusion matrix
``lib.lessons.two_layer_xor``     the hand-made 2-2-1 XOR network and the same network learned
``lib.lessons.diagnostics``       dead ReLUs and the gradient norm of each layer
``lib.lessons.approximation``     universal approximation built by hand: steps, bumps, ramps, towers
``lib.lessons.regions``           count_linear_regions of ReLU networks (on a line, on a 2-D grid)
``lib.lessons.depth_separation``  the tent map: 2^L linear pieces from 2L units, against one wide layer
``lib.lessons.loss_surfaces``     2-D losses (convex bowl, non-convex wells) and gradient descent paths
``lib.lessons.backprop_cost``     gradients by backprop, without re-use, by finite differences; counted
``lib.playground``              the TensorFlow playground: ``model`` (headless) and ``widget`` (ipywidgets)
``lib.exercises.checks``        the visible checks of the graded exercises (type, shape, values)
``lib.exercises.handin``        hands a graded cell's values to the grader as plain data (.npy)
``lib.book``                    glue: numbers computed in a chapter, quoted in its text
==============================  ==================================================================
"""
from . import data, functional, gradcheck, losses, nn, optim, plot, train

__version__ = "0.1.0"
__all__ = ["data", "functional", "gradcheck", "losses", "nn", "optim", "plot", "train"]
