"""Flyte 2's `flyte.report`: HTML reports of a running task (sdk/flyte2/report.py keeps them).

    await flyte.report.log.aio("<h1>...</h1>", do_flush=True)
    flyte.report.get_tab("Charts").log(html)
    await flyte.report.replace.aio(html); await flyte.report.flush.aio()

log, replace and flush are called plainly in sync code and as `.aio(...)` in async code, as in flyte.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional

from hpcflow.sdk.flyte2.action import CURRENT_ACTION
from hpcflow.sdk.flyte2.report import MAIN_TAB, Report, Tab, flush_report


class _SyncAndAio:
    """A function callable plainly and as `await f.aio(...)` (writing a small page never needs the loop)."""

    def __init__(self, func: Callable[..., Any]):
        self.func = func
        self.__doc__ = func.__doc__

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    async def aio(self, *args: Any, **kwargs: Any) -> Any:
        """The same call, awaitable."""
        return self.func(*args, **kwargs)


def current_report() -> Report:
    """The running task's report; outside a task, a throw-away one."""
    action = CURRENT_ACTION.get()
    report = getattr(action, "report", None)
    return report if report is not None else Report("dummy")


def get_tab(name: str, /, create_if_missing: bool = True) -> Tab:
    """The running task's report tab called `name` (made if missing)."""
    return current_report().get_tab(name, create_if_missing=create_if_missing)


def _flush() -> Optional[Path]:
    """Write the running task's report to its file (and give the path); outside a task, nothing."""
    return flush_report(CURRENT_ACTION.get())


def _log(content: str, do_flush: bool = False) -> None:
    """Append HTML to the report's main tab (and write the report, with do_flush=True)."""
    get_tab(MAIN_TAB).log(content)
    if do_flush:
        _flush()


def _replace(content: str, do_flush: bool = False) -> None:
    """Make HTML the report's main tab's only content (and write the report, with do_flush=True)."""
    get_tab(MAIN_TAB).replace(content)
    if do_flush:
        _flush()


flush = _SyncAndAio(_flush)
log = _SyncAndAio(_log)
replace = _SyncAndAio(_replace)

__all__ = ["Report", "Tab", "current_report", "flush", "get_tab", "log", "replace"]
