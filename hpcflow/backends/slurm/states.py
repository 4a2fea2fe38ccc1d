"""Slurm job states translated to hpcflow's one State enum."""
from __future__ import annotations

from hpcflow.core.states import State

SLURM_TO_STATE: dict[str, State] = {
    "PENDING": State.PENDING, "REQUEUED": State.PENDING, "REQUEUE_FED": State.PENDING,
    "REQUEUE_HOLD": State.PENDING, "RESV_DEL_HOLD": State.PENDING, "CONFIGURING": State.PENDING,
    "RESIZING": State.PENDING, "PREEMPTED": State.PENDING,  # requeued after preemption
    "RUNNING": State.RUNNING, "COMPLETING": State.RUNNING, "SUSPENDED": State.RUNNING,
    "STAGE_OUT": State.RUNNING, "SIGNALING": State.RUNNING,
    "COMPLETED": State.SUCCEEDED,
    "FAILED": State.FAILED, "NODE_FAIL": State.FAILED, "BOOT_FAIL": State.FAILED,
    "OUT_OF_MEMORY": State.FAILED, "SPECIAL_EXIT": State.FAILED,
    "TIMEOUT": State.TIMEOUT, "DEADLINE": State.TIMEOUT,
    "CANCELLED": State.CANCELLED, "REVOKED": State.CANCELLED,
}


def translate(slurm_state: str) -> State:
    """The State for a Slurm state string such as 'CANCELLED by 0' or 'OUT_OF_MEMORY'."""
    word = slurm_state.split()[0].rstrip("+") if slurm_state else "PENDING"
    return SLURM_TO_STATE.get(word, State.PENDING)
