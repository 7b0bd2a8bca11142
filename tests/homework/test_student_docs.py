"""Every relative link in a student folder resolves inside it (the glossary, the case file, the notebooks)."""
import re
import shutil
from pathlib import Path

import pytest

from freqlstm_helpers.grading.student_docs import localise

ROOT = Path(__file__).resolve().parents[2]
REL = re.compile(r"\]\((?!https?:|#|mailto:)([^)\s#]+)")


def test_links_resolve_in_the_student_folder(course, tmp_path):
    _, student, _ = course
    out = tmp_path / "student"
    shutil.copytree(student, out)
    copied = localise(out, ROOT / "docs")
    assert {p.name for p in copied} >= {"glossary.md", "the_case.md"}
    assert not (out / "docs" / "INSTRUCTORS.md").exists()
    broken = [(f.name, link) for f in list(out.glob("*.ipynb")) + list((out / "docs").glob("*.md"))
              for link in REL.findall(f.read_text()) if not (f.parent / link).exists()]
    assert not broken, broken


def test_a_missing_doc_is_named(tmp_path):
    (tmp_path / "01_x.py").write_text("# see [the glossary](../docs/nothere.md)\n")
    with pytest.raises(FileNotFoundError, match="docs/nothere.md"):
        localise(tmp_path, ROOT / "docs")
