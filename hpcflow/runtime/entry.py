"""The one entry point that runs every element of every job, under Slurm or locally.

    python -m hpcflow.runtime.entry RUN_DIR JOB_ID INDEX

It reads its inputs from the run directory, runs the function (with retries and the task's
timeout), and records its status, timing and outputs in its array task's records
(runtime/records.py), published atomically. A failure exits non-zero and leaves its
traceback there too (`hpcflow logs` prints it).

Every element of a map starts a Python here, so this module imports only what a plain element runs;
what only some elements need (the cache, the backend, a dynamic's compiler, a failure handler's
lookup) is imported where it is used. tests/test_element_imports.py keeps it so.
"""
from __future__ import annotations

import gc

if __name__ == "__main__":  # an element's process (python -m): not a process that imports this module
    # its imports allocate some 10^5 objects and free almost none, so the collector's passes over them
    # meanwhile are wasted (~5 ms of each element); main() turns it back on before any user code runs
    gc.disable()

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpcflow.core.plan import STEAL_VARIABLE
from hpcflow.runtime.cached import run_cached
from hpcflow.core.states import State
from hpcflow.errors import ElementTimeout
from hpcflow.core.retry import attempt_timeouts, is_recoverable
from hpcflow.sdk.context import CURRENT, ExecutionId, ExecutionParameters
from hpcflow.sdk.trace import TraceLog, tracing
from hpcflow.runtime.call import call_function
from hpcflow.runtime.prepared import prepared, prepared_already, process_facts
from hpcflow.runtime.rundir import ElementStatus, RunDir
from hpcflow.runtime.values import FORWARD, UpstreamFailed, element_inputs
from hpcflow.store.codec import encode

if TYPE_CHECKING:
    from hpcflow.core.plan import JobPlan
    from hpcflow.runtime.backend import Backend
    from hpcflow.types.error.error import FlyteError


def main(argv: list[str] | None = None) -> int:
    """Run one element (or, for a batched map, one batch of elements); exit status 0 on success."""
    if not gc.isenabled():  # turned off for this process's imports (above)
        gc.freeze()  # what they made lives as long as the process: no collection need look at it again
        gc.enable()
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 5 and args[0] == "--refuse":  # the jobscript found the element cannot run here
        return refuse(RunDir(args[2]), args[3], int(args[4]), args[1])
    if len(args) != 3:
        print("usage: python -m hpcflow.runtime.entry RUN_DIR JOB_ID INDEX", file=sys.stderr)
        return 2
    rd, job_id, index = RunDir(args[0]), args[1], int(args[2])
    batch = rd.batch_size(job_id)
    if batch:
        from hpcflow.runtime.batch import run_batch

        return 0 if run_batch(rd, job_id, index, batch) else 1
    rd.unbatched_for_good(job_id)  # (each record written asks which task holds it: batch.json is read once)
    steal_s = steal_budget(os.environ.get(STEAL_VARIABLE))  # its map's tasks may steal (runtime/stealing.py)
    if steal_s:
        from hpcflow.runtime.stealing import run_or_steal

        return run_or_steal(rd, job_id, index, steal_s)
    rd.own_task(job_id, index, one_element=True)  # this process is the one writer of its task's records
    try:  # element 0 of an unbatched map keeps what its call cost, so the map's next run may batch it
        state = run_element(rd, job_id, index, timed=index == 0)
    finally:
        rd.release_task(job_id, index)
    return exit_status(rd, state)


def steal_budget(text: str | None) -> float:
    """The seconds this array task may spend on other tasks' elements, from its jobscript's export (0: none).
    A value that is not a number of seconds is ignored, with a one-line warning: the element runs alone."""
    if not text:
        return 0.0
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if 0 <= seconds < float("inf"):
        return seconds
    print(f"hpcflow: ignoring {STEAL_VARIABLE}={text!r}: not a number of seconds; unset it in the "
          "shell you submit from", file=sys.stderr)
    return 0.0


def exit_status(rd: RunDir, state: State) -> int:
    """What an array task that ran one element exits with, once its records are published: 0 when the
    element ended well. One that found an upstream element failed ran nothing: its scheduler job ends
    cancelled, as the scheduler would have cancelled it had it waited for its upstream's success (afterok),
    rather than failed (what waits on a map whose tasks steal waits afterany: runtime/stealing.py)."""
    if state is State.CANCELLED:
        _backend(rd).cancel_own_job()
    return 0 if state.ok else 1


def refuse(rd: RunDir, job_id: str, index: int, reason: str) -> int:
    """Record the elements of array task `index` FAILED for `reason` without running them (for example:
    the Python of the task's environment cannot import hpcflow)."""
    batch = rd.batch_size(job_id)
    mine = range(index * batch, min(rd.size(job_id) or 0, (index + 1) * batch)) if batch else [index]
    with rd.records.deferring():  # one write of the task's records
        for i in mine:
            rd.write_status(job_id, i, ElementStatus(state=State.FAILED, error=reason, host=os.uname().nodename,
                                                    started=time.time(), finished=time.time()))
    print(f"hpcflow: {reason}", file=sys.stderr)
    return 1


def run_element(rd: RunDir, job_id: str, index: int, notify: bool = True, timed: bool = False,
                ran_in: int | None = None) -> State:
    """Run element `index` of a job and record its status; its final state. `notify` False: the caller
    tells the backend when the elements it runs have ended (a batch does once, after its last: tell_ended).
    `timed`: when the job is a map that may be batched by its work, remember what the function's call cost
    (runtime/timings.py), so that its next run can size its batches (core/batching.py). `ran_in`: the array
    task that runs it, when not its own (runtime/stealing.py)."""
    previous = rd.status(job_id, index)  # an earlier attempt's record, when Slurm resubmitted or requeued it
    facts = process_facts()
    status = ElementStatus(state=State.RUNNING, started=time.time(), host=facts.host, pid=os.getpid(),
                           attempts=previous.attempts, trace_executed=previous.trace_executed,
                           trace_replayed=previous.trace_replayed, restarts=facts.restarts,
                           environment=facts.environment, ran_in=ran_in)
    prep = None
    try:
        prep = prepared(rd, job_id)  # the module, the plan, the function...: once per job in this process
        job = prep.job
        # published at once where a kill must find that the attempt started (the recover step and the
        # sentinel count attempts from it), and for an element run by another task than its own (which
        # tells a lost attempt from one never started by it: runtime/stealing.py); else with the task's next
        # publication of its records: under Slurm, for an element alone in its task, at its end, start and end
        # in one write (RunDir.own_task), while Slurm says that it runs (runs.element_now, summary.look_at_task)
        rd.write_status(job_id, index, status, urgent=prep.urgent_start)
        if ran_in is not None and not prep.urgent_start:
            rd.records.flush()
        if job.interruptible and not prep.requeue_checked:  # about the Slurm job, not the element: once
            _backend(rd).last_requeue(rd, status.restarts)
            prep.requeue_checked = True
        entity = prep.entity
        inputs = element_inputs(rd, job, index)
        failure = _first_failure(rd, job) if job.on_failure else None
        if job.on_failure and failure is None:  # the workflow succeeded: its on_failure handler is not needed
            status.state = State.SUCCEEDED
        elif job.kind == "dynamic":
            _expand_dynamic(rd, job, index, entity, _with_error(inputs, failure) if failure else inputs)
            _backend(rd).submit_subrun(rd, job, index)
            status.expanded = True
            status.state = State.SUCCEEDED
        else:
            called = [0.0]  # seconds the user's call took (its attempts), not this process's start

            def compute() -> dict[str, Any]:
                began = time.perf_counter()
                outputs = _run_with_retries(entity, inputs, rd, job, index, status, prep.job_dir / str(index))
                called[0] = prep.last_call_s = time.perf_counter() - began
                blobs = rd.blobs
                blobs.packing(rd.pack_for(job_id, index))  # arrays into the task's HDF5 file, if it has one
                try:
                    return {k: encode(v, blobs) for k, v in outputs.items()}
                finally:
                    blobs.packing(None)

            encoded, cached = run_cached(rd, job, index, entity, inputs, compute, prep.cache)
            rd.write_outputs(job_id, index, encoded)
            status.state = State.CACHED if cached else State.SUCCEEDED
            if timed and called[0]:
                _remember_cost(rd, job, called[0])
    except ElementTimeout as exc:
        status.state, status.error = State.TIMEOUT, f"timed out after {exc.args[0] if exc.args else 0:g} s"
    except UpstreamFailed as exc:  # nothing of this element ran: it is cancelled, not failed
        status.state, status.error = State.CANCELLED, str(exc)
    except BaseException as exc:  # noqa: BLE001 - every failure must be recorded
        import traceback

        status.state, status.error = State.FAILED, f"{type(exc).__name__}: {exc}"
        rd.write_error(job_id, index, traceback.format_exc())
        traceback.print_exc()
    status.finished = time.time()
    rd.write_status(job_id, index, status)
    if notify and prep is not None:
        tell_ended(rd, job_id, index, status)
    return status.state


def tell_ended(rd: RunDir, job_id: str, index: int, status: ElementStatus | None = None) -> bool:
    """After element `index` (the last of those this process ran) has ended: tell the backend, when what
    comes next waits on it: the last of the producers' elements submits the map they size, the last of a
    window the next window, before it exits. When that fails, the element is recorded FAILED, where it
    shows, and this is False."""
    prep = prepared_already(rd, job_id)
    if prep is None or not prep.notifies:  # (None: its job could not even be loaded, and nothing waits on it)
        return True
    rd.records.flush()  # what decides below reads this element's record from the files
    try:
        _backend(rd).element_done(rd, prep.job, index)
    except Exception as exc:  # noqa: BLE001 - the map would never run: fail where it shows
        status = status or rd.status(job_id, index)
        status.state, status.error = State.FAILED, f"could not submit the map it feeds: {type(exc).__name__}: {exc}"
        rd.write_status(job_id, index, status)
        return False
    return True


def _backend(rd: RunDir) -> Backend:
    from hpcflow.runtime.backend import backend_of  # the backends' modules: only for elements that submit

    return backend_of(rd)


def _remember_cost(rd: RunDir, job: JobPlan, seconds: float) -> None:
    """Keep what one element of a map cost, when the map may be batched by it: one small file write.
    (Imported here: the other elements of a map never load hashlib and the timings.)"""
    from hpcflow.core.batching import work_sizable

    if work_sizable(job):  # (a map: a plain task's element never loads the timings)
        from hpcflow.runtime.timings import remember

        remember(rd.meta.cache_dir, rd.plan, job, seconds, 1)


def _first_failure(rd: RunDir, job: JobPlan) -> FlyteError | None:
    from hpcflow.runtime.failure import first_failure  # an on_failure watch's element only

    return first_failure(rd, job)


def _with_error(inputs: dict[str, Any], failure: FlyteError) -> dict[str, Any]:
    from hpcflow.sdk.failure import ERR

    return {**inputs, ERR: failure}


def _run_with_retries(task: Any, inputs: dict[str, Any], rd: RunDir, job: JobPlan, index: int,
                      status: ElementStatus, folder: Path) -> dict[str, Any]:
    """`folder`: the element's (rd.element_dir), a path only: made when a traced call or the task puts something there."""
    where = f"{job.name} ({job.id})"
    log = TraceLog(folder / "trace", rd.blobs)
    carried = (status.trace_executed, status.trace_replayed)
    # current_context(): the element's folder holds its working directory and checkpoint, so a
    # checkpoint outlives a retry, a requeue and a resubmission of the element
    token = CURRENT.set(ExecutionParameters(ExecutionId(rd.meta.run_id), folder=folder))
    try:
        return _attempts(task, inputs, rd, job, index, status, log, where)
    finally:
        CURRENT.reset(token)
        status.trace_executed, status.trace_replayed = carried[0] + log.executed, carried[1] + log.replayed


def _attempts(task: Any, inputs: dict[str, Any], rd: RunDir, job: JobPlan, index: int, status: ElementStatus,
              log: TraceLog, where: str) -> dict[str, Any]:
    limits = attempt_timeouts(job.timeout_s, job.retries)
    while True:
        status.attempts += 1  # counts across resubmissions too: the status file carries it over
        log.seq = 0  # each attempt replays the calls the earlier ones finished
        limit = limits[min(status.attempts, len(limits)) - 1] if limits else None  # grows after a timeout
        try:
            with _time_limit(limit), tracing(log):
                return call_function(task, inputs, rd, job, index, where)
        except (Exception, ElementTimeout) as exc:
            if status.attempts > job.retries or not is_recoverable(exc):
                raise
            rd.write_status(job.id, index, status, urgent=True)  # a kill in the next attempt must count this one
            print(f"hpcflow: attempt {status.attempts} of {job.retries + 1} failed with a recoverable "
                  f"{type(exc).__name__}: {exc}; retrying", file=sys.stderr, flush=True)


class _time_limit:
    """Raise ElementTimeout in the main thread after `seconds` (no-op when None)."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds

    def __enter__(self) -> None:
        if self.seconds:
            import threading  # only for an element with a timeout

            if threading.current_thread() is not threading.main_thread():
                self.seconds = None  # a warm worker's thread: signals only reach the main thread
        if self.seconds:
            import signal

            signal.signal(signal.SIGALRM, self._expire)
            signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc: Any) -> None:
        if self.seconds:
            import signal

            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)

    def _expire(self, signum: int, frame: Any) -> None:
        raise ElementTimeout(self.seconds)


def _expand_dynamic(rd: RunDir, job: JobPlan, index: int, dynamic: Any, inputs: dict[str, Any]) -> None:
    """Trace the dynamic on concrete inputs and write its sub-workflow as a nested run."""
    import shutil

    from hpcflow.core.compile import compile_plan

    from hpcflow.sdk.waves import ELEMENT_ERROR

    def failed(node: str, i: int) -> str | None:  # an @eager wave's child, for its continuation
        status = rd.status(node, i)
        return None if status.state.ok else (status.error or status.state.value)

    token = ELEMENT_ERROR.set(failed)
    try:
        graph = dynamic.trace(inputs)
    finally:
        ELEMENT_ERROR.reset(token)
    plan = compile_plan(graph, {})  # the backend lays it out for its site when it submits it
    sub = rd.sub_path(job.id, index)
    if sub.exists():  # a retried element replaces what an earlier attempt wrote
        shutil.rmtree(sub)
    rd.create_sub(job.id, index, plan)
    rd.write_outputs(job.id, index, {FORWARD: True})


if __name__ == "__main__":
    sys.exit(main())
