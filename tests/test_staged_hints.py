"""Staged hints: a first failure gives the idea, never the line-level hint (issue: the student's code drives the story)."""
import pytest

from freqlstm_helpers import check

IDS = sorted(check.CONCEPTS)


def test_every_exercise_has_a_check_and_an_idea():
    assert sorted(check.checks()) == IDS
    assert len(IDS) == 20


def wrong(*args, **kwargs):
    """An answer no exercise accepts: a number where arrays, verdicts or models are expected."""
    return 12345


@pytest.mark.parametrize("ex", IDS)
def test_a_first_failure_gives_the_idea_not_the_line(ex, capsys):
    result = check.checks()[ex].result(wrong)
    assert result.status == check.FAILED, result
    closer = check.hint(ex, level=2)
    capsys.readouterr()
    assert closer.startswith("Hint:") and len(closer) > 30
    assert "Hint:" not in result.message, result.message
    assert closer[len("Hint: "):][:40] not in result.message
    assert check.CONCEPTS[ex] in result.message
    assert f'check.hint("{ex}", level=2)' in result.message


def test_hint_names_what_is_allowed():
    with pytest.raises(ValueError, match="no exercise '9.9'"):
        check.hint("9.9")
    with pytest.raises(ValueError, match="level must be 1"):
        check.hint("01.1", level=3)
    assert check.hint("01.1") == check.CONCEPTS["01.1"]
