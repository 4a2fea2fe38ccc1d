"""Slurm job states translated to hpcflow's one State enum."""
from __future__ import annotations

import sys

from hpcflow.core.states import State

SLURM_TO_STATE: dict[str, State] = {
    "PENDING": State.PENDING, "REQUEUED": State.PENDING, "REQUEUE_FED": State.PENDING,
    "REQUEUE_HOLD": State.PENDING, "RESV_DEL_HOLD": State.PENDING, "CONFIGURING": State.PENDING,
    "RESIZING": State.PENDING,
    "PREEMPTED": State.PREEMPTED,
    "RUNNING": State.RUNNING, "COMPLETING": State.RUNNING, "SUSPENDED": State.RUNNING,
    "STAGE_OUT": State.RUNNING, "SIGNALING": State.RUNNING,
    "COMPLETED": State.SUCCEEDED,
    "FAILED": State.FAILED, "NODE_FAIL": State.FAILED, "BOOT_FAIL": State.FAILED,
    "OUT_OF_MEMORY": State.FAILED, "SPECIAL_EXIT": State.FAILED,
    "TIMEOUT": State.TIMEOUT, "DEADLINE": State.TIMEOUT,
    "CANCELLED": State.CANCELLED, "REVOKED": State.CANCELLED,
}
_warned: set[str] = set()


def translate(slurm_state: str) -> State:
    """The State for a Slurm state string such as 'CANCELLED by 0' or 'OUT_OF_MEMORY'.

    A word this table does not know (a newer Slurm's) is UNKNOWN, with one warning per word.
    """
    word = slurm_state.split()[0].rstrip("+") if slurm_state else "PENDING"
    state = SLURM_TO_STATE.get(word)
    if state is None:
        if word not in _warned:
            _warned.add(word)
            print(f"hpcflow: warning: Slurm state {word!r} is not known to hpcflow; shown as UNKNOWN", file=sys.stderr)
        return State.UNKNOWN
    return state
