"""Renders one sbatch call of a plan as the bash script in jobscripts/element.sh (pure).

Every job kind (elements, sizing jobs, sentinels, proxies, pools) is the same template: the
call record says which entry point it runs, with which arguments, logging where.
"""
from __future__ import annotations

import shlex
import string
from functools import lru_cache
from pathlib import Path

from hpcflow.core.directives import dependency_directives
from hpcflow.core.plan import JobPlan, SbatchCall

TEMPLATES = Path(__file__).resolve().parents[1] / "jobscripts"  # shipped with the package


@lru_cache(maxsize=None)
def load_template(name: str) -> string.Template:
    """A template from the package's jobscripts/."""
    return string.Template((TEMPLATES / name).read_text())


def render_call(call: SbatchCall, job: JobPlan, *, run_id: str, run_dir: Path | str, python: str,
                preamble: str = "", dependency: str = "") -> str:
    """The bash script of one sbatch call; `dependency` is its --dependency value ('' for none)."""
    env = "\n".join(f"export {k}={shlex.quote(v)}" for k, v in job.environment)
    run_dir = str(run_dir)
    folder, _, name = call.log.rpartition("/")
    log_file = shlex.quote(f"{run_dir}/{folder}") + "/" + name  # the name may be the script's own $INDEX
    text = load_template("element.sh").substitute(
        directives="\n".join(list(call.directives) + dependency_directives(dependency)),
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
