"""The committed robustness report: its shape, its verdict, and the docs that quote it."""
import json

from freqlstm_helpers import paths, robustness

REPORT = paths.repo_root() / "benchmarks" / "robustness.json"


def load():
    return json.loads(REPORT.read_text())


def test_report_has_three_profiles_three_seeds_and_meets_the_targets():
    rep = load()
    assert set(rep["profiles"]) == set(robustness.PROFILES)
    for name, p in rep["profiles"].items():
        assert p["env"] == robustness.PROFILES[name]
        assert len(p["runs"]) >= 3, name
        for r in p["runs"]:
            assert set(r["test_mse_per_frequency"]) == {"1", "3", "5", "7"}
            assert r["ratio"] == r["test_mse"] / r["train_mse"]
        assert len(p["v1_epoch1"]) >= 3, "the v1 reproduction's epoch-1 band"
    assert rep["worst"] == robustness.worst(rep["profiles"]), "worst must be computed from the runs"
    assert all(robustness.meets_targets(rep["worst"]).values()), rep["worst"]


def test_readme_and_instructors_guide_quote_the_report():
    table = robustness.summary_markdown(load())
    for doc in ("README.md", "INSTRUCTORS.md"):
        assert table in (paths.repo_root() / doc).read_text(), f"{doc} does not quote benchmarks/robustness.json; " \
            f"paste the table `make robustness` prints"
