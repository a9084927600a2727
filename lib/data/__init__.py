"""Data sets: the playground's 2-D problems and real MNIST digits."""
from .planar import circle, gaussians, moons, spiral, train_test_split, xor, xor_truth_table, make_dataset, DATASETS
from .mnist import load_mnist, download_mnist, read_idx, MNIST

__all__ = ["circle", "gaussians", "moons", "spiral", "xor", "xor_truth_table", "train_test_split",
           "make_dataset", "DATASETS", "load_mnist", "download_mnist", "read_idx", "MNIST"]
