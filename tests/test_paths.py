"""Printed paths: relative inside the course folder, whole outside it (FREQLSTM_RUNS may point anywhere)."""
from freqlstm_helpers import paths


def test_a_run_folder_inside_the_course_is_shown_relative(monkeypatch, tmp_path):
    monkeypatch.setenv("FREQLSTM_HOME", str(tmp_path))
    assert paths.shown(tmp_path / "runs" / "corrected-abc") == "runs/corrected-abc"


def test_a_run_folder_elsewhere_is_shown_whole(monkeypatch, tmp_path):
    monkeypatch.setenv("FREQLSTM_HOME", str(tmp_path / "course"))
    elsewhere = tmp_path / "shared-runs" / "v1_lr1e-3-215c27a991c8"
    assert paths.shown(elsewhere) == str(elsewhere)
