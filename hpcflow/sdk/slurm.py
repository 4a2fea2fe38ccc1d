"""The names of Flyte's Slurm plugin (flytekitplugins-slurm), so that its users move by changing imports.

`from flytekitplugins.slurm import ...` becomes `from hpcflow.plugins.slurm import ...`. That
plugin needs a Flyte deployment and submits one sbatch per task over SSH; hpcflow runs on the
login node itself and compiles the whole workflow into job arrays. What carries over:

- `sbatch_config` (`sbatch_conf` in the plugin's first releases) becomes the task's own sbatch
  options, checked where they are written (an unknown key names the nearest sbatch option; keys
  hpcflow decides, such as array, dependency and output, are refused) and merged into its job's
  #SBATCH lines at compile time (a named partition must exist in the site and fit the request);
- `SlurmFunctionConfig(script=...)`: the lines before `{task.fn}` run before the element;
- `SlurmShellTask` is a ShellTask (run with bash) and `SlurmTask` runs an existing batch script,
  with its own #SBATCH lines under the config's sbatch options, as sbatch reads them;
- `ssh_config` is refused: there is no remote host to reach.
"""
from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from hpcflow.core.sbatch_options import DECIDED, SbatchOptions, check_sbatch_conf
from hpcflow.errors import WorkflowDefinitionError
from hpcflow.sdk.shell import OutputLocation, ShellTask
from hpcflow.sdk.spec import make_spec
from hpcflow.sdk.task import Task

NO_SSH = ("hpcflow runs on the cluster's login node itself and submits there with sbatch, so it needs no SSH; "
          "remove ssh_config and run `hpcflow submit` on the login node")


def _checked(config: Any, conf: Mapping[str, Any] | None) -> SbatchOptions:
    what = type(config).__name__
    if config.ssh_config is not None:
        raise WorkflowDefinitionError(f"{what}(ssh_config=...): {NO_SSH}")
    return check_sbatch_conf(conf, what)


def _setup_lines(script: str | None, what: str) -> str:
    """The lines of a function config's script before `{task.fn}`, which run before the element."""
    if script is None:
        return ""
    before, found, after = script.partition("{task.fn}")
    if not found:
        raise WorkflowDefinitionError(f"{what}(script=...): the script has no {{task.fn}}; put it where the "
                                      "task's function runs")
    if after.strip():
        raise WorkflowDefinitionError(f"{what}(script=...): hpcflow runs only the lines before {{task.fn}} (set-up "
                                      "such as module loads); move the lines after it into a task of their own")
    lines = before.splitlines()
    return "\n".join(lines[1:] if lines and lines[0].startswith("#!") else lines).strip()


@dataclass
class SlurmFunctionConfig:
    """task_config= of a Python @task: its sbatch options, and set-up lines run before it."""

    ssh_config: Mapping[str, Any] | None = None
    sbatch_config: Mapping[str, Any] | None = None
    script: str | None = None
    options: SbatchOptions = field(init=False, repr=False)
    setup: str = field(init=False, repr=False, default="")

    def __post_init__(self) -> None:
        self.options = _checked(self, self.sbatch_config)
        self.setup = _setup_lines(self.script, type(self).__name__)

    def spec_options(self) -> dict[str, Any]:
        """The TaskSpec fields this config sets."""
        return {"sbatch": self.options, "setup": self.setup}


@dataclass
class SlurmFunction(SlurmFunctionConfig):
    """The plugin's first name for SlurmFunctionConfig, with `sbatch_conf`."""

    sbatch_conf: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        self.sbatch_config = self.sbatch_config or self.sbatch_conf
        super().__post_init__()


@dataclass
class SlurmConfig:
    """task_config= of a SlurmShellTask: its sbatch options and the script's arguments."""

    ssh_config: Mapping[str, Any] | None = None
    sbatch_config: Mapping[str, Any] | None = None
    batch_script_args: Sequence[Any] | None = None
    options: SbatchOptions = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.options = _checked(self, self.sbatch_config)

    def spec_options(self) -> dict[str, Any]:
        """The TaskSpec fields this config sets."""
        return {"sbatch": self.options}


@dataclass
class SlurmScriptConfig(SlurmConfig):
    """task_config= of a SlurmTask: an existing batch script on the cluster."""

    batch_script_path: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.batch_script_path is None:
            raise WorkflowDefinitionError(f"{type(self).__name__}: give batch_script_path=, the script to run")


@dataclass
class Slurm(SlurmConfig):
    """The plugin's first name for SlurmConfig, with `sbatch_conf`."""

    sbatch_conf: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        self.sbatch_config = self.sbatch_config or self.sbatch_conf
        super().__post_init__()


@dataclass
class SlurmRemoteScript(SlurmScriptConfig):
    """The plugin's first name for SlurmScriptConfig, with `sbatch_conf`."""

    sbatch_conf: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        self.sbatch_config = self.sbatch_config or self.sbatch_conf
        super().__post_init__()


class SlurmShellTask(ShellTask):
    """A ShellTask with the Slurm plugin's config; its script runs with bash, as sbatch runs it."""

    _frames_to_caller = 2

    def __init__(self, name: str, task_config: SlurmConfig, script: str, inputs: Mapping[str, Any] | None = None,
                 output_locs: Sequence[OutputLocation] | None = None, **options: Any):
        if not isinstance(task_config, SlurmConfig):
            raise WorkflowDefinitionError(f"SlurmShellTask '{name}': task_config takes SlurmConfig(sbatch_config=...), "
                                          f"not {task_config!r}")
        super().__init__(name=name, script=script, task_config=task_config, shell="/bin/bash", inputs=inputs,
                         output_locs=output_locs, **options)


class SlurmTask(ShellTask):
    """Runs an existing batch script (SlurmScriptConfig.batch_script_path) with its arguments."""

    _frames_to_caller = 2

    def __init__(self, name: str, task_config: SlurmScriptConfig, **options: Any):
        if not isinstance(task_config, SlurmScriptConfig):
            raise WorkflowDefinitionError(f"SlurmTask '{name}': task_config takes SlurmScriptConfig("
                                          f"batch_script_path=...), not {task_config!r}")
        path = str(task_config.batch_script_path)
        if not os.path.isfile(path):
            raise WorkflowDefinitionError(f"SlurmTask '{name}': batch_script_path {path} does not exist here; hpcflow "
                                          "runs on the cluster, so give the script's path on it")
        own = script_directives(path, f"SlurmTask '{name}'")
        given = dict(task_config.options)
        task_config.options = tuple((k, v) for k, v in own if k not in given) + task_config.options
        # `{{`/`}}`: the command goes through the same {inputs.x} templating as any ShellTask's script
        command = f'exec /bin/bash {shlex.quote(path)} "$@"'.replace("{", "{{").replace("}", "}}")
        super().__init__(name=name, script=command, task_config=task_config, shell="/bin/bash", **options)


# sbatch's short options, as a batch script's own #SBATCH lines may write them
_SHORT = {"A": "account", "C": "constraint", "G": "gpus", "N": "nodes", "c": "cpus-per-task", "n": "ntasks",
          "p": "partition", "q": "qos", "t": "time", "w": "nodelist", "x": "exclude", "J": "job-name",
          "o": "output", "e": "error", "a": "array", "d": "dependency"}


def script_directives(path: str, where: str) -> SbatchOptions:
    """A batch script's own #SBATCH options, less those hpcflow decides (its job name, log files)."""
    found: dict[str, Any] = {}
    with open(path) as f:
        for line in f:
            if not line.startswith("#SBATCH"):
                continue
            words = shlex.split(line[len("#SBATCH"):], comments=True)
            if not words:
                continue
            option, value = words[0], words[1] if len(words) > 1 else None
            if option.startswith("--"):
                key, eq, inline = option[2:].partition("=")
                value = inline if eq else value
            elif option.startswith("-") and option[1:2] in _SHORT:
                key, value = _SHORT[option[1:2]], option[2:] or value
            else:
                raise WorkflowDefinitionError(f"{where}: {path}: cannot read '{line.strip()}'; write it with sbatch's "
                                              "long option, e.g. #SBATCH --partition=cpu")
            if key not in DECIDED:  # as on sbatch's command line, hpcflow's own options win over the script's
                found[key] = value
    return check_sbatch_conf(found, f"{where}: {path}")


class SlurmFunctionTask(Task):
    """The plugin's task class for a Python function: `@task(task_config=SlurmFunctionConfig(...))` makes one."""

    def __init__(self, task_config: SlurmFunctionConfig, task_function: Callable[..., Any],
                 container_image: Any = None, **options: Any):
        super().__init__(task_function, make_spec(**options, container_image=container_image,
                                                  **task_config.spec_options()))
