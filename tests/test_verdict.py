"""The outside verdict's pieces, without nbgrader runs (tests/test_grading_attacks.py has those):
the hand-out format, the reading of handed-out values, the scores as nbgrader itself reads them,
the seeds, and the static reading of the student's code."""
from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_output
from nbgrader.utils import determine_grade

from grading.verdict import draw_seed, received_values, verdict_outputs
from lib.exercises.handin import (
    VALUES_MIME,
    decode_array,
    decode_inputs,
    encode_array,
    encode_inputs,
    flatten,
    normal,
)


def handed_out(grade_id, case, values, **extra):
    return new_output("display_data", data={VALUES_MIME: {"grade_id": grade_id, "case": case,
                                                           "values": values, **extra}})


def test_inputs_round_trip_and_big_ones_travel_as_a_seed():
    cases = [{"X": np.arange(6.0).reshape(2, 3), "label": 1, "f": "np.sin(x)"},
             {"W~normal": normal(7, 0.5, 300, 784)}]
    text = encode_inputs(cases)
    assert len(text) < 4000, "a (300, 784) input travels as its seed, not its entries"
    back = decode_inputs(text)
    assert np.array_equal(back[0]["X"], cases[0]["X"]) and back[0]["label"] == 1
    assert str(back[0]["f"]) == "np.sin(x)"
    W = back[1]["W"]
    assert W.shape == (300, 784) and abs(W.std() - 0.5) < 0.01
    assert np.array_equal(W, decode_inputs(text)[1]["W"]), "the same array on both sides"


def test_values_are_plain_arrays_never_pickles():
    assert np.array_equal(decode_array(encode_array(np.eye(2))), np.eye(2))
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)   # a pickle inside
    with pytest.raises(ValueError):
        decode_array(base64.b64encode(buffer.getvalue()).decode())
    with pytest.raises(ValueError):
        decode_array(base64.b64encode(b"\x93NUMPY" + b"\x00" * 32).decode())


def test_returned_values_flatten_by_path():
    value = (1.5, {"W1": np.zeros(2), "b1": [np.ones(1), 2]})
    assert [p for p, _ in flatten(value)] == ["out.0", "out.1.W1", "out.1.b1.0", "out.1.b1.1"]


def test_only_this_cells_first_readable_report_of_a_case_counts():
    cell = new_code_cell(
        "",
        outputs=[
            handed_out("test-other", 0, {"out": encode_array(np.ones(2))}),
            handed_out("test-x", 0, {"out": encode_array(np.zeros(2))}),
            handed_out("test-x", 0, {"out": encode_array(np.ones(2))}),  # too late
            handed_out("test-x", 1, {"out": "not base64!"}),
            new_output(
                "display_data",
                data={
                    VALUES_MIME: json.dumps(
                        {
                            "grade_id": "test-x",
                            "case": 2,
                            "values": {"out": encode_array(np.eye(2))},
                        }
                    )
                },
            ),
        ],
    )
    got, problems = received_values(cell, "test-x")
    assert set(got) == {0, 2} and np.array_equal(got[0]["out"], np.zeros(2))
    assert np.array_equal(got[2]["out"], np.eye(2)) and len(problems) == 1


@pytest.mark.parametrize("score", [0.0, 1.25, 3.0])
def test_nbgrader_reads_exactly_the_score_the_verdict_gives(score):
    kernel = [
        new_output("error", ename="AssertionError", evalue="boom", traceback=["boom"]),
        new_output("stream", name="stderr", text="a warning\n"),
        new_output("execute_result", data={"text/plain": "3.0"}, execution_count=1),
    ]
    cell = new_code_cell(
        "",
        metadata={
            "nbgrader": {"grade": True, "solution": False, "grade_id": "test-x", "points": 3}
        },
    )
    cell.outputs = verdict_outputs(kernel, score, 3.0, ["case 2 (hidden): wrong"], 1)
    # stderr is relabelled by StderrIsNotFailure, later in the pipeline: do the same here
    for output in cell.outputs:
        if output.output_type == "stream":
            output.name = "stdout"
    assert determine_grade(cell) == (score, 3.0)
    text = "".join(o.get("text", "") + o.get("evalue", "") for o in cell.outputs)
    assert "boom" in text and "a warning" in text, "what the kernel said is still shown"


def test_seeds_are_stable_and_differ_per_student_and_part():
    a = draw_seed("course", "02", "alice", "test-sigmoid")
    assert a == draw_seed("course", "02", "alice", "test-sigmoid")
    assert (
        len(
            {
                a,
                draw_seed("course", "02", "bob", "test-sigmoid"),
                draw_seed("course", "02", "alice", "test-bce"),
                draw_seed("other", "02", "alice", "test-sigmoid"),
            }
        )
        == 4
    )
