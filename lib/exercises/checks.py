"""The checks behind the exercises' tests: readable verdicts, in the order you can fix them.

Every graded exercise cell calls these functions: they are for learning, and run in your own
notebook. (The grade is computed by the grader from the values your functions return, see
``lib.exercises.handin``.) Each ``check_*`` compares what *your* function returned with a
reference the test computed itself, returns nothing when it agrees, and otherwise raises an
``AssertionError`` whose message says what is wrong, in this order:

1. **type**   -- e.g. you returned ``None`` (a missing ``return``) or a list instead of an array;
2. **shape**  -- e.g. ``(3, 4)`` where ``(4, 3)`` was expected (a missing transpose);
3. **values** -- NaN/inf first, then the largest difference and where it is;
4. **gradients** -- which of dW, db, dx is wrong and by how much (``relative_error``, the one
   definition in ``lib.gradcheck``: ||a - b|| / (||a|| + ||b||)).

:func:`forbid` makes a test fail with a clear message when the piece being graded was
delegated to the course library (``lib``): the point of an exercise is to write it yourself.

This module contains no solutions: it only compares.
"""
from __future__ import annotations

import contextlib
import sys
import textwrap
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from lib.exercises import mistakes as _mistakes
from lib.gradcheck import relative_error  # the one definition: ||a - b|| / (||a|| + ||b||)

__all__ = ["check_array", "check_scalar", "check_int", "check_gradients", "relative_error",
           "forbid", "UsedLibraryImplementation", "CheckFailed"]


class UsedLibraryImplementation(AssertionError):
    """The graded function called the course library's own implementation of itself."""


class CheckFailed(AssertionError):
    """A check's verdict. In Jupyter its traceback shows the student's cells, not this module.

    Every frame of this module sets ``__tracebackhide__`` (pytest honours it as it is). IPython
    hides such frames too, except the innermost one, where the error is raised -- always here; so
    the exception renders its own traceback (IPython's ``_render_traceback_`` hook) with IPython's
    formatter, on the frames that do not hide.
    """

    def _render_traceback_(self) -> list[str]:
        from IPython import get_ipython

        shell = get_ipython()
        shown = []
        tb = self.__traceback__
        while tb is not None:
            if not tb.tb_frame.f_locals.get(
                "__tracebackhide__"
            ):  # IPython's own exec frame hides too
                shown.append(tb)
            tb = tb.tb_next
        trimmed = None
        for entry in reversed(shown):
            trimmed = types.TracebackType(trimmed, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
        if shell is None or trimmed is None:
            return [f"{type(self).__name__}: {self}"]
        return shell.InteractiveTB.structured_traceback(type(self), self, trimmed, tb_offset=0)


def _fail(message: str) -> None:
    # the message is what a student sees in the notebook; this frame is not (CheckFailed)
    __tracebackhide__ = True
    raise CheckFailed(message)


WIDTH = 79  # every line of a message fits an 80-column terminal


def _wrap(text: str) -> str:
    """``text`` folded to :data:`WIDTH` columns, its own line breaks kept."""
    return "\n".join(
        textwrap.fill(line, WIDTH, subsequent_indent="  ", break_on_hyphens=False)
        for line in text.splitlines()
    )


def _notebook_variant() -> dict | None:
    """The exercise's ``VARIANT`` (its locked cell, in the notebook's namespace), or None."""
    variant = getattr(sys.modules.get("__main__"), "VARIANT", None)
    return dict(variant) if isinstance(variant, dict) else None


def _name_the_mistake(part: str | None, inputs: Mapping[str, Any] | None,
                      got: Mapping[str, Any], expected: Mapping[str, Any], where: str = "") -> None:
    """Fail with the catalogued mistake of ``part`` that ``got`` shows, if it shows one.

    The sentence first, then the evidence: shapes, or a few entries got vs expected.
    """
    __tracebackhide__ = True
    if part is None or inputs is None:
        return
    try:
        got_arrays = {k: np.asarray(v) for k, v in got.items() if v is not None}
        if any(v.dtype == object for v in got_arrays.values()):
            return
        expected = {k: np.asarray(v) for k, v in expected.items()}
        mistake = _mistakes.diagnose(part, inputs, got_arrays, expected, rtol=1e-5, atol=1e-7,
                                     variant=_notebook_variant())
    except Exception:  # a value the catalogue cannot read: the plain comparison will say it
        return
    if mistake is None:
        return
    wrong = [k for k in expected if not _mistakes.close(got_arrays[k], expected[k], 1e-5, 1e-7)]
    shown = [_mistakes.evidence(k, got_arrays[k], expected[k]) for k in wrong]
    names = ", ".join(k for k in wrong if k != "out")
    suffix = f" ({where.strip()})" if where else ""
    _fail(_wrap(f"{names + ': ' if names else ''}{mistake.says}{suffix}\n"
                + "\n".join(f"- {line}" for line in shown[:3])))


def _single(part: str | None) -> str:
    """The output name of a part that returns one array (``out`` when not catalogued)."""
    outputs = _mistakes.OUTPUTS.get(part or "", {"out": "out"})
    return next(iter(outputs)) if isinstance(outputs, Mapping) else "out"


def _check_type_and_shape(name: str, got: Any, expected: np.ndarray) -> np.ndarray:
    __tracebackhide__ = True  # a failure shows the caller's line, not this frame
    if got is None:
        _fail(f"{name} is None: did the function forget to `return` its result?")
    if isinstance(got, np.matrix):
        _fail(f"{name} is an np.matrix; return a plain np.ndarray (use np.asarray).")
    if not isinstance(got, (np.ndarray, np.generic, float, int)):
        _fail(
            f"{name} should be a NumPy array of shape {expected.shape}, "
            f"got a {type(got).__name__}"
            + (f" of length {len(got)}" if hasattr(got, "__len__") else "")
            + "."
        )
    got = np.asarray(got)
    if got.dtype == object or not (
        np.issubdtype(got.dtype, np.floating) or np.issubdtype(got.dtype, np.integer)
    ):
        _fail(f"{name} has dtype {got.dtype}; it should hold real numbers (float).")
    if np.issubdtype(expected.dtype, np.floating) and not np.issubdtype(got.dtype, np.floating):
        _fail(
            f"{name} has integer dtype {got.dtype}; it should be a float array "
            "(integer arithmetic truncates: use floats, e.g. 1.0 instead of 1)."
        )
    if got.shape != expected.shape:
        hint = (
            " (transposed? check the order of your axes)"
            if got.shape == expected.shape[::-1] and got.ndim == 2
            else ""
        )
        hint = hint or (
            " (summed over the wrong axis, or kept a dimension you should drop?)"
            if got.size != expected.size
            else ""
        )
        _fail(f"{name} has shape {got.shape}, expected {expected.shape}{hint}.")
    return got


def check_array(name: str, got: Any, expected, *, rtol: float = 1e-6, atol: float = 1e-9,
                part: str | None = None, inputs: Mapping[str, Any] | None = None) -> None:
    """Fail, saying what to fix, unless ``got`` is an array equal to ``expected`` within tolerance.

    With ``part`` (a graded cell's id) and the ``inputs`` the test gave the function, a wrong
    answer that shows a common mistake of that part (``lib.exercises.mistakes``) is named first.
    Then checks type, dtype, shape, finiteness, then values
    (``|got - expected| <= atol + rtol |expected|``).
    """
    __tracebackhide__ = True  # a failure shows the caller's line, not this frame
    _name_the_mistake(part, inputs, {_single(part): got}, {_single(part): expected}, name)
    expected = np.asarray(expected)
    got = _check_type_and_shape(name, got, expected)
    if np.issubdtype(got.dtype, np.floating):
        bad = ~np.isfinite(got) & np.isfinite(expected)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            _fail(
                f"{name} contains {got[idx]} at index {idx} where {expected[idx]:.6g} was expected "
                "(an overflow? exp of a large number, or log of 0?)."
            )
    diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    tol = atol + rtol * np.abs(expected.astype(np.float64))
    with np.errstate(invalid="ignore"):
        wrong = ~(diff <= tol) & ~(np.isinf(expected) & (got == expected))
    if wrong.any():
        idx = tuple(
            int(i) for i in np.unravel_index(np.argmax(np.where(wrong, diff, -1)), diff.shape)
        )
        where = f" at index {idx}" if idx else ""
        _fail(
            f"{name} has the right shape {expected.shape} but wrong values: {int(wrong.sum())} of "
            f"{wrong.size} entries differ; the largest difference is {diff[idx]:.3g}{where} "
            f"(got {got[idx]:.6g}, expected {expected[idx]:.6g})."
        )


def check_scalar(
    name: str, got: Any, expected: float, *, rtol: float = 1e-6, atol: float = 1e-9,
    part: str | None = None, inputs: Mapping[str, Any] | None = None,
) -> None:
    """Fail unless ``got`` is one real number (a float or a 0-d/size-1 array).

    The number must be close to ``expected``; ``part`` and ``inputs`` as in :func:`check_array`.
    """
    __tracebackhide__ = True  # a failure shows the caller's line, not this frame
    _name_the_mistake(part, inputs, {_single(part): got}, {_single(part): expected}, name)
    if got is None:
        _fail(f"{name} is None: did the function forget to `return` its result?")
    if isinstance(got, (tuple, list)) or (isinstance(got, np.ndarray) and got.size != 1):
        shape = np.shape(got)
        _fail(
            f"{name} should be one number (a float), got a {type(got).__name__} of shape {shape}: "
            "did you forget to average (np.mean) over the samples?"
        )
    try:
        value = float(np.asarray(got).reshape(()))
    except (TypeError, ValueError):
        _fail(f"{name} should be a float, got {type(got).__name__}.")
    if not np.isfinite(value) and np.isfinite(expected):
        _fail(f"{name} is {value} but should be {expected:.6g} (an overflow, or log of 0?).")
    if not abs(value - expected) <= atol + rtol * abs(expected):
        _fail(
            f"{name} is {value:.8g}, expected {expected:.8g} "
            f"(difference {abs(value - expected):.3g})."
        )


def check_int(name: str, got: Any, expected: int, *, part: str | None = None,
              inputs: Mapping[str, Any] | None = None) -> None:
    """Fail unless ``got`` is an integer (Python or NumPy) equal to ``expected``."""
    __tracebackhide__ = True  # a failure shows the caller's line, not this frame
    if isinstance(got, (int, np.integer)) and not isinstance(got, bool):
        _name_the_mistake(part, inputs, {_single(part): got}, {_single(part): expected}, name)
    if got is None:
        _fail(f"{name} is None: did the function forget to `return` its result?")
    if isinstance(got, bool) or not isinstance(got, (int, np.integer)):
        _fail(f"{name} should be an int, got {type(got).__name__} {got!r}.")
    if int(got) != expected:
        _fail(f"{name} is {int(got)}, expected {expected}.")


def check_gradients(
    got: Mapping[str, Any], expected: Mapping[str, Any], *, tol: float = 1e-5, where: str = "",
    part: str | None = None, inputs: Mapping[str, Any] | None = None,
) -> None:
    """Compare several gradients at once and name the wrong ones, with their relative errors.

    ``got`` and ``expected`` map names such as ``"dW"``, ``"db"``, ``"dx"`` to arrays. With
    ``part`` and ``inputs`` (as in :func:`check_array`) a common mistake is named first. Types and
    shapes are checked first (in the order of ``expected``); then every gradient whose relative
    error (see :func:`relative_error`) exceeds ``tol`` is reported together.
    """
    __tracebackhide__ = True  # a failure shows the caller's line, not this frame
    if isinstance(got, Mapping) and all(k in got for k in expected):
        _name_the_mistake(part, inputs, got, expected, where)
    suffix = f" {where}" if where else ""
    for key, ref in expected.items():
        if key not in got:
            _fail(f"the gradient {key} is missing{suffix} (got keys {sorted(got)}).")
        _check_type_and_shape(f"{key}{suffix}", got[key], np.asarray(ref))
    errors = {key: relative_error(got[key], ref) for key, ref in expected.items()}
    for key, _ in expected.items():
        if not np.all(np.isfinite(np.asarray(got[key], dtype=np.float64))):
            _fail(f"{key}{suffix} contains NaN or inf.")
    wrong = {k: e for k, e in errors.items() if not e <= tol}
    if wrong:
        right = [k for k in expected if k not in wrong]
        parts = []
        for key, err in wrong.items():
            g = np.asarray(got[key], dtype=np.float64)
            r = np.asarray(expected[key], dtype=np.float64)
            hint = ""
            if np.allclose(g, -r, rtol=1e-5, atol=1e-9):
                hint = " (it has the wrong sign)"
            else:
                ratio = float(np.vdot(g, r) / np.vdot(r, r)) if np.vdot(r, r) > 0 else 0.0
                if abs(ratio - 1) > 1e-3 and np.allclose(g, ratio * r, rtol=1e-5, atol=1e-12):
                    hint = (
                        f" (it is {ratio:.4g} times the right one: a missing or extra factor, "
                        "e.g. 1/n for the mean over the batch?)"
                    )
            parts.append(
                f"{key} is wrong: relative error {err:.2e}, largest difference "
                f"{np.max(np.abs(g - r)):.3g}{hint}"
            )
        _fail(
            "; ".join(parts)
            + suffix
            + "."
            + (
                f" ({', '.join(right)} {'is' if len(right) == 1 else 'are'} right.)"
                if right
                else ""
            )
        )


# -- "write it yourself": temporarily disable the library's implementation -------------------------


def _raiser_code(message: str, freevars: tuple[str, ...]) -> types.CodeType:
    """A code object that raises UsedLibraryImplementation(message).

    Its free variables match ``freevars``.
    """
    # the code runs with the *library* function's globals, so it imports what it needs by itself
    raise_line = (
        "raise __import__('lib.exercises.checks', fromlist=['_'])"
        f".UsedLibraryImplementation({message!r})"
    )
    # a closure's code must name the same free variables as the one it replaces
    lines = (
        ["def _outer():"]
        + [f"    {v} = None" for v in freevars]
        + ["    def _forbidden(*args, **kwargs):"]
        + ([f"        ({', '.join(freevars)},)"] if freevars else [])
        + [f"        {raise_line}", "    return _forbidden"]
    )
    namespace: dict = {}
    exec("\n".join(lines), namespace)
    code = namespace["_outer"]().__code__
    return code.replace(co_freevars=freevars) if code.co_freevars != freevars else code


@contextlib.contextmanager
def forbid(*functions: Callable, piece: str) -> Iterator[None]:
    """Within the block, calling any of ``functions`` (from ``lib``) fails the test.

    The function objects themselves are changed (their ``__code__``), so every way of reaching
    them -- ``import lib``, ``from lib.functional import softmax``, a subclass calling
    ``super().backward`` -- is caught. Everything is restored when the block ends.
    """
    saved = []
    try:
        for fn in functions:
            fn = getattr(fn, "__func__", fn)
            name = f"{fn.__module__}.{fn.__qualname__}"
            message = (
                f"your {piece} called {name} from the course library. This exercise grades "
                f"your own implementation of {piece}, so using the library's earns no credit "
                "for it: write it with NumPy operations."
            )
            saved.append((fn, fn.__code__))
            fn.__code__ = _raiser_code(message, fn.__code__.co_freevars)
        yield
    finally:
        for fn, code in saved:
            fn.__code__ = code
