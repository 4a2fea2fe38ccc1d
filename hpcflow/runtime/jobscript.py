"""Renders the per-job shell script from the templates in jobscripts/ (pure)."""
from __future__ import annotations

import shlex
import string
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Sequence

from hpcflow.core.plan import JobPlan

_REPO_TEMPLATES = Path(__file__).resolve().parents[2] / "jobscripts"


@lru_cache(maxsize=None)
def load_template(name: str) -> string.Template:
    """A template from jobscripts/ (the source tree) or the installed hpcflow.jobscripts."""
    local = _REPO_TEMPLATES / name
    if local.is_file():
        return string.Template(local.read_text())
    return string.Template(resources.files("hpcflow.jobscripts").joinpath(name).read_text())


def render_jobscript(*, run_id: str, run_dir: Path, job: JobPlan, elements: int, python: str,
                     directives: Sequence[str] = (), preamble: str = "") -> str:
    """The bash script that runs one element of `job`, chosen by the array index."""
    env = "\n".join(f"export {k}={shlex.quote(v)}" for k, v in job.environment)
    return load_template("element.sh").substitute(
        directives="\n".join(directives),
        run_id=run_id,
        job_id=job.id,
        job_name=job.name,
        elements=elements,
        preamble=preamble,
        environment=env,
        python=shlex.quote(python),
        run_dir=shlex.quote(str(run_dir)),
    )
