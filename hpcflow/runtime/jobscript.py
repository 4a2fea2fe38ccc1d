"""Renders one sbatch call of a plan as the bash script in jobscripts/element.sh (pure).

Every job kind (elements, sizing jobs, sentinels, proxies, pools) is the same template: the
call record says which entry point it runs, with which arguments, logging where.
"""
from __future__ import annotations

import shlex
import string
from functools import lru_cache
from pathlib import Path

from typing import Iterable

from hpcflow.core.plan import JobPlan, SbatchCall

TEMPLATES = Path(__file__).resolve().parents[1] / "jobscripts"  # shipped with the package


@lru_cache(maxsize=None)
def load_template(name: str) -> string.Template:
    """A template from the package's jobscripts/."""
    return string.Template((TEMPLATES / name).read_text())


def render_calls(calls: Iterable[tuple[SbatchCall, JobPlan]], *, run_id: str, run_dir: Path | str, python: str,
                 preamble: str = "") -> dict[str, str]:
    """render_call of each (call, its job): script path (relative to the run directory) -> text."""
    return {call.script: render_call(call, job, run_id=run_id, run_dir=run_dir, python=python, preamble=preamble)
            for call, job in calls}


def render_call(call: SbatchCall, job: JobPlan, *, run_id: str, run_dir: Path | str, python: str,
                preamble: str = "") -> str:
    """The bash script of one sbatch call. Its --dependency is not in it: the Slurm ids it waits
    on exist only at submit time, so it goes on sbatch's command line (shell.sbatch_options)."""
    env = "\n".join(f"export {k}={shlex.quote(v)}" for k, v in job.environment)
    run_dir = str(run_dir)
    folder, _, name = call.log.rpartition("/")
    log_file = shlex.quote(f"{run_dir}/{folder}") + "/" + name  # the name may be the script's own $INDEX
    text = load_template("element.sh").substitute(
        directives="\n".join(call.directives),
        run_id=run_id,
        job_id=call.target,
        job_name=job.name,
        first=call.offset,
        last=call.offset + call.count - 1,
        offset=call.offset,
        log_file=log_file,
        preamble=preamble.strip(),
        environment=env,
        python=shlex.quote(python),
        entry=call.entry,
        run_dir=shlex.quote(run_dir),
        index=call.arg,
    )
    return "\n".join(line for line in text.splitlines() if line.strip()) + "\n"
