"""The course's secret: the one setting every hidden input's seed mixes in.

The hidden inputs of each graded part are drawn with a seed made from this secret, the assignment,
the student and the part (``grading.verdict.draw_seed``). Anyone who knows the secret can compute
every student's hidden inputs from the public repository and hand in a table of answers, so:

* nobody has to remember to set it: the first grading run writes a random one (32 random bytes,
  hex) into ``course_secret`` in the course folder, beside ``gradebook.db``, readable by its owner
  only (mode 0600), git-ignored, and reads it from then on (a re-grade draws the same inputs);
  back it up with the grade book (README, *For instructors*): without it a re-grade draws others;
* ``c.CourseSecret.secret`` in ``nbgrader_config.py`` (or ``--CourseSecret.secret=``) sets it
  instead, for every seed at once: there is no second setting to forget;
* grading refuses to run with a public or guessable one: empty, the course id, or shorter than
  ``MIN_LENGTH`` characters (``PublicSecret`` stops the whole autograde run, like a sandbox that
  cannot start);
* Dask workers never read the file: the coordinator passes the secret in each task
  (``grading.parallel``), and the worker's scratch course sets ``CourseSecret.secret``.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from traitlets import Unicode
from traitlets.config import LoggingConfigurable

FILE_NAME = "course_secret"
MIN_LENGTH = 16
# what earlier versions of the course used as the seeds' salt (the course id or nbgrader's default
# course id): public, so refused whatever its length
PUBLIC = {"", "course", "default_course", "shallow-to-deep"}
# settings of earlier versions that set only one of the two seeds' salts
RETIRED = [("VerdictOutside", "salt"), ("HiddenInputs", "salt"), ("_CoursePreprocessor", "salt")]


class PublicSecret(KeyboardInterrupt):
    """The secret is public or missing: the whole autograde run stops (a KeyboardInterrupt, the
    one exception nbgrader's batch loop lets through; any other stops only one submission)."""


def secret_path(root: str | Path) -> Path:
    return Path(root) / FILE_NAME


def read_or_create(root: str | Path) -> str:
    """The secret in ``root/course_secret``, written first (random, mode 0600) if it is missing.

    ``O_EXCL``: of two processes starting at once, one writes and both read the same secret."""
    path = secret_path(root)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)      # never a link planted in its place
    with os.fdopen(fd) as f:
        return f.read().strip()


def problem(secret: str, course_id: str) -> str | None:
    """Why ``secret`` may not seed hidden inputs, or None."""
    if secret in PUBLIC | {course_id}:
        return (f"the course secret is {'empty' if not secret else repr(secret)}, which is "
                "public (the course id or a default)")
    if len(secret) < MIN_LENGTH:
        return f"the course secret has {len(secret)} characters; at least {MIN_LENGTH} are needed"
    return None


HOW_TO_FIX = f"""\
Anyone with the public repository could compute every student's hidden inputs. Remove the
setting (c.CourseSecret.secret in nbgrader_config.py, or --CourseSecret.secret=) so that the
course generates a random secret in {FILE_NAME} beside gradebook.db, or set it to a random
string of at least {MIN_LENGTH} characters
(python -c "import secrets; print(secrets.token_hex(32))").
If {FILE_NAME} itself holds it, delete the file: the next run writes a random one."""


class CourseSecret(LoggingConfigurable):
    """The one setting of the hidden inputs' seeds (``c.CourseSecret.secret``)."""

    secret = Unicode(
        None,
        allow_none=True,
        help=f"Mixed into the seed of every hidden input. Default: the random secret in "
        f"<course>/{FILE_NAME}, written on first use. Never the course id or anything public.",
    ).tag(config=True)

    def value(self, root: str | Path, course_id: str) -> str:
        """The secret to seed with; raises PublicSecret (after logging why) if it may not."""
        retired = [f"{cls}.{name}" for cls, name in RETIRED
                   if cls in self.config and name in self.config[cls]]
        if retired:
            message = (f"{', '.join(retired)} is no longer a setting: one setting seeds every "
                       "hidden input, CourseSecret.secret (or the file it defaults to). "
                       f"Move the value there, or remove it.\n{HOW_TO_FIX}")
            self.log.error("Grading stops: %s", message)
            raise PublicSecret(message)
        secret = self.secret if self.secret is not None else read_or_create(root)
        why = problem(secret, course_id)
        if why:
            message = f"Grading stops: {why}.\n{HOW_TO_FIX}"
            self.log.error(message)
            raise PublicSecret(message)
        return secret
