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

from hpcflow.core.plan import STEAL_VARIABLE, JobPlan, SbatchCall
from hpcflow.errors import WorkflowDefinitionError
from hpcflow.text import bash_quote, control_char, describe_char, one_line, variable_problem

TEMPLATES = Path(__file__).resolve().parents[1] / "jobscripts"  # shipped with the package
RECOVER_ENTRY = "hpcflow.backends.slurm.recover"
LAUNCHER_VARIABLE = "HPCFLOW_RANKS"  # the command that starts a multi-node element's ranks (runtime/ranks.py)
RUN_AGAIN = 75  # what the recover step exits with to have the element run again in this job


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
    _check_reaches_shell(call, job)
    env = "\n".join(f"export {k}={bash_quote(v)}" for k, v in job.environment)
    run_dir = str(run_dir)
    refuse = (f'{shlex.quote(python)} -m {call.entry} --refuse "$1" {shlex.quote(run_dir)} {call.target} '
              f'"{call.arg}"')
    if job.setup and call.role.runs_elements:  # set-up lines: its Environment's software, a Slurm config's script
        # a set-up step that fails records the element FAILED with its reason (runtime/entry.py --refuse)
        env = f"{env}\nhpcflow_refuse() {{ exec {refuse}; }}\n{job.setup.strip()}"
    if call.ranks and call.role.runs_elements:  # how the element starts its ranks (runtime/ranks.py)
        launcher = call.ranks.replace("$PYTHON", shlex.quote(python))
        env = f'{env}\nexport {LAUNCHER_VARIABLE}="{launcher}"'
    folder, _, name = call.log.rpartition("/")
    log_file = shlex.quote(f"{run_dir}/{folder}") + "/" + name  # the name may be the script's own $INDEX
    runner = python
    if job.own_python and call.role.runs_elements:  # its environment's conda or venv: that `python` runs it
        runner = "python"
        reason = (shlex.quote(f"the python of task {one_line(job.name)}'s environment (")
                  + '"$(command -v python || echo none)"'
                  + shlex.quote(") cannot import hpcflow; pip install hpcflow-slurm into that environment"))
        env = f"{env}\npython -c 'import hpcflow' 2>/dev/null || hpcflow_refuse {reason}"
    command = f'{shlex.quote(runner)} -m {call.entry} {shlex.quote(run_dir)} {call.target} "{call.arg}"'
    skip, run = "", _recovering(command, python, run_dir, call, log_file) if call.recover else f"exec {command}"
    if call.role.runs_elements and call.steal_s:  # its tasks may run each other's elements (runtime/stealing.py)
        env = f"{env}\nexport {STEAL_VARIABLE}={call.steal_s:g}"
        done = shlex.quote(f"{run_dir}/jobs/{call.target}/claims") + '/"$INDEX".done'
        # a task whose element another task ran, and ended well, costs Slurm's start and no more
        skip = f"[[ -e {done} ]] && exit 0"
    elif call.role.runs_elements:  # sbatch exports the submitting shell's environment: none may steal here
        env = f"{env}\nunset {STEAL_VARIABLE}"
    text = load_template("element.sh").substitute(
        directives="\n".join(call.directives),
        run_id=one_line(run_id),
        job_id=call.target,
        job_name=one_line(job.name),
        first=call.offset,
        last=call.offset + call.count - 1,
        offset=call.offset,
        log_file=log_file,
        skip=skip,
        preamble=preamble.strip(),
        environment=env,
        run=run,
    )
    # split at \n only, as bash does: splitlines() would also cut a quoted value at \x1e or U+2028
    return "\n".join(line for line in text.split("\n") if line.strip()) + "\n"


def _check_reaches_shell(call: SbatchCall, job: JobPlan) -> None:
    """Refuse what would end a directive or an export line early and start a command: names and
    values are checked where they are declared, and this catches what was built at run time."""
    for key, value in job.environment:
        problem = variable_problem(key, value)
        if problem:
            raise WorkflowDefinitionError(f"task {one_line(job.name)}: environment variable {problem}")
    for line in call.directives:
        bad = control_char(line)
        if bad is not None:
            raise WorkflowDefinitionError(f"task {one_line(job.name)}: the directive {one_line(line)!r} has "
                                          f"{describe_char(bad)}; fix the site config or the task's sbatch options")


def _recovering(command: str, python: str, run_dir: str, call: SbatchCall, log_file: str) -> str:
    """The element in a job step of its own, so that an out-of-memory kill ends the step and not
    the job, and the recover step that decides what happens when it ends without success."""
    step = 'srun --ntasks=1 --nodes=1 ${SLURM_CPUS_PER_TASK:+--cpus-per-task=$SLURM_CPUS_PER_TASK}'
    recover = f'{shlex.quote(python)} -m {RECOVER_ENTRY} {shlex.quote(run_dir)} {call.target} "{call.arg}"'
    return "\n".join([
        "# retries what kills the element's Python process: again here after a kill, in a new job with",
        f"# more memory after an out-of-memory kill ({RECOVER_ENTRY} decides, and records why)",
        "while :; do",
        f"  seen=$(stat -c %s {log_file} 2>/dev/null || echo 0)",
        f"  {step} {command} && exit 0",
        f'  {recover} $? {log_file} "$seen"',
        f"  rc=$?; [[ $rc -eq {RUN_AGAIN} ]] || exit $rc",
        "done",
    ])
