"""The suite's shared graded class, and the schedule `make test` runs it in.

``graded_class``: one class of the four assignments, graded once per session (tests/graded_class.py
says who is in it and how it is graded; copy it with ``graded_class.copy_course`` to change it).

The schedule (``make test`` runs ``pytest -n 3 --dist loadgroup --no-loadscope-reorder`` on 2
cores, the Makefile's TEST_JOBS, with this file's scheduler): each test file is one group, so a
module-scoped fixture (a graded class, a built site) is made on one worker only; the files of the
shared graded class are one group, and so are those of the built site, so the worker that grades or
builds runs them all and no other waits on its lock; and the groups go out longest first
(``SECONDS``), so the workers finish together instead of one starting the longest file when the
others are done. Without xdist none of this applies and nothing changes.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from graded_class import CONTRIBUTORS, GradedClass
from graded_class import graded_class as _graded_class

GRADED_CLASS = "graded-class"
# the files that read the built site (tests/book_build.py builds it once per worker, under a
# lock): one group, so one worker builds it and no other waits for that build
BOOK = "built-book"
BOOK_FILES = {"test_site", "test_launch", "test_leaks"}
# worker-seconds of each group, set-up included (pytest --durations=0 of the grading files, -n 2,
# on a 2-core machine at a load average of 6-10: about 3-4x an idle machine's; the order is what
# counts), longest first; the site's two are estimates; a group not listed counts half a second
# per test
SECONDS = {
    GRADED_CLASS: 1300,
    "test_parallel_grading": 620,
    "test_term": 610,
    "test_sandbox": 550,
    "test_course_secret": 450,
    "test_class_reports": 380,
    "test_sandbox_where": 340,
    "test_hub": 310,
    "test_trust_boundary": 310,
    "test_jupyter_notebooks": 300,
    BOOK: 300,
    "test_grading_engines": 200,
    # estimates from their files' own runs (-p no:xdist, load 7-10)
    "test_backprop_variants_grading": 300,
    "test_variants": 250,
    "test_variants_graded": 250,
    "test_chapter_execution": 70,
    # one attempt that runs the course's whole cell time limit (beside the graded class)
    "test_finite_differences_attack": 250,
    "test_notebooks": 100,
}


@pytest.fixture(scope="session")
def graded_class(request, tmp_path_factory) -> GradedClass:
    """The shared graded class (tests/graded_class.py) of the test files this session runs
    (the selected tests, after -k and -m: every xdist worker sees the same)."""
    users = {item.path.stem for item in request.session.items
             if "graded_class" in getattr(item, "fixturenames", ())}
    return _graded_class(tmp_path_factory, tuple(name for name in CONTRIBUTORS if name in users))


def group(nodeid: str) -> str:
    """The group of a test: its file's, or the graded class's, or the built site's."""
    stem = Path(nodeid.split("::", 1)[0]).stem
    if stem in CONTRIBUTORS:
        return GRADED_CLASS
    return BOOK if stem in BOOK_FILES else stem


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On an xdist worker, the longest groups first (the collection the scheduler goes by)."""
    if not hasattr(config, "workerinput"):
        return
    groups = [group(item.nodeid) for item in items]
    size: dict[str, int] = {}
    for name in groups:
        size[name] = size.get(name, 0) + 1
    order = sorted(range(len(items)),
                   key=lambda i: (-SECONDS.get(groups[i], size[groups[i]] / 2), groups[i], i))
    items[:] = [items[i] for i in order]


@pytest.hookimpl(optionalhook=True)       # a pytest-xdist hook: without xdist, never called
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadgroup`` with this suite's groups (``group``), given out in the collection's
    order (``--no-loadscope-reorder``). pytest-xdist's own loadgroup reads ``xdist_group``
    marks through a node id that pytest 9 no longer lets a plugin change, so it is done here."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class SuiteGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group(nodeid)

    return SuiteGroups(config, log)
