"""The local backend: runs a plan's jobscripts as local processes, the embedded default.

Each element is the same jobscript and runtime entry point that Slurm would run; only the
launcher differs. Up to `max_workers` elements run at once, and a map's `concurrency` caps
its own elements. Dynamic elements write a sub-run that is scheduled into the same pool.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any

from hpcflow.backends.local_driver import record_driver, settle_if_abandoned, stop_run, stopped_by_signals
from hpcflow.runtime.prepass import take_cached
from hpcflow.core.batching import batch_of, batches, choose_batch
from hpcflow.core.layout import PROBE_ENTRY, local_call
from hpcflow.core.plan import JobPlan, Role
from hpcflow.core.retry import attempt_timeouts
from hpcflow.core.states import State
from hpcflow.runtime.jobscript import render_call
from hpcflow.runtime.rundir import ElementStatus, RunDir
from hpcflow.runtime.timings import recall
from hpcflow.runtime.values import mapped_element_count, workflow_outputs
from hpcflow.runtime.probe import run_site

_KILL_MARGIN_S = 30.0  # the runtime's own alarm fires first; this catches a wedged process


@dataclass
class RunResult:
    """How a run ended."""

    run_id: str
    state: State
    outputs: dict[str, Any] | None = None
    error: str = ""


@dataclass
class _Job:
    rd: RunDir
    plan: JobPlan
    label: str
    deps: list["_Job"]
    state: State = State.PENDING
    size: int = 0
    todo: list[int] = field(default_factory=list)  # array task indices to launch (elements, or batches)
    batch: int | None = None  # elements per task of a batched map
    probing: bool = False  # its task 0 times its first elements; the other tasks wait for its batch size
    probe_looked: float = 0.0  # when batch.json was last read for the probe's decision
    next_index: int = 0  # position in todo
    running: int = 0
    done: dict[int, State] = field(default_factory=dict)
    children: list["_Job"] = field(default_factory=list)  # jobs of a dynamic's sub-runs
    error: str = ""


@dataclass
class _Proc:
    job: _Job
    index: int
    popen: subprocess.Popen
    deadline: float | None


class LocalBackend:
    """Schedules the elements of a run directory onto local processes (the runtime's Backend)."""

    name = "local"

    def __init__(self, max_workers: int | None = None, poll_interval: float = 0.005):
        self.max_workers = max(1, max_workers or os.cpu_count() or 1)
        self.poll_interval = poll_interval
        self._jobs: list[_Job] = []
        self._procs: list[_Proc] = []

    @classmethod
    def for_run(cls, rd: RunDir, **options: Any) -> "LocalBackend":
        """The backend for an existing local run."""
        return cls(**options)

    # --- the Backend interface ----------------------------------------------------------------
    poll_interval_s = 0.5

    def submit(self, rd: RunDir) -> list[int]:
        """Run the run to the end here (nothing is queued anywhere); no scheduler ids."""
        self.run(rd)
        return []

    def resume(self, rd: RunDir) -> list[int]:
        """Run again what did not succeed."""
        return self.submit(rd)

    def live(self, rd: RunDir) -> None:
        """The run directory is the whole truth of a local run."""
        return None

    def usage(self, rd: RunDir, job_ids: list[int]) -> None:
        """Local processes are not accounted."""
        return None

    def history(self, rd: RunDir, job_ids: list[int]) -> None:
        """The elements' own records are all there is."""
        return None

    def cancel(self, rd: RunDir) -> None:
        """Stop the run's driver (it stops its elements), or, when it died, the elements it left running."""
        stop_run(rd)

    def settle_abandoned(self, rd: RunDir) -> str:
        """A run whose driver died (kill -9): its orphans stopped and the run recorded CANCELLED."""
        return settle_if_abandoned(rd)

    def cancel_pending(self, rd: RunDir) -> None:
        """Nothing is queued: the scheduling loop cancels what waits on a failure itself."""

    def submit_subrun(self, rd: RunDir, job: JobPlan, index: int) -> None:
        """The scheduling loop picks a dynamic's sub-run up when the element ends."""

    def element_done(self, rd: RunDir, job: JobPlan, index: int) -> None:
        """The scheduling loop sizes maps itself when their producers have finished."""

    def probed(self, rd: RunDir, job: JobPlan) -> None:
        """Local runs never lay a probe out: their maps are batched when their elements are laid out."""

    def last_requeue(self, rd: RunDir, restarts: int) -> None:
        """Local processes are never preempted."""

    def cancel_own_job(self) -> None:
        """A local element's process is no scheduler job: its record says CANCELLED, which is all there is."""

    def drop_stolen(self, rd: RunDir, job: JobPlan, indices: list[int]) -> None:
        """Local elements never steal: each is a process the scheduling loop starts when it has room."""

    def run(self, rd: RunDir) -> RunResult:
        """Run every job of `rd` to the end and record the outcome in the run directory."""
        top = self._add_run(rd, prefix="")
        record_driver(rd)
        rd.set_state(State.RUNNING)
        try:
            with stopped_by_signals(rd):
                while self._step():
                    pass
        except BaseException:
            self._kill_all()
            rd.set_state(State.CANCELLED, "interrupted")
            raise
        failed = next((j for j in self._jobs if j.state is not State.SUCCEEDED and j.error), None)
        if failed is None and all(j.state is State.SUCCEEDED for j in top):
            outputs = workflow_outputs(rd)
            rd.write_final_outputs(outputs)
            rd.set_state(State.SUCCEEDED)
            return RunResult(rd.meta.run_id, State.SUCCEEDED, outputs)
        error = failed.error if failed else "some jobs did not finish"
        rd.set_state(State.FAILED, error)
        return RunResult(rd.meta.run_id, State.FAILED, None, error)

    # --- scheduling ---------------------------------------------------------------------------
    def _add_run(self, rd: RunDir, prefix: str) -> list[_Job]:
        take_cached(rd)
        by_id: dict[str, _Job] = {}
        for plan in rd.plan.jobs:
            job = _Job(rd, plan, prefix + plan.id, [by_id[d] for d in plan.depends_on])
            by_id[plan.id] = job
            self._jobs.append(job)
        return list(by_id.values())

    def _step(self) -> bool:
        """Reap, advance job states, launch; False once nothing is left to do."""
        progressed = self._reap()
        for job in self._jobs:
            progressed |= self._advance(job)
        progressed |= self._launch()
        if not self._procs and all(j.state.finished for j in self._jobs):
            return False
        if not progressed:
            time.sleep(self.poll_interval)
        return True

    def _advance(self, job: _Job) -> bool:
        if job.state is State.PENDING:
            if job.plan.on_failure:  # a failure watch starts once what it watches has ended, in any state
                return self._start(job) if all(d.state.finished for d in job.deps) else False
            if any(d.state.finished and not d.state.ok for d in job.deps):
                bad = next(d for d in job.deps if d.state.finished and not d.state.ok)
                job.state = State.CANCELLED
                job.rd.write_job_state(job.plan.id, State.CANCELLED, f"upstream {bad.label} {bad.state.value}")
                return True
            if all(d.state.ok for d in job.deps):
                return self._start(job)
            return False
        if job.state is State.RUNNING and job.next_index >= len(job.todo) and job.running == 0:
            return self._finish(job)
        return False

    def _start(self, job: _Job) -> bool:
        try:
            size = job.rd.size(job.plan.id)
            if size is None:
                size = mapped_element_count(job.rd, job.plan)
                job.rd.write_size(job.plan.id, size)
        except Exception as exc:  # e.g. mapped lists of different lengths
            job.state, job.error = State.FAILED, f"{job.label}: {exc}"
            return True
        job.size = size
        job.done.update({i: st.state for i, st in enumerate(job.rd.statuses(job.plan.id, size))
                         if st.state.ok})  # cached, or done before a resume
        recorded = job.rd.recorded_batch(job.plan.id) if job.plan.kind == "map" else None
        if recorded:  # a resume: the records follow it (1: one element a task)
            job.batch = recorded
        elif job.plan.kind == "map":
            choice = choose_batch(job.plan, size, run_site(job.rd), recall(job.rd.meta.cache_dir, job.rd.plan, job.plan))
            job.batch, job.probing = (size, True) if choice.probe else (choice.batch, False)
            if job.batch:
                job.rd.write_batch(job.plan.id, job.batch, choice.why, probing=job.probing)
        job.todo = [0] if job.probing else sorted({batch_of(i, job.batch) for i in range(size) if i not in job.done})
        call = local_call(job.plan, size)
        probe = replace(call, role=Role.PROBE, script=f"jobs/{job.plan.id}/probe.sh", entry=PROBE_ENTRY)
        job.rd.write_scripts({c.script: render_call(c, job.plan, run_id=job.rd.meta.run_id, run_dir=job.rd.path,
                                                    python=sys.executable)
                              for c in ([call, probe] if job.probing else [call])})
        job.state = State.RUNNING
        return True

    def _finish(self, job: _Job) -> bool:
        if job.children:
            if not all(c.state.finished for c in job.children):
                return False
            bad = next((c for c in job.children if not c.state.ok), None)
            job.state = State.SUCCEEDED if bad is None else State.FAILED
            if bad is not None:
                job.error = bad.error or f"{bad.label} {bad.state.value}"
            return True
        ok = sum(s.ok for s in job.done.values())
        first_bad = next((i for i in sorted(job.done) if not job.done[i].ok), None)
        needed = job.plan.min_success_ratio if job.plan.kind == "map" else 1.0
        if job.size == 0 or ok / job.size >= needed:
            if job.plan.kind == "dynamic":
                return self._expand(job)
            job.state = State.SUCCEEDED
        else:
            job.state = job.done[first_bad] if first_bad is not None else State.FAILED
            status = job.rd.status(job.plan.id, first_bad) if first_bad is not None else ElementStatus()
            hint = f"; see: hpcflow logs {job.rd.meta.run_id} {job.label}[{first_bad}]"
            job.error = (f"{job.label}[{first_bad}] ({job.plan.name}) {status.state.value}: {status.error}{hint}"
                         if job.plan.kind != "map" or needed >= 1.0 else
                         f"{job.label} ({job.plan.name}): {ok} of {job.size} elements succeeded, below "
                         f"min_success_ratio={needed}; first failure [{first_bad}]: {status.error}{hint}")
        return True

    def _expand(self, job: _Job) -> bool:
        for i in range(job.size):
            path = job.rd.sub_path(job.plan.id, i)
            if (path / "plan.json").exists():  # a failure watch that found nothing failed has no sub-run
                job.children.extend(self._add_run(RunDir(path), prefix=f"{job.label}[{i}]/"))
        if not job.children:  # the dynamic returned without calling any task
            job.state = State.SUCCEEDED
        return True

    def _launch(self) -> bool:
        launched = False
        for job in self._jobs:
            if len(self._procs) >= self.max_workers:
                break
            if job.state is not State.RUNNING:
                continue
            if job.probing and time.monotonic() - job.probe_looked >= _PROBE_LOOK_S:
                self._probed(job)
            limit = job.plan.concurrency or job.size
            while job.next_index < len(job.todo) and job.running < limit and len(self._procs) < self.max_workers:
                self._spawn(job, job.todo[job.next_index])
                job.next_index += 1
                launched = True
        return launched

    def _probed(self, job: _Job) -> None:
        """Once a map's probe has decided its batch size: queue the other array tasks with work left."""
        job.probe_looked = time.monotonic()
        batching = job.rd.batching(job.plan.id)
        if batching.get("probing"):
            return
        job.probing, job.batch = False, batching.get("batch_size") or 1
        job.todo += [t for t in range(1, batches(job.size, job.batch))
                     if any(i not in job.done for i in range(t * job.batch, min(job.size, (t + 1) * job.batch)))]

    def _spawn(self, job: _Job, index: int) -> None:
        rd = job.rd
        log = open(rd.log_path(job.plan.id, index), "ab")
        env = {**os.environ, "HPCFLOW_ELEMENT_INDEX": str(index), "HPCFLOW_BACKEND": "local"}
        try:
            script = rd.path / f"jobs/{job.plan.id}/probe.sh" if job.probing and index == 0 else rd.jobscript_path(job.plan.id)
            popen = subprocess.Popen(["bash", str(script)], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        finally:
            log.close()
        budget = sum(attempt_timeouts(job.plan.timeout_s, job.plan.retries))
        deadline = time.time() + budget * (job.batch or 1) + _KILL_MARGIN_S if budget else None
        self._procs.append(_Proc(job, index, popen, deadline))
        job.running += 1

    def _reap(self) -> bool:
        reaped = False
        now = time.time()
        for proc in list(self._procs):
            if proc.popen.poll() is None:
                if proc.deadline is None or now < proc.deadline:
                    continue
                _kill_group(proc.popen)
                proc.popen.wait()
            self._procs.remove(proc)
            reaped = True
            job, task = proc.job, proc.index
            job.running -= 1
            if job.probing:  # the probe ended: what it decided, if it did
                self._probed(job)
            elements = range(task * job.batch, min(job.size, (task + 1) * job.batch)) if job.batch else [task]
            with job.rd.records.deferring():  # the task's process has ended: this loop is its one writer now
                for index, status in zip(elements, job.rd.statuses_of(job.plan.id, elements)):
                    if job.probing and status.state is State.PENDING:  # never started: its probe died undecided
                        status.state = State.CANCELLED
                        status.error = (f"not run: the map's first array task ended (exit status "
                                        f"{proc.popen.returncode}) before it chose the batch size")
                        job.rd.write_status(job.plan.id, index, status)
                    elif not status.state.finished:  # the process died before it could record anything
                        timed_out = proc.deadline is not None and now >= proc.deadline
                        status.state = State.TIMEOUT if timed_out else State.FAILED
                        status.error = status.error or f"process ended with exit status {proc.popen.returncode}"
                        status.finished = now
                        job.rd.write_status(job.plan.id, index, status)
                    job.done[index] = status.state
        return reaped

    def _kill_all(self) -> None:
        for proc in self._procs:
            _kill_group(proc.popen)
        for proc in self._procs:
            proc.popen.wait()
            job = proc.job
            elements = range(proc.index * job.batch, min(job.size, (proc.index + 1) * job.batch)) \
                if job.batch else [proc.index]
            with job.rd.records.deferring():
                for index, status in zip(elements, job.rd.statuses_of(job.plan.id, elements)):
                    if not status.state.finished:
                        job.rd.write_status(job.plan.id, index, ElementStatus(State.CANCELLED, error="interrupted"))
        self._procs.clear()


_PROBE_LOOK_S = 0.05  # the scheduling loop turns every few ms: read a probe's batch.json at most this often


def _kill_group(popen: subprocess.Popen) -> None:
    try:
        os.killpg(popen.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
