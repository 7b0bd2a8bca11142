"""Every attack of attacks.py scores 0, in the same grading run as the baselines, and harms no classmate.

The second half bypasses the static check: the attacks that try to compute an answer with a
course function or a torch built-in run in the sandbox as they are, and still get no answer
out of it (stubs, seccomp, the audit hook and the read-only files do that on their own).
"""
import json
from pathlib import Path

import pytest

from freqlstm_helpers.grading import grade, sandbox, static_check, worker
from freqlstm_helpers.grading.runner import decode
from freqlstm_helpers.grading.specs import NOTEBOOKS
from freqlstm_helpers.grading.verdicts import PASSED, judge
from tests.homework import attacks
from tests.homework.conftest import NB01, NB02, TEST_LIMITS, by_exercise, need_bwrap, notebooks, points

DYNAMIC = {"getattr_computed", "eval", "importlib_reload", "vars", "dunder_dict", "dunder_import", "fresh_python",
           "code_swap", "sys_modules", "autograd_by_getattr", "gradebook", "solutions_from_disk", "write_everywhere",
           "startup_file", "kernel_replies", "lock_gradebook", "kill_grader", "detached_child", "fork_bomb", "network",
           "forged_payload"}
DENIED = {"default_arg_capture", "alias", "through_another_exercise", "lstm_cell_default_arg", "autograd",
          "fused_gradients", "outputs_over_rows"}


@pytest.mark.parametrize("name", sorted(attacks.ATTACKS))
def test_the_attack_scores_zero(graded_class, name):
    stem = attacks.ATTACKS[name][0]
    rows = by_exercise(graded_class[1], f"attack_{name}", stem)
    honest = attacks.HONEST_PARTS.get(name, {})
    got = {k: float(r["points"]) for k, r in rows.items()}
    assert got == {k: honest.get(k, 0.0) for k in got}, {k: (r["status"], r["note"]) for k, r in rows.items()}


@pytest.mark.parametrize("name", sorted(DYNAMIC))
def test_a_dynamic_reach_is_flagged_for_manual_grading(graded_class, name):
    stem = attacks.ATTACKS[name][0]
    statuses = {r["status"] for r in by_exercise(graded_class[1], f"attack_{name}", stem).values()}
    assert "manual" in statuses, statuses
    assert f"attack_{name}/{stem}" in graded_class[2], "flagged exercises are listed in the run's output"


@pytest.mark.parametrize("name", sorted(DENIED))
def test_a_course_function_as_the_answer_fails_and_says_which(graded_class, name):
    stem = attacks.ATTACKS[name][0]
    rows = by_exercise(graded_class[1], f"attack_{name}", stem).values()
    assert any(r["status"] == "failed" and "computes this exercise's answer" in r["note"] for r in rows), \
        [(r["status"], r["note"]) for r in rows]


def test_classmates_graded_after_the_attacks_are_unharmed(graded_class):
    _, rows, _, report, _ = graded_class
    for student in ("honest", "zz_honest_last"):
        for stem in (NB01, NB02):
            got, most = points(rows, student, stem)
            assert got == most, (student, stem)
    assert not report.failures


def test_time_and_memory_attacks_end_at_their_own_limits(graded_class):
    _, rows, _, report, _ = graded_class
    note = by_exercise(rows, "attack_sleep_past_timeout", NB01)["ex01_1"]["note"]
    assert "time limit" in note
    assert "time limit" in by_exercise(rows, "attack_cpu_spin", NB01)["ex01_1"]["note"]  # CPU, or wall when loaded
    assert by_exercise(rows, "attack_memory_bomb", NB01)["ex01_1"]["status"] == "failed"
    wall = TEST_LIMITS.wall_seconds
    assert report.sandbox_seconds["attack_sleep_past_timeout"] < TEST_LIMITS.startup_seconds + 4 * (wall + 2)


def test_nothing_of_the_course_changed_and_no_sandbox_process_is_left(graded_class):
    report = graded_class[3]
    assert report.package_unchanged, "a submission changed the course package on disk"
    left = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes()
            except OSError:
                continue
            if b"/grader/runner.py" in cmd or b"time.sleep(100000)" in cmd:
                left.append(cmd[:120])
    assert not left, left


def test_no_sandbox_saw_the_course_folder(graded_class):
    """The gradebook's test-cell sources are the release's: nothing wrote to it from a sandbox."""
    import sqlite3
    course = graded_class[0]
    con = sqlite3.connect(course / "gradebook.db")
    sources = [r[0] for r in con.execute("select source from source_cell")]
    assert sources and "pass" not in sources


# --------------------------------------------------------------------------------------
# The runtime layer alone: the static check bypassed
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def runtime_only(course):
    """Each RUNTIME_ONLY attack as its own notebook entry of one sandbox job per notebook, no static check."""
    need_bwrap()
    course_dir = course[0]
    run = grade.build_run(course_dir, [NB01, NB02], seed=7, limits=TEST_LIMITS)
    jobs = {NB01: [], NB02: []}
    for name, (ex_id, gid, src) in attacks.RUNTIME_ONLY.items():
        stem = NB01 if ex_id.startswith("01") else NB02
        jobs[stem].append((name, ex_id, gid, src))
    out = {}
    for stem, items in jobs.items():
        release, _ = notebooks(course_dir, stem)
        spec = run["notebooks"][stem]
        nbs = []
        for name, ex_id, gid, src in items:
            sols = [[g, static_check.to_python(src) if g == gid else None]
                    for g in (c.metadata["nbgrader"]["grade_id"] for c in release.cells
                              if c.metadata.get("nbgrader", {}).get("solution"))]
            nbs.append({"stem": f"{stem}#{name}", "setup": spec["setup"], "solutions": sols,
                        "exercises": [e for e in spec["exercises"] if e["id"] == ex_id]})
        job = {"preimport": spec["preimport"], "notebooks": nbs}
        res = sandbox.run_job(job, TEST_LIMITS)
        for name, ex_id, gid, src in items:
            out[name] = (ex_id, res.results.get((f"{stem}#{name}", ex_id)), run)
    return out


@pytest.mark.parametrize("name", sorted(attacks.RUNTIME_ONLY))
def test_the_sandbox_alone_gives_no_answer(runtime_only, name):
    ex_id, frame, run = runtime_only[name]
    ex = next(e for nb in NOTEBOOKS.values() for e in nb.exercises if e.id == ex_id)
    refs = [decode(r) for r in worker.references(run, ex_id)]
    cases = [decode(c) for c in run["cases"][ex_id]]
    v = judge(ex, frame, refs, cases, float(ex.points), True, {})
    assert v.status != PASSED, v.message
    payload = json.loads(frame["payload"]) if frame and frame.get("payload") else {}
    if payload:
        assert payload["confinement"]["seccomp"] is True
        assert payload["confinement"]["stub_failures"] == []
