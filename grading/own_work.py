"""Is the graded code the student's own? A static reading, done by the grader, of every code cell
of the submission that is not the course's own (never run).

An ALLOWLIST: each graded part writes down once what its answer may use (:class:`MayUse`, next to
the part in ``grading/parts``): NumPy's array functions from :data:`NUMPY` (minus the ones that
do the part's trick, e.g. ``np.logaddexp`` where the stable log-sum-exp is taught), ``math``'s
from :data:`MATH`, Python's built-ins from :data:`BUILTINS` (no reflection: no ``getattr``,
``eval``, ``globals``, ``open``, 3-argument ``type``...), the check functions, and the pieces the
notebook hands over for that part (e.g. ``two_layer_forward``). The code a part's functions can
reach -- their bodies, and every function, class or variable of the student's that they name,
followed through the call graph -- may use nothing else. Anything else costs that part its points,
with a note naming the construct: a name outside the list (the course library ``lib``, ``F``,
``MNIST`` where the part must not see the test set ...), an import, a module used as a value,
dunder and private attributes, attributes that lead out of NumPy's list (``np.lib``, ``np.sys``),
frame and ``ctypes`` attributes, assigning to attributes, ``global``.

Code at the top level of a cell runs for every later part: a forbidden construct there (or in a
function it calls), or a binding of one of the course's names (``forbid``, ``check_array``,
``perceptron_predict``, ``print``... any name the course's locked cells define or use) voids every
part graded after that cell.

Which cells are the course's is decided by their source, never their metadata (which is the
student's to write): a code cell whose source is that of one of the instructor's locked cells
(for a test cell: once the grader's filled-in inputs are taken out again) is the course's;
every other code cell, wherever it sits and whatever its metadata says, is read.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

# NumPy, by the name after `np.` (dotted for the few submodule functions): arrays, element-wise
# math, reductions, shapes, sorting, a little linear algebra, the random generator, dtypes.
NUMPY = frozenset(
    """
    abs absolute add all allclose amax amin any append arange arccos arccosh arcsin arcsinh arctan
    arctan2 arctanh argmax argmin argsort argwhere around array array_equal asarray atleast_1d
    atleast_2d block bool_ broadcast_arrays broadcast_to ceil clip column_stack concatenate copy
    cos cosh count_nonzero cross cumprod cumsum deg2rad diag diagonal diff divide dot dsplit dstack
    e einsum empty empty_like equal errstate euler_gamma exp exp2 expand_dims expm1 eye fabs
    flatnonzero flip fliplr flipud float16 float32 float64 float_power floor floor_divide fmax fmin
    fmod full full_like greater greater_equal heaviside hsplit hstack hypot identity inf inner
    int8 int16 int32 int64 integer intp isclose isfinite isinf isnan isscalar kron less less_equal
    linspace log log10 log1p log2 logical_and logical_not logical_or logical_xor logspace matmul max
    maximum mean median meshgrid min minimum mod moveaxis multiply nan nanmax nanmin nansum ndarray
    ndim ndindex negative newaxis nextafter nonzero not_equal number ones ones_like outer pad pi
    power prod ptp rad2deg reciprocal remainder repeat reshape rint roll rot90 round sign signbit
    sin sinh size sort split sqrt square squeeze stack std subtract sum swapaxes take
    take_along_axis tan tanh tensordot tile trace transpose tril triu true_divide trunc uint8
    unique unravel_index ravel ravel_multi_index var vdot vsplit vstack where zeros zeros_like
    finfo iinfo floating signedinteger bool
    linalg.norm linalg.solve linalg.inv linalg.det linalg.eigh linalg.svd linalg.matrix_rank
    random.default_rng random.Generator
    """.split()
)
UFUNC_METHODS = frozenset({"reduce", "accumulate", "outer", "at", "reduceat"})
MATH = frozenset(
    """
    acos acosh asin asinh atan atan2 atanh ceil comb cos cosh degrees e erf erfc exp expm1 fabs
    factorial floor fmod fsum gcd hypot inf isclose isfinite isinf isnan isqrt log log10 log1p
    log2 nan perm pi pow prod radians sin sinh sqrt tan tanh tau trunc
    """.split()
)
# a few standard modules an honest answer uses, each by an explicit list (`warnings` to warn,
# never its `sys`)
MODULES = {
    "numpy": NUMPY,
    "math": MATH,
    "warnings": frozenset({"warn", "catch_warnings", "simplefilter", "filterwarnings"}),
    "time": frozenset({"time", "perf_counter", "monotonic", "process_time", "sleep"}),
    "itertools": frozenset(
        """accumulate chain combinations combinations_with_replacement count cycle islice
        pairwise permutations product repeat starmap zip_longest""".split()
    ),
    "functools": frozenset({"reduce", "partial", "lru_cache", "cache"}),
    "collections": frozenset({"defaultdict", "Counter", "deque", "OrderedDict", "namedtuple"}),
    "typing": frozenset({"Any", "Callable", "Optional", "Sequence", "Tuple", "List", "Dict"}),
}
# Python's built-ins minus reflection and escape hatches (getattr, setattr, delattr, hasattr,
# vars, globals, locals, dir, eval, exec, compile, open, input, breakpoint, __import__,
# memoryview, help, exit, quit ...). `type` is allowed with one argument only.
BUILTINS = frozenset(
    """
    abs all any ascii bin bool callable chr classmethod complex dict divmod enumerate filter float
    format frozenset hash hex id int isinstance issubclass iter len list map max min next object
    oct ord pow print property range repr reversed round set slice sorted staticmethod str sum
    super tuple type zip True False None NotImplemented Ellipsis
    ArithmeticError AssertionError Exception FloatingPointError IndexError KeyError LookupError
    NotImplementedError OverflowError RuntimeError StopIteration TypeError ValueError
    ZeroDivisionError
    """.split()
)
# the visible checks: they hold no answers, every part may call them
CHECKS = frozenset({"check_array", "check_scalar", "check_int", "check_gradients"})
# the exercise's variant (grading.variants: the locked cell ``VARIANT = {...}``): top-level code
# may read it, a part's answer may not (it writes this term's numbers itself, so that an answer
# copied from the public source, which reads them, earns nothing)
VARIANT = frozenset({"VARIANT"})
# attributes that lead from a value to frames, memory or files
ESCAPES = frozenset(
    """
    ctypes f_globals f_locals f_back f_builtins f_code gi_frame gi_code cr_frame cr_code
    ag_frame ag_code tb_frame tb_next co_consts tofile dump dumps
    """.split()
)


@dataclass(frozen=True)
class MayUse:
    """What the answer of one graded part may use, beyond NumPy, ``math`` and Python built-ins.

    functions : the student's functions the part's test cell calls (their code is read, and all
                the student's code they reach);
    given     : names the notebook's locked cells define that the answer may use;
    not_numpy : NumPy functions that do the part's trick, off-limits here.
    """

    functions: tuple[str, ...]
    given: frozenset[str] = field(default_factory=frozenset)
    not_numpy: frozenset[str] = field(default_factory=frozenset)

    def numpy(self) -> frozenset[str]:
        return NUMPY - self.not_numpy


# -- which cells are the course's -------------------------------------------------------------

_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS\n?", re.DOTALL)
_FILLED = re.compile(r'handin\.cases\("(?P<grade_id>[\w-]+)", "[^"]*"\)')


def _normal(source: str) -> str:
    """The code of a cell, compared by its syntax tree: comments (such as the line nbgrader
    puts on a test cell it restores) and layout do not count, what runs does."""
    return _normal_unfilled(_FILLED.sub(lambda m: f'handin.cases("{m["grade_id"]}")', source))


@functools.lru_cache(maxsize=4096)
def _normal_unfilled(source: str) -> str:
    # cached: every submission holds the course's cells again (a string in, a string out)
    tree = _parse(source)
    if tree is None:
        return "\n".join(line.rstrip() for line in source.strip().splitlines())
    return ast.dump(tree)


def _course_sources(source_nb) -> set[str]:
    """The instructor's locked code cells, as the graded notebook may hold them."""
    sources = set()
    for cell in source_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("locked") and not meta.get("solution"):
            sources.add(_normal(cell.source))
            sources.add(_normal(_HIDDEN.sub("", cell.source)))
    return sources


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return None  # it cannot run either


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _same_scope(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes below ``node`` that run in its scope: nested functions, lambdas, classes and
    comprehensions are not entered (their own names are theirs)."""
    for child in ast.iter_child_nodes(node):
        yield child
        if not isinstance(child, (*_SCOPES, *_COMPREHENSIONS)):
            yield from _same_scope(child)


def _bound(node: ast.AST) -> Iterator[str]:
    """Names a statement binds in the scope it runs in."""
    for child in [node, *_same_scope(node)]:
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield child.name
        elif isinstance(child, (ast.Import, ast.ImportFrom)):
            for alias in child.names:
                yield alias.asname or alias.name.split(".")[0]
        elif isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
            yield child.id
        elif isinstance(child, ast.ExceptHandler) and child.name:
            yield child.name
        if child is node and isinstance(node, _SCOPES):
            return


def _free_names(tree: ast.Module) -> set[str]:
    loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return loaded - {name for stmt in tree.body for name in _bound(stmt)}


@dataclass
class Course:
    """What the instructor's notebook says about the course's own code."""

    sources: set[str]
    names: set[str]  # names the course's cells define or use: never to be rebound
    aliases: dict[str, str]  # module aliases the locked cells bind: {"np": "numpy"}
    test_names: set[str] = field(default_factory=set)  # globals the test cells set (x, c, ...)

    @classmethod
    def of(cls, source_notebook: Path, variant: dict | None = None) -> Course:
        return cls.of_notebook(nbformat.read(source_notebook, as_version=4), variant)

    @classmethod
    def of_notebook(cls, nb, variant: dict | None = None) -> Course:
        if variant is not None:      # the locked cells as released (the variant cell's source)
            from grading.variants import instantiate

            nb = instantiate(nb, variant)
        answers, names, aliases, test_names = set(), set(), {}, set()
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            tree = _parse(cell.source) if cell.cell_type == "code" else None
            if tree is None:
                continue
            if meta.get("solution"):
                answers |= {name for stmt in tree.body for name in _bound(stmt)}
            elif meta.get("locked"):
                names |= _free_names(tree)
                bound = {name for stmt in tree.body for name in _bound(stmt)}
                if meta.get("grade"):
                    test_names |= bound
                else:
                    names |= bound
                for stmt in tree.body:
                    if isinstance(stmt, ast.Import):
                        aliases |= {
                            a.asname: a.name for a in stmt.names if a.asname and a.name in MODULES
                        }
        return cls(
            _course_sources(nb), (names - answers) | {"handin"}, aliases, test_names - answers
        )


# -- the reading ------------------------------------------------------------------------------


@dataclass
class _Definition:
    cell: int
    node: ast.AST


def _locals(node: ast.AST) -> set[str]:
    """The names local to a function, lambda or comprehension: its parameters and what its own
    scope binds (names bound in scopes nested inside it are not)."""
    if isinstance(node, _COMPREHENSIONS):
        return {
            n.id
            for generator in node.generators
            for n in ast.walk(generator.target)
            if isinstance(n, ast.Name)
        }
    names = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
    body = node.body if isinstance(node.body, list) else [node.body]
    for stmt in body:
        names |= set(_bound(stmt))
    return names


def _chain(node: ast.Attribute) -> tuple[ast.AST, list[str]]:
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    return node, attrs[::-1]


class Reading:
    """The student's code in a submission, read once; asked per part."""

    def __init__(self, nb, course: Course):
        self.course = course
        self.definitions: dict[str, list[_Definition]] = {}
        self.top_level: list[tuple[int, ast.AST]] = []
        self.aliases = dict(course.aliases)
        self._in_part = False
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or _normal(cell.source) in course.sources:
                continue
            tree = _parse(cell.source)
            if tree is None:
                continue
            for stmt in tree.body:
                self.top_level.append((index, stmt))
                for name in _bound(stmt):
                    self.definitions.setdefault(name, []).append(_Definition(index, stmt))
            # a module imported anywhere (also inside a function) is judged as that module
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for a in node.names:
                        if a.name in MODULES:
                            self.aliases[a.asname or a.name] = a.name

    # -- one piece of code against one allowlist ----------------------------------------------

    def _problem(
        self, node: ast.AST, allowed: frozenset[str], numpy: frozenset[str], local: set[str]
    ) -> tuple[str | None, set[str]]:
        """(why this code is not allowed or None, the student's top-level names it uses)."""
        used: set[str] = set()
        stack: list[tuple[ast.AST, set[str]]] = [(node, local)]
        while stack:
            current, scope = stack.pop()
            problem = self._one(current, allowed, numpy, scope, used)
            if problem:
                return problem, used
            if isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                # defaults and decorators run in the enclosing scope, the body in its own
                outside = [*current.args.defaults, *current.args.kw_defaults]
                outside += getattr(current, "decorator_list", [])
                stack.extend((child, scope) for child in outside if child is not None)
                inner = scope | _locals(current)
                body = current.body if isinstance(current.body, list) else [current.body]
                stack.extend((child, inner) for child in body)
                continue
            if isinstance(current, _COMPREHENSIONS):
                # the first iterable runs in the enclosing scope, the rest in the comprehension's
                inner = scope | _locals(current)
                first, *rest = current.generators
                stack.append((first.iter, scope))
                stack.extend((child, inner) for child in first.ifs)
                for generator in rest:
                    stack.extend((child, inner) for child in [generator.iter, *generator.ifs])
                if isinstance(current, ast.DictComp):
                    stack.extend([(current.key, inner), (current.value, inner)])
                else:
                    stack.append((current.elt, inner))
                continue
            if isinstance(current, ast.Attribute):
                root, attrs = _chain(current)
                if isinstance(root, ast.Name) and root.id in self.aliases:
                    continue  # judged whole by _one
                stack.append((root, scope))
                continue
            stack.extend((child, scope) for child in ast.iter_child_nodes(current))
        return None, used

    def _one(self, node, allowed, numpy, scope, used) -> str | None:
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name not in MODULES:
                    return f"imports `{a.name}`"
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level or module not in MODULES:
                return f"imports from `{module or '.'}`"
            listed = numpy if module == "numpy" else MODULES[module]
            for a in node.names:
                if a.name not in listed:
                    return f"imports `{module}.{a.name}`, which this part may not use"
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            return f"declares `{type(node).__name__.lower()} {', '.join(node.names)}`"
        elif isinstance(node, ast.Name):
            name = node.id
            if name.startswith("__"):
                return f"uses `{name}`"
            if name in self.aliases:
                return f"uses the module `{name}` as a value"
            if name in scope:
                return None
            if name in self.definitions:
                if (
                    self._in_part
                    and name in self.course.test_names
                    and isinstance(node.ctx, ast.Load)
                ):
                    # a global the test cells set right before they call the answer (the
                    # inputs of a case, say): reading it is reading the test, not the arguments
                    return f"reads the global `{name}`, which the test cells set"
                used.add(name)
            elif name not in allowed:
                return f"uses `{name}`, which this part may not use"
        elif isinstance(node, ast.Attribute):
            root, attrs = _chain(node)
            if isinstance(node.ctx, (ast.Store, ast.Del)):
                return f"assigns to the attribute `.{node.attr}` (patching a module or object)"
            if isinstance(root, ast.Name) and root.id in self.aliases:
                module = self.aliases[root.id]
                listed = numpy if module == "numpy" else MODULES[module]
                dotted = ".".join(attrs)
                for cut in range(len(attrs), 0, -1):
                    head, rest = ".".join(attrs[:cut]), attrs[cut:]
                    method = len(rest) == 1 and rest[0] in UFUNC_METHODS
                    if head in listed and (not rest or method):
                        return None
                return f"uses `{root.id}.{dotted}`, which this part may not use"
            for attr in attrs:
                if attr.startswith("_"):
                    return f"uses the private attribute `.{attr}`"
                if attr in ESCAPES:
                    return f"uses the attribute `.{attr}`"
        elif isinstance(node, ast.Call):
            func = node.func
            if (
                isinstance(func, ast.Name)
                and func.id == "type"
                and func.id not in scope
                and len(node.args) + len(node.keywords) != 1
            ):
                return "creates a class with `type(name, bases, namespace)`"
        return None

    def _reach(
        self,
        roots: Iterable[tuple[ast.AST, str]],
        allowed: frozenset[str],
        numpy: frozenset[str],
        given_of: dict[str, frozenset[str]] | None = None,
    ) -> str | None:
        """The first problem in the code of ``roots`` or in any student definition it reaches.

        A function graded by another part may also use what that part's answer may
        (``given_of``: function name -> the names given to its part)."""
        given_of = given_of or {}
        seen: set[int] = set()
        todo = [(node, where, allowed) for node, where in roots]
        while todo:
            node, where, may = todo.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            problem, used = self._problem(node, may, numpy, set())
            if problem:
                return f"{where} {problem}"
            for name in used:
                wider = may | given_of.get(name, frozenset())
                for definition in self.definitions[name]:
                    todo.append((definition.node, f"`{name}` (cell {definition.cell + 1})", wider))
        return None

    # -- what the verdict asks ----------------------------------------------------------------

    def top_level_problems(self, every_part: Iterable[MayUse]) -> dict[int, str]:
        """{cell index: reason} for cells whose top-level code is not allowed to run before the
        later parts: course names rebound, or a construct no part may use."""
        parts = list(every_part)
        allowed = BUILTINS | CHECKS | VARIANT | frozenset().union(*(p.given for p in parts))
        found: dict[int, str] = {}
        for index, stmt in self.top_level:
            if index in found:
                continue
            shadowed = sorted(set(_bound(stmt)) & self.course.names)
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                shadowed = [n for n in shadowed if self.aliases.get(n) != "numpy" or n != "np"]
            if shadowed:
                found[index] = f"rebinds `{shadowed[0]}`, a name of the course's own cells"
                continue
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # only its decorators and defaults run here; its body is read for the parts
                # that call it
                roots = [*stmt.decorator_list, *stmt.args.defaults, *stmt.args.kw_defaults]
                roots = [(r, "the cell") for r in roots if r is not None]
            else:
                roots = [(stmt, "the cell")]
            problem = self._reach(roots, allowed, NUMPY)
            if problem:
                found[index] = problem
        return found

    def part_problem(self, may_use: MayUse, every_part: Iterable[MayUse] = ()) -> str | None:
        """Why the code the part's functions reach is not the student's own work, or None.

        ``every_part``: the assignment's rules, so that a function of an earlier part the answer
        calls may use what was given to that part."""
        allowed = BUILTINS | CHECKS | may_use.given
        given_of = {f: rule.given for rule in every_part for f in rule.functions}
        roots = [
            (definition.node, f"`{name}` (cell {definition.cell + 1})")
            for name in may_use.functions
            for definition in self.definitions.get(name, [])
        ]
        self._in_part = True
        try:
            return self._reach(roots, allowed, may_use.numpy(), given_of)
        finally:
            self._in_part = False


_COURSES: dict[tuple[str, str, str], Course] = {}  # (source, released copy, variant) -> Course


def read(nb, source_notebook: Path, variant: dict | None = None) -> Reading:
    """The student's code in ``nb``; the course's cells are those of the instructor's notebook,
    instantiated with the released ``variant`` (``grading.variants``), and of the repository's
    released copy (whose set-up cell installs the engine). The course's side is read once per
    process and content: keyed by the notebooks' digests and the variant, not their path,
    because a Dask worker grades each submission in a scratch course of its own
    (``grading.scratch``) that holds the same source under a new path."""
    released = Path(__file__).resolve().parents[1] / "chapters" / "exercises" / source_notebook.name
    source_bytes = Path(source_notebook).read_bytes()
    released_bytes = released.read_bytes() if released.exists() else None
    key = (
        hashlib.sha256(source_bytes).hexdigest(),
        "" if released_bytes is None else hashlib.sha256(released_bytes).hexdigest(),
        repr(sorted((variant or {}).items())),
    )
    if key not in _COURSES:
        source = nbformat.reads(source_bytes.decode("utf-8"), as_version=4)
        course = Course.of_notebook(source, variant)
        if released_bytes is not None:
            released_nb = nbformat.reads(released_bytes.decode("utf-8"), as_version=4)
            course.sources |= _course_sources(released_nb)
        _COURSES[key] = course
    return Reading(nb, _COURSES[key])


def describe(may_use: MayUse) -> str:
    """The one line of the exercise's text that says what a part's answer may use."""
    given = ", ".join(f"`{name}`" for name in sorted(may_use.given))
    denied = ", ".join(f"`np.{name}`" for name in sorted(may_use.not_numpy))
    line = "NumPy" + (f" (not {denied})" if denied else "") + ", `math`, Python's built-ins"
    return line + (f", the given {given}" if given else "") + " and your own functions"
