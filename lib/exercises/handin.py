"""Hand values out of a graded notebook as plain data (the kernel's half of grading).

When an exercise is graded, each test cell runs your function on inputs the grader drew for
you and *hands the returned values out*: arrays, numbers and strings, saved as ``.npy`` bytes
(no pickles, so nothing in them can run code) inside a display output of the MIME type
:data:`VALUES_MIME`. The grader, a separate process, reads them and compares them with its own
reference values. Nothing here decides a grade; it only carries values.

Wire format (also read by ``grading.verdict``):

* inputs: base64 of an ``.npz`` whose keys are ``"<case>/<name>"``; a key ``"<case>/<name>~normal"``
  holding ``[seed, scale, *shape]`` stands for ``scale * default_rng(seed).standard_normal(shape)``
  (big inputs stay small in the cell);
* values: ``{"grade_id", "case", "values": {path: base64 .npy}, "error"}``, where a path names a
  part of the returned value: ``"out"``, ``"out.0"`` (a tuple's first item), ``"out.W1"`` (a dict
  entry).
"""
from __future__ import annotations

import base64
import io
import traceback
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = ["VALUES_MIME", "cases", "encode_inputs", "decode_inputs", "normal", "flatten",
           "encode_array", "decode_array", "Case"]

VALUES_MIME = "application/vnd.nn-course.values+json"
MAX_ARRAY_BYTES = 16 * 1024 ** 2        # a (256, 784) float64 gradient is 1.6 MB


def encode_array(value: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, value, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def decode_array(text: str) -> np.ndarray:
    """The array saved by :func:`encode_array`.

    Refuses pickles, object arrays and oversized data.
    """
    raw = base64.b64decode(text, validate=True)
    if len(raw) > MAX_ARRAY_BYTES:
        raise ValueError(f"{len(raw)} bytes, more than the {MAX_ARRAY_BYTES} allowed")
    array = np.load(io.BytesIO(raw), allow_pickle=False)
    if type(array) is not np.ndarray:
        raise ValueError(f"not a plain array ({type(array).__name__})")
    return array


def encode_inputs(inputs: list[dict[str, Any]]) -> str:
    """Base64 ``.npz`` of a list of cases (dicts of arrays, numbers or strings)."""
    flat = {
        f"{i}/{name}": np.asarray(value)
        for i, case in enumerate(inputs)
        for name, value in case.items()
    }
    buffer = io.BytesIO()
    np.savez(buffer, **flat)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def normal(seed: int, scale: float, *shape: int) -> list[float]:
    """The ``"~normal"`` input.

    It stands for ``scale * default_rng(seed).standard_normal(shape)``.
    """
    return [float(seed), float(scale), *map(float, shape)]


def _expand_normal(spec: np.ndarray) -> np.ndarray:
    seed, scale, *shape = spec.tolist()
    return scale * np.random.default_rng(int(seed)).standard_normal(tuple(int(s) for s in shape))


def decode_inputs(text: str) -> list[dict[str, np.ndarray]]:
    """The cases of :func:`encode_inputs`, ``~normal`` entries expanded."""
    with np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False) as data:
        cases: dict[int, dict[str, np.ndarray]] = {}
        for key in data.files:
            index, name = key.split("/", 1)
            value = data[key]
            if name.endswith("~normal"):
                name, value = name[: -len("~normal")], _expand_normal(value)
            cases.setdefault(int(index), {})[name] = value
    return [cases[i] for i in sorted(cases)]


def flatten(value: Any, path: str = "out") -> Iterator[tuple[str, Any]]:
    """(path, leaf) pairs of a returned value: tuples and lists by index, dicts by key."""
    if isinstance(value, dict):
        for key in value:
            yield from flatten(value[key], f"{path}.{key}")
    elif isinstance(value, (tuple, list)):
        for i, item in enumerate(value):
            yield from flatten(item, f"{path}.{i}")
    else:
        yield path, value


class Case:
    """One set of inputs of a graded part. ``with case:`` reports an exception instead of raising,
    so the next case still runs; ``case.report(value)`` hands the returned value out."""

    def __init__(self, grade_id: str, index: int, inputs: dict[str, np.ndarray]):
        self.grade_id, self.index, self.inputs = grade_id, index, inputs

    def __getitem__(self, name: str) -> np.ndarray:
        return self.inputs[name].copy()  # your function may change its inputs in place

    def report(self, value: Any) -> None:
        from IPython.display import display

        values, unreadable = {}, []
        for path, leaf in flatten(value):
            try:
                values[path] = encode_array(np.asarray(leaf))
            except (ValueError, TypeError):  # object arrays cannot be saved without pickle
                unreadable.append(path)
        payload = {"grade_id": self.grade_id, "case": self.index, "values": values}
        if unreadable:
            payload["error"] = f"not plain numbers or strings: {', '.join(unreadable)}"
        display({VALUES_MIME: payload}, raw=True)

    def __enter__(self) -> Case:
        return self

    def __exit__(self, kind, error, tb) -> bool:
        if kind is not None and issubclass(kind, Exception):
            line = traceback.format_exception_only(kind, error)[-1].strip()
            print(f"graded case {self.index + 1}: your code raised {line}")
            return True
        return False


def cases(grade_id: str, inputs: str | None = None) -> list[Case]:
    """The cases of one graded part; ``inputs`` is filled in by the grader when it grades."""
    if inputs is None:
        return []  # not being graded: nothing to hand out
    return [Case(grade_id, i, case) for i, case in enumerate(decode_inputs(inputs))]
