"""The notebooks the public site shows: nbgrader's release versions, with the instructor run's outputs.

A release notebook has no outputs, and its stubs would stop an execution. So
nothing is executed: the outputs of the executed instructor notebook
(`notebooks/NN_name.ipynb`, written by `make course`) are carried over to the
matching release cell. Only cells that students get exactly as the instructor
ran them keep outputs. A solution cell stays the student's stub, and a test cell
shows no verdict, so no output of a solution or a hidden test reaches the site.
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from .checks import SiteError


def release_versions(notebooks_dir: Path, work: Path, course: Path) -> dict[str, Path]:
    """{stem: path} of the release (student) version of every course notebook, made by nbgrader.

    The one place the website calls the grading code. `course` is a private nbgrader
    course folder (kept between builds, so an unchanged notebook is not generated again);
    `work` receives the notebooks.
    """
    from ..grading.course import write_student_versions

    out = Path(work)
    try:
        write_student_versions(Path(notebooks_dir), out, Path(course))
    except Exception as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SiteError(f"nbgrader could not make the release notebooks ({first}); "
                        f"see {Path(course) / 'nbgrader.log'}") from None
    return {p.stem: p for p in sorted(out.glob("0*.ipynb"))}


def _is_exercise(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("solution") or meta.get("grade"))


def _pairs(release, executed, name: str):
    """(release cell, executed cell) pairs: by cell id when both carry the same ids, else by position."""
    r_ids = [c.get("id") for c in release.cells]
    e_ids = [c.get("id") for c in executed.cells]
    if all(r_ids) and r_ids == e_ids:
        return list(zip(release.cells, executed.cells))
    if [c.cell_type for c in release.cells] == [c.cell_type for c in executed.cells]:
        return list(zip(release.cells, executed.cells))
    raise SiteError(f"{name}: the release notebook's cells do not match the executed notebook's "
                    f"({len(release.cells)} vs {len(executed.cells)} cells); run `make course`, then `make site`")


def with_outputs(release, executed, name: str = "notebook"):
    """A copy of `release` whose unchanged, non-exercise code cells carry `executed`'s outputs."""
    nb = copy.deepcopy(release)
    for mine, ran in _pairs(nb, executed, name):
        if mine.cell_type != "code":
            continue
        if ran.cell_type == "code" and not _is_exercise(mine) and not _is_exercise(ran) \
                and mine.source == ran.source:
            mine.outputs = copy.deepcopy(ran.outputs)
            mine.execution_count = ran.execution_count
        else:
            mine.outputs = []
            mine.execution_count = None
    return nb


def read(path: Path):
    return nbformat.read(path, as_version=4)
