"""nbgrader preprocessors of the course: release versions, and autograde without execution.

Release (`nbgrader generate_assignment`): `StripAnswers`, `StudentMetadata`.

Autograde (`nbgrader autograde`, configured in the course folder's freqlstm_config.py):

- sanitize: `UseReleaseCells` rebuilds the submission as the release notebook with the
  submission's *solution cells* put in by `grade_id`. Every other cell, test cells included,
  is the release's, so an edited, emptied or deleted test cell changes nothing, and a
  missing solution cell costs only its own exercise. (It replaces nbgrader's OverwriteCells,
  whose checksum warnings fired for every cell of every submission.)
- autograde: `InjectVerdicts` writes each test cell's output from the trusted verdicts in
  `verdicts/<student>/<notebook>.json` (nothing is executed: nbgrader's Execute is gone), and
  `SaveVerdicts` puts their points into the gradebook (nbgrader's SaveAutoGrades read points
  off the cell outputs, which the submission controlled). MANUAL verdicts are saved with
  score 0 and `needs_manual_grade`.
"""
from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import nbformat
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Set, Unicode

VERDICTS_DIR = "verdicts"


class StripAnswers(NbGraderPreprocessor):
    """Remove `<details class="answer"> … </details>` blocks from markdown cells (answers to "Think!" prompts)."""

    pattern = Unicode(r"""<details\s+class=["']answer["'][^>]*>.*?</details>\s*""",
                      help="regular expression (DOTALL) of a markdown answer block").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            cell.source = re.sub(self.pattern, "", cell.source, flags=re.S | re.I).rstrip()
        return cell, resources


class StudentMetadata(ClearMetadataPreprocessor):
    """Drop execution timestamps and widget state; keep nbgrader's cell metadata and the notebook's kernel."""

    enabled = Bool(True).tag(config=True)
    preserve_cell_metadata_mask = Set({"nbgrader", "deletable", "editable"}).tag(config=True)
    preserve_nb_metadata_mask = Set({"kernelspec", "language_info", "jupytext"}).tag(config=True)


# --------------------------------------------------------------------------------------
# Taking a submission apart (shared with the grading coordinator)
# --------------------------------------------------------------------------------------
def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def solution_ids(release) -> list[str]:
    return [_meta(c)["grade_id"] for c in release.cells if c.cell_type == "code" and _meta(c).get("solution")]


def test_cells(nb) -> dict:
    return {_meta(c)["grade_id"]: c for c in nb.cells
            if c.cell_type == "code" and _meta(c).get("grade") and not _meta(c).get("solution")}


def solution_sources(submission, release) -> dict:
    """{solution grade_id: the submission's source, or None if the submission has no such solution cell}."""
    found = {}
    for c in submission.cells:
        m = _meta(c)
        if c.get("cell_type") == "code" and m.get("solution") and m.get("grade_id") not in found:
            src = c.get("source", "")
            found[m.get("grade_id")] = "".join(src) if isinstance(src, list) else str(src)
    return {gid: found.get(gid) for gid in solution_ids(release)}


def test_cell_changes(submission, release) -> list[str]:
    """Sentences about the release's test cells that the submission edited or deleted (all ignored)."""
    theirs, ours = test_cells(submission), test_cells(release)
    out = []
    for gid, cell in ours.items():
        if gid not in theirs:
            out.append(f"test cell {gid} was deleted (the release's is graded)")
        elif str(theirs[gid].source).strip() != str(cell.source).strip():
            out.append(f"test cell {gid} was edited (the release's is graded)")
    return out


def rebuild(submission, release):
    """The release notebook with the submission's solution cells in it, by grade_id."""
    nb = copy.deepcopy(release)
    sources = solution_sources(submission, release)
    for c in nb.cells:
        m = _meta(c)
        if c.cell_type == "code" and m.get("solution"):
            src = sources.get(m["grade_id"])
            c.source = src if src is not None else "# (this solution cell is missing from the submission)\n" + c.source
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    return nb


class UseReleaseCells(NbGraderPreprocessor):
    """Sanitize: the release notebook with only the submission's solution cells taken from it."""

    release_directory = Unicode("release", help="the course folder's release directory").tag(config=True)

    def preprocess(self, nb, resources):
        a, name = resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"]
        path = Path(os.getcwd()) / self.release_directory / a / f"{name}.ipynb"
        release = nbformat.read(path, as_version=4)
        rebuilt = rebuild(nb, release)
        rebuilt.metadata = copy.deepcopy(release.metadata)
        return rebuilt, resources


# --------------------------------------------------------------------------------------
# Writing the trusted verdicts
# --------------------------------------------------------------------------------------
def verdicts_path(course: Path, student: str, notebook: str) -> Path:
    return Path(course) / VERDICTS_DIR / student / f"{notebook}.json"


def _load_verdicts(resources) -> dict:
    r = resources["nbgrader"]
    path = verdicts_path(Path(os.getcwd()), r["student"], r["notebook"])
    if not path.is_file():
        raise RuntimeError(f"no verdicts for {r['student']}/{r['notebook']} ({path}): this course's autograde runs "
                           "nothing; grade with `python -m freqlstm_helpers.grading grade` (make grade), which "
                           "runs each submission in a sandbox and writes the verdicts")
    return {v["grade_id"]: v for v in json.loads(path.read_text())["verdicts"]}


class InjectVerdicts(NbGraderPreprocessor):
    """Autograde: each test cell's output is its trusted verdict (nothing is executed)."""

    def preprocess(self, nb, resources):
        verdicts = _load_verdicts(resources)
        for cell in nb.cells:
            m = _meta(cell)
            if cell.cell_type != "code" or not m.get("grade") or m.get("solution"):
                continue
            v = verdicts.get(m["grade_id"])
            if v is None:
                raise RuntimeError(f"no verdict for test cell {m['grade_id']}")
            text = f"[grader {v['exercise']}] {v['status']}: {v['message']}\n"
            text += "".join(f"note: {n}\n" for n in v.get("notes", []))
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
            cell.execution_count = None
        return nb, resources


class SaveVerdicts(NbGraderPreprocessor):
    """Autograde: the verdicts' points go into the gradebook (nbgrader's SaveAutoGrades, fed by verdicts)."""

    def preprocess(self, nb, resources):
        r = resources["nbgrader"]
        self._verdicts = _load_verdicts(resources)
        with Gradebook(r["db_url"]) as gb:
            for cell in nb.cells:
                m = _meta(cell)
                if m.get("grade") and not m.get("solution"):
                    v = self._verdicts[m["grade_id"]]
                    grade = gb.find_grade(m["grade_id"], r["notebook"], r["assignment"], r["student"])
                    grade.auto_score = float(v["points"])
                    grade.needs_manual_grade = v["status"] == "MANUAL" or grade.manual_score is not None
                if utils.is_solution(cell) or utils.is_task(cell):
                    comment = gb.find_comment(m["grade_id"], r["notebook"], r["assignment"], r["student"])
                    unchanged = m.get("checksum") == utils.compute_checksum(cell) and not utils.is_task(cell)
                    comment.auto_comment = "No response." if unchanged else None
            gb.db.commit()
        return nb, resources
