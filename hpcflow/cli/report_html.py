"""The run report as one self-contained HTML file: inline CSS and SVG, no script, nothing fetched, so it
opens anywhere (a laptop after scp, an e-mail attachment). Drawn from runtime/report.py's Report."""
from __future__ import annotations

import datetime as dt
import json
import time
from html import escape
from typing import Any

from hpcflow.core.efficiency import human_bytes
from hpcflow.core.states import State
from hpcflow.runtime.report import NodeReport, Report, Span

COLOURS = {"COMPLETED": "#2e7d32", "SUCCEEDED": "#2e7d32", "CACHED": "#00838f", "RUNNING": "#f9a825",
           "FAILED": "#c62828", "TIMEOUT": "#6a1b9a", "OUT_OF_MEMORY": "#ad1457", "NODE_FAIL": "#4e342e",
           "PREEMPTED": "#ef6c00", "REQUEUED": "#ef6c00", "CANCELLED": "#757575"}
ROW, LEFT, WIDTH = 16, 170, 900

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; border-bottom: 1px solid #ddd; text-align: left; }
.state-SUCCEEDED { color: #2e7d32; } .state-FAILED { color: #c62828; } .state-RUNNING { color: #f9a825; }
pre { background: #f6f6f6; padding: 8px; overflow-x: auto; } .legend span { margin-right: 1em; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; }
"""


def render(report: Report) -> str:
    """The whole page."""
    created = dt.datetime.fromtimestamp(report.created).strftime("%Y-%m-%d %H:%M:%S")
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>hpcflow run {escape(report.run_id)}</title>"
             f"<style>{STYLE}</style></head><body>",
             f"<h1>Run {escape(report.run_id)}: <span class='state-{report.state.value}' id='run-state'>"
             f"{report.state.value}</span></h1>",
             f"<p>workflow <b>{escape(report.workflow)}</b>, submitted {created}"
             + (f"; <span class='state-FAILED'>{escape(report.error)}</span>" if report.error else "") + "</p>",
             "<h2>Graph</h2>", graph_svg(report.nodes),
             "<h2>Timeline</h2>", timeline_svg(report.nodes), legend(),
             "<h2>Nodes</h2>", nodes_table(report),
             "<h2>Inputs</h2>", inputs_list(report.nodes),
             "<h2>Outputs</h2>", f"<pre id='outputs'>{escape(_json(report.outputs))}</pre>",
             "</body></html>"]
    return "\n".join(parts)


def graph_svg(nodes: list[NodeReport]) -> str:
    """The top-level nodes in columns by depth, arrows from what each depends on."""
    top = [n for n in nodes if "/" not in n.summary.label]
    depth: dict[str, int] = {}
    for node in top:  # the plan lists jobs in topological order
        depth[node.summary.label] = 1 + max((depth.get(d, 0) for d in node.depends_on), default=-1)
    rows: dict[int, int] = {}
    where: dict[str, tuple[int, int]] = {}
    for node in top:
        column = depth[node.summary.label]
        where[node.summary.label] = (20 + column * 200, 20 + rows.get(column, 0) * 60)
        rows[column] = rows.get(column, 0) + 1
    height = 40 + max(rows.values(), default=1) * 60
    width = 40 + (max(depth.values(), default=0) + 1) * 200
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' id='graph'>",
           "<defs><marker id='arrow' markerWidth='8' markerHeight='8' refX='8' refY='4' orient='auto'>"
           "<path d='M0,0 L8,4 L0,8 z' fill='#888'/></marker></defs>"]
    for node in top:
        x, y = where[node.summary.label]
        for dep in node.depends_on:
            if dep in where:
                dx, dy = where[dep]
                out.append(f"<line x1='{dx + 160}' y1='{dy + 20}' x2='{x}' y2='{y + 20}' stroke='#888' "
                           "marker-end='url(#arrow)'/>")
    for node in top:
        x, y = where[node.summary.label]
        s = node.summary
        colour = "#c62828" if s.failed else "#2e7d32" if s.succeeded else "#f9a825"
        out.append(f"<rect x='{x}' y='{y}' width='160' height='40' rx='6' fill='white' stroke='{colour}' "
                   f"stroke-width='2'><title>{escape(s.name)}</title></rect>"
                   f"<text x='{x + 8}' y='{y + 17}' font-size='12'>{escape(s.label)} ({escape(s.kind)})</text>"
                   f"<text x='{x + 8}' y='{y + 32}' font-size='11' fill='#555'>{escape(s.name[:24])}</text>")
    return "\n".join(out + ["</svg>"])


def timeline_svg(nodes: list[NodeReport]) -> str:
    """A row per task run, grouped by node; a requeued task's runs side by side on its row."""
    spans = [s for n in nodes for s in n.spans]
    if not spans:
        return "<p id='timeline'>nothing has started yet</p>"
    now = time.time()
    t0 = min(s.start for s in spans)
    t1 = max(s.end or now for s in spans)
    scale = WIDTH / max(t1 - t0, 1e-3)
    rows: list[tuple[str, list[Span]]] = []
    for node in nodes:
        tasks: dict[str, list[Span]] = {}
        for span in node.spans:
            tasks.setdefault(span.task, []).append(span)
        rows += [(f"{node.summary.label} {task}", runs) for task, runs in sorted(tasks.items(), key=_task_order)]
    height = 30 + len(rows) * ROW
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{LEFT + WIDTH + 20}' height='{height}' id='timeline'>",
           f"<text x='{LEFT}' y='12' font-size='11' fill='#555'>0 s</text>",
           f"<text x='{LEFT + WIDTH - 60}' y='12' font-size='11' fill='#555'>{t1 - t0:.1f} s</text>"]
    for row, (label, runs) in enumerate(rows):
        y = 20 + row * ROW
        out.append(f"<text x='0' y='{y + 11}' font-size='11'>{escape(label)}</text>")
        for span in runs:
            x = LEFT + (span.start - t0) * scale
            w = max(2.0, ((span.end or now) - span.start) * scale)
            colour = COLOURS.get(span.state, "#9e9e9e")
            out.append(f"<rect class='span' data-state='{escape(span.state)}' x='{x:.1f}' y='{y}' width='{w:.1f}' "
                       f"height='{ROW - 4}' fill='{colour}'><title>{escape(label)}: {escape(span.state)}, "
                       f"{(span.end or now) - span.start:.1f} s</title></rect>")
            if span.state in ("PREEMPTED", "REQUEUED") or (span.state not in ("COMPLETED", "SUCCEEDED", "RUNNING")
                                                          and w > 40):
                out.append(f"<text x='{x + w + 3:.1f}' y='{y + 11}' font-size='10'>{escape(span.state)}</text>")
    return "\n".join(out + ["</svg>"])


def _task_order(item: tuple[str, list[Span]]) -> tuple:
    task = item[0]
    tail = task.rsplit("_", 1)[-1].rstrip("]").rsplit("[", 1)[-1]
    return (task.rsplit("_", 1)[0], int(tail) if tail.isdigit() else 0, task)


def legend() -> str:
    return "<p class='legend'>" + "".join(
        f"<span><i class='swatch' style='background:{colour}'></i>{state}</span>"
        for state, colour in COLOURS.items() if state != "SUCCEEDED") + "</p>"


def nodes_table(report: Report) -> str:
    """Per node: its elements by state (cache hits apart), retries and requeues, and efficiency."""
    usage = {e.label: e for e in report.efficiency or []}
    out = ["<table id='nodes'><tr><th>node</th><th>task</th><th>elements</th><th>cached</th><th>CPU eff.</th>"
           "<th>peak mem / asked</th><th>retried or requeued</th></tr>"]
    for node in report.nodes:
        s = node.summary
        counts = ", ".join(f"{k.value.lower()} {v}" for k, v in sorted(s.counts.items()) if v)
        e = usage.get(s.label)
        cpu = f"{e.cpu_efficiency:.0%}" if e and e.cpu_efficiency is not None else "-"
        mem = (human_bytes(e.peak_rss) if e and e.peak_rss else "-") + (f" / {human_bytes(e.req_mem)}"
                                                                         if e and e.req_mem else "")
        events = "<br>".join(escape(x) for x in node.retried + node.requeued) or "-"
        out.append(f"<tr><td>{escape(s.label)}</td><td>{escape(s.name)}</td><td>{counts}</td>"
                   f"<td>{s.counts.get(State.CACHED, 0)}</td><td>{cpu}</td><td>{mem}</td><td>{events}</td></tr>")
    return "\n".join(out + ["</table>"])


def inputs_list(nodes: list[NodeReport]) -> str:
    items = [f"<li>{escape(n.summary.label)}.{escape(name)} = <code>{escape(value)}</code></li>"
             for n in nodes for name, value in n.inputs.items()]
    return "<ul id='inputs'>" + "".join(items) + "</ul>" if items else "<p id='inputs'>none</p>"


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, default=repr) if value is not None else "(none yet)"
