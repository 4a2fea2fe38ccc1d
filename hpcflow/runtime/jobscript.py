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
ELEMENT_ENTRY = "hpcflow.runtime.entry"
EXPANDER_ENTRY = "hpcflow.backends.slurm.expand"
SENTINEL_ENTRY = "hpcflow.backends.slurm.sentinel"


@lru_cache(maxsize=None)
def load_template(name: str) -> string.Template:
    """A template from jobscripts/ (the source tree) or the installed hpcflow.jobscripts."""
    local = _REPO_TEMPLATES / name
    if local.is_file():
        return string.Template(local.read_text())
    return string.Template(resources.files("hpcflow.jobscripts").joinpath(name).read_text())


def render_jobscript(*, run_id: str, run_dir: Path, job: JobPlan, python: str, offset: int = 0,
                     count: int = 1, directives: Sequence[str] = (), preamble: str = "",
                     expander: bool = False, sentinel_round: int | None = None, entry: str = "",
                     log_name: str = "", index: str | None = None, job_id_arg: str = "",
                     log_file: str = "") -> str:
    """The bash script that runs one element of `job`, chosen by the array index plus `offset`."""
    env = "\n".join(f"export {k}={shlex.quote(v)}" for k, v in job.environment)
    log_dir = run_dir / "jobs" / job.id / "logs"
    text = load_template("element.sh").substitute(
        directives="\n".join(directives),
        run_id=run_id,
        job_id=job_id_arg or job.id,
        job_name=job.name,
        first=offset,
        last=offset + count - 1,
        offset=offset,
        log_file=shlex.quote(log_file) if log_file else shlex.quote(str(log_dir)) + "/" + (
            log_name or ("expand.log" if expander else ("sentinel.log" if sentinel_round is not None else "$INDEX.log"))),
        preamble=preamble.strip(),
        environment=env,
        python=shlex.quote(python),
        entry=entry or (EXPANDER_ENTRY if expander else (SENTINEL_ENTRY if sentinel_round is not None else ELEMENT_ENTRY)),
        run_dir=shlex.quote(str(run_dir)),
        index=index if index is not None else ("$INDEX" if sentinel_round is None else str(sentinel_round)),
    )
    return "\n".join(line for line in text.splitlines() if line.strip()) + "\n"
