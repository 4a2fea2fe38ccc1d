"""What `hpcflow report RUN -o report.html` shows, gathered in one place: the workflow's graph, every array
task's runs on a timeline (requeued runs apart, retried elements marked), efficiency, cache hits, and the
run's inputs and outputs. The HTML is drawn from this by cli/report_html.py."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hpcflow.core.bindings import Const
from hpcflow.core.efficiency import Efficiency
from hpcflow.core.states import State
from hpcflow.runtime.backend import Backend, backend_of
from hpcflow.runtime.rundir import RunDir
from hpcflow.runtime.runs import refresh
from hpcflow.runtime.summary import JobSummary, find_element
from hpcflow.runtime.usage import efficiency


@dataclass(frozen=True)
class Span:
    """One bar of the timeline: a task's run (or an element's, for a local run) of one node."""

    node: str
    task: str
    state: str  # COMPLETED, FAILED, PREEMPTED, ... (the scheduler's), or an element's own state
    start: float
    end: float | None  # None: still running


@dataclass
class NodeReport:
    """One node of the run: its summary, its spans, and its elements that were retried or requeued."""

    summary: JobSummary
    depends_on: tuple[str, ...]
    inputs: dict[str, str]
    spans: list[Span] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)  # e.g. "n0[1]: 2 attempts"
    requeued: list[str] = field(default_factory=list)  # e.g. "n0[3]: preempted 1 time(s)"


@dataclass
class Report:
    run_id: str
    workflow: str
    state: State
    error: str
    created: float
    nodes: list[NodeReport]
    efficiency: list[Efficiency] | None
    outputs: dict[str, Any] | None


def gather(rd: RunDir, backend: Backend | None = None) -> Report:
    """Everything the report shows, from the run directory and the scheduler's records."""
    backend = backend or backend_of(rd)
    view = refresh(rd, backend)
    records = backend.history(rd, sorted({i for j in view.jobs for i in j.element_ids}))
    by_job = {}
    for record in records or []:
        by_job.setdefault(record.job_id, []).append(record)
    plan_jobs = {job.id: job for job in rd.plan.jobs}
    nodes = []
    for summary in view.jobs:
        top = plan_jobs.get(summary.label)
        node = NodeReport(summary, top.depends_on if top else (), _constants(top) if top else {})
        if records is not None:
            node.spans = [Span(summary.label, r.task, r.state, r.start, r.end) for i in summary.element_ids
                          for r in by_job.get(i, []) if r.start is not None]
        _elements(rd, node, with_spans=records is None)
        nodes.append(node)
    return Report(view.run_id, rd.meta.workflow, view.state, view.error, rd.meta.created, nodes,
                  efficiency(rd, backend), view.outputs)


def _elements(rd: RunDir, node: NodeReport, with_spans: bool) -> None:
    """Retries and requeues from the elements' own records (each array task's file read once); for a local
    run, its spans too."""
    summary = node.summary
    if not summary.size:
        return
    sub, job_id, _ = find_element(rd, f"{summary.label}[0]")  # the (sub-)run directory that holds the node
    for index, status in enumerate(sub.statuses(job_id, summary.size)):
        label = f"{summary.label}[{index}]"
        if status.attempts > 1:
            node.retried.append(f"{label}: {status.attempts} attempts")
        if status.restarts:
            node.requeued.append(f"{label}: requeued {status.restarts} time(s)")
        if with_spans and status.started is not None:
            node.spans.append(Span(summary.label, f"[{index}]", status.state.value, status.started, status.finished))


def _constants(job: Any) -> dict[str, str]:
    """The node's inputs that are values given to the run (not other nodes' outputs), shortened."""
    return {name: _short(binding.value) for name, binding in job.inputs if isinstance(binding, Const)}


def _short(value: Any, width: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."
