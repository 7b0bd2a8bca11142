"""One nbgrader course folder per test session: student versions made once, graded once."""
import os
from pathlib import Path

import pytest

from freqlstm_helpers import homework

ROOT = Path(__file__).resolve().parents[2]
NB_DIR = ROOT / "notebooks"


@pytest.fixture(scope="session", autouse=True)
def _figures_elsewhere(tmp_path_factory):
    """Executed student notebooks save their figures here, never over the course's figures/."""
    old = os.environ.get("FREQLSTM_FIGURES")
    os.environ["FREQLSTM_FIGURES"] = str(tmp_path_factory.mktemp("figures"))
    yield
    if old is None:
        os.environ.pop("FREQLSTM_FIGURES", None)
    else:
        os.environ["FREQLSTM_FIGURES"] = old


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """(course folder, student folder, {stem: 'graded' | 'not yet graded'}) after `homework student`."""
    base = tmp_path_factory.mktemp("homework")
    course, student = base / "course", base / "student"
    kinds = homework.write_student_versions(NB_DIR, student, course)
    return course, student, kinds
