"""The `hpcflow` command: parses arguments, calls the library, maps errors to exit codes."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from hpcflow.config import default_runs_dir
from hpcflow.errors import HpcflowError, InputError, RunDirError

RUNS_DIR = click.option("--runs-dir", type=click.Path(file_okay=False, path_type=Path), envvar="HPCFLOW_RUNS_DIR",
                        default=None, help="Where run directories live [default: ~/.hpcflow/runs].")
JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hpcflow")
def cli() -> None:
    """Flyte-style workflows on Slurm: run locally, submit to a cluster, follow from the shell."""


@cli.command()
@click.argument("target", metavar="FILE.py:WORKFLOW")
@click.option("-i", "--input", "inputs", multiple=True, metavar="NAME=VALUE",
              help="A workflow input; VALUE is JSON when it parses, else a string.")
@JSON
@click.option("--max-workers", type=click.IntRange(min=1), default=None,
              help="Elements run at once [default: number of cores].")
@RUNS_DIR
def run(target: str, inputs: tuple[str, ...], as_json: bool, max_workers: int | None,
        runs_dir: Path | None) -> None:
    """Run a workflow on this machine with the local backend."""
    from hpcflow.backends.local import LocalBackend
    from hpcflow.core.compile import compile_plan
    from hpcflow.loader import load_workflow
    from hpcflow.runtime.rundir import RunDir, RunMeta, new_run_id

    wf, module = load_workflow(target)
    bound = _bind_cli_inputs(wf, inputs)
    plan = compile_plan(wf.graph, bound)
    run_id = new_run_id(wf.name)
    rd = RunDir.create((runs_dir or default_runs_dir()) / run_id, plan,
                       RunMeta(run_id, wf.name, module.__name__, str(Path(module.__file__).resolve())))
    if not as_json:
        click.echo(f"run {run_id}: {len(plan.jobs)} job(s), directory {rd.path}", err=True)
    result = LocalBackend(max_workers).run(rd)
    _report(run_id, result.state.value, result.outputs, result.error, as_json)


@cli.command()
@click.argument("run_id")
@JSON
@RUNS_DIR
def outputs(run_id: str, as_json: bool, runs_dir: Path | None) -> None:
    """Print the outputs of a finished run."""
    rd = _open_run(run_id, runs_dir)
    state, error = rd.state
    values = rd.final_outputs() if state.ok else None
    _report(run_id, state.value, values, error, as_json)


@cli.command()
@click.argument("run_id")
@JSON
@RUNS_DIR
def status(run_id: str, as_json: bool, runs_dir: Path | None) -> None:
    """Show per-job element counts of a run."""
    from hpcflow.runtime.summary import summarize

    rd = _open_run(run_id, runs_dir)
    state, error = rd.state
    jobs = list(summarize(rd))
    if as_json:
        click.echo(json.dumps({"run_id": run_id, "state": state.value, "error": error, "jobs": [
            {"node": j.label, "name": j.name, "kind": j.kind, "size": j.size,
             "counts": {k.value: v for k, v in j.counts.items()}, "note": j.note} for j in jobs]}))
        return
    click.echo(f"run {run_id}: {state.value}" + (f" ({error})" if error else ""))
    click.echo(f"{'NODE':<16} {'NAME':<22} {'KIND':<8} {'SIZE':>5}  COUNTS")
    for j in jobs:
        counts = " ".join(f"{k.value.lower()}={v}" for k, v in sorted(j.counts.items()))
        size = "?" if j.size is None else str(j.size)
        click.echo(f"{j.label:<16} {j.name:<22} {j.kind:<8} {size:>5}  {counts}" + (f"  ({j.note})" if j.note else ""))


@cli.command()
@click.argument("run_id")
@click.argument("node", metavar="NODE[INDEX]")
@RUNS_DIR
def logs(run_id: str, node: str, runs_dir: Path | None) -> None:
    """Print the log (and traceback) of one element, e.g. `n1[3]` or `n2[0]/n1`."""
    from hpcflow.runtime.summary import find_element

    rd = _open_run(run_id, runs_dir)
    try:
        sub, job_id, index = find_element(rd, node)
    except (KeyError, ValueError, RunDirError):
        raise InputError(f"run {run_id} has no element '{node}'; see `hpcflow status {run_id}` for node names") from None
    log = sub.log_path(job_id, index)
    if not log.exists():
        raise InputError(f"{node} of run {run_id} has no log yet (state {sub.status(job_id, index).state.value})")
    click.echo(log.read_text(errors="replace"), nl=False)


@cli.command()
@RUNS_DIR
def runs(runs_dir: Path | None) -> None:
    """List runs, newest last."""
    from hpcflow.runtime.rundir import RunDir

    root = runs_dir or default_runs_dir()
    for path in sorted(root.glob("*/run.json"), key=lambda p: p.stat().st_mtime):
        rd = RunDir(path.parent)
        click.echo(f"{path.parent.name}  {rd.state[0].value}")


# --- helpers -------------------------------------------------------------------------------

def _bind_cli_inputs(wf: Any, items: tuple[str, ...]) -> dict[str, Any]:
    from hpcflow.cli.inputs import parse_input_options
    from hpcflow.sdk.inputs import bind_inputs

    values, json_errors = parse_input_options(items)
    try:
        return bind_inputs(wf.interface, values, f"workflow '{wf.name}'")
    except InputError as exc:
        bad = next((n for n in json_errors if f"input '{n}'" in str(exc)), None)
        if bad is not None:
            raise InputError(f"{exc} (the value is not valid JSON: {json_errors[bad]})") from None
        raise


def _open_run(run_id: str, runs_dir: Path | None) -> Any:
    from hpcflow.runtime.rundir import RunDir

    path = Path(run_id) if Path(run_id).is_absolute() else (runs_dir or default_runs_dir()) / run_id
    if not (path / "run.json").exists():
        raise RunDirError(f"no run '{run_id}' in {path.parent}; `hpcflow runs` lists the runs")
    return RunDir(path)


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


if __name__ == "__main__":
    main()
