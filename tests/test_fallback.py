"""The fallback: the student's result when there is one, one line and the course's when the stub remains."""
import pytest

from freqlstm_helpers.teaching.fallback import mine_or_course


def test_the_students_result_is_used_when_there_is_one(capsys):
    r = mine_or_course("03.1", lambda: 1, lambda: 2, "the model")
    assert (r.value, r.mine) == (1, True) and capsys.readouterr().out == ""


def test_a_stub_falls_back_with_one_line(capsys):
    def stub():
        raise NotImplementedError
    r = mine_or_course("03.1", stub, lambda: 2, "the model")
    out = capsys.readouterr().out
    assert (r.value, r.mine) == (2, False)
    assert out.count("\n") == 1 and "exercise 03.1 not done yet" in out


def test_a_wrong_solution_still_fails_loudly():
    def wrong():
        raise ValueError("shape mismatch")
    with pytest.raises(ValueError, match="shape mismatch"):
        mine_or_course("03.1", wrong, lambda: 2, "the model")


def test_predict_then_run_says_whether_the_prediction_held():
    from freqlstm_helpers.teaching.predict import compare
    assert compare("weights", "weights", ("weights", "optimizer")).right
    o = compare("optimizer", "weights", ("weights", "optimizer"))
    assert not o.right and "does not hold" in str(o)
    assert "No prediction written" in str(compare(None, "weights", ("weights", "optimizer")))
    with pytest.raises(ValueError, match="my_prediction = 'adam'"):
        compare("adam", "weights", ("weights", "optimizer"))
