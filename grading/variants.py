"""Exercise variants: one source notebook per assignment, written once, parameterised.

Each source notebook holds a locked code cell (``grade_id`` ``variant``, right after the imports)
whose source is one assignment ``VARIANT = {...}``: the upstream default. Every other code cell
reads ``VARIANT[...]`` at run time; markdown cells may use Jinja2 with ``VARIANT`` in scope.
Each parts module (``grading/parts/exNN_*.py``) lists the options of every parameter in
``VARIANTS`` (the first option of each is the default).

When an assignment is released, its variant for the term is drawn from the course's secret
(``draw``: HMAC-SHA256 over the term, the assignment and the parameter, one parameter
independently of the others) and recorded in ``variants.json`` at the course root, on the
instructor's side (never in release/, never in a student's folder, git-ignored like
``course_secret``). The release (``InstantiateVariant``, first of nbgrader's GenerateAssignment
preprocessors) writes the recorded variant into the notebook the students get, and every later
step -- the verdict's reference, the own-work check, feedback, the Dask tasks, a regrade -- uses
the record, whatever the secret or the ``VARIANT`` setting became since.

    python -m grading.variants choose <assignment> --root <course> [--default]
        draw (or take the default) and record the variant; prints it (``make release`` runs it)
"""
from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import hmac
import importlib
import json
import os
import re
import sys
from pathlib import Path

RECORD = "variants.json"
CELL_ID = "variant"


# -- the notebook --------------------------------------------------------------------------------

def variant_cell(nb):
    """The notebook's variant cell (``grade_id`` ``variant``), or None."""
    for cell in nb.cells:
        if cell.cell_type == "code" and \
                cell.metadata.get("nbgrader", {}).get("grade_id") == CELL_ID:
            return cell
    return None


def cell_variant(source: str) -> dict:
    """The dict of a variant cell's ``VARIANT = {...}`` (a literal; anything else is refused)."""
    tree = ast.parse(source)
    assigns = [s for s in tree.body if isinstance(s, ast.Assign)]
    if len(tree.body) != 1 or len(assigns) != 1 or \
            [getattr(t, "id", None) for t in assigns[0].targets] != ["VARIANT"]:
        raise ValueError("the variant cell must be exactly one assignment VARIANT = {...}")
    value = ast.literal_eval(assigns[0].value)
    if not isinstance(value, dict):
        raise ValueError("VARIANT must be a dict literal")
    return value


_READ = re.compile(r"""VARIANT\[\s*(["'])(?P<key>\w+)\1\s*\]""")


def model_answer(source: str, variant: dict) -> str:
    """A solution cell's code with every ``VARIANT["key"]`` replaced by the variant's value: the
    model answer of that variant as a student writes it (an answer may not read ``VARIANT``,
    ``grading.own_work``)."""
    return _READ.sub(lambda m: repr(variant[m["key"]]), source)


def render_markdown(text: str, variant: dict) -> str:
    """A markdown cell's Jinja2 template rendered with ``VARIANT`` (undefined names raise)."""
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             autoescape=False)
    return env.from_string(text).render(VARIANT=variant)


def instantiate(nb, variant: dict):
    """A deep copy of ``nb`` with the variant cell's source ``VARIANT = <variant>`` (keys in the
    default's order) and every markdown cell rendered with ``VARIANT`` in scope."""
    nb = copy.deepcopy(nb)
    cell = variant_cell(nb)
    if cell is not None:
        default = cell_variant(cell.source)
        unknown = set(variant) - set(default)
        if unknown:
            raise ValueError(f"variant parameters the notebook does not have: {sorted(unknown)}")
        ordered = {key: variant.get(key, value) for key, value in default.items()}
        comments = [line for line in cell.source.splitlines() if line.lstrip().startswith("#")]
        cell.source = "\n".join(comments + [f"VARIANT = {ordered!r}"])
        variant = ordered
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = render_markdown(cell.source, variant)
    return nb


# -- the options, the default, the draw ------------------------------------------------------

def _parts_module(assignment: str):
    """``grading/parts/exNN_<name>.py`` of the assignment ``NN_<name>``, or None."""
    number, _, name = assignment.partition("_")
    if not (number.isdigit() and name.isidentifier()):
        return None
    try:
        return importlib.import_module(f"grading.parts.ex{number}_{name}")
    except ModuleNotFoundError:
        return None


def options(assignment: str) -> dict[str, tuple]:
    """Parameter -> its options (the first is the upstream default); {} without variants."""
    module = _parts_module(assignment)
    return {key: tuple(values) for key, values in getattr(module, "VARIANTS", {}).items()}


def default(assignment: str) -> dict:
    """The upstream variant: the first option of every parameter."""
    return {key: values[0] for key, values in options(assignment).items()}


def draw(assignment: str, secret: str, term: str = "") -> dict:
    """This term's variant, drawn from the course's ``secret``: each parameter by its own
    HMAC-SHA256 of (term, assignment, parameter), so that another secret (or term) gives
    another option on most parameters."""
    chosen = {}
    for key, values in options(assignment).items():
        message = json.dumps([term, assignment, key]).encode()
        digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
        chosen[key] = values[int.from_bytes(digest[:8], "big") % len(values)]
    return chosen


def describe(variant: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in variant.items()) or "no parameters"


# -- the record (the instructor's side of the course) ---------------------------------------------

def record_path(root: str | os.PathLike) -> Path:
    return Path(root) / RECORD


def read_record(root: str | os.PathLike) -> dict[str, dict]:
    """``{assignment: variant}`` as released; {} if nothing was recorded. Read as a plain file
    (no link followed)."""
    path = record_path(root)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return {}
    with os.fdopen(fd) as f:
        data = json.load(f)
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold an object {{assignment: variant}}")
    return {a: _from_json(v) for a, v in data.items()}


def _from_json(variant: dict) -> dict:
    """JSON has lists where the options have tuples."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in variant.items()}


def write_record(root: str | os.PathLike, assignment: str, variant: dict) -> None:
    """Record ``variant`` as the one ``assignment`` is released with (mode 0600, replaced
    atomically; the other assignments' records are kept)."""
    record = read_record(root)
    record[assignment] = variant
    path = record_path(root)
    tmp = path.with_name(f".{RECORD}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)


def released(root: str | os.PathLike, assignment: str, secret: str | None = None,
             log=None) -> dict:
    """The variant ``assignment`` was released with in the course at ``root``: the record;
    without one, what ``draw`` gives for ``secret`` (said in one line to ``log``), or the
    default if no secret is given."""
    record = read_record(root)
    if assignment in record:
        return record[assignment]
    if not options(assignment):
        return {}
    if secret is None:
        return default(assignment)
    variant = draw(assignment, secret)
    if log is not None:
        log.warning("%s: no variant recorded in %s; graded with the one the course secret "
                    "draws (%s)", assignment, record_path(root), describe(variant))
    return variant


# -- the release -----------------------------------------------------------------------------------

try:
    from nbgrader.preprocessors import NbGraderPreprocessor
    from traitlets import Unicode

    class InstantiateVariant(NbGraderPreprocessor):
        """First of the release's preprocessors: the source with the recorded variant (the
        default if none is recorded, which it then records), so that nbgrader checksums and
        stores the variant cell and the text as the students get them."""

        course_root = Unicode("", help="the course folder (default: CourseDirectory.root)"
                              ).tag(config=True)

        def preprocess(self, nb, resources):
            if variant_cell(nb) is None:
                return nb, resources
            assignment = resources["nbgrader"]["assignment"]
            root = self.course_root or self.config.CourseDirectory.get("root") or os.getcwd()
            record = read_record(root)
            if assignment in record:
                variant = record[assignment]
            else:
                variant = cell_variant(variant_cell(nb).source)
                write_record(root, assignment, variant)
            self.log.info("%s released with the variant %s", assignment, describe(variant))
            return instantiate(nb, variant), resources
except ImportError:                        # pragma: no cover - depends on the environment
    pass


def course_secret(root: Path) -> str:
    """The course's secret as grading reads it (``nbgrader_config.py``'s, else the file)."""
    from grading.regrade import REPO, load_settings
    from grading.regrade import course_secret as secret_of

    return secret_of(load_settings(REPO, []), root)


def releases_upstream(root: Path) -> bool:
    """True for the upstream repository itself (the course folder is the repository, whose home
    is still the upstream's): its exercises and site are public and show the default variant."""
    from book_ext.course_home import UPSTREAM_HOME, read_course_home

    repository = Path(__file__).resolve().parents[1]
    return (Path(root).resolve() == repository
            and read_course_home(repository).repository_url == UPSTREAM_HOME)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="draw and record an assignment's variant")
    sub = parser.add_subparsers(dest="command", required=True)
    choose = sub.add_parser("choose", help="draw (or --default) and record the variant")
    choose.add_argument("assignment")
    choose.add_argument("--root", type=Path, default=Path("."))
    choose.add_argument("--default", action="store_true", help="the upstream variant")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if not options(args.assignment):
        print(f"{args.assignment}: one variant (no parameters)")
        write_record(root, args.assignment, {})
        return 0
    if args.default:
        variant, how = default(args.assignment), "the default variant (VARIANT=default)"
    elif releases_upstream(root):
        variant, how = default(args.assignment), (
            "the default variant (this is the upstream repository, whose exercises are public; "
            "a course set up with `make home URL=...` draws its own)")
    else:
        variant, how = draw(args.assignment, course_secret(root)), "drawn from the course secret"
    write_record(root, args.assignment, variant)
    print(f"{args.assignment}: {how}: {describe(variant)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
