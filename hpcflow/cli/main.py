"""The `hpcflow` command: parses arguments, calls the library, maps errors to exit codes."""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import click

from hpcflow.config import default_runs_dir
from hpcflow.errors import HpcflowError, InputError, RunDirError

# resolved: the run's paths are recorded absolute, so that it is found from any folder afterwards
RUNS_DIR = click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path, resolve_path=True),
                        envvar="HPCFLOW_RUNS_DIR",
                        default=None, help="Where run directories live [default: ~/.hpcflow/runs].")
JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
INPUTS = click.option("-i", "--input", "inputs", multiple=True, metavar="NAME=VALUE",
                      help="A workflow input; VALUE is JSON when it parses, else a string. Or, as "
                           "pyflyte run takes them: FILE.py WORKFLOW --NAME VALUE ...")
# `hpcflow run FILE.py WORKFLOW --n 3` (pyflyte's form): what follows the target is the workflow's
# own flags, and --help after a target lists them
TAKES_WORKFLOW_FLAGS = {"context_settings": {"ignore_unknown_options": True, "allow_interspersed_args": True},
                        "add_help_option": False}
TARGET = click.argument("target", metavar="FILE.py:WORKFLOW", required=False)
WORKFLOW_FLAGS = click.argument("flags", nargs=-1, type=click.UNPROCESSED, metavar="[--NAME VALUE]...")
HELP = click.option("-h", "--help", "show_help", is_flag=True,
                    help="Show this message; after FILE.py:WORKFLOW, the workflow's inputs too.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hpcflow-slurm")
def cli() -> None:
    """Flyte-style workflows on Slurm: run locally, submit to a cluster, follow from the shell."""


MAX_PARALLELISM = click.option(
    "--max-parallelism", type=click.IntRange(min=1), default=None,
    help="At most this many elements of the run running at once (maps throttled at compile time) "
         "[default: the launch plan's, else unlimited].")


@cli.command(**TAKES_WORKFLOW_FLAGS)
@TARGET
@WORKFLOW_FLAGS
@INPUTS
@JSON
@click.option("--max-workers", type=click.IntRange(min=1), default=None,
              help="Elements run at once [default: number of cores].")
@RUNS_DIR
@click.option("--site", "site_name", default=None,
              help="Use this site's runs and cache directories (to share the cache with Slurm runs) and its "
                   "container runtime [default: the first of ch-run, apptainer, singularity, podman on PATH].")
@MAX_PARALLELISM
@HELP
def run(target: str | None, flags: tuple[str, ...], inputs: tuple[str, ...], as_json: bool, max_workers: int | None,
        runs_dir: Path | None, site_name: str | None, max_parallelism: int | None, show_help: bool) -> None:
    """Run a workflow on this machine with the local backend."""
    from hpcflow.config import default_cache_dir
    from hpcflow.loader import runs_in_process
    from hpcflow.runtime.runs import compile_for, create_run, refresh
    from hpcflow.runtime.backend import backend_named

    site = _site_or_none(site_name)
    wf, module, bound = _load(target, inputs, flags, show_help)
    if runs_in_process(wf):
        _run_in_process(wf, bound, as_json)
        return
    _note_schedule(wf, target, flags, "run")
    plan = compile_for(wf, bound, max_parallelism)
    rd = create_run(wf, module, plan, runs_dir or (site.runs_dir if site else default_runs_dir()),
                    cache_dir=site.cache_dir if site else default_cache_dir(), site_config=site)
    if not as_json:
        click.echo(f"run {rd.meta.run_id}: {len(plan.jobs)} job(s), directory {rd.path}", err=True)
    backend = backend_named("local", max_workers=max_workers)
    backend.submit(rd)
    view = refresh(rd, backend)
    _report(view.run_id, view.state.value, view.outputs, view.error, as_json)


@cli.command(**TAKES_WORKFLOW_FLAGS)
@TARGET
@WORKFLOW_FLAGS
@click.option("--site", "site_name", envvar="HPCFLOW_SITE", default=None,
              help="A site config: a TOML path or a name in site-configs/ [env: HPCFLOW_SITE].")
@INPUTS
@click.option("--dry-run", is_flag=True, help="Print the plan and jobscripts; submit nothing.")
@click.option("--wait", "wait_", is_flag=True, help="Wait for the run to finish and print its outputs.")
@JSON
@MAX_PARALLELISM
@HELP
def submit(target: str | None, flags: tuple[str, ...], site_name: str | None, inputs: tuple[str, ...], dry_run: bool,
           wait_: bool, as_json: bool, max_parallelism: int | None, show_help: bool) -> None:
    """Compile a workflow to Slurm job arrays chained with --dependency, submit, and exit."""
    from hpcflow.runtime.handle import submit_bound
    from hpcflow.site.config import load_site

    if show_help or not target:
        _load(target, inputs, flags, show_help)  # prints the help, or says what is missing
    site = load_site(site_name)
    wf, module, bound = _load(target, inputs, flags, show_help)
    _note_schedule(wf, target, flags, f"submit --site {site_name}" if site_name else "submit")
    if dry_run:
        from hpcflow.backends.slurm.preview import preview
        from hpcflow.core.sizing import sized_by_producers
        from hpcflow.core.plan import call_to_json
        from hpcflow.runtime.backend import backend_named
        from hpcflow.runtime.runs import compile_for, dry_run as plan_dry_run

        plan = compile_for(wf, bound, max_parallelism)
        laid, place = plan_dry_run(wf, module, plan, site, backend_named("slurm", site=site))
        if as_json:
            click.echo(json.dumps({"run_id": place.run_id, "state": "PENDING", "dry_run": True,
                                   "calls": [call_to_json(c) for c in laid.calls],
                                   "sized_by_producers": {j.id: list(j.depends_on) for j in laid.jobs
                                                          if sized_by_producers(laid, j)}}))
        else:
            click.echo(preview(laid, site, place))
        return
    run = submit_bound(wf, module, bound, site, max_parallelism)
    if wait_:
        view = run.wait()
        _report(view.run_id, view.state.value, view.outputs, view.error, as_json)
    elif as_json:
        click.echo(json.dumps({"run_id": run.run_id, "state": "PENDING", "jobs": list(run.job_ids)}))
    else:
        click.echo(run.run_id)


@cli.command()
@click.argument("run_id")
@click.argument("node", metavar="[NODE[INDEX]]", required=False)
@JSON
@RUNS_DIR
@click.option("--efficiency", "with_efficiency", is_flag=True,
              help="Add each node's CPU efficiency and peak memory against its request (from sacct).")
@click.option("--watch", "watch_", is_flag=True,
              help="Update in place until the run ends (plain lines when not on a terminal).")
def status(run_id: str, node: str | None, as_json: bool, runs_dir: Path | None, with_efficiency: bool,
           watch_: bool) -> None:
    """Show per-node element counts (pending, running, succeeded, failed, cancelled) and job ids;
    with NODE[INDEX] (e.g. n1[3]), that one element's record and traceback."""
    from hpcflow.runtime.runs import find_run, refresh
    from hpcflow.runtime.usage import efficiency

    if node:
        _element_status(run_id, node, as_json, runs_dir)
        return
    rd = find_run(run_id, runs_dir)
    if watch_:
        if as_json:
            raise InputError("--watch draws the run as it goes; for one JSON object, leave --watch out")
        _watch(rd)
        if with_efficiency:
            _print_efficiency(efficiency(rd) or [])
        return
    view = refresh(rd)
    usage = efficiency(rd) if with_efficiency else None
    if with_efficiency and usage is None:
        click.echo(f"run {run_id} ran on this machine: there is no scheduler accounting to take efficiency from",
                   err=True)
    if as_json:
        report: dict[str, Any] = {"run_id": view.run_id, "state": view.state.value, "error": view.error, "jobs": [
            {"node": j.label, "name": j.name, "kind": j.kind, "size": j.size, "slurm_ids": list(j.slurm_ids),
             "counts": {k.value: v for k, v in j.counts.items()}, "note": j.note, "pending_reason": j.pending_reason,
             "other_environment": list(j.other_environment)} for j in view.jobs]}
        if usage is not None:
            report["efficiency"] = [{"node": e.label, "tasks": e.tasks, "cpus": e.cpus, "cpu_s": e.cpu_s,
                                     "cpu_alloc_s": e.cpu_alloc_s, "cpu_efficiency": e.cpu_efficiency,
                                     "peak_rss": e.peak_rss, "req_mem": e.req_mem, "hint": e.hint()} for e in usage]
        click.echo(json.dumps(report))
        _warn_environment(view.jobs)
        return
    click.echo(f"run {view.run_id}: {view.state.value}" + (f" ({view.error})" if view.error else ""))
    click.echo(f"{'NODE':<20} {'NAME':<20} {'KIND':<8} {'SIZE':>5}  {'JOBS':<14} COUNTS")
    for j in view.jobs:
        counts = " ".join(f"{k.value.lower()}={v}" for k, v in sorted(j.counts.items()))
        size = "?" if j.size is None else str(j.size)
        ids = ",".join(map(str, j.slurm_ids)) or "-"
        click.echo(f"{j.label:<20} {j.name:<20} {j.kind:<8} {size:>5}  {ids:<14} {counts}"
                   + (f"  ({j.note})" if j.note else "") + (f"  (pending: {j.pending_reason})" if j.pending_reason else ""))
    if usage:
        _print_efficiency(usage)
    _warn_environment(view.jobs)


def _watch(rd: Any) -> Any:
    from hpcflow.cli.watch import IDLE_S, watch
    from hpcflow.runtime.logs import last_line
    from hpcflow.runtime.runs import views
    from hpcflow.runtime.summary import find_element

    errors: dict[tuple[str, int], str] = {}

    def first_error(job: Any) -> str:
        key = (job.label, job.bad_elements[0])
        if key not in errors:
            sub, job_id, index = find_element(rd, f"{key[0]}[{key[1]}]")
            errors[key] = last_line(sub.status(job_id, index).error)
        return errors[key]

    return watch(views(rd, poll_s=2.0, idle_s=IDLE_S), rd.meta.created, first_error)


def _print_efficiency(usage: list[Any]) -> None:
    from hpcflow.core.efficiency import human_bytes

    click.echo(f"\n{'NODE':<20} {'TASKS':>5}  {'CPU EFF':>7}  {'PEAK MEM / ASKED':<22} HINT")
    for e in usage:
        cpu = "-" if e.cpu_efficiency is None else f"{e.cpu_efficiency:.0%}"
        mem = "-" if e.peak_rss is None else human_bytes(e.peak_rss)
        if e.req_mem:
            mem += f" / {human_bytes(e.req_mem)}" + (f" ({e.memory_efficiency:.0%})" if e.peak_rss is not None else "")
        click.echo(f"{e.label:<20} {e.tasks:>5}  {cpu:>7}  {mem:<22} {e.hint()}")


def _element_status(run_id: str, node: str, as_json: bool, runs_dir: Path | None) -> None:
    """One element's status and traceback: its array task's records, a few reads whatever the size of its map,
    and for an element that has not recorded its end, what Slurm says of its array task (runs.element_now)."""
    from hpcflow.runtime.runs import element_now, find_run

    rd = find_run(run_id, runs_dir)
    sub, job_id, index = _element(rd, run_id, node)
    status, error = element_now(rd, sub, job_id, index), sub.error_text(job_id, index)
    if as_json:
        click.echo(json.dumps({"run_id": run_id, "node": node, "state": status.state.value,
                               "status": status.to_json(), "traceback": error}))
        return
    click.echo(f"{node} of run {run_id}: {status.state.value}" + (f" ({status.error})" if status.error else ""))
    stolen = "" if status.ran_in is None else f" ran_in=task{status.ran_in}"  # taken over (runtime/stealing.py)
    click.echo(f"attempts={status.attempts} host={status.host or '-'}{stolen} log={sub.element_log_path(job_id, index, status)}")
    if error:
        click.echo(error, nl=False)


def _warn_environment(jobs: list[Any]) -> None:
    for j in jobs:
        if j.other_environment:
            shown = ",".join(map(str, j.other_environment[:10])) + ("..." if len(j.other_environment) > 10 else "")
            click.echo(f"warning: {j.label}[{shown}] ran under another Python, hpcflow or set of installed "
                       "packages than the run was submitted with (see run.json's environment)", err=True)


@cli.command(name="wait")
@click.argument("run_id")
@JSON
@RUNS_DIR
@click.option("--timeout", type=float, default=None, help="Give up after this many seconds.")
def wait_cmd(run_id: str, as_json: bool, runs_dir: Path | None, timeout: float | None) -> None:
    """Wait for a run to finish, then print its outputs."""
    from hpcflow.runtime.handle import Run

    view = Run.attach(run_id, runs_dir).wait(timeout)
    _report(view.run_id, view.state.value, view.outputs, view.error, as_json)


@cli.command()
@click.argument("run_id")
@JSON
@RUNS_DIR
def outputs(run_id: str, as_json: bool, runs_dir: Path | None) -> None:
    """Print the outputs of a finished run."""
    from hpcflow.runtime.runs import find_run, refresh

    view = refresh(find_run(run_id, runs_dir))
    if view.state.value in ("PENDING", "RUNNING"):
        raise HpcflowError(f"run {run_id} is {view.state.value}; `hpcflow wait {run_id}` waits for its outputs")
    _report(view.run_id, view.state.value, view.outputs, view.error, as_json)


@cli.command()
@click.argument("run_id")
@click.argument("node", metavar="NODE[INDEX]", required=False)
@click.option("-f", "--follow", "follow_", is_flag=True, help="Follow the element's log until the element ends.")
@click.option("--failed", is_flag=True, help="The end of every failed element's log, grouped by error.")
@click.option("--lines", "-n", type=click.IntRange(min=0), default=10, show_default=True,
              help="With --failed: how many lines of each log.")
@RUNS_DIR
def logs(run_id: str, node: str | None, follow_: bool, failed: bool, lines: int, runs_dir: Path | None) -> None:
    """Print the log (and traceback) of one element, e.g. `n1[3]` or `n2[0]/n1`; or, with --failed, of every
    element that did not succeed, grouped by error."""
    from hpcflow.runtime.runs import find_run

    if failed and (node or follow_):
        raise InputError("--failed prints every failed element's log: give it without NODE[INDEX] and -f")
    rd = find_run(run_id, runs_dir)
    if failed:
        _print_failed(rd, lines)
        return
    if not node:
        raise InputError(f"missing NODE[INDEX] (e.g. n1[3]; `hpcflow status {run_id}` lists the nodes), "
                         "or --failed for every failed element")
    sub, job_id, index = _element(rd, run_id, node)
    log = sub.element_log_path(job_id, index)  # a batch's elements share their task's log
    if follow_:
        from hpcflow.runtime.backend import backend_of
        from hpcflow.runtime.logs import element_ended, follow

        for text in follow(log, element_ended(rd, node, lambda: backend_of(rd).live(rd))):
            click.echo(text, nl=False)
        return
    if not log.exists():
        raise InputError(f"{node} of run {run_id} has no log yet (state {sub.status(job_id, index).state.value})")
    click.echo(log.read_text(errors="replace"), nl=False)


def _print_failed(rd: Any, lines: int) -> None:
    from hpcflow.runtime.logs import failed_elements, tail
    from hpcflow.runtime.runs import refresh

    groups = failed_elements(rd, refresh(rd))
    if not groups:
        click.echo(f"run {rd.meta.run_id}: no element has failed")
        return
    for group in groups:
        shown = ", ".join(e.label for e in group.elements[:10]) + (" ..." if len(group.elements) > 10 else "")
        click.echo(f"== {len(group.elements)} element(s): {group.error}  [{shown}]")
        for element in group.elements:
            click.echo(f"-- {element.label} ({element.state.value}): {element.error}")
            for line in tail(element.log, lines):
                click.echo(f"   {line}")


@cli.command()
@click.argument("run_id")
@click.option("--output", "-o", "output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The HTML file to write (self-contained: open it anywhere).")
@RUNS_DIR
def report(run_id: str, output: str, runs_dir: Path | None) -> None:
    """Write a run's report: its graph, a timeline of every array task, efficiency, cache hits, inputs, outputs."""
    from hpcflow.cli.report_html import render
    from hpcflow.runtime.report import gather
    from hpcflow.runtime.runs import find_run
    from hpcflow.store.atomic import write_bytes

    folder = Path(output).parent
    if not folder.is_dir():  # before the run is read: a typo in the path is not worth a refresh
        raise InputError(f"-o {output}: the folder {folder} does not exist; create it (mkdir -p {folder}) "
                         "or write the report into a folder that does")
    write_bytes(Path(output), render(gather(find_run(run_id, runs_dir))).encode())
    click.echo(f"wrote {output}")


@cli.command()
@click.argument("run_id")
@RUNS_DIR
def cancel(run_id: str, runs_dir: Path | None) -> None:
    """Cancel every queued and running job of a run."""
    from hpcflow.runtime.handle import Run

    Run.attach(run_id, runs_dir).cancel()
    click.echo(f"run {run_id}: CANCELLED")


@cli.command()
@click.argument("run_id")
@click.option("--wait", "wait_", is_flag=True, help="Wait for the resumed run to finish.")
@JSON
@RUNS_DIR
@click.option("--max-workers", type=click.IntRange(min=1), default=None, help="For local runs.")
def resume(run_id: str, wait_: bool, as_json: bool, runs_dir: Path | None, max_workers: int | None) -> None:
    """Rerun only what did not succeed (failed, cancelled, never ran) and what depends on it."""
    from hpcflow.runtime.runs import find_run, refresh, resume as resume_run, wait
    from hpcflow.runtime.backend import backend_of

    rd = find_run(run_id, runs_dir)
    backend = backend_of(rd, max_workers=max_workers)
    ids = resume_run(rd, backend)
    view = refresh(rd, backend)
    if wait_ or view.state.finished:  # a local resume has already run to the end
        view = wait(rd, backend=backend)
        _report(view.run_id, view.state.value, view.outputs, view.error, as_json)
    elif as_json:
        click.echo(json.dumps({"run_id": run_id, "state": "PENDING", "jobs": ids}))
    else:
        click.echo(f"run {run_id}: resubmitted {len(ids)} job(s)")


@cli.command()
@RUNS_DIR
@click.option("--state", "states", multiple=True, metavar="STATE",
              type=click.Choice(["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"], case_sensitive=False),
              help="Only runs in this state, as last recorded (repeat for several).")
@click.option("--workflow", "workflow", default=None, metavar="NAME", help="Only runs of this workflow (or task).")
@click.option("--since", default=None, metavar="AGE", help="Only runs created in the last AGE, e.g. 30m, 12h, 7d.")
@JSON
def runs(runs_dir: Path | None, states: tuple[str, ...], workflow: str | None, since: str | None,
         as_json: bool) -> None:
    """List runs, oldest first: id, backend, state as last recorded (`hpcflow status` asks the scheduler);
    a damaged run is listed as DAMAGED and hides none of the others."""
    import time

    from hpcflow.runtime.cache_report import parse_age
    from hpcflow.runtime.runs import damaged_runs, list_runs

    after = time.time() - parse_age(since) if since else None
    wanted = {s.upper() for s in states}
    shown = []
    for rd in list_runs(runs_dir):
        try:
            state = rd.state[0].value
        except HpcflowError as exc:
            state = f"DAMAGED: {exc}"
        if (wanted and state not in wanted) or (workflow and rd.meta.workflow != workflow) \
                or (after is not None and rd.meta.created < after):
            continue
        shown.append({"run_id": rd.meta.run_id, "workflow": rd.meta.workflow, "backend": rd.meta.backend,
                      "state": state, "created": rd.meta.created, "path": str(rd.path)})
    damaged = [] if wanted or workflow or since else damaged_runs(runs_dir)  # filters name what a damaged run cannot say
    if as_json:
        click.echo(json.dumps({"runs": shown, "damaged": [{"path": str(p), "error": why} for p, why in damaged]}))
        return
    for run in shown:
        click.echo(f"{run['run_id']}  {run['backend']:<6} {run['state']}")
    for path, reason in damaged:
        click.echo(f"{path.name}  ?      DAMAGED: {reason}")


@cli.group()
def site() -> None:
    """List, show or check site configs."""


@site.command("list")
def site_list() -> None:
    """Every site config found by name (the user's, the site-wide ones, the shipped examples)."""
    from hpcflow.site.config import known_sites, site_dirs

    click.echo("looked up in: " + ", ".join(map(str, site_dirs())))
    for name, path in known_sites().items():
        click.echo(f"{name:<20} {path}")


@site.command("init")
@click.argument("name", metavar="NAME")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="where to write it [~/.config/hpcflow/sites/NAME.toml]")
@click.option("--force", is_flag=True, help="replace an existing file")
def site_init(name: str, output: str | None, force: bool) -> None:
    """Draft a site config from the live cluster (sinfo, scontrol, sacctmgr); review the # DECIDE: lines."""
    from hpcflow.backends.slurm.site_init import draft_site
    from hpcflow.site.config import site_dirs
    from hpcflow.store.atomic import write_bytes

    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise InputError(f"site name {name!r}: use letters, digits, '.', '_' or '-'")
    path = Path(output) if output else site_dirs()[0] / f"{name}.toml"
    if path.exists() and not force:
        raise InputError(f"{path} exists; pass --force to replace it, or --output another file")
    write_bytes(path, draft_site(name).encode())
    click.echo(f"wrote {path}; review its '# DECIDE:' lines, then: hpcflow site check {path if output else name}")


@site.command("show")
@click.argument("name", metavar="SITE")
def site_show(name: str) -> None:
    """Print a site config as hpcflow resolved it."""
    from hpcflow.site.config import load_site

    s = load_site(name)
    click.echo(f"site {s.name} ({s.path}): scheduler {s.scheduler}, runs in {s.runs_dir}, cache in {s.cache_dir}")
    click.echo(f"account={s.account or '-'} gpu_request={s.gpu_request} max_array_size={s.max_array_size} "
               f"preemptible_qos={s.preemptible_qos or '-'} poll_interval={s.poll_interval_s:g}s")
    for p in s.partitions:
        limit = "INFINITE" if p.max_time_s is None else f"{p.max_time_s / 3600:g} h"
        click.echo(f"  partition {p.name:<10} cpus={p.cpus:<4} mem={p.mem_bytes / 2**30:.1f}GiB gpus={p.gpus} "
                   f"max_time={limit}" + (" (default)" if p.default else ""))
    if s.container is not None:
        c = s.container
        click.echo(f"  container {c.runtime or 'exec'}: {c.exec} (python {c.python}; {len(c.images)} image(s) mapped)")
        for name, image in c.images:
            click.echo(f"    image {name} = {image}")


@site.command("check")
@click.argument("name", metavar="SITE")
def site_check(name: str) -> None:
    """Compare a site config with the live cluster (sinfo, scontrol)."""
    from hpcflow.backends.slurm.site_check import check_site
    from hpcflow.site.config import load_site

    problems = check_site(load_site(name))
    for problem in problems:
        click.echo(f"mismatch: {problem}")
    if problems:
        raise HpcflowError(f"site {name} does not match the cluster ({len(problems)} mismatch(es))")
    click.echo(f"site {name} matches the cluster")


@cli.group()
def cache() -> None:
    """Inspect and prune the content-addressed cache."""


CACHE_DIR = click.option("--site", "site_name", envvar="HPCFLOW_SITE", default=None,
                         help="Use this site's cache_dir [default: $HPCFLOW_CACHE_DIR or ~/.hpcflow/cache].")


@cache.command("ls")
@CACHE_DIR
def cache_ls(site_name: str | None) -> None:
    """Entries, sizes and ages per task."""
    from hpcflow.runtime.cache_report import per_task

    for row in per_task(_cache_store(site_name)):
        click.echo(row)


@cache.command("info")
@CACHE_DIR
def cache_info(site_name: str | None) -> None:
    """Where the cache is and how big."""
    from hpcflow.runtime.cache_report import summary

    click.echo(summary(_cache_store(site_name)))


@cache.command("gc")
@CACHE_DIR
@click.option("--older-than", default=None, metavar="AGE", help="Remove entries unused for AGE, e.g. 7d, 12h, 30m.")
@click.option("--max-size", default=None, metavar="SIZE", help="Then remove least recently used entries above SIZE, e.g. 50Gi.")
def cache_gc(site_name: str | None, older_than: str | None, max_size: str | None) -> None:
    """Remove old entries, or the least recently used ones above a size."""
    from hpcflow.runtime.cache_report import parse_age
    from hpcflow.quantities import parse_mem

    if older_than is None and max_size is None:
        raise InputError("say what to remove: --older-than 7d and/or --max-size 50Gi")
    try:
        limit = parse_mem(max_size) if max_size is not None else None
    except HpcflowError:
        raise InputError(f"--max-size '{max_size}' is not a size; use e.g. 500Mi or 50Gi") from None
    removed, freed = _cache_store(site_name).gc(parse_age(older_than) if older_than is not None else None, limit)
    click.echo(f"removed {removed} entr{'y' if removed == 1 else 'ies'}, freed {freed / 2**20:.1f} MiB")


@cache.command("share")
@CACHE_DIR
@click.option("--group", required=True, help="The Unix group whose members share the cache (you must be one).")
def cache_share(site_name: str | None, group: str) -> None:
    """Share the cache with a group: its folders setgid and sticky, entries group-readable."""
    import grp

    from hpcflow.cache.store import share

    store = _cache_store(site_name)
    try:
        share(store.root, group)
    except KeyError:
        raise InputError(f"no group '{group}' here; `id -Gn` lists yours") from None
    except PermissionError as exc:
        raise InputError(f"cannot give {exc.filename} to group '{group}' ({exc.strerror}); "
                         f"are you a member? (`id -Gn`)") from None
    members = ", ".join(grp.getgrnam(group).gr_mem) or "its members"
    click.echo(f"{store.root} is shared with group {group} ({members}); entries written by others are not used")


@cache.command("clear")
@CACHE_DIR
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def cache_clear(site_name: str | None, yes: bool) -> None:
    """Remove every entry."""
    store = _cache_store(site_name)
    if not yes and not click.confirm(f"remove everything in {store.root}?"):
        raise InputError("nothing removed")
    store.clear()
    click.echo(f"cleared {store.root}")


@cache.command("explain")
@click.argument("run_id")
@click.argument("node", metavar="NODE[INDEX]")
@RUNS_DIR
def cache_explain(run_id: str, node: str, runs_dir: Path | None) -> None:
    """Why an element missed the cache: which part of its key changed."""
    from hpcflow.runtime.cache_report import explain
    from hpcflow.cache.store import CacheStore
    from hpcflow.runtime.runs import find_run

    rd = find_run(run_id, runs_dir)
    sub, job_id, index = _element(rd, run_id, node)
    if not rd.meta.cache_dir:
        raise InputError(f"run {run_id} ran without a cache")
    click.echo(explain(sub, job_id, index, CacheStore(Path(rd.meta.cache_dir))))


# --- helpers -------------------------------------------------------------------------------

def _element(rd: Any, run_id: str, node: str) -> tuple[Any, str, int]:
    from hpcflow.runtime.summary import find_element

    try:
        return find_element(rd, node)
    except IndexError as exc:
        raise InputError(f"run {run_id} has no element '{node}': {exc}") from None
    except (KeyError, ValueError, RunDirError):
        raise InputError(f"run {run_id} has no element '{node}'; see `hpcflow status {run_id}` for node names") from None


def _site_or_none(name: str | None) -> Any:
    from hpcflow.site.config import load_site

    return load_site(name) if name else None


def _cache_store(site_name: str | None) -> Any:
    from hpcflow.cache.store import CacheStore
    from hpcflow.config import default_cache_dir

    site = _site_or_none(site_name)
    root = site.cache_dir if site else default_cache_dir()
    if root.exists() and not root.is_dir():
        raise InputError(f"the cache {root} is a file, not a folder; move it, or set another cache_dir")
    return CacheStore(root)


def _run_in_process(entity: Any, inputs: dict[str, Any], as_json: bool) -> None:
    """`hpcflow run` of an @eager workflow or a Flyte 2 task: in this process, as a local run of it
    (a Flyte 2 task's children run concurrently; nothing goes to a run directory)."""
    import asyncio

    from hpcflow.sdk.flyte2.runs import run_local

    run_id = f"{entity.name}-local"
    try:
        if getattr(entity, "kind", None) == "eager":
            value = asyncio.run(entity(**inputs))
        else:
            run = run_local(entity, (), inputs)
            run_id, value = run.name, run.value
        outputs = entity.interface.split(value, f"{entity.kind} '{entity.name}'")
    except Exception as exc:
        _report(run_id, "FAILED", None, f"{type(exc).__name__}: {exc}", as_json)
        return
    _report(run_id, "SUCCEEDED", outputs, "", as_json)


def _load(target: str | None, items: tuple[str, ...], flags: tuple[str, ...] = (),
          show_help: bool = False) -> tuple[Any, Any, dict[str, Any]]:
    """The workflow, its module and its bound inputs, from -i items and pyflyte-style flags;
    with show_help, print the command's help (and the workflow's inputs) and stop."""
    from hpcflow.cli.inputs import inputs_help, parse_input_options, parse_workflow_flags, split_target
    from hpcflow.loader import load_workflow
    from hpcflow.sdk.inputs import bind_inputs

    ctx = click.get_current_context()
    if target is None:
        if show_help:
            click.echo(ctx.get_help())
            ctx.exit(0)
        raise InputError(f"missing FILE.py:WORKFLOW (or FILE.py WORKFLOW); see hpcflow {ctx.info_name} --help")
    target, words = split_target(target, flags)
    wf, module = load_workflow(target)
    if show_help:
        click.echo(ctx.get_help() + "\n\n" + inputs_help(wf.name, wf.interface.inputs))
        ctx.exit(0)
    values, json_errors = parse_input_options(items)
    interface = wf.interface
    bools = {p.name for p in interface.inputs if p.type is bool}
    flagged, flag_errors = parse_workflow_flags(words, bools)
    twice = sorted(set(values) & set(flagged))
    if twice:
        raise InputError(f"input '{twice[0]}' is given both as -i and as --{twice[0]}; give it once")
    values, json_errors = {**values, **flagged}, {**json_errors, **flag_errors}
    try:
        return wf, module, bind_inputs(interface, values, f"workflow '{wf.name}'")
    except InputError as exc:
        bad = next((n for n in json_errors if f"input '{n}'" in str(exc)), None)
        if bad is not None:
            raise InputError(f"{exc} (the value is not valid JSON: {json_errors[bad]})") from None
        raise


def _note_schedule(wf: Any, target: str | None, flags: tuple[str, ...], command: str) -> None:
    """A launch plan's schedule is kept by cron, not by hpcflow: say so on stderr, with the line that keeps it."""
    schedule = getattr(wf, "schedule", None)
    if schedule is None:
        return
    line = schedule.cron_line()
    call = " ".join(["hpcflow", command, str(target), *flags])
    how = (f"to run it on its schedule, add `{line} cd {os.getcwd()} && {call}` with `scrontab -e` (or crontab -e)"
           if line else "cron cannot express it exactly (an offset, or a rate that does not divide an hour or a "
           "day); choose a cron line for `scrontab -e` that runs `" + call + "`")
    if schedule.kickoff_time_input_arg:
        how += f", passing the kickoff time as input '{schedule.kickoff_time_input_arg}'"
    click.echo(f"note: launch plan '{wf.name}' has a schedule, which hpcflow does not keep; this runs it once now; "
               f"{how}", err=True)


def _report(run_id: str, state: str, outputs: dict[str, Any] | None, error: str, as_json: bool) -> None:
    from hpcflow.store.codec import to_display

    shown = None if outputs is None else {k: to_display(v) for k, v in outputs.items()}
    if as_json:
        obj: dict[str, Any] = {"run_id": run_id, "state": state}
        if shown is not None:
            obj["outputs"] = shown
        if error:
            obj["error"] = error
        click.echo(json.dumps(obj))
    else:
        click.echo(f"run {run_id}: {state}")
        for name, value in (shown or {}).items():
            click.echo(f"{name} = {json.dumps(value)}")
    if state != "SUCCEEDED":
        raise HpcflowError(f"run {run_id} {state}: {error}")


def main() -> None:
    """Console entry point: one line on stderr and a non-zero exit for every known error."""
    try:
        cli(standalone_mode=False)
    except HpcflowError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        sys.exit(130)
    except PermissionError as exc:  # someone else's file, or a folder you may not write to
        click.echo(f"error: {exc.filename}: permission denied (it belongs to {_owner(exc.filename)}); "
                   "ask its owner, or use a path of your own", err=True)
        sys.exit(1)
    except OSError as exc:  # a folder that is not there or cannot be written (a runs_dir, HPCFLOW_HOME)
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"error: {where}{exc.strerror or exc}; check that the path exists and is yours to write", err=True)
        sys.exit(1)
    except (RecursionError, MemoryError) as exc:  # an input too large or too deep for a reader
        click.echo(f"error: the input is too large or too deeply nested ({type(exc).__name__}); "
                   "pass a smaller value, or a File", err=True)
        sys.exit(1)
    except Exception as exc:  # a bug: one line, the traceback only on request
        if os.environ.get("HPCFLOW_DEBUG"):
            raise
        message = " ".join(str(exc).split())[:300]
        click.echo(f"error: internal error, {type(exc).__name__}: {message}; rerun with HPCFLOW_DEBUG=1 for "
                   "the traceback and report it", err=True)
        sys.exit(70)


def _owner(path: Any) -> str:
    import pwd

    try:
        return pwd.getpwuid(os.stat(path).st_uid).pw_name
    except (OSError, KeyError, TypeError):
        return "another user"


if __name__ == "__main__":
    main()
