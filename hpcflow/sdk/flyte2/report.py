"""Flyte 2's reports (flyte.report): HTML a task writes about itself, in tabs.

Every task call has a Report (its TaskContext's); `log` appends to its "main" tab, `replace`
overwrites it, `get_tab(name)` gives another tab. `flush` writes the page as report.html in the
call's folder of the run's data (~/.hpcflow/data/<run>/<action>/report.html), next to the Files
the run writes; a task declared with report=True is flushed once more when it returns, as flyte
does. Outside a task there is no report to keep: what is logged goes to a throw-away one.
"""
from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from hpcflow.config import hpcflow_home
from hpcflow.store.atomic import write_bytes

MAIN_TAB = "main"


@dataclass
class Tab:
    """One tab of a report: HTML fragments, shown one after the other."""

    name: str
    content: list[str] = field(default_factory=list)

    def log(self, content: str) -> None:
        """Append an HTML fragment (not a whole document: it is put inside a <div>)."""
        self.content.append(content)

    def replace(self, content: str) -> None:
        """Make this fragment the tab's only content."""
        self.content = [content]

    def get_html(self) -> str:
        """The tab's fragments, joined."""
        return "\n".join(self.content)


@dataclass
class Report:
    """A task call's report: its tabs by name, "main" first."""

    name: str
    tabs: dict[str, Tab] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tabs.setdefault(MAIN_TAB, Tab(MAIN_TAB))

    def has_content(self) -> bool:
        """True once anything has been logged to any tab."""
        return any(tab.content for tab in self.tabs.values())

    def get_tab(self, name: str, create_if_missing: bool = True) -> Tab:
        """The tab called `name`, made if missing (unless told not to, then ValueError)."""
        if name not in self.tabs:
            if not create_if_missing:
                raise ValueError(f"Tab {name} does not exist.")
            self.tabs[name] = Tab(name)
        return self.tabs[name]

    def get_final_report(self) -> str:
        """The whole page: a list of the tabs, and each tab's HTML (an empty "main" is left out)."""
        shown = [t for t in self.tabs.values() if t.content or t.name != MAIN_TAB]
        nav = "".join(f'<li onclick="show({i})">{html.escape(t.name)}</li>' for i, t in enumerate(shown))
        # The fragments are the task's own HTML: escaping them would show the markup as text.
        body = "".join(f'<div class="tab"{"" if i == 0 else " hidden"}>{t.get_html()}</div>'
                       for i, t in enumerate(shown))
        return PAGE.format(title=html.escape(self.name), nav=nav, body=body)


PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}</title>
<style>nav ul{{list-style:none;display:flex;gap:1em;padding:0}}
nav li{{cursor:pointer;text-decoration:underline}}</style>
<script>function show(n){{document.querySelectorAll('.tab').forEach((d,i)=>d.hidden=i!==n)}}</script>
</head><body><nav><ul>{nav}</ul></nav>{body}</body></html>
"""


def report_path(run_name: str, action_name: str) -> Path:
    """Where a call's report is written: its folder in the run's data."""
    return hpcflow_home() / "data" / run_name / action_name / "report.html"


def write_report(report: Report, path: Path) -> Path:
    """Write the page atomically: a browser open on it never sees half of one."""
    write_bytes(path, report.get_final_report().encode("utf-8"))
    return path


def flush_report(action: Any) -> Optional[Path]:
    """Write the report of the running call `action` (a TaskContext); outside a task, nothing."""
    if action is None or getattr(action, "report", None) is None:
        return None
    return write_report(action.report, report_path(action.action.run_name or "outside-runs", action.action.name))
