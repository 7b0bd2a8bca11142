"""INSTRUCTORS.md's exercise table and README's counts are the graded specs' (and so the gradebook's)."""
from pathlib import Path

from freqlstm_helpers.grading import exercise_table, specs
from freqlstm_helpers.grading.specs.effort import EFFORT

ROOT = Path(__file__).resolve().parents[2]


def test_the_documents_agree_with_the_specs():
    assert exercise_table.main(["--root", str(ROOT), "--check"]) == 0


def test_every_exercise_has_a_difficulty_and_minutes():
    assert set(EFFORT) == {e.id for e in specs.exercises()}
    assert all(1 <= d <= 4 and 0 < m <= 90 for d, m in EFFORT.values())


def test_a_drifted_count_is_caught(tmp_path, capsys):
    for name in ("INSTRUCTORS.md", "README.md"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    readme = tmp_path / "README.md"
    readme.write_text(exercise_table.COUNTS.sub("18 exercises, 29 points", readme.read_text()))
    assert exercise_table.main(["--root", str(tmp_path), "--check"]) == 2
    assert "README.md disagrees" in capsys.readouterr().err
    assert exercise_table.main(["--root", str(tmp_path), "--write"]) == 0
    assert exercise_table.counts() in readme.read_text()
