"""`hpcflow status RUN --watch`: the run's progress, updated in place until it ends.

One line per node: a bar of done (succeeded, cached shown apart), running, pending and failed elements,
the counts, and the first failure's error; above them, the run's state, elapsed time and an estimate of
the time left from the elements finished so far. On a terminal, rich redraws it in place; piped to a
file, a plain block is printed each time something changed. Each refresh is one `refresh()` (one squeue
and one sacct on Slurm), backing off to one per 30 s while nothing changes (runtime/runs.py views).
"""
from __future__ import annotations

import sys
import time
from typing import Any, Callable

from hpcflow.core.states import State
from hpcflow.runtime.runs import RunView

BAR = 30
IDLE_S = 30.0
# the bar's parts, in order, and how each is drawn (rich style, plain character)
PARTS = [("done", "green", "#"), ("cached", "cyan", "c"), ("running", "yellow", ">"), ("failed", "red", "!"),
         ("pending", "grey50", ".")]


def buckets(counts: dict[State, int]) -> dict[str, int]:
    """Element counts in the bar's parts."""
    get = counts.get
    return {"done": get(State.SUCCEEDED, 0), "cached": get(State.CACHED, 0), "running": get(State.RUNNING, 0),
            "failed": get(State.FAILED, 0) + get(State.TIMEOUT, 0) + get(State.CANCELLED, 0),
            "pending": get(State.PENDING, 0)}


def bar_cells(parts: dict[str, int], width: int = BAR) -> list[tuple[str, int]]:
    """How many of the bar's `width` cells each part takes (a part with elements gets at least one)."""
    total = sum(parts.values())
    if not total:
        return [("pending", width)]
    cells = [(name, max(1, round(width * n / total)) if n else 0) for name, *_ in PARTS for n in [parts[name]]]
    excess = sum(c for _, c in cells) - width
    while excess > 0:  # take the rounding back from the largest part
        i = max(range(len(cells)), key=lambda k: cells[k][1])
        cells[i] = (cells[i][0], cells[i][1] - 1)
        excess -= 1
    if excess < 0:
        i = max(range(len(cells)), key=lambda k: cells[k][1])
        cells[i] = (cells[i][0], cells[i][1] - excess)
    return cells


def eta(view: RunView, elapsed_s: float) -> str:
    """Time left at the rate elements have finished so far ('' before any has)."""
    finished = total = 0
    for job in view.jobs:
        parts = buckets(job.counts)
        finished += parts["done"] + parts["cached"] + parts["failed"]
        total += sum(parts.values())
    if view.state.finished or not finished or finished >= total:
        return ""
    return f", about {_duration(elapsed_s * (total - finished) / finished)} left"


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"


def header(view: RunView, elapsed_s: float) -> str:
    """The run's state, and while it runs, the time since it was submitted and an estimate of what is left."""
    clock = "" if view.state.finished else f", {_duration(elapsed_s)} elapsed{eta(view, elapsed_s)}"
    return f"run {view.run_id}: {view.state.value}{clock}" + (f" ({view.error})" if view.error else "")


def plain_lines(view: RunView, elapsed_s: float, first_error: Callable[[Any], str]) -> list[str]:
    """The view as plain text (a file, a pipe): one line per node."""
    lines = [header(view, elapsed_s)]
    for job in view.jobs:
        parts = buckets(job.counts)
        bar = "".join(ch * n for (name, n), (_, _, ch) in zip(bar_cells(parts), PARTS))
        lines.append(f"  {job.label:<18} [{bar}] " + _counts(parts) + _failure(job, first_error))
    return lines


def _counts(parts: dict[str, int]) -> str:
    return " ".join(f"{name}={n}" for name, n in parts.items() if n)


def _failure(job: Any, first_error: Callable[[Any], str]) -> str:
    """The first failure's error, else why Slurm holds the job's pending tasks."""
    error = first_error(job) if job.bad_elements else ""
    if error:
        return f"  {job.label}[{job.bad_elements[0]}]: {error}"
    return f"  (pending: {job.pending_reason})" if job.pending_reason else ""


def rich_table(view: RunView, elapsed_s: float, first_error: Callable[[Any], str]) -> Any:
    """The view as a rich renderable (a terminal)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=header(view, elapsed_s), title_justify="left", box=None, pad_edge=False)
    for column in ("node", "task", "progress", "elements", "first failure or why it waits"):
        table.add_column(column, overflow="fold" if column == "first failure" else "ellipsis")
    for job in view.jobs:
        parts = buckets(job.counts)
        bar = Text()
        for (name, n), (_, style, _) in zip(bar_cells(parts), PARTS):
            bar.append("━" * n, style=style)
        failure = _failure(job, first_error).strip()
        table.add_row(job.label, job.name, bar, _counts(parts),
                      Text(failure, style="grey50" if failure.startswith("(pending") else "red"))
    return table


def watch(views: Any, started: float, first_error: Callable[[Any], str], out: Any = None) -> RunView:
    """Show each view as it comes until the run ends; the final view."""
    out = out or sys.stdout
    view = None
    if out.isatty():
        from rich.console import Console
        from rich.live import Live

        console = Console(file=out)
        with Live(console=console, auto_refresh=False, transient=False) as live:
            for view in views:
                live.update(rich_table(view, time.time() - started, first_error), refresh=True)
        return view
    shown: list[str] | None = None
    for view in views:
        lines = plain_lines(view, time.time() - started, first_error)
        if shown is None or lines[1:] != shown[1:] or view.state.finished:  # not for the clock alone
            print("\n".join(lines), file=out, flush=True)
            shown = lines
    return view
