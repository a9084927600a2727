"""MNIST: the 10,000 shipped digits, and the full set's download path, tested offline.

The download tests start an HTTP server on 127.0.0.1 (a random free port, in a thread) that
serves small IDX files the test writes itself; nothing leaves the machine.
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import socket
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

from lib.data import mnist as mnist_module
from lib.data.mnist import FILES, MNISTDownloadError, download_mnist, load_mnist, read_idx


# ----------------------------------------------------------------------------- the shipped set
@pytest.fixture(scope="module")
def shipped():
    return load_mnist()


def test_shipped_shapes_dtypes_and_range(shipped):
    X_train, t_train, X_test, t_test = shipped
    assert X_train.shape == (8000, 784) and X_test.shape == (2000, 784)
    assert X_train.dtype == np.float32 and X_test.dtype == np.float32
    assert t_train.shape == (8000,) and t_test.shape == (2000,)
    assert t_train.dtype == np.int64 and t_test.dtype == np.int64
    for X in (X_train, X_test):
        assert X.min() == 0.0 and X.max() == 1.0
    # grey levels k / 255: the original 8-bit digits, not resampled
    np.testing.assert_allclose(X_train[:50] * 255, np.round(X_train[:50] * 255), atol=1e-4)
    # real MNIST: mostly black background, mean intensity about 0.13
    assert 0.10 < X_train.mean() < 0.16
    assert 0.15 < (X_train > 0).mean() < 0.25


def test_shipped_labels_are_balanced(shipped):
    for t in (shipped.t_train, shipped.t_test):
        share = np.bincount(t, minlength=10) / len(t)
        assert set(np.unique(t)) == set(range(10))
        assert np.all((share > 0.08) & (share < 0.12)), share
    # the split is stratified: each digit is about as common in test as in train
    np.testing.assert_allclose(np.bincount(shipped.t_test) / 2000,
                               np.bincount(shipped.t_train) / 8000, atol=0.01)


def test_shipped_split_is_fixed_and_disjoint(shipped):
    again = load_mnist()
    for a, b in zip(shipped, again):
        np.testing.assert_array_equal(a, b)
    raw = load_mnist(normalize=False)
    train = {row.tobytes() for row in raw.X_train}
    test = {row.tobytes() for row in raw.X_test}
    assert len(test) == 2000 and len(train) == 8000     # no digit twice inside a part
    assert not train & test                             # and none in both parts


def test_shipped_raw_and_image_forms(shipped):
    raw = load_mnist(flatten=False, normalize=False)
    assert raw.X_train.shape == (8000, 28, 28) and raw.X_train.dtype == np.uint8
    assert raw.X_train.max() == 255
    np.testing.assert_array_equal(raw.X_train.reshape(8000, 784).astype(np.float32) / 255,
                                  shipped.X_train)
    assert load_mnist(dtype=np.float64).X_test.dtype == np.float64


def test_licence_and_attribution_are_shipped():
    text = (Path(mnist_module.__file__).with_name("MNIST_LICENSE.txt")).read_text()
    assert "MIT" in text and "LeCun" in text


# ----------------------------------------------------------------------------- IDX files
def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """The IDX format, written from its definition: 0, 0, type, ndim, big-endian dims, data."""
    header = bytes([0, 0, type_code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_idx(path: Path, array: np.ndarray, type_code: int = 0x08, gz: bool = True) -> Path:
    data = idx_bytes(array, type_code)
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def test_read_idx_parses_uint8_images_and_labels(tmp_path):
    images = np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)
    labels = np.array([7, 0, 9], dtype=np.uint8)
    for gz in (True, False):
        suffix = ".gz" if gz else ""
        got = read_idx(write_idx(tmp_path / f"images{suffix}", images, gz=gz))
        assert got.dtype == np.uint8 and got.shape == (3, 4, 5)
        np.testing.assert_array_equal(got, images)
        np.testing.assert_array_equal(read_idx(write_idx(tmp_path / f"l{suffix}", labels, gz=gz)),
                                      labels)


def test_read_idx_big_endian_integers_come_back_native(tmp_path):
    values = np.array([1, -2, 300000], dtype=">i4")
    got = read_idx(write_idx(tmp_path / "ints", values, type_code=0x0C, gz=False))
    np.testing.assert_array_equal(got, [1, -2, 300000])
    assert got.dtype.byteorder in ("=", "<", "|")


def test_read_idx_rejects_bad_magic(tmp_path):
    data = idx_bytes(np.zeros((2, 2), np.uint8))
    (tmp_path / "bad").write_bytes(b"\x01" + data[1:])
    with pytest.raises(ValueError, match="bad magic"):
        read_idx(tmp_path / "bad")
    (tmp_path / "text.gz").write_bytes(gzip.compress(b"<html>not found</html>"))
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(tmp_path / "text.gz")


def test_read_idx_rejects_truncated_data_and_unknown_types(tmp_path):
    data = idx_bytes(np.zeros((4, 3), np.uint8))
    (tmp_path / "short").write_bytes(data[:-5])
    with pytest.raises(ValueError, match=r"\(4, 3\).*12 bytes.*7 bytes"):
        read_idx(tmp_path / "short")
    (tmp_path / "header").write_bytes(data[:6])
    with pytest.raises(ValueError, match="truncated IDX header"):
        read_idx(tmp_path / "header")
    (tmp_path / "type").write_bytes(bytes([0, 0, 0x07, 1]) + struct.pack(">I", 0))
    with pytest.raises(ValueError, match="unknown IDX type code 0x07"):
        read_idx(tmp_path / "type")


# ----------------------------------------------------------------------------- the download
class QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, *args):       # keep the test output clean
        pass

    def do_GET(self):
        self.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/"served" on http://127.0.0.1:<free port>/mnist/; yields (url, folder, log)."""
    root = tmp_path / "served"
    (root / "mnist").mkdir(parents=True)
    log: list[str] = []
    handler = type("Handler", (QuietHandler,), {"requests": log})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/mnist/", root / "mnist", log
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def serve_small_mnist(folder: Path, seed: int = 0) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """Write the four MNIST files (6 train, 4 test digits) and return their checksums."""
    rng = np.random.default_rng(seed)
    arrays = {"train-images-idx3-ubyte.gz": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
              "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 6, dtype=np.uint8),
              "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (4, 28, 28), dtype=np.uint8),
              "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 4, dtype=np.uint8)}
    assert set(arrays) == set(FILES)        # the same names as the real mirror
    return {name: sha256(write_idx(folder / name, a)) for name, a in arrays.items()}, arrays


def free_port() -> int:
    """A port that nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_download_fetches_and_verifies(server, tmp_path):
    url, served, log = server
    files, arrays = serve_small_mnist(served)
    cache = tmp_path / "cache"
    assert download_mnist(cache, base_url=url, files=files) == cache
    for name, sha in files.items():
        assert sha256(cache / name) == sha
        np.testing.assert_array_equal(read_idx(cache / name), arrays[name])
    assert sorted(log) == sorted(f"/mnist/{name}" for name in files)
    assert sorted(p.name for p in cache.iterdir()) == sorted(files)     # no temporary files
    # a second call finds verified files and fetches nothing
    download_mnist(cache, base_url=url, files=files)
    assert len(log) == 4


def test_wrong_checksum_raises_and_leaves_no_bad_file(server, tmp_path):
    url, served, _ = server
    files, _ = serve_small_mnist(served)
    name = "train-labels-idx1-ubyte.gz"
    cache = tmp_path / "cache"
    with pytest.raises(MNISTDownloadError) as e:
        download_mnist(cache, base_url=url, files={name: "0" * 64})
    text = str(e.value)
    assert name in text and "checksum mismatch" in text and files[name] in text
    assert "make mnist-full" in text
    assert list(cache.iterdir()) == []      # neither the file nor a temporary copy


def test_a_corrupted_cached_file_is_fetched_again(server, tmp_path):
    url, served, log = server
    files, _ = serve_small_mnist(served)
    cache = tmp_path / "cache"
    download_mnist(cache, base_url=url, files=files)
    (cache / "t10k-labels-idx1-ubyte.gz").write_bytes(b"garbage")
    download_mnist(cache, base_url=url, files=files)
    assert log.count("/mnist/t10k-labels-idx1-ubyte.gz") == 2
    assert sha256(cache / "t10k-labels-idx1-ubyte.gz") == files["t10k-labels-idx1-ubyte.gz"]


def test_server_down_says_how_to_get_the_data(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/mnist/"
    with pytest.raises(MNISTDownloadError) as e:
        download_mnist(tmp_path / "cache", base_url=url,
                       files={"t10k-labels-idx1-ubyte.gz": "0" * 64}, timeout=5)
    text = str(e.value)
    assert "Could not download t10k-labels-idx1-ubyte.gz" in text and url in text
    assert "make mnist-full" in text and "python -m lib.data.mnist" in text
    assert "load_mnist()" in text and str(tmp_path / "cache") in text
    assert list((tmp_path / "cache").iterdir()) == []


def test_missing_file_on_the_server_is_reported(server, tmp_path):
    url, _, _ = server
    with pytest.raises(MNISTDownloadError, match="404"):
        download_mnist(tmp_path / "cache", base_url=url,
                       files={"train-images-idx3-ubyte.gz": "0" * 64})


def test_load_mnist_full_end_to_end(server, tmp_path):
    url, served, _ = server
    files, arrays = serve_small_mnist(served, seed=1)
    cache = tmp_path / "cache"
    data = load_mnist(full=True, cache_dir=cache, base_url=url, files=files)
    assert data.X_train.shape == (6, 784) and data.X_test.shape == (4, 784)
    assert data.X_train.dtype == np.float32 and data.t_train.dtype == np.int64
    np.testing.assert_allclose(
        data.X_train, arrays["train-images-idx3-ubyte.gz"].reshape(6, 784) / 255, rtol=1e-6)
    np.testing.assert_array_equal(data.t_test, arrays["t10k-labels-idx1-ubyte.gz"])
    raw = load_mnist(full=True, cache_dir=cache, files=files, download=False, flatten=False,
                     normalize=False)
    assert raw.X_test.shape == (4, 28, 28) and raw.X_test.dtype == np.uint8
    np.testing.assert_array_equal(raw.X_test, arrays["t10k-images-idx3-ubyte.gz"])


def test_load_mnist_full_without_download_says_what_is_missing(tmp_path):
    with pytest.raises(MNISTDownloadError) as e:
        load_mnist(full=True, cache_dir=tmp_path, download=False)
    text = str(e.value)
    assert "train-images-idx3-ubyte.gz" in text and str(tmp_path) in text
    assert "make mnist-full" in text
