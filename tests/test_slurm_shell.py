"""The shell-call layer. A real cluster cannot time out or reply garbage on demand, so these two
cases use a stand-in `sbatch` script on PATH (the only mocked Slurm in the suite)."""
from __future__ import annotations

from pathlib import Path

import pytest

from hpcflow.backends.slurm.monitor import job_keys
from hpcflow.backends.slurm.shell import SlurmError, SlurmShell
from hpcflow.backends.slurm.states import translate
from hpcflow.core.states import State


def _fake_sbatch(tmp_path, monkeypatch, body: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "sbatch").write_text(f"#!/bin/sh\n{body}\n")
    (bin_dir / "sbatch").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")


def test_sbatch_that_hangs_is_reported(tmp_path, monkeypatch):
    _fake_sbatch(tmp_path, monkeypatch, "sleep 10")
    with pytest.raises(SlurmError, match="did not answer within 1 s"):
        SlurmShell(timeout_s=1).sbatch("job.sh")


def test_corrupt_sbatch_reply_is_reported(tmp_path, monkeypatch):
    _fake_sbatch(tmp_path, monkeypatch, "echo 'Submitted batch job'")
    with pytest.raises(SlurmError, match="unexpected reply"):
        SlurmShell().sbatch("job.sh")


def test_missing_slurm_commands_say_what_to_do(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(SlurmError, match="sbatch not found"):
        SlurmShell().sbatch("job.sh")


def test_state_translation_and_job_id_forms(capsys):
    assert translate("CANCELLED by 0") is State.CANCELLED and translate("OUT_OF_MEMORY") is State.FAILED
    assert translate("PREEMPTED") is State.PREEMPTED and not State.PREEMPTED.finished
    assert translate("COMPLETED") is State.SUCCEEDED
    # a state word from a newer Slurm is not silently PENDING: UNKNOWN, and one warning per word
    assert translate("PLANNED") is State.UNKNOWN and translate("PLANNED") is State.UNKNOWN
    assert capsys.readouterr().err.count("'PLANNED' is not known") == 1
    assert job_keys("12") == [(12, None)] and job_keys("12_3") == [(12, 3)]
    assert job_keys("12_[4-6,9%2]") == [(12, 4), (12, 5), (12, 6), (12, 9)]


def _flaky(tmp_path, monkeypatch, name: str, failures: int, message: str, reply: str) -> Path:
    """A fake `name` that fails `failures` times with `message`, then prints `reply`; counts its calls."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    count = tmp_path / f"{name}.count"
    (bin_dir / name).write_text(
        f"#!/bin/sh\nn=$(cat {count} 2>/dev/null || echo 0); echo $((n+1)) > {count}\n"
        f"if [ $n -lt {failures} ]; then echo '{message}' >&2; exit 1; fi\necho '{reply}'\n")
    (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    return count


def test_an_unreachable_controller_is_waited_out(tmp_path, monkeypatch):
    count = _flaky(tmp_path, monkeypatch, "squeue", 3,
                   "slurm_load_jobs error: Unable to contact slurm controller (connect failure)", "12|RUNNING")
    assert SlurmShell(retry_s=30).run(["squeue", "-h"]).strip() == "12|RUNNING"
    assert count.read_text().strip() == "4"


def test_sbatch_is_retried_only_when_slurm_did_not_take_the_job(tmp_path, monkeypatch):
    count = _flaky(tmp_path, monkeypatch, "sbatch", 2,
                   "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)", "77")
    assert SlurmShell(retry_s=30).sbatch("job.sh") == 77 and count.read_text().strip() == "3"
    count = _flaky(tmp_path, monkeypatch, "sbatch", 5, "sbatch: error: Invalid account or account/partition", "78")
    count.unlink()
    with pytest.raises(SlurmError, match="Invalid account"):
        SlurmShell(retry_s=30).sbatch("job.sh")
    assert count.read_text().strip() == "1"


def test_a_controller_down_for_longer_than_retry_s_is_an_error_that_says_so(tmp_path, monkeypatch):
    _flaky(tmp_path, monkeypatch, "sacct", 1000, "sacct: error: Socket timed out on send/recv operation", "")
    with pytest.raises(SlurmError, match="slurmctld did not answer for 2 s"):
        SlurmShell(retry_s=2).run(["sacct"])


def test_a_job_over_a_limit_is_refused_with_the_limit_and_what_to_change():
    from hpcflow.backends.slurm.shell import limit_advice

    refused = ("sbatch: error: QOSMaxSubmitJobPerUserLimit\nsbatch: error: Batch job submission failed: "
               "Job violates accounting/QOS policy (job submit limit, user's size and/or time limits)")
    assert "MaxSubmitJobs" in limit_advice(refused) and "batch_size" in limit_advice(refused)
    assert "MaxTime" in limit_advice("sbatch: error: Batch job submission failed: Requested time limit is invalid "
                                     "(missing or exceeds some limit)")
    assert limit_advice("sbatch: error: Batch job submission failed: Invalid account") == ""


def test_a_timed_out_sbatch_is_tried_again_only_when_the_queue_does_not_have_its_job(tmp_path, monkeypatch):
    """'Socket timed out' may come after slurmctld queued the job: squeue is asked before a retry."""
    script = str(tmp_path / "job.sh")
    timed_out = "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation"
    count = _flaky(tmp_path, monkeypatch, "sbatch", 2, timed_out, "79")
    _flaky(tmp_path, monkeypatch, "squeue", 0, "", "70|/elsewhere/job.sh")  # another job, not this one
    assert SlurmShell(retry_s=30).sbatch(script) == 79 and count.read_text().strip() == "3"
    count = _flaky(tmp_path, monkeypatch, "sbatch", 5, timed_out, "80")
    count.unlink()
    _flaky(tmp_path, monkeypatch, "squeue", 0, "", f"81_[0-3]|{script}")  # it was taken: its answer was lost
    assert SlurmShell(retry_s=30).sbatch(script) == 81 and count.read_text().strip() == "1"


def test_a_dependency_update_refused_only_for_started_array_tasks_is_done(tmp_path, monkeypatch):
    """scontrol updates the pending tasks of an array, and fails for those that started (Slurm 22.05)."""
    _flaky(tmp_path, monkeypatch, "scontrol", 1, "28972_0: Job is no longer pending execution\n28972_1-2: No error", "")
    SlurmShell(retry_s=5).update_dependency(28972, "afterok:1")
    ended = tmp_path / "ended"
    ended.mkdir()
    _flaky(ended, monkeypatch, "scontrol", 1, "36573_0: Job has already finished\n36573_1: No error\n"
           "36573_2: Job has already finished", "")
    SlurmShell(retry_s=5).update_dependency(36573, "afterok:1")
    listed = tmp_path / "listed"  # tasks that started apart are listed with a comma (seen on the test cluster)
    listed.mkdir()
    _flaky(listed, monkeypatch, "scontrol", 1, "4073_0,2: Job is no longer pending execution\n4073_1: No error", "")
    SlurmShell(retry_s=5).update_dependency(4073, "afterok:1")
    other = tmp_path / "other"
    other.mkdir()
    _flaky(other, monkeypatch, "scontrol", 1, "Invalid job id specified", "")
    with pytest.raises(SlurmError, match="Invalid job id"):
        SlurmShell(retry_s=5).update_dependency(28972, "afterok:1")
