"""Environment and ReusePolicy: where tasks run (variables, software, warm workers as Flyte's reusable
containers), and flytekit's bundle of @task options (sdk/task_defaults.py)."""
from __future__ import annotations

import datetime
import os
import shlex
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from hpcflow.errors import WorkflowDefinitionError
from hpcflow.sdk.task_defaults import TaskDefaults, check_task_options, inherit
from hpcflow.text import variable_problem


@dataclass(frozen=True)
class ReusePolicy:
    """Keep up to `replicas` worker jobs of `concurrency` slots each alive while there is work, and
    let the pool go after `idle_ttl` without any (hpcflow's Environment(reuse=...) and Flyte 2's
    TaskEnvironment(reuse_policy=... or reusable=...) take the same class).

    Flyte 2's `replicas=(min, max)` is an autoscaling range: the pool keeps `min` worker jobs
    while it lives and grows to `max` under load; a worker without work for `scaledown_ttl` is
    let go (down to `min`). An int is both. Time-to-lives are seconds or timedeltas."""

    replicas: int | tuple[int, int] = 1
    concurrency: int = 1
    idle_ttl: float | datetime.timedelta = 60.0
    scaledown_ttl: float | datetime.timedelta | None = None  # None: idle_ttl
    scope: str = "global"  # Flyte 2's; hpcflow's pools live within one run either way

    def __post_init__(self) -> None:
        replicas = self.replicas
        if isinstance(replicas, list):
            replicas = tuple(replicas)
            object.__setattr__(self, "replicas", replicas)
        pair = replicas if isinstance(replicas, tuple) else (replicas, replicas)
        if len(pair) != 2 or not all(isinstance(n, int) for n in pair):
            raise WorkflowDefinitionError(f"ReusePolicy replicas={replicas!r} takes a whole number or a (min, max) "
                                          "pair, e.g. replicas=(1, 4)")
        if pair[0] < 0 or pair[1] < max(1, pair[0]) or self.concurrency < 1:
            raise WorkflowDefinitionError(f"ReusePolicy replicas={replicas!r}, concurrency={self.concurrency}: needs "
                                          "replicas >= 1 (or a (min, max) pair with 0 <= min <= max) and concurrency >= 1")
        if self.idle_ttl_s <= 0 or self.scaledown_ttl_s <= 0:
            raise WorkflowDefinitionError("ReusePolicy idle_ttl and scaledown_ttl must be positive")
        if self.scope not in ("global", "run"):
            raise WorkflowDefinitionError(f"ReusePolicy scope={self.scope!r} must be 'global' or 'run'")

    @property
    def min_replicas(self) -> int:
        """Worker jobs the pool keeps while it lives."""
        return self.replicas[0] if isinstance(self.replicas, tuple) else self.replicas

    @property
    def max_replicas(self) -> int:
        """Worker jobs the pool may grow to."""
        return self.replicas[1] if isinstance(self.replicas, tuple) else self.replicas

    @property
    def idle_ttl_s(self) -> float:
        """idle_ttl in seconds."""
        return _seconds(self.idle_ttl)

    @property
    def scaledown_ttl_s(self) -> float:
        """scaledown_ttl in seconds (idle_ttl when not given)."""
        return self.idle_ttl_s if self.scaledown_ttl is None else _seconds(self.scaledown_ttl)


def _seconds(ttl: float | datetime.timedelta) -> float:
    return ttl.total_seconds() if isinstance(ttl, datetime.timedelta) else float(ttl)


# where the module command's shell set-up lives (Environment Modules, Lmod), for batch shells without it
MODULE_INITS = ("/etc/profile.d/modules.sh", "/etc/profile.d/lmod.sh", "/usr/share/lmod/lmod/init/bash",
                "/usr/share/modules/init/bash")


PLACE_FIELDS = ("reuse", "env_vars", "modules", "conda", "venv", "preamble")


@dataclass(frozen=True, init=False)
class Environment(TaskDefaults):
    """Where a task runs: environment variables, its software (environment modules, a conda
    environment or a venv, shell lines), and optionally warm workers (`reuse`); pass it as
    `@task(environment=env)`. The software lines run in the element's jobscript after the site's
    preamble. With `conda` or `venv`, that environment's `python` runs the element, so it needs
    hpcflow-slurm installed.

    Any other keyword is a @task option, as in flytekit's Environment: `@env.task` (or `@env`,
    `@env.dynamic`) declares a task with them, running in the environment when it has a name.
    `Environment(retries=2)` without a name is only such a bundle of options."""

    name: str
    reuse: ReusePolicy | None
    env_vars: Mapping[str, str]
    modules: Sequence[str]
    conda: str
    venv: str
    preamble: str
    task_options: Mapping[str, Any] = field(init=False)  # flytekit's: the @task options that @env.task applies

    def __init__(self, name: str = "", reuse: ReusePolicy | None = None, env_vars: Mapping[str, str] | None = None,
                 modules: Sequence[str] = (), conda: str = "", venv: str = "", preamble: str = "",
                 **task_options: Any) -> None:
        values = dict(name=name, reuse=reuse, env_vars=dict(env_vars or {}), modules=modules, conda=conda,
                      venv=venv, preamble=preamble, task_options=task_options)
        for key, value in values.items():
            object.__setattr__(self, key, value)
        self.__post_init__()

    def __post_init__(self) -> None:
        given = [f for f in PLACE_FIELDS if getattr(self, f)]
        if not self.name and given:
            raise WorkflowDefinitionError(f"Environment({given[0]}=...) needs a name, e.g. "
                                          f"Environment('sim', {given[0]}=...)")
        if self.name and not self.name.replace("-", "_").isidentifier():
            raise WorkflowDefinitionError(f"Environment name {self.name!r} must be a simple name, e.g. 'gpu-pool'")
        if isinstance(self.modules, str):
            raise WorkflowDefinitionError(f"Environment '{self.name}': modules= takes a list, e.g. ['gcc/12', 'openmpi']")
        object.__setattr__(self, "modules", tuple(self.modules))
        for key, value in self.env_vars.items():  # each becomes an `export NAME=value` line of a jobscript
            problem = variable_problem(key, value)
            if problem:
                raise WorkflowDefinitionError(f"Environment '{self.name}': env_vars: {problem}")
        if self.conda and self.venv:
            raise WorkflowDefinitionError(f"Environment '{self.name}': give conda= or venv=, not both")
        if self.name and "environment" in self.task_options:
            raise WorkflowDefinitionError(f"Environment '{self.name}': give its variables as env_vars={{...}}, "
                                          "not environment=")
        check_task_options(self.task_options, f"Environment '{self.name}'" if self.name else "Environment")

    @property
    def is_place(self) -> bool:
        """True when it says where tasks run (it has a name), False for a bundle of task options only."""
        return bool(self.name)

    def place(self) -> "Environment":
        """This environment without its task options: what a task's `environment=` holds."""
        return self.with_options({}) if self.task_options else self

    def with_options(self, options: Mapping[str, Any]) -> "Environment":
        """The same place with these task options."""
        place = {f: getattr(self, f) for f in PLACE_FIELDS}
        return Environment(self.name, **place, **options)

    def check_as_task_environment(self) -> None:
        """Refuse it as @task(environment=...) when that would drop its task options, or it names no place."""
        if not self.is_place:
            raise WorkflowDefinitionError(f"Environment({_listed(self.task_options)}) holds @task options, not where a "
                                          "task runs: decorate with @env.task instead of passing environment=env")
        if self.task_options:
            raise WorkflowDefinitionError(f"Environment '{self.name}' holds @task options ({_listed(self.task_options)})"
                                          f": decorate with @env.task to apply them, or leave them out")

    def decorator_options(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        options = super().decorator_options(overrides)
        return {**options, "environment": self.place()} if self.is_place else options

    def extend(self, **overrides: Any) -> "Environment":
        """A new Environment: this one with more (or other) task options."""
        return self.with_options(inherit(self.task_options, overrides))

    def update(self, **overrides: Any) -> None:
        """Change the task options for the tasks declared from now on (those declared keep theirs)."""
        options = inherit(self.task_options, overrides)
        check_task_options(options, f"Environment '{self.name}'" if self.name else "Environment")
        object.__setattr__(self, "task_options", options)

    def shown(self) -> dict[str, Any]:
        place = {f: getattr(self, f) for f in ("name", *PLACE_FIELDS) if getattr(self, f)}
        return {**place, **self.task_options}

    def software_lines(self) -> str:
        """The shell lines that put this environment's software in place, in a jobscript. A step that
        fails ends the element with a one-line reason (the jobscript's hpcflow_refuse)."""
        lines, me = [], f"environment '{self.name}'"
        if self.modules:
            load = "module load " + " ".join(shlex.quote(m) for m in self.modules)
            lines += [f"type module >/dev/null 2>&1 || for f in {' '.join(MODULE_INITS)}; do "
                      '[ -f "$f" ] && . "$f" && break; done',
                      f'{load} || hpcflow_refuse "{me}: {load} failed (is the module system set up on the node, '
                      'and are these names in its module avail?)"']
        if self.conda:
            name = shlex.quote(self.conda)
            lines += [f'eval "$(conda shell.bash hook 2>/dev/null)" && conda activate {name} || hpcflow_refuse '
                      f'"{me}: conda activate {name} failed (is conda on PATH on the node, and does '
                      f'`conda env list` show {name}?)"']
        if self.venv:
            activate = shlex.quote(os.path.join(os.path.expanduser(self.venv), "bin", "activate"))
            lines.append(f'. {activate} || hpcflow_refuse "{me}: there is no venv at {self.venv}"')
        if self.preamble.strip():
            lines.append(self.preamble.strip())
        return "\n".join(lines)

    @property
    def own_python(self) -> bool:
        """True when the environment brings its own Python (conda or venv), which runs the element."""
        return bool(self.conda or self.venv)


def _listed(options: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in options.items())
