"""The limits of a real cluster, on the test cluster's QoS `capped` (MaxSubmitJobsPerUser=20,
scripts/dev-cluster.sh): a run over the cap is batched to fit before anything is submitted, what
cannot fit is refused up front, and a cap nobody told hpcflow about is named when Slurm refuses."""
from __future__ import annotations

import fcntl
import getpass
import re
import tempfile
from pathlib import Path

import pytest

from slurm_helpers import ROOT, dev_cluster_text, most_at_once, slurm_calls

CASES = f"{ROOT}/tests/workflows/slurm_cases.py"
XS = f"xs={list(range(60))}"


@pytest.fixture(autouse=True)
def capped_qos_alone():
    """These tests share the QoS's cap (per user): one at a time, while other Slurm tests go on."""
    with open(Path(tempfile.gettempdir()) / f"hpcflow-tests-capped-{getpass.getuser()}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def _site(tmp_path, cap: int | None):
    text = dev_cluster_text()
    extra = 'extra_directives = ["--qos=capped"]\n' + (f"max_submit_jobs = {cap}\n" if cap else "")
    path = tmp_path / f"capped-{cap}.toml"
    path.write_text(re.sub(r"^time_margin", extra + "time_margin", text, count=1, flags=re.M))
    return path


def test_a_run_over_the_cap_on_queued_jobs_is_batched_to_fit_and_succeeds(hpcflow, slurm_env, tmp_path):
    res = hpcflow("submit", f"{CASES}:squares_summed", "--site", str(_site(tmp_path, cap=20)), "-i", XS, "--json")
    assert res.code == 0, res.stderr
    done = hpcflow("wait", res.json["run_id"], "--json")
    assert done.code == 0, done.stderr
    assert done.json["outputs"] == {"o0": sum(x * x for x in range(60))}
    assert most_at_once(f"hf-{res.json['run_id']}", since="Submit") <= 20


def test_a_map_with_a_task_per_element_runs_in_windows_under_the_cap(hpcflow, slurm_env, tmp_path):
    """The acceptance case: 60 elements with batch_size=1 and a reduce under a cap of 20. Submitted
    without --wait: nothing of hpcflow runs on the login node while the windows follow each other."""
    site = _site(tmp_path, cap=20)
    dry = hpcflow("submit", f"{CASES}:squares_one_per_task", "--site", str(site), "-i", XS, "--dry-run")
    assert dry.code == 0 and "windowed to fit the cap on queued jobs: at most 18 array tasks" in dry.stdout
    res = hpcflow("submit", f"{CASES}:squares_one_per_task", "--site", str(site), "-i", XS, "--json")
    assert res.code == 0, res.stderr
    done = hpcflow("wait", res.json["run_id"], "--json")
    assert done.code == 0, done.stderr
    assert done.json["outputs"] == {"o0": sum(x * x for x in range(60))}
    # 4 windows (18+18+18+6) and the reduce; a window refused while the one before leaves the queue is tried again
    assert len({c[-1] for c in slurm_calls(slurm_env) if c[0] == "sbatch"}) == 5
    assert most_at_once(f"hf-{res.json['run_id']}", since="Submit") <= 20
    watched = hpcflow("submit", f"{CASES}:squares_one_per_task", "--site", str(site), "-i", f"xs={list(range(1, 41))}",
                      "--wait", "--json")
    assert watched.code == 0 and watched.json["outputs"] == {"o0": sum(x * x for x in range(1, 41))}, watched.stderr
    assert most_at_once(f"hf-{watched.json['run_id']}", since="Submit") <= 20


def test_a_run_that_cannot_fit_is_refused_before_anything_is_submitted(hpcflow, slurm_env, tmp_path):
    res = hpcflow("submit", f"{CASES}:squares_one_per_task", "--site", str(_site(tmp_path, cap=2)), "-i", XS)
    assert res.code != 0 and "needs 61 queued jobs" in res.stderr and "max_submit_jobs of site" in res.stderr
    assert not [c for c in slurm_calls(slurm_env) if c[0] == "sbatch"]


def test_a_cap_the_site_config_does_not_know_is_named_when_slurm_refuses(hpcflow, slurm_env, tmp_path):
    res = hpcflow("submit", f"{CASES}:squares_summed", "--site", str(_site(tmp_path, cap=None)), "-i", XS)
    assert res.code != 0 and "MaxSubmitJobs" in res.stderr and "batch_size" in res.stderr, res.stderr
    assert "cancelled the" in res.stderr or "nothing had been queued" in res.stderr  # rolled back, truthfully


def test_site_check_names_the_qos_limits_a_config_overpromises(hpcflow, tmp_path):
    """QoS `capped` also has MaxWall=12:00:00, below every partition's MaxTime; `site check` reads it."""
    res = hpcflow("site", "check", str(_site(tmp_path, cap=20)))
    assert res.code == 1, res.stdout + res.stderr
    out = res.stdout + res.stderr
    assert "partition 'cpu': config allows 172800 s, but QoS 'capped' has MaxWall 43200 s" in out
    assert "partition 'gpu': config allows 86400 s" in out and "max_submit_jobs" not in out
    assert hpcflow("site", "check", "dev-cluster").code == 0  # QoS normal has no MaxWall


def test_a_map_sized_at_run_time_is_windowed_under_the_cap_when_it_is_sized(hpcflow, slurm_env, tmp_path):
    """At submit the map's size is unknown, so nothing is windowed; the element that sizes it (one
    squeue for the user's queued jobs) windows it to fit, and its windows follow each other."""
    res = hpcflow("submit", f"{CASES}:squares_of_a_made_list", "--site", str(_site(tmp_path, cap=20)), "-i", "n=50",
                  "--json")
    assert res.code == 0, res.stderr
    done = hpcflow("wait", res.json["run_id"], "--json")
    assert done.code == 0, done.stderr
    assert done.json["outputs"] == {"o0": sum(x * x for x in range(50))}
    assert most_at_once(f"hf-{res.json['run_id']}", since="Submit") <= 20
