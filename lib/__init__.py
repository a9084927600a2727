"""``lib``: the NumPy engine of *From Shallow to Deep Neural Networks*.

The engine (what chapter 8's reader could rebuild; the chapters import it by these short names):

======================  ==========================================================================
``lib.functional``      sigmoid, softmax, log_softmax, logsumexp, relu (stable)
``lib.nn``              Linear, Sigmoid, Tanh, ReLU, Identity, Sequential (forward/backward)
``lib.losses``          MeanSquaredError, BinaryCrossEntropy, SoftmaxCrossEntropy
``lib.optim``           SGD (momentum, weight decay), Adam
``lib.train``           fit = train_epoch (shuffled mini-batches) + the loop; history; NaN stop
``lib.gradcheck``       central differences (gradients, Hessians), relative_error (the one definition)
``lib.data``            2-D data sets (``planar``), real MNIST digits (``mnist``), ``grid_points``
``lib.plot``            decision boundaries, training curves, digit images
======================  ==========================================================================

Around the engine:

====================================  ============================================================
``lib.lessons``                       one module per idea of the lecture a chapter demonstrates:
``lib.lessons.neuron``                one neuron (bias trick); a layer as a loop or one product
``lib.lessons.perceptron``            the perceptron learning algorithm of the slide
``lib.lessons.linear_separability``   every labelling one line can produce; best accuracy
``lib.lessons.naive_losses``          the slides' loss formulas written literally (inf / nan)
``lib.lessons.confusion``             the confusion matrix
``lib.lessons.two_layer_xor``         the hand-made 2-2-1 XOR network and the same one learned
``lib.lessons.diagnostics``           dead ReLUs and the gradient norm of each layer
``lib.lessons.approximation``         universal approximation by hand: steps, bumps, towers
``lib.lessons.regions``               linear regions of ReLU networks (on a line, on a grid)
``lib.lessons.depth_separation``      the tent map: 2^L pieces from 2L units, against one layer
``lib.lessons.loss_surfaces``         2-D losses (bowl, wells); gradient descent, momentum paths
``lib.lessons.critical_points``       minimum, saddle or plateau: gradient, Hessian, Newton
``lib.lessons.backprop_cost``         gradients by backprop, without re-use, by differences
``lib.lessons.computational_graph``   a 2-layer network's backward steps and what they reuse
``lib.playground``                    the TensorFlow playground: ``model`` and ``widget``
``lib.exercises.checks``              the visible checks of the graded exercises
``lib.exercises.handin``              a graded cell's values handed to the grader as plain data
``lib.book``                          glue: numbers computed in a chapter, quoted in its text
``lib.diagrams``                      drawings made by code: a network from its weights, the loop
====================================  ============================================================

One name, one meaning (everywhere in ``lib``, the chapters and the exercises):

* ``rng``: what fixes randomness, a seed (int) or a ``numpy.random.Generator``, passed to
  ``np.random.default_rng``; never ``seed=``. (The playground's ``rng`` is a seed only: it is
  saved with its settings.)
* ``test``: the held-out set, never trained on: ``fit(..., X_test=, t_test=)``,
  ``History.test_loss``, ``Playground.test_loss``. The course has no separate validation set.
* ``plot_*``: a function that draws into a matplotlib Axes or returns a Figure.
* ``steepness``: the weight w of a sigmoid step sigma(w (x - p)) (a step rises over about 4/w).
* shapes: batches are rows, ``(n, features)``; ``W`` is ``(n_out, n_in)``; ``Z = X @ W.T + b``.
"""
from . import data, functional, gradcheck, losses, nn, optim, plot, train

__version__ = "0.1.0"
__all__ = ["data", "functional", "gradcheck", "losses", "nn", "optim", "plot", "train"]
