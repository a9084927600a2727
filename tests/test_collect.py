"""Collecting submissions records arrival times and never loses a version (no nbgrader run
needed)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from grading.collect import arrive, read_timestamp
from grading.deadlines import read_deadlines

UTC = dt.UTC


def version(folder: Path, text: str, at: dt.datetime) -> Path:
    """A submission folder holding one notebook with ``text``, last saved at ``at``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "ex.ipynb"
    path.write_text(text)
    os.utime(path, (at.timestamp(), at.timestamp()))
    return folder


def test_arrivals_are_timed_resubmissions_replace_and_earlier_versions_are_refused(tmp_path):
    root, t0 = tmp_path / "course", dt.datetime(2027, 2, 1, 12, 0, tzinfo=UTC)
    first = version(tmp_path / "in1", "first", t0)
    assert arrive(root, "ann", "ex", first).startswith("ann/ex: new")
    submitted = root / "submitted" / "ann" / "ex"
    assert read_timestamp(submitted) == t0 and (submitted / "ex.ipynb").read_text() == "first"

    # the same files again, even downloaded later: nothing changes
    assert (
        arrive(root, "ann", "ex", version(tmp_path / "in2", "first", t0 + dt.timedelta(days=1)))
        == "ann/ex: unchanged"
    )
    assert read_timestamp(submitted) == t0

    # files added to submitted/ by `make autograde` (a renamed notebook's copy) are not a change
    (submitted / "ex-Copy1.ipynb").write_text("made by grading.submissions")
    assert arrive(root, "ann", "ex", first) == "ann/ex: unchanged"

    # a later, different version replaces it; the first stays in arrivals/
    assert "resubmitted" in arrive(
        root, "ann", "ex", version(tmp_path / "in3", "second", t0 + dt.timedelta(hours=5))
    )
    assert (submitted / "ex.ipynb").read_text() == "second"
    assert not (submitted / "ex-Copy1.ipynb").exists()
    assert read_timestamp(submitted) == t0 + dt.timedelta(hours=5)

    # a different version that arrived earlier is refused, loudly, and kept aside
    line = arrive(root, "ann", "ex", version(tmp_path / "in4", "older", t0 + dt.timedelta(hours=1)))
    assert "WARNING: refused" in line and (submitted / "ex.ipynb").read_text() == "second"
    kept = sorted(p.name for p in (root / "arrivals" / "ann" / "ex").iterdir())
    assert kept == ["2027-02-01T120000Z", "2027-02-01T130000Z", "2027-02-01T170000Z"]


def test_two_versions_within_one_second_are_both_kept_and_the_message_says_where(tmp_path):
    """Times are kept to the second (an LMS zip's to two seconds): a second, different version
    with the same time is refused, and kept under a name of its own that the message gives."""
    root, t0 = tmp_path / "course", dt.datetime(2027, 2, 1, 12, 0, 0, tzinfo=UTC)
    assert "new" in arrive(root, "ann", "ex", version(tmp_path / "in1", "first", t0))
    submitted = root / "submitted" / "ann" / "ex"
    # saved 0.4 s later: the same second
    line = arrive(root, "ann", "ex", version(tmp_path / "in2", "second", t0.replace(
        microsecond=400_000)))
    assert "WARNING: refused" in line and "same time" in line, line
    assert (submitted / "ex.ipynb").read_text() == "first"
    where = line.rsplit("kept in ", 1)[1]
    assert (root / where / "ex.ipynb").read_text() == "second", line
    # a third version of the same second, and the second one again: three versions, three folders
    third = arrive(root, "ann", "ex", version(tmp_path / "in3", "third", t0))
    assert (root / third.rsplit("kept in ", 1)[1] / "ex.ipynb").read_text() == "third"
    again = arrive(root, "ann", "ex", version(tmp_path / "in4", "second", t0))
    assert again.rsplit("kept in ", 1)[1] == where
    folders = sorted((root / "arrivals" / "ann" / "ex").iterdir())
    assert [p.name for p in folders] == [
        "2027-02-01T120000Z", "2027-02-01T120000Z-2", "2027-02-01T120000Z-3"]
    assert sorted((p / "ex.ipynb").read_text() for p in folders) == ["first", "second", "third"]
    assert all(read_timestamp(p) == t0 for p in folders)
    # the version in submitted/ is still recognised whichever folder holds it: the first again
    # changes nothing, a later version replaces it
    assert arrive(root, "ann", "ex", version(tmp_path / "in5", "first", t0)) == "ann/ex: unchanged"
    assert "resubmitted" in arrive(
        root, "ann", "ex", version(tmp_path / "in6", "second", t0 + dt.timedelta(seconds=2)))
    assert (submitted / "ex.ipynb").read_text() == "second"
    assert arrive(root, "ann", "ex", version(tmp_path / "in7", "second", t0 + dt.timedelta(
        seconds=2))) == "ann/ex: unchanged"


def test_a_version_in_submitted_with_the_same_time_as_several_arrivals_is_found(tmp_path):
    """The second of two same-second versions taken by hand into submitted/ (what the refusal
    leaves to the instructor) is recognised as that arrival, not as a change."""
    root, t0 = tmp_path / "course", dt.datetime(2027, 2, 1, 12, 0, 0, tzinfo=UTC)
    arrive(root, "ann", "ex", version(tmp_path / "in1", "first", t0))
    line = arrive(root, "ann", "ex", version(tmp_path / "in2", "second", t0))
    submitted = root / "submitted" / "ann" / "ex"
    (submitted / "ex.ipynb").write_text((root / line.rsplit("kept in ", 1)[1] / "ex.ipynb")
                                        .read_text())
    assert arrive(root, "ann", "ex", version(tmp_path / "in3", "second", t0)) == "ann/ex: unchanged"


def test_a_folder_with_its_own_timestamp_keeps_it(tmp_path):
    folder = version(tmp_path / "in", "x", dt.datetime(2027, 1, 1, tzinfo=UTC))
    # the exchange's format
    (folder / "timestamp.txt").write_text("2027-02-03 04:05:06.000000+00:00")
    arrive(tmp_path / "course", "bo", "ex", folder)
    assert read_timestamp(tmp_path / "course" / "submitted" / "bo" / "ex") == dt.datetime(
        2027, 2, 3, 4, 5, 6, tzinfo=UTC
    )


def test_a_due_date_without_a_time_zone_is_refused_with_the_fix(tmp_path):
    (tmp_path / "deadlines.toml").write_text("ex = 2027-02-12T23:59:00\n")
    with pytest.raises(SystemExit, match="with its time zone, e.g. 2027-02-12T23:59:00Z"):
        read_deadlines(tmp_path)
    (tmp_path / "deadlines.toml").write_text("ex = 2027-02-13T00:59:00+01:00\n")
    assert read_deadlines(tmp_path) == {"ex": dt.datetime(2027, 2, 12, 23, 59, tzinfo=UTC)}
