"""The probe of a large map whose elements' cost is not known yet: array task 0, submitted alone.

    python -m hpcflow.runtime.probe RUN_DIR JOB_ID 0

It runs the map's first elements one after another while a second thread watches the clock.
Once an element has ended and a task's start-up time has passed (or, for slow elements, once
ten start-ups have), it decides the batch size from the elements' times (core/batching.py:
each array task runs at least ten times its start-up), records it and why (batch.json, which
`hpcflow status` shows), remembers the time per element for the next run of the task
(runtime/timings.py), and has the backend submit the other array tasks. Meanwhile, and after,
it goes on with its own elements up to the batch size. Nothing is wasted on timing: every
element it runs is one the map needed; a trivial map ends inside its probe.

Until it decides, every element's records belong to task 0 (batch.json says batch = size,
probing), and the batch it chooses always holds the elements it has run or is running, so the
records stay where readers look for them.
"""
from __future__ import annotations

import sys
import threading
import time
import traceback

from hpcflow.core.batching import TARGET_FACTOR, BatchChoice, from_work
from hpcflow.core.plan import JobPlan
from hpcflow.runtime.backend import backend_of
from hpcflow.runtime.batch import open_run, run_batch
from hpcflow.runtime.entry import run_element, tell_ended
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.timings import remember
from hpcflow.site.config import SiteConfig, load_site, machine_site

_TIMED = 2  # elements timed, after the first, before the batch size is decided (unless they are slow)


def main(argv: list[str] | None = None) -> int:
    """Run a map's probe; exit status 0 when every element it ran succeeded and the rest was submitted."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "--refuse":  # the jobscript found the elements cannot run here: as any array task
        from hpcflow.runtime.entry import main as element_main

        return element_main(args)
    if len(args) != 3:
        print("usage: python -m hpcflow.runtime.probe RUN_DIR JOB_ID 0", file=sys.stderr)
        return 2
    return 0 if run_probe(args[0], args[1]) else 1


def run_probe(run_dir: str, job_id: str) -> bool:
    """Time a map's first elements, decide its batch size, submit its other array tasks, finish task 0."""
    rd = open_run(run_dir)
    found = rd.batching(job_id)
    if not found.get("probing"):  # an earlier attempt of this job decided: task 0 is a plain batch now
        return run_batch(rd, job_id, 0, found.get("batch_size") or 1)
    size = rd.size(job_id) or 0
    rd.batches[job_id] = size  # until it decides, every element's records are task 0's
    job = rd.plan.job(job_id)
    done = rd.done_among(job_id, range(size))
    watch = _Decider(rd, job, size, run_site(rd))
    rd.own_task(job_id, 0)
    ok, last = True, None
    watch.start()
    try:
        for index in range(size):
            if index in done:
                continue
            if not watch.begin(index):
                break  # the elements from here on are the other array tasks'
            try:  # as in a batch: the backend hears once, after the last (tell_ended)
                ok = run_element(rd, job_id, index, notify=False).ok and ok
                last = index
            finally:
                watch.end()
    finally:
        watch.close()
        rd.release_task(job_id, 0)
    if last is not None:
        ok = tell_ended(rd, job_id, last) and ok
    if watch.error:
        print(f"hpcflow: the probe of {job.name} ({job_id}) could not submit the map's other array tasks: "
              f"{watch.error}; `hpcflow resume` submits them", file=sys.stderr)
        return False
    return ok


def run_site(rd: RunDir) -> SiteConfig:
    """The site a run's batches are sized for: its Slurm site, or this machine for a local run."""
    return load_site(rd.meta.site) if rd.meta.site else machine_site(rd.path.parent, rd.path)


class _Decider(threading.Thread):
    """Watches the probe's elements and decides the batch size once it knows enough."""

    def __init__(self, rd: RunDir, job: JobPlan, size: int, site: SiteConfig):
        super().__init__(daemon=True, name="hpcflow-probe")
        self.rd, self.job, self.size, self.site = rd, job, size, site
        self.cond = threading.Condition()
        self.began = time.monotonic()
        self.ends: list[float] = []  # seconds since the probe began, at each element's end
        self.highest = -1  # the highest element index run or running
        self.all_ran = False
        self.batch: int | None = None
        self.error: BaseException | None = None

    def begin(self, index: int) -> bool:
        """Before element `index` runs; False when the batch decided leaves it to another array task."""
        with self.cond:
            if self.batch is not None and index >= self.batch:
                return False
            self.highest = max(self.highest, index)
            return True

    def end(self) -> None:
        """After an element has ended."""
        with self.cond:
            self.ends.append(time.monotonic() - self.began)
            self.cond.notify()

    def close(self) -> None:
        """No more elements run here: decide now if not yet, and wait for the submission."""
        with self.cond:
            self.all_ran = True
            self.cond.notify()
        self.join()

    def run(self) -> None:
        start_up, target = self.site.task_start_s, TARGET_FACTOR * self.site.task_start_s
        with self.cond:
            while not self.all_ran:
                elapsed = time.monotonic() - self.began
                enough = len(self.ends) >= _TIMED + 1  # the first pays the imports: time the ones after it
                if elapsed >= target or (enough and elapsed >= start_up):
                    break
                self.cond.wait((start_up if enough else target) - elapsed)
            choice, seconds = self._choose()
            self.batch = choice.batch or 1
        try:  # outside the lock: the elements go on while the other array tasks are submitted
            self.rd.write_batch(self.job.id, self.batch, choice.why)
            if seconds is not None:
                remember(self.rd.meta.cache_dir, self.rd.plan, self.job, seconds, len(self.ends))
            if self.batch < self.size:
                backend_of(self.rd).probed(self.rd, self.job)
        except Exception as exc:  # noqa: BLE001 - reported by the probe's exit, with what to do
            traceback.print_exc()
            self.error = exc

    def _choose(self) -> tuple[BatchChoice, float | None]:
        """The batching from what the probe saw (called with the lock held), and one element's time."""
        elapsed, n = time.monotonic() - self.began, len(self.ends)
        if self.all_ran:  # the whole map ran here: one array task
            seconds = self.ends[-1] / n if n else None
            return BatchChoice(self.size, f"all {self.size} elements ran in the first array task "
                                          f"({elapsed:.3g} s, timing them)"), seconds
        if n == 0:  # the first element still runs after ten start-ups: elements are slow, one per task
            seconds, measured = elapsed, f"the first element of {self.job.name} ran longer than {elapsed:.3g} s"
        elif n == 1:  # the second still runs: it takes at least this long
            seconds = elapsed - self.ends[0]
            measured = f"the second element of {self.job.name} ran longer than {_per(seconds)}"
        else:  # the first element pays the module's imports: time the ones after it
            seconds = (self.ends[-1] - self.ends[0]) / (n - 1)
            measured = f"elements 2-{n} of {self.job.name} took {_per(seconds)} each"
        return from_work(self.size, seconds, self.site, self.highest + 1, measured), seconds


def _per(seconds: float) -> str:
    return f"{seconds * 1000:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


if __name__ == "__main__":
    sys.exit(main())
