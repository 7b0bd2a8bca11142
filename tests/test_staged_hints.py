"""Staged hints: a first failure gives the idea, never the line-level hint (issue: the student's code drives the story)."""
import pytest

from freqlstm_helpers import check

IDS = sorted(check.CONCEPTS)
PARTS = sorted(check.checks())  # "02.1", and "03.1a", "03.1b" for an exercise with two functions


def test_every_exercise_has_a_check_and_an_idea():
    assert sorted({p.rstrip("ab") for p in PARTS}) == IDS
    assert len(IDS) == 13 and len(PARTS) == 19


def wrong(*args, **kwargs):
    """An answer no exercise accepts: a number where arrays, verdicts or models are expected."""
    return 12345


@pytest.mark.parametrize("part", PARTS)
def test_a_first_failure_gives_the_idea_not_the_line(part, capsys):
    ex = part.rstrip("ab")
    result = check.checks()[part].result(wrong)
    assert result.status == check.FAILED, result
    closer = check.hint(ex, level=2)
    capsys.readouterr()
    assert closer.startswith("Hint:") and len(closer) > 30
    assert "Hint:" not in result.message, result.message
    own = check.hint.__globals__["_CHECKS"][part](check.hint.__globals__["_ask"]).message.partition("Hint:")[2]
    assert own.strip()[:40] in closer  # level 2 gathers every part's line-level hint
    assert own.strip()[:40] not in result.message
    assert check.CONCEPTS[ex] in result.message
    assert f'check.hint("{ex}", level=2)' in result.message


def test_hint_names_what_is_allowed():
    with pytest.raises(ValueError, match="no exercise '9.9'"):
        check.hint("9.9")
    with pytest.raises(ValueError, match="level must be 1"):
        check.hint("01.1", level=3)
    assert check.hint("01.1") == check.CONCEPTS["01.1"]


def test_an_exercise_with_two_parts_prints_one_line_until_something_is_written(capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError
    check.s_and_baseline(stub, stub)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "NOT DONE" in out[0] and out[0].startswith("[check 01.1 ")
    with pytest.raises(check.CheckFailed, match="01.1b"):
        check.s_and_baseline(stub, wrong)
    out = capsys.readouterr().out.strip().splitlines()
    assert [line.split("]")[1].split(":")[0].strip() for line in out] == ["NOT DONE", "FAILED"]
