"""Data sets: the playground's 2-D problems, real MNIST digits, and grids of input points."""
from .grid import grid_points
from .mnist import MNIST, download_mnist, load_mnist, read_idx
from .planar import (
    DATASETS,
    circle,
    gaussians,
    make_dataset,
    moons,
    spiral,
    train_test_split,
    xor,
    xor_truth_table,
)

__all__ = ["circle", "gaussians", "moons", "spiral", "xor", "xor_truth_table", "train_test_split",
           "make_dataset", "DATASETS", "load_mnist", "download_mnist", "read_idx", "MNIST",
           "grid_points"]
