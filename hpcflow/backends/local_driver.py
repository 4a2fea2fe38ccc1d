"""Who drives a local run: the `hpcflow run` process that launches its elements, recorded in the run
directory so that `cancel` and `resume` from another terminal can stop it, or find it dead.

A driver stopped by SIGTERM or SIGHUP (a closed terminal, `kill`) stops its elements and records the run
CANCELLED, as Ctrl-C does. A driver killed outright (kill -9, an OOM kill) cannot: its run still reads
RUNNING and its elements run on as orphans. `cancel` then finds the driver gone, stops the orphans it
recorded (each element runs in a process group of its own) and records the run CANCELLED; `resume`
does the same first, so an interrupted run is never a dead end.
"""
from __future__ import annotations

import os
import signal
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from hpcflow.core.states import State
from hpcflow.errors import HpcflowError
from hpcflow.runtime.rundir import ElementStatus, RunDir
from hpcflow.store import atomic

DRIVER_FILE = "driver.json"
STOP_WAIT_S = 30.0


class DriverStopped(HpcflowError):
    """The driver got SIGTERM or SIGHUP: its elements were stopped and the run recorded CANCELLED."""


def record_driver(rd: RunDir) -> None:
    """Write down this process as the run's driver."""
    atomic.write_json(rd.path / DRIVER_FILE, {"host": socket.gethostname(), "pid": os.getpid(),
                                              "started": time.time()})


@contextmanager
def stopped_by_signals(rd: RunDir) -> Iterator[None]:
    """While the run is driven: SIGTERM and SIGHUP end it as Ctrl-C does (DriverStopped, which the
    driver's cleanup catches), instead of killing the driver and orphaning its elements."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set in the main thread; a run driven elsewhere keeps Python's
        return

    def stop(signum: int, _frame: Any) -> None:
        raise DriverStopped(f"run {rd.meta.run_id} was stopped by {signal.Signals(signum).name}; its running "
                            f"elements were stopped too; `hpcflow resume {rd.meta.run_id}` runs what is left")

    saved = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def driver_state(rd: RunDir) -> tuple[str, dict[str, Any]]:
    """("alive" | "dead" | "elsewhere" | "unknown", the driver's record)."""
    driver = atomic.read_json(rd.path / DRIVER_FILE)
    if not isinstance(driver, dict) or not isinstance(driver.get("pid"), int):
        return "unknown", {}
    if driver.get("host") != socket.gethostname():
        return "elsewhere", driver
    return ("alive" if _is_hpcflow(driver["pid"]) else "dead"), driver


def _is_hpcflow(pid: int) -> bool:
    """Whether `pid` is a live hpcflow process (a pid reused by another program does not count)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)  # no /proc: whether the process exists is all that can be known
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return b"hpcflow" in cmdline


def stop_run(rd: RunDir) -> str:
    """Stop a local run from another process: its live driver by SIGTERM (it cleans up itself), or, when
    the driver is dead, its orphaned elements. What was done, in a few words."""
    state, driver = driver_state(rd)
    if state == "unknown":
        raise HpcflowError(f"run {rd.meta.run_id} runs locally and says nothing of its driver; stop it with Ctrl-C "
                           "in its terminal")
    if state == "elsewhere":
        raise HpcflowError(f"run {rd.meta.run_id} is driven by process {driver['pid']} on {driver['host']}; "
                           f"run `hpcflow cancel {rd.meta.run_id}` there")
    if state == "alive":
        os.kill(driver["pid"], signal.SIGTERM)
        deadline = time.time() + STOP_WAIT_S
        while time.time() < deadline and _is_hpcflow(driver["pid"]):
            time.sleep(0.1)
        if _is_hpcflow(driver["pid"]):
            raise HpcflowError(f"the driver of run {rd.meta.run_id} (pid {driver['pid']}) did not stop within "
                               f"{STOP_WAIT_S:.0f} s of SIGTERM; `kill -9 {driver['pid']}`, then cancel again")
        return f"stopped its driver (pid {driver['pid']})"
    stopped = stop_orphans(rd)
    return f"its driver (pid {driver['pid']}) had died; stopped {stopped} orphaned element(s)"


def stop_orphans(rd: RunDir) -> int:
    """Kill the element processes of a run whose driver died, and record them CANCELLED (sub-runs too)."""
    host, stopped = socket.gethostname(), 0
    for job in rd.plan.jobs:
        for index, status in enumerate(rd.statuses(job.id)):
            if status.state.finished:
                continue
            if status.state is State.RUNNING and status.host == host and status.pid:
                try:  # each element's jobscript leads a process group of its own: the element and its children
                    os.killpg(os.getpgid(status.pid), signal.SIGKILL)
                    stopped += 1
                except (ProcessLookupError, PermissionError):
                    pass
            rd.write_status(job.id, index, ElementStatus(State.CANCELLED, status.attempts,
                                                         error="its driver died"))
            if job.kind == "dynamic" and (rd.sub_path(job.id, index) / "plan.json").exists():
                stopped += stop_orphans(RunDir(rd.sub_path(job.id, index)))
    return stopped


def settle_if_abandoned(rd: RunDir) -> str:
    """For a run recorded as queued or running whose driver is dead on this machine: stop its orphans and
    record it CANCELLED; what was done ('' when the run was not abandoned)."""
    if rd.state[0] not in (State.PENDING, State.RUNNING) or driver_state(rd)[0] != "dead":
        return ""
    done = stop_run(rd)
    rd.set_state(State.CANCELLED, done)
    return done
