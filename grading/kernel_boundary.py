"""The one door between a student's code and the grader: what crosses, in which form, how much.

A submission is hostile data, and so is everything its kernel leaves behind. The grader (running
as the instructor's user, often root) reads only what crosses this boundary:

From the kernel to the grader
    the executed notebook   nbgrader's in-memory result (the cells and the outputs the kernel
                            sent over its sockets); never re-read through a path, and at most
                            ``SandboxedExecute.max_output_bytes`` of output per notebook.
    the hand-in data        the values each graded case hands out, inside that notebook, as
                            ``VALUES_MIME`` display outputs: ``.npy`` bytes without pickles,
                            ``lib.exercises.handin.MAX_ARRAY_BYTES`` per array
                            (``grading.verdict.received_values``).
    nothing else            the kernel's folder is a size-limited tmpfs mounted in its sandbox
                            (``SandboxedKernelManager.work_size``) at the path of the autograded
                            folder: what the kernel writes there (files, links, FIFOs) vanishes
                            with the sandbox; the autograded folder nbgrader writes is never
                            writable by the kernel.

From a student's folder to the grader (``submitted/``, ``autograded/``, a folder or zip being
collected, the exchange)
    plain files only        regular files with one link (``st_nlink == 1``), opened relative to
                            their folder with ``O_NOFOLLOW`` at every step and checked with
                            ``fstat`` on the open descriptor (no race with a swap), at most
                            ``Limits.file_bytes`` each, ``Limits.total_bytes`` and
                            ``Limits.files`` per folder. Symbolic links, devices, FIFOs, sockets
                            and hard links (a second name of a file elsewhere: the grade book,
                            the solutions, another student's work) are never read, copied,
                            chmod-ed or followed; they are removed from the student's folder
                            (they hold no content of the student's) and reported.
    the instructor's reference
                            always read from the course's source directory
                            (``CourseDirectory.source_directory``), never from a path under a
                            student's folder (``reference_notebook``); cached by its digest.

From the graded notebook to the feedback page
    see ``WithholdAfterSecrets``: the grader's own verdict on every part, and what the kernel
    printed before it was given anything secret; nothing the kernel printed afterwards.

Why withhold rather than scrub: from the first cell holding hidden tests (or the hidden inputs
filled in for the student) the kernel has executed the secret, so its source is in the kernel's
history (``In``, ``_ih``, ``_i5``, ``Out``, ``linecache``, code objects, frames, audit hooks)
and its inputs are in memory. Code that runs afterwards — including the student's function
called BY the hidden test — can print any of it, encoded in any way (base64, reversed, one
character per cell, as an exception's message or class name). No pattern match over the output
can recognise every encoding, and a kernel can never be made to forget what it ran. So the
feedback shows no kernel output from that cell on: only the grader's verdict (composed by the
grader from fixed phrases and numbers it computed) and the notes at the top. The instructor's
copy (``autograded/``, the formgrader) keeps every output.
"""
from __future__ import annotations

import errno
import fnmatch
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader import utils
from traitlets import Unicode

from grading.preprocessors import FeedbackPreprocessor

__all__ = ["Limits", "NotPlain", "read_plain", "plain_files", "copy_plain", "make_plain",
           "reference_notebook", "before_convert", "WithholdAfterSecrets"]


@dataclass(frozen=True)
class Limits:
    """How much of a student's folder the grader takes: bytes per file, bytes and files in all."""

    file_bytes: int = 64 * 1024**2
    total_bytes: int = 256 * 1024**2
    files: int = 1000


DEFAULT = Limits()
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
# O_NONBLOCK: opening a FIFO must not wait for a writer that never comes
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class NotPlain(OSError):
    """A path that is not a plain file of the folder (a link, a device, too big, ...)."""


def _kind(mode: int) -> str:
    for test, name in [(stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder")]:
        if test(mode):
            return name
    return "not a regular file"


def _open_dir(folder: str | os.PathLike, parts: tuple[str, ...] = ()) -> int:
    """A descriptor of ``folder/parts...``, following no link in ``parts`` (``folder`` itself is
    the grader's choice and may be reached through links of the course's own)."""
    fd = os.open(folder, _DIR_FLAGS & ~os.O_NOFOLLOW)
    try:
        for part in parts:
            if part in ("", ".", ".."):
                raise NotPlain(errno.EINVAL, f"{part!r} in a path")
            new = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = new
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_fd(fd: int, name: str, limit: int, single_link: bool = True) -> bytes:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise NotPlain(errno.EINVAL, f"{name} is {_kind(info.st_mode)}")
    if single_link and info.st_nlink != 1:
        raise NotPlain(errno.EMLINK, f"{name} is a hard link (a second name of another file)")
    if info.st_size > limit:
        raise NotPlain(errno.EFBIG, f"{name} holds {info.st_size} bytes, more than {limit}")
    chunks, size = [], 0
    while size <= limit:
        chunk = os.read(fd, min(1 << 20, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:            # it grew while being read
        raise NotPlain(errno.EFBIG, f"{name} holds more than {limit} bytes")
    return b"".join(chunks)


def read_plain(folder: str | os.PathLike, relative: str, limit: int = DEFAULT.file_bytes,
               single_link: bool = True) -> bytes:
    """The bytes of ``folder/relative`` if it is a plain file: no link on the way, regular, one
    link (unless ``single_link`` is False: a file of the course's own, which a student's hard
    link elsewhere cannot change), at most ``limit`` bytes. Raises NotPlain (an OSError)
    otherwise."""
    *dirs, name = Path(relative).parts
    dir_fd = _open_dir(folder, tuple(dirs))
    try:
        try:
            fd = os.open(name, _FILE_FLAGS, dir_fd=dir_fd)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise NotPlain(errno.ELOOP, f"{relative} is a symbolic link") from None
            raise
        try:
            return _read_fd(fd, relative, limit, single_link)
        finally:
            os.close(fd)
    finally:
        os.close(dir_fd)


def _walk(folder, ignore=()):
    """(relative path, lstat) of every entry under ``folder``, folders before their contents,
    never entering a link; names matching ``ignore`` (globs) skipped with what is under them."""
    stack = [()]
    while stack:
        parts = stack.pop()
        try:
            fd = _open_dir(folder, parts)
        except OSError:
            continue
        try:
            with os.scandir(fd) as entries:
                listing = sorted((e.name, e.stat(follow_symlinks=False)) for e in entries)
        finally:
            os.close(fd)
        for name, info in listing:
            if any(fnmatch.fnmatch(name, pattern) for pattern in ignore):
                continue
            rel = (*parts, name)
            yield "/".join(rel), info
            if stat.S_ISDIR(info.st_mode):
                stack.append(rel)


def _refusal(rel: str, info: os.stat_result, limits: Limits) -> str | None:
    if stat.S_ISDIR(info.st_mode):
        return None
    if not stat.S_ISREG(info.st_mode):
        return f"`{rel}` is {_kind(info.st_mode)}"
    if info.st_nlink != 1:
        return f"`{rel}` is a hard link (a second name of another file)"
    if info.st_size > limits.file_bytes:
        return f"`{rel}` holds {info.st_size} bytes, more than {limits.file_bytes}"
    return None


def plain_files(folder, limits: Limits = DEFAULT, ignore=()) -> tuple[dict, list[str]]:
    """``({relative path: (bytes, mode)}, [what was refused and why])`` of a student's folder."""
    files, refused, total = {}, [], 0
    for rel, info in _walk(folder, ignore):
        if stat.S_ISDIR(info.st_mode):
            continue
        why = _refusal(rel, info, limits)
        if why is None and len(files) >= limits.files:
            why = f"`{rel}`: more than {limits.files} files"
        if why is None:
            try:
                data = read_plain(folder, rel, limits.file_bytes)
            except OSError as error:
                why = f"`{rel}`: {error.strerror or error}"
            else:
                if total + len(data) > limits.total_bytes:
                    why = f"`{rel}`: more than {limits.total_bytes} bytes in all"
                else:
                    total += len(data)
                    files[rel] = (data, info.st_mode & 0o777)
        if why is not None:
            refused.append(why)
    return files, refused


def write_files(dest, files: dict) -> None:
    """Write ``plain_files``' result under ``dest`` (new files only: nothing is written through
    a name that already exists)."""
    dest = Path(dest)
    for rel, (data, mode) in files.items():
        parts = Path(rel).parts
        if Path(rel).is_absolute() or ".." in parts:
            raise NotPlain(errno.EINVAL, f"{rel!r} is not a path inside the folder")
        path = dest.joinpath(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                     mode & 0o777 | 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)


def copy_plain(source, dest, limits: Limits = DEFAULT, ignore=()) -> list[str]:
    """Copy the plain files of ``source`` into ``dest`` (created); return what was refused."""
    files, refused = plain_files(source, limits, ignore)
    Path(dest).mkdir(parents=True, exist_ok=True)
    write_files(dest, files)
    return refused


def make_plain(folder, limits: Limits = DEFAULT) -> list[str]:
    """Remove from a student's folder every entry that is not a plain file or a folder (links,
    FIFOs, devices, sockets, hard links); return what was removed and why. A link holds none of
    the student's work, so nothing of it is lost; the original stays in ``arrivals/``."""
    removed = []
    for rel, info in list(_walk(folder)):
        why = _refusal(rel, info, limits)
        if why is None or "bytes, more than" in why:        # a big file is refused when read
            continue
        *dirs, name = rel.split("/")
        try:
            fd = _open_dir(folder, tuple(dirs))
        except OSError:
            continue
        try:
            again = os.stat(name, dir_fd=fd, follow_symlinks=False)
            if stat.S_ISDIR(again.st_mode):
                continue
            os.unlink(name, dir_fd=fd)
            removed.append(why)
        except FileNotFoundError:
            pass
        finally:
            os.close(fd)
    return removed


def _released(folder: str, name: str):
    """The blank released notebook ``name`` of the assignment whose student folder is ``folder``
    (``<root>/submitted/<student>/<assignment>``), or an empty notebook if there is none."""
    from traitlets.config import Application

    root, release = Path(folder).parents[2], "release"
    coursedir = getattr(Application.instance(), "coursedir", None) if (
        Application.initialized()) else None
    if coursedir is not None:
        root, release = Path(coursedir.root), coursedir.release_directory
    try:
        data = read_plain(root / release / Path(folder).name, name)
        return nbformat.reads(data.decode("utf-8"), as_version=4)
    except (OSError, ValueError):
        return nbformat.v4.new_notebook()


def _replace_with_blank_notebook(folder: str, name: str, why: str) -> None:
    """The blank released notebook in place of a notebook that was not a plain file: graded as
    blank, with a note saying why."""
    from grading.notes import add_notes

    nb = _released(folder, name)
    add_notes(nb, [f"Your notebook {why}; it was not read, and was graded as an empty notebook."])
    fd = _open_dir(folder)
    try:
        tmp = f".{name}.plain"
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644,
                      dir_fd=fd)
        with os.fdopen(out, "w", encoding="utf-8") as f:
            nbformat.write(nb, f)
        os.rename(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
    finally:
        os.close(fd)


def before_convert(assignment=None, student=None, notebooks=(), log=None) -> list[str]:
    """nbgrader's ``pre_convert_hook`` (autograde and generate_feedback): before nbgrader copies
    a student's folder (it follows links: ``shutil.copy``, then ``os.chmod`` on every file),
    make the folder plain. A notebook that is not a plain file is replaced by an empty one."""
    import logging

    log = log or logging.getLogger("grading.kernel_boundary")
    report = []
    folders = sorted({os.path.dirname(os.path.abspath(n)) for n in notebooks})
    for folder in folders:
        # <student>/<assignment> or <student> a link (to the sources, to a classmate): graded
        # as an empty folder, never what the link points to
        for path in (os.path.dirname(folder), folder):
            if os.path.islink(path):
                os.unlink(path)
                os.mkdir(path)
                report.append(f"{path} was a symbolic link; replaced by an empty folder")
        for why in make_plain(folder):
            report.append(f"{folder}: removed {why}")
    for notebook in notebooks:
        folder, name = os.path.split(os.path.abspath(notebook))
        why = None
        try:
            read_plain(folder, name, DEFAULT.file_bytes)
        except NotPlain as error:
            why = f"was not a plain file ({error.strerror})"
        except FileNotFoundError:       # a link make_plain removed
            why = "was a symbolic link"
        if why is not None:
            _replace_with_blank_notebook(folder, name, why)
            report.append(f"{notebook} {why}; graded as an empty notebook")
    for line in report:
        log.warning("not a plain file, ignored: %s", line)
    return report


def reference_notebook(course_root: str | os.PathLike, source_directory: str, assignment: str,
                       notebook: str) -> tuple[bytes, str]:
    """The bytes of the instructor's source notebook and a name for it, read from the course's
    source directory as a plain file. Refused if that directory lies inside a student's folder
    (``submitted/``, ``autograded/``, ``feedback/``)."""
    root = Path(course_root).resolve()
    source = (root / source_directory).resolve()
    for student_tree in ("submitted", "autograded", "feedback"):
        if source.is_relative_to(root / student_tree):
            raise NotPlain(errno.EACCES, f"the source directory {source} is in {student_tree}/")
    folder, name = source / assignment, f"{notebook}.ipynb"
    return read_plain(folder, name, DEFAULT.file_bytes, single_link=False), str(folder / name)


# -- from the graded notebook to the feedback page ---------------------------------------------

_SECRET_MARKS = ("BEGIN HIDDEN TESTS", "handin.cases(")
WITHHELD = ("[The output of this cell is not shown here: it ran after the hidden tests, whose "
            "code and inputs it could reveal. Your grade for each part is shown below its test.]")


def _verdict_outputs(outputs) -> list:
    """The outputs ``grading.verdict.verdict_outputs`` appended last to a graded test cell: the
    grader's words, not the kernel's."""
    outputs = list(outputs)
    if not outputs:
        return []
    last = outputs[-1]
    if last.output_type == "error" and last.get("ename") in ("NotGraded", "GradedWrong"):
        return [last]
    if last.output_type == "stream" and str(last.get("text", "")).startswith("Grader: "):
        return [last]
    if (last.output_type == "execute_result" and len(outputs) > 1
            and str(outputs[-2].get("text", "")).startswith("Grader: ")):
        return outputs[-2:]
    return []


class WithholdAfterSecrets(FeedbackPreprocessor):
    """Feedback: from the first cell that gave the kernel hidden tests or hidden inputs on, show
    none of the kernel's outputs; a graded test cell keeps the grader's verdict. Runs BEFORE
    HideHiddenTests (which removes the marks it looks for)."""

    note = Unicode(WITHHELD).tag(config=True)

    def preprocess(self, nb, resources):
        secret_seen = False
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            secret_seen = secret_seen or any(mark in cell.source for mark in _SECRET_MARKS)
            if not secret_seen or not cell.get("outputs"):
                continue
            keep = (_verdict_outputs(cell.outputs)
                    if utils.is_grade(cell) and not utils.is_solution(cell) else [])
            kernel = len(cell.outputs) - len(keep)
            cell.outputs = ([nbformat.v4.new_output("stream", name="stdout",
                                                    text=self.note + "\n")] if kernel else [])
            cell.outputs += keep
            cell.execution_count = None
        return nb, resources

