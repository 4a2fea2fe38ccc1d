"""Why Slurm holds a job, read from the squeue line the monitor asks for anyway (the cluster's word on a held job:
tests/slurm/test_monitoring.py)."""
from hpcflow.backends.slurm.monitor import _parse, pending_reasons
from hpcflow.core.states import State


def test_reasons_of_pending_jobs_come_from_the_same_squeue_listing():
    listing = "\n".join(["12_[3-9%2]|PENDING|QOSMaxJobsPerUserLimit", "12_1|RUNNING|None", "13|PENDING|Dependency",
                         "14|PENDING|None", "15_0|PENDING|Priority", "15_1|PENDING|Resources"])
    assert pending_reasons(listing) == {12: "QOSMaxJobsPerUserLimit", 13: "Dependency", 15: "Priority"}
    states = _parse(listing)
    assert states[(12, 5)] is State.PENDING and states[(12, 1)] is State.RUNNING and states[(13, None)] is State.PENDING
