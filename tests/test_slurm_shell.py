"""The shell-call layer. A real cluster cannot time out or reply garbage on demand, so these two
cases use a stand-in `sbatch` script on PATH (the only mocked Slurm in the suite)."""
from __future__ import annotations

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
