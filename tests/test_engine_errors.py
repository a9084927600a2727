"""Bad input is refused with a message that says what is wrong and what to do about it.

Each test asserts on the *content* of the message (the layer, the shapes, the fix), since a
student reads the message, not the exception type.
"""
from __future__ import annotations

import numpy as np
import pytest

from lib.losses import BinaryCrossEntropy, MeanSquaredError, SoftmaxCrossEntropy
from lib.nn import Linear, ReLU, Sequential, ShapeError, Sigmoid, Tanh, mlp
from lib.optim import SGD
from lib.train import fit


def message(excinfo) -> str:
    return str(excinfo.value)


# ----------------------------------------------------------------------------- shapes
def test_linear_shape_mismatch_names_the_layer_and_both_shapes():
    layer = Linear(3, 2, rng=0)
    with pytest.raises(ValueError) as e:
        layer.forward(np.zeros((5, 4)))
    text = message(e)
    assert "Linear(3 -> 2)" in text
    assert "(5, 4)" in text and "(n, 3)" in text
    assert isinstance(e.value, ShapeError)


def test_shape_mismatch_inside_a_sequential_names_the_layer_index():
    model = Sequential(Linear(3, 4, rng=0), ReLU(), Linear(5, 2, rng=0))
    with pytest.raises(ValueError) as e:
        model.forward(np.zeros((2, 3)))
    text = message(e)
    assert "layer 2" in text and "Linear(5 -> 2)" in text
    assert "(2, 4)" in text and "(n, 5)" in text
    # and the first layer, when the data itself has the wrong width
    with pytest.raises(ValueError, match=r"layer 0 \(Linear\(3 -> 4\)\).*\(2, 7\).*\(n, 3\)"):
        model.forward(np.zeros((2, 7)))


def test_one_dimensional_input_is_refused_with_the_reshape_to_use():
    with pytest.raises(ValueError) as e:
        Linear(3, 2, rng=0).forward(np.zeros(3))
    assert "1-D" in message(e) and "(3,)" in message(e) and "reshape(1, -1)" in message(e)
    with pytest.raises(ValueError, match="reshape"):
        Sigmoid().forward(np.zeros(4))


def test_images_must_be_flattened_first():
    with pytest.raises(ValueError) as e:
        mlp([784, 10], rng=0).forward(np.zeros((2, 28, 28), dtype=np.float32))
    assert "(2, 28, 28)" in message(e) and "reshape(len(x), -1)" in message(e)


def test_empty_batch_is_refused():
    with pytest.raises(ValueError) as e:
        Linear(3, 2, rng=0).forward(np.zeros((0, 3)))
    assert "empty" in message(e) and "(0, 3)" in message(e) and "at least one sample" in message(e)
    with pytest.raises(ValueError, match="empty"):
        SoftmaxCrossEntropy().forward(np.zeros((0, 3)), np.zeros(0, dtype=int))
    model = mlp([2, 1], rng=0)
    with pytest.raises(ValueError, match="empty"):
        fit(model, BinaryCrossEntropy(), SGD(model, 0.1), np.zeros((0, 2)), np.zeros(0),
            progress=False)


def test_grad_out_of_the_wrong_shape_is_refused():
    layer = Tanh()
    layer.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError) as e:
        layer.backward(np.zeros((4, 2)))
    assert "Tanh" in message(e) and "(4, 2)" in message(e) and "(4, 3)" in message(e)
    linear = Linear(3, 2, rng=0)
    linear.forward(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"Linear\(3 -> 2\).*\(2, 4\).*\(4, 2\)"):
        linear.backward(np.zeros((2, 4)))


# ----------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("dtype", [np.uint8, np.int64, np.int32])
def test_integer_input_is_refused_with_the_conversion_to_use(dtype):
    with pytest.raises(TypeError) as e:
        Linear(784, 10, rng=0).forward(np.zeros((2, 784), dtype=dtype))
    text = message(e)
    assert np.dtype(dtype).name in text and "float" in text
    assert "astype(np.float32) / 255" in text


def test_integer_training_data_is_refused_by_fit():
    model = mlp([4, 3], rng=0)
    with pytest.raises(TypeError, match="fit.*uint8.*astype"):
        fit(model, SoftmaxCrossEntropy(), SGD(model, 0.1), np.zeros((5, 4), dtype=np.uint8),
            np.zeros(5, dtype=int), progress=False)


def test_object_arrays_are_refused():
    with pytest.raises(TypeError, match="expected a float array, got dtype object"):
        ReLU().forward(np.array([[1.0, None]], dtype=object))


# ----------------------------------------------------------------------------- order of calls
@pytest.mark.parametrize("layer", [Linear(3, 2, rng=0), Sigmoid(), Tanh(), ReLU()],
                         ids=lambda layer: type(layer).__name__)
def test_backward_before_forward_says_to_run_forward_first(layer):
    with pytest.raises(RuntimeError) as e:
        layer.backward(np.zeros((1, 2)))
    assert "before forward" in message(e) and "forward pass first" in message(e)
    assert layer.describe() in message(e)


def test_backward_before_forward_in_a_sequential_names_the_layer():
    with pytest.raises(RuntimeError, match=r"layer 2 \(Linear\(4 -> 1\)\).*before forward"):
        mlp([3, 4, 1], rng=0).backward(np.zeros((1, 1)))


@pytest.mark.parametrize("loss", [MeanSquaredError(), BinaryCrossEntropy(), SoftmaxCrossEntropy()],
                         ids=lambda loss: loss.name)
def test_loss_backward_before_forward(loss):
    with pytest.raises(RuntimeError) as e:
        loss.backward()
    assert loss.name in message(e) and "before forward" in message(e)
    assert "forward(z, t)" in message(e)


# ----------------------------------------------------------------------------- targets
def test_labels_out_of_range_are_refused_with_the_valid_range():
    z = np.zeros((3, 4))
    for bad in ([0, 4, 1], [0, -1, 2]):
        with pytest.raises(ValueError) as e:
            SoftmaxCrossEntropy().forward(z, np.array(bad))
        text = message(e)
        assert "0..3" in text and "4 classes" in text and str(min(bad)) in text
        assert str(max(bad)) in text


def test_non_integer_labels_are_refused():
    with pytest.raises(TypeError, match="labels must be integers 0..2"):
        SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0.5, 1.0]))
    # whole-valued floats are fine: they are labels stored as floats
    assert np.isfinite(SoftmaxCrossEntropy().forward(np.zeros((2, 3)), np.array([0.0, 2.0])))


def test_softmax_cross_entropy_wrong_target_shapes():
    z = np.zeros((3, 4))
    with pytest.raises(ValueError, match="3 rows of logits but 2 labels"):
        SoftmaxCrossEntropy().forward(z, np.array([0, 1]))
    with pytest.raises(ValueError) as e:
        SoftmaxCrossEntropy().forward(z, np.zeros((3, 5)))
    assert "(3, 4)" in message(e) and "(3, 5)" in message(e)
    assert "(3,)" in message(e) and "one-hot" in message(e)


def test_binary_cross_entropy_wrong_shapes_and_values():
    with pytest.raises(ValueError) as e:
        BinaryCrossEntropy().forward(np.zeros((4, 2)), np.zeros(4))
    assert "(4, 2)" in message(e) and "SoftmaxCrossEntropy" in message(e)
    with pytest.raises(ValueError, match=r"4 logits but targets of shape \(3,\)"):
        BinaryCrossEntropy().forward(np.zeros((4, 1)), np.zeros(3))
    with pytest.raises(ValueError) as e:
        BinaryCrossEntropy().forward(np.zeros(3), np.array([0, 1, 2]))
    assert "[0, 1]" in message(e) and "2" in message(e)


def test_mean_squared_error_shape_mismatch():
    with pytest.raises(ValueError) as e:
        MeanSquaredError().forward(np.zeros((4, 2)), np.zeros((4, 3)))
    assert "(4, 2)" in message(e) and "(4, 3)" in message(e) and "must match" in message(e)


def test_unknown_reduction_and_init_are_refused_with_the_choices():
    with pytest.raises(ValueError, match="'mean' or 'sum'"):
        MeanSquaredError(reduction="average")
    with pytest.raises(ValueError, match="unknown init 'kaiming'.*'glorot'.*'he'.*'lecun'"):
        Linear(2, 2, init="kaiming")


def test_the_old_init_name_xavier_says_what_it_became():
    with pytest.raises(ValueError, match="renamed.*1/n_in is LeCun's.*init='lecun'.*init='glorot'"):
        Linear(2, 2, init="xavier")


def test_fit_checks_that_inputs_and_targets_match():
    model = mlp([2, 1], rng=0)
    with pytest.raises(ValueError, match="X has 5 samples but t has 4 targets"):
        fit(model, BinaryCrossEntropy(), SGD(model, 0.1), np.zeros((5, 2)), np.zeros(4),
            progress=False)
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        fit(model, BinaryCrossEntropy(), SGD(model, 0.1), np.zeros((5, 2)), np.zeros(5),
            batch_size=0, progress=False)
    with pytest.raises(ValueError, match="learning rate must be positive"):
        SGD(model, lr=0)


def test_fit_refuses_a_test_set_without_its_targets():
    X, t = np.zeros((4, 3)), np.array([0, 1, 0, 1])
    model = Linear(3, 2, rng=0)
    with pytest.raises(ValueError, match="both X_test and t_test"):
        fit(model, SoftmaxCrossEntropy(), SGD(model), X, t, X_test=X, progress=False)


def test_linear_from_weights_holds_exactly_the_given_weights():
    layer = Linear.from_weights([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], [0.5, -0.5, 1.0])
    assert (layer.n_in, layer.n_out) == (2, 3)
    # z = W x + b by hand for x = (1, -1): (1 - 2 + 0.5, 3 - 4 - 0.5, 5 - 6 + 1)
    assert np.array_equal(layer.forward(np.array([[1.0, -1.0]])), [[-0.5, -1.5, 0.0]])
    with pytest.raises(ValueError):
        Linear.from_weights([[1.0, 2.0]], [1.0, 2.0, 3.0])      # 3 biases for 1 neuron
