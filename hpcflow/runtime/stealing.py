"""Work stealing in a small map's first run: an array task whose element was trivial runs the elements
of array tasks that have not started yet, so the map costs a few interpreter starts, not one per element.

A small map whose elements' cost is not known yet runs one element per array task (core/batching.py:
a probe would cost its other elements their place in the queue). When the elements turn out trivial,
the cluster would spend nearly all of that map starting Pythons. So each array task of such a map
(its jobscript exports core/plan.py's STEAL_VARIABLE: the seconds it may spend on others' elements,
the site's task_start) runs its own element, and, if that call took under half the budget, claims
elements of the map from the top down (Slurm starts an array's tasks from the bottom up) and runs them
in its warm process while what it has spent on them stays within one task start: the map then ends no
later than if those elements' own tasks had started and run them. Then it has the backend cancel the
tasks of the elements it ran well (Backend.drop_stolen), so that Slurm never starts them.

Claims are files, created with O_EXCL, one per element, in the job's claims/ folder: an element's own
task claims it before running it too, so every element runs in exactly one place. Whoever holds the
claim is the one writer of the element's task records (runtime/records.py), as the task itself is
otherwise. An element that ended well gets a `<index>.done` marker, which its own task's jobscript
checks before anything else and exits 0 on: a task that starts before it is cancelled costs Slurm's
start, as `true` would.

What waits on such a map waits for its array's end in any state (afterany, core/layout.py), since the
tasks of stolen elements end cancelled, and finds out from the elements' records whether they
succeeded (runtime/values.py). The array still ends only once every element has, because a task whose
element another runs is never cancelled before that element ended well:
- its element done: the jobscript exits 0 at once; it failed: the task reads that and exits 1;
- its element still running in the task that stole it: the task waits for its record; while the
  thief runs an element it touches the claim every BEAT_S, and a claim untouched for STALE_S (the
  thief was killed, its node lost) is taken back: the element failed, as one killed in its own task
  does (a map whose tasks steal has no retries), or, if it never started there, the task runs it.
A thief exits with its own element's outcome (its jobscript's word, when it is killed after that
element ended well); each stolen element's shows in its own task's record, and Slurm's.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

from hpcflow.core.states import State
from hpcflow.runtime.entry import exit_status, run_element, tell_ended
from hpcflow.runtime.prepared import prepared_already
from hpcflow.runtime.rundir import ElementStatus, RunDir

BEAT_S = 1.0  # a thief touches the claim of the element it runs this often...
STALE_S = 15.0  # ... so a claim untouched this long (by the waiting task's own clock) has lost its holder
_POLL_S = (0.02, 1.0)  # a waiting task reads its element's record this often, the wait growing from the first


class Claims:
    """The claim files of one job's elements: who runs each (one file each, created once)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.me = f"{os.environ.get('SLURM_JOB_ID', '')} {os.uname().nodename} {os.getpid()}"

    def take(self, index: int) -> bool:
        """Claim element `index` for this process; False when another holds it."""
        path = self.folder / str(index)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileNotFoundError:
            self.folder.mkdir(parents=True, exist_ok=True)
            return self.take(index)
        except FileExistsError:
            return False
        try:
            os.write(fd, self.me.encode())
        finally:
            os.close(fd)
        return True

    def holder(self, index: int) -> str:
        """Who claimed element `index` ('' when nobody has, or the claim is being written)."""
        try:
            return (self.folder / str(index)).read_text()
        except FileNotFoundError:
            return ""

    def mine(self, index: int) -> bool:
        """True when this Slurm job holds the claim: this very array task, requeued or run again by its recover step."""
        job = os.environ.get("SLURM_JOB_ID")
        return bool(job) and self.holder(index).split(" ")[0] == job

    def take_back(self, index: int) -> None:
        """Make this process the holder of element `index`'s claim, whose holder is gone."""
        path = self.folder / str(index)
        spare = path.with_name(f"{index}.{os.getpid()}.tmp")
        spare.write_text(self.me)
        os.replace(spare, path)

    def touched(self, index: int) -> int:
        """When the claim was last touched (ns, the filesystem's clock: only compared with itself); opened,
        not only stat'ed, so that an NFS client asks its server rather than its attribute cache."""
        fd = os.open(self.folder / str(index), os.O_RDONLY)
        try:
            return os.fstat(fd).st_mtime_ns
        finally:
            os.close(fd)

    def mark_done(self, index: int) -> None:
        """Say that element `index` ended well where its own task's jobscript looks first."""
        os.close(os.open(self.folder / f"{index}.done", os.O_WRONLY | os.O_CREAT, 0o644))


class _Heartbeat(threading.Thread):
    """Touches the claim of the element this process is running for another task, every BEAT_S."""

    def __init__(self, claims: Claims):
        super().__init__(daemon=True, name="hpcflow-claims")
        self.claims, self.index, self.stop = claims, None, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(BEAT_S):
            index = self.index
            if index is not None:
                try:
                    os.utime(self.claims.folder / str(index))
                except OSError:
                    pass  # its claim was taken back: nothing to keep alive


def run_or_steal(rd: RunDir, job_id: str, index: int, budget_s: float) -> int:
    """Array task `index` of a map whose tasks may steal: its own element (or what became of it where
    another task runs it), then others' while they are trivial; the exit status of its own element."""
    claims = Claims(rd.job_dir(job_id) / "claims")
    if not claims.take(index) and not claims.mine(index):
        state = wait_for_thief(rd, job_id, index, claims)
        if state is not None:
            return 0 if state.ok else 1
    rd.own_task(job_id, index, one_element=True)
    try:
        state = run_element(rd, job_id, index, timed=index == 0)
    finally:
        rd.release_task(job_id, index)
    if not state.ok:
        return exit_status(rd, state)
    claims.mark_done(index)  # (this task run again, requeued after a node failure, ends at once)
    prep = prepared_already(rd, job_id)
    if prep is not None and 0 < prep.last_call_s <= budget_s / 2:
        steal(rd, job_id, index, claims, budget_s)
    return 0


def steal(rd: RunDir, job_id: str, own: int, claims: Claims, budget_s: float) -> None:
    """Claim and run the map's unclaimed elements from the top down while their time stays within `budget_s`."""
    beat = _Heartbeat(claims)
    beat.start()
    spent, last, ran, done = 0.0, 0.0, None, []
    try:
        for index in range((rd.size(job_id) or 0) - 1, -1, -1):
            if spent + last > budget_s:
                break
            if index == own or not claims.take(index):
                continue
            print(f"hpcflow: element {index}, taken over from its own array task", file=sys.stderr, flush=True)
            began = time.perf_counter()
            beat.index = index
            rd.own_task(job_id, index, one_element=True)
            try:
                # element 0 keeps what its call cost wherever it runs, for the map's next run to batch by
                state = run_element(rd, job_id, index, notify=False, timed=index == 0, ran_in=own)
            finally:
                rd.release_task(job_id, index)
                beat.index = None
            last = time.perf_counter() - began
            spent += last
            ran = index
            if not state.ok:
                break  # its own task reports it; a failing map is not run here on its own tasks' behalf
            claims.mark_done(index)
            done.append(index)
    finally:
        beat.stop.set()
    if done:
        _drop(rd, job_id, done)
    if ran is not None:
        tell_ended(rd, job_id, ran)  # what waits on the map's end hears of what ran here


def _drop(rd: RunDir, job_id: str, indices: list[int]) -> None:
    """Have the scheduler not start the tasks of the elements stolen (those it does start exit at once)."""
    from hpcflow.runtime.backend import backend_of

    try:
        backend_of(rd).drop_stolen(rd, rd.plan.job(job_id), indices)
    except Exception as exc:  # noqa: BLE001 - they start, find their element done and exit: slower, not wrong
        print(f"hpcflow: could not cancel the tasks of the elements run here: {exc}", file=sys.stderr)


def wait_for_thief(rd: RunDir, job_id: str, index: int, claims: Claims) -> State | None:
    """Wait for element `index`, which another task claimed, to end; its final state. When its claim goes
    untouched for STALE_S while it has not ended (its holder is gone), the claim is this task's again
    (`_take_back`): the element failed, or None when it never started there and this task runs it."""
    poll, seen, since = _POLL_S[0], None, time.monotonic()
    while True:
        status = rd.status(job_id, index)  # (re-read while it has not ended well)
        if status.state.finished:
            if not status.state.ok:
                print(f"hpcflow: element {index} ran in array task {status.ran_in} (taken over): "
                      f"{status.state.value}: {status.error}", file=sys.stderr)
            return status.state
        touched = claims.touched(index)
        if touched != seen:
            seen, since = touched, time.monotonic()
        elif time.monotonic() - since > STALE_S:
            return _take_back(rd, job_id, index, claims, status)
        time.sleep(poll)
        poll = min(_POLL_S[1], poll * 2)


def _take_back(rd: RunDir, job_id: str, index: int, claims: Claims, status: ElementStatus) -> State | None:
    """Element `index`'s claim, whose holder stopped touching it before the element ended, is this task's
    again. If the element had started there, that attempt was lost with its process, as an element killed in
    its own task is: it counts, and a map that steals has no retries (core/batching.py), so the element
    failed (its final state). Else it never started: None, and this task runs it."""
    holder = claims.holder(index) or "another task"
    claims.take_back(index)
    if status.started is None:
        print(f"hpcflow: element {index}, claimed by {holder}, never started there; running it here",
              file=sys.stderr, flush=True)
        return None
    status.state, status.attempts = State.FAILED, status.attempts + 1
    job, host, pid = (holder.split(" ") + ["?", "?", "?"])[:3]
    status.error = (f"lost in attempt {status.attempts} with the process that ran it in another array task (Slurm "
                    f"job {job or '?'}, host {host}, pid {pid}): killed, or its node failed; no retries left (retries=0)")
    status.finished = time.time()
    rd.write_status(job_id, index, status)  # (its one writer now: the claim is this task's)
    print(f"hpcflow: element {index}: {status.error}", file=sys.stderr, flush=True)
    return State.FAILED
