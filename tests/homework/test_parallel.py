"""The same grading code on a Dask cluster (a `distributed.LocalCluster` here; DASK_SCHEDULER in real use)."""
import csv
import shutil

import pytest

from freqlstm_helpers.grading import grade
from tests.homework.conftest import NB01, NB_DIR, TEST_LIMITS, need_bwrap, points


def test_a_dask_cluster_grades_like_local_workers(graded_class, tmp_path):
    need_bwrap()
    distributed = pytest.importorskip("distributed")
    course = tmp_path / "course"
    shutil.copytree(graded_class[0], course, symlinks=True)
    subs = tmp_path / "subs"
    for student in ("honest", "untouched", "partial"):
        (subs / student).mkdir(parents=True)
        shutil.copyfile(graded_class[4] / student / f"{NB01}.ipynb", subs / student / f"{NB01}.ipynb")
    out = tmp_path / "grades.csv"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        report = grade.grade(NB_DIR, subs, course, out, scheduler=cluster.scheduler_address, limits=TEST_LIMITS,
                             say=lambda s: None)
    assert not report.failures, report.failures
    with open(out, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert points(rows, "honest", NB01) == (6, 6)
    assert points(rows, "untouched", NB01) == (0, 6)
    assert points(rows, "partial", NB01) == points(graded_class[1], "partial", NB01)
