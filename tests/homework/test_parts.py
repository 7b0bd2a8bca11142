"""An exercise with two functions: one test cell, the parts' points summed, one verdict naming both."""
import pytest

from freqlstm_helpers.grading import specs
from freqlstm_helpers.grading.verdicts import FAILED, MANUAL, NOT_DONE, PASSED, Verdict, merge_parts


def part(ex_id, status, points, most):
    return Verdict(ex_id, "ex03_1", status, f"{status.lower()} here", points, most)


@pytest.mark.parametrize("statuses, want_status, want_points", [
    ((PASSED, PASSED), PASSED, 4.0),
    ((PASSED, NOT_DONE), NOT_DONE, 3.0),
    ((NOT_DONE, NOT_DONE), NOT_DONE, 0.0),
    ((FAILED, PASSED), FAILED, 1.0),
    ((NOT_DONE, FAILED), FAILED, 0.0),
    ((MANUAL, PASSED), MANUAL, 1.0),
])
def test_the_worst_part_names_the_status_and_the_points_add_up(statuses, want_status, want_points):
    a = part("03.1a", statuses[0], 3.0 if statuses[0] == PASSED else 0.0, 3.0)
    b = part("03.1b", statuses[1], 1.0 if statuses[1] == PASSED else 0.0, 1.0)
    v = merge_parts([a, b], ["train_l1_rows", "block_means"])
    assert (v.exercise, v.grade_id, v.status, v.points, v.max_points) == ("03.1", "ex03_1", want_status, want_points, 4.0)
    assert v.message.startswith(f"part a `train_l1_rows` ({a.points:g}/3): {statuses[0]}: ")
    assert f" | part b `block_means` ({b.points:g}/1): {statuses[1]}: " in v.message


def test_a_single_function_exercise_keeps_its_own_verdict():
    v = Verdict("02.1", "ex02_1", PASSED, "right", 2.0, 2.0)
    assert merge_parts([v], ["lstm_step"]) is v


def test_the_parts_of_an_exercise_share_its_cells():
    by_cell = {}
    for ex in specs.exercises():
        by_cell.setdefault(ex.grade_id, []).append(ex)
    for gid, parts in by_cell.items():
        assert {p.solution_id for p in parts} == {gid + "_solution"}
        assert len({p.number for p in parts}) == 1
        if len(parts) > 1:
            assert [p.id[-1] for p in parts] == list("ab"[:len(parts)]), [p.id for p in parts]
