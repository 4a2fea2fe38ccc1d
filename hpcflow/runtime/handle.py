"""Submitting and following runs from Python (a notebook on a login node, a script): what the
CLI does, with typed values instead of text.

    run = hpcflow.submit(wf, site="dev-cluster", n=1000)   # returns once the jobs are queued
    run.status().state; run.wait(timeout=600); run.outputs(); run.logs("n1", 3); run.cancel()
    hpcflow.Run.attach(run.run_id)                         # the same run, from another process

The CLI's submit, wait, status, outputs, logs and cancel are thin layers on the same calls.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from hpcflow.core.states import State
from hpcflow.errors import HpcflowError, InputError
from hpcflow.runtime.backend import Backend, backend_named
from hpcflow.runtime.runs import RunView, cancel, compile_for, create_run, find_run, refresh, wait
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.summary import check_index
from hpcflow.site.config import SiteConfig, load_site


@dataclass
class Run:
    """A run of hpcflow's: its directory, and the backend that runs it (found from the run when None)."""

    rd: RunDir
    backend: Backend | None = None
    job_ids: tuple[int, ...] = ()  # the scheduler ids its submission queued, when submitted here

    @classmethod
    def attach(cls, run_id: str, runs_dir: Path | None = None) -> "Run":
        """The run with this id (or directory), wherever it was submitted from."""
        return cls(find_run(run_id, runs_dir))

    @property
    def run_id(self) -> str:
        return self.rd.meta.run_id

    def status(self) -> RunView:
        """Its state and per-job counts now (one squeue and one sacct on Slurm)."""
        return refresh(self.rd, self.backend)

    def wait(self, timeout: float | None = None) -> RunView:
        """Poll until it has finished (HpcflowError after `timeout` seconds); its final view."""
        return wait(self.rd, timeout_s=timeout, backend=self.backend)

    def outputs(self) -> dict[str, Any]:
        """The workflow's outputs by name (o0, o1, ... or a NamedTuple's fields), as Python values;
        HpcflowError when the run has not succeeded."""
        view = self.status()
        if view.state is not State.SUCCEEDED or view.outputs is None:
            raise HpcflowError(f"run {self.run_id} is {view.state.value}"
                               + (f": {view.error}" if view.error else "; run.wait() waits for its outputs"))
        return view.outputs

    def logs(self, node: str, index: int = 0) -> str:
        """The log of one element of a job, e.g. logs("n1", 3)."""
        if node not in {job.id for job in self.rd.plan.jobs}:
            raise InputError(f"run {self.run_id} has no job '{node}'; its jobs are: "
                             f"{', '.join(job.id for job in self.rd.plan.jobs)}")
        try:
            check_index(self.rd, node, index)
        except IndexError as exc:
            raise InputError(f"run {self.run_id} has no element {node}[{index}]: {exc}") from None
        log = self.rd.element_log_path(node, index)
        if not log.exists():
            raise InputError(f"{node}[{index}] of run {self.run_id} has no log yet "
                             f"(state {self.rd.status(node, index).state.value})")
        return log.read_text(errors="replace")

    def cancel(self) -> None:
        """Cancel every queued and running job of the run."""
        cancel(self.rd, self.backend)

    def __repr__(self) -> str:
        return f"<Run {self.run_id} at {self.rd.path}>"


def submit(wf: Any, site: str | SiteConfig | None = None, *, max_parallelism: int | None = None,
           **inputs: Any) -> Run:
    """Compile a workflow (or launch plan) with `inputs` into Slurm jobs on `site` (a name or a
    path, else $HPCFLOW_SITE), submit them and return at once, as `hpcflow submit` does."""
    from hpcflow.sdk.inputs import bind_inputs

    module = sys.modules.get(getattr(wf, "module", ""))
    if module is None or not getattr(module, "__file__", None) or not hasattr(wf, "interface"):
        raise InputError(f"hpcflow.submit takes a @workflow or LaunchPlan defined in a .py file (its jobs import "
                         f"it from there), not {wf!r}; put it in a module and import it")
    bound = bind_inputs(wf.interface, inputs, f"workflow '{wf.name}'")
    return submit_bound(wf, module, bound, site if isinstance(site, SiteConfig) else load_site(site), max_parallelism)


def submit_bound(wf: Any, module: ModuleType, inputs: dict[str, Any], site: SiteConfig,
                 max_parallelism: int | None = None) -> Run:
    """submit() with inputs already bound to the workflow's interface (the CLI's path)."""
    plan = compile_for(wf, inputs, max_parallelism)
    rd = create_run(wf, module, plan, site.runs_dir, backend="slurm", site=str(site.path.resolve()),
                    cache_dir=site.cache_dir, site_config=site)
    backend = backend_named("slurm", site=site)
    return Run(rd, backend, tuple(backend.submit(rd)))
