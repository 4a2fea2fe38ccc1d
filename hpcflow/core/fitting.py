"""Fitting a run under the cap on queued jobs (a QoS's or association's MaxSubmitJobsPerUser,
in which every array task counts as one job). Pure.

A layout that needs more queued jobs than the headroom is laid out again with maps batched
(more elements per array task) until it fits: the fewest elements per task that fit, the same
rule for every map, so element-wise (aftercorr) chains stay paired. Maps given an explicit
`batch_size` keep it; if batching cannot make the run fit, its maps are *windowed*: each has
at most W array tasks queued at a time, and the last of a window's tasks to finish submits the
next (backends/slurm/windows.py), so no process waits. W leaves room for that last task, still
running while it submits. What cannot fit even so (more nodes than the cap) is an error that
names the cap and what to change, before anything is submitted.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

from hpcflow.core.plan import Role, SbatchCall
from hpcflow.errors import HpcflowError
from hpcflow.site.config import SiteConfig


class OverSubmitLimit(HpcflowError):
    """A run needs more queued jobs than the cluster lets this user have."""


def queued_jobs(calls: tuple[SbatchCall, ...]) -> int:
    """How many jobs the calls put in the queue: every array task counts, as Slurm counts them."""
    return sum((len(c.indices) if c.indices is not None else c.count) if c.role is Role.ARRAY else 1 for c in calls)


def fit_under(lay_out: Callable[..., tuple[SbatchCall, ...]], site: SiteConfig,
              headroom: int | None, why: str) -> tuple[tuple[SbatchCall, ...], SiteConfig]:
    """The calls of `lay_out(site)`, or of `lay_out(site with a lower max_fanout)`, or of
    `lay_out(site, window=W)`, whichever first needs at most `headroom` queued jobs; and the
    site they were laid out with. `why` names the cap."""
    calls = lay_out(site)
    if headroom is None or queued_jobs(calls) <= headroom:
        return calls, site
    lo, hi, best = 1, site.max_fanout, None  # the largest fanout that fits: the least batching
    while lo <= hi:
        fanout = (lo + hi) // 2
        trial = dataclasses.replace(site, max_fanout=fanout)
        try:
            trial_calls = lay_out(trial)
        except HpcflowError:  # e.g. batched tasks that no partition's MaxTime holds
            hi = fanout - 1
            continue
        if queued_jobs(trial_calls) <= headroom:
            best, lo = (trial_calls, trial), fanout + 1
        else:
            hi = fanout - 1
    if best is not None:
        return best
    windowed = lay_out(site, window=1)
    maps = len({c.job for c in windowed if c.window})
    fixed = queued_jobs(windowed) - maps  # every job but the windows' tasks
    window = (headroom - fixed) // maps - 1 if maps else 0  # -1: room for a window's last task, still running
    if window < 1:
        raise OverSubmitLimit(
            f"the run needs {queued_jobs(calls)} queued jobs (every array task counts) but {why}; even with "
            f"its {maps} map(s) windowed, its other {fixed} job(s) leave no room: submit it when fewer of your "
            "jobs are queued, or use a QoS with a higher cap")
    return lay_out(site, window=window), site
