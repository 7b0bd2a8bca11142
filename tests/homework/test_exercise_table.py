"""INSTRUCTORS.md's exercise table and README's counts are the graded specs' (and so the gradebook's)."""
from pathlib import Path

from freqlstm_helpers.grading import exercise_table, specs
from freqlstm_helpers.grading.specs.effort import EFFORT

ROOT = Path(__file__).resolve().parents[2]


def test_the_documents_agree_with_the_specs():
    assert exercise_table.main(["--root", str(ROOT), "--check"]) == 0


def test_every_exercise_has_a_difficulty_and_minutes():
    assert set(EFFORT) == {e.number for e in specs.exercises()}
    assert all(1 <= d <= 4 and 0 < m <= 90 for d, m in EFFORT.values())


def test_every_exercise_is_more_than_a_formula_and_every_notebook_has_a_core_one():
    """Issue 19: 12-16 exercises, each difficulty >= 2, at least one per notebook at 4."""
    assert 12 <= len(EFFORT) <= 16
    assert all(d >= 2 for d, _ in EFFORT.values())
    for nb in ("01", "02", "03", "04", "05"):
        assert any(d == 4 for ex, (d, _) in EFFORT.items() if ex.startswith(nb)), nb


def test_an_exercise_with_two_functions_is_one_row_with_their_points_summed():
    rows = {r["id"]: r for r in exercise_table.rows()}
    assert rows["03.1"]["functions"] == ["train_l1_rows", "block_means"] and rows["03.1"]["points"] == 4
    assert sum(r["points"] for r in rows.values()) == sum(e.points for e in specs.exercises())


def test_a_drifted_count_is_caught(tmp_path, capsys):
    for name in ("INSTRUCTORS.md", "README.md"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    readme = tmp_path / "README.md"
    readme.write_text(exercise_table.COUNTS.sub("18 exercises, 29 points", readme.read_text()))
    assert exercise_table.main(["--root", str(tmp_path), "--check"]) == 2
    assert "README.md disagrees" in capsys.readouterr().err
    assert exercise_table.main(["--root", str(tmp_path), "--write"]) == 0
    assert exercise_table.counts() in readme.read_text()
