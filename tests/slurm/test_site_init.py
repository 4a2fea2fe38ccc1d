"""`hpcflow site init` drafts a config from the live cluster that `site check` accepts at once
and that runs the examples once a user has made the decisions it marks."""
from __future__ import annotations


def test_a_drafted_site_config_checks_and_runs_the_examples(hpcflow, slurm_env, tmp_path):
    path = tmp_path / "drafted.toml"
    res = hpcflow("site", "init", "drafted", "--output", str(path))
    assert res.code == 0, res.stderr
    text = path.read_text()
    assert "# DECIDE:" in text and 'preemptible = "preemptible"' in text and "[partitions.cpu]" in text
    check = hpcflow("site", "check", str(path))
    assert check.code == 0 and "matches the cluster" in check.stdout, check.stdout + check.stderr
    again = hpcflow("site", "init", "drafted", "--output", str(path))
    assert again.code != 0 and "exists; pass --force" in again.stderr  # nothing is overwritten unasked
    decided = text.replace('runs_dir = "~/hpcflow/runs"', f'runs_dir = "{tmp_path}/runs"').replace(
        'cache_dir = "~/hpcflow/cache"', f'cache_dir = "{tmp_path}/cache"').replace("poll_interval = 5", "poll_interval = 0.5")
    path.write_text(decided)
    run = hpcflow("submit", "examples/partitioned_mean.py:partitioned_mean", "--site", str(path), "-i", "n=2000",
                  "-i", "parts=4", "--wait", "--json")
    assert run.code == 0, run.stderr
    assert (tmp_path / "runs" / run.json["run_id"] / "run.json").exists()
    local = hpcflow("run", "examples/partitioned_mean.py:partitioned_mean", "-i", "n=2000", "-i", "parts=4", "--json")
    assert run.json["outputs"] == local.json["outputs"]
