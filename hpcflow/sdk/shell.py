"""flytekit's ShellTask: a task whose body is a shell script, with typed inputs and file outputs.

    t = ShellTask(name="compress", script="tar -zcf {outputs.o} {inputs.d}", inputs=kwtypes(d=FlyteDirectory),
                  output_locs=[OutputLocation(var="o", var_type=FlyteFile, location="{inputs.d}.tar.gz")])

The script's `{inputs.NAME}` and `{outputs.NAME}` are filled in (files and directories by their
paths), output locations from the inputs; the script runs with `shell` (flytekit's default,
/bin/sh) and its outputs are the files and directories at those locations. A ShellTask is a
task like any other: called in workflows, mapped with map_task, cached, retried; on Slurm its
element runs the script. Each element runs it in a fresh working folder (in the element's folder
of the run directory, on the shared filesystem), so relative output locations such as
`output.txt` are the element's own and reach later tasks on other nodes. A non-zero exit fails
the task with the script's stderr in the error; as in flytekit it is a recoverable failure, so
`retries` run it again.
"""
from __future__ import annotations

import collections
import dataclasses
import hashlib
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from hpcflow.errors import RecoverableError, WorkflowDefinitionError
from hpcflow.sdk.shell_template import interpolate
from hpcflow.sdk.spec import TaskSpec, check_declared, config_options, make_spec
from hpcflow.sdk.task import Task, bound_name
from hpcflow.sdk.trace import current_trace
from hpcflow.types.check import type_name, unsupported_reason
from hpcflow.types.files import Directory, File
from hpcflow.types.interface import Interface, Param

TASK_OPTIONS = frozenset(f.name for f in dataclasses.fields(TaskSpec)) - {"sbatch", "setup"}
STDERR_LINES = 20  # how much of a failed script's stderr its error keeps (the whole of it is in the log)


def kwtypes(**kwargs: Any) -> "collections.OrderedDict[str, Any]":
    """Names and types, in order: `kwtypes(x=FlyteFile, n=int)` declares a ShellTask's inputs."""
    return collections.OrderedDict(kwargs)


@dataclass
class OutputLocation:
    """An output of a ShellTask: the file or directory its script writes at `location`."""

    var: str
    var_type: type
    location: str | os.PathLike


class ShellScriptError(RecoverableError):
    """A ShellTask's script exited with a non-zero status."""


class ShellTask(Task):
    """A task that runs a shell script (flytekit's ShellTask)."""

    _frames_to_caller = 1  # from __init__ to the code that made the task: its module is the task's

    def __init__(self, name: str, debug: bool = False, script: str | None = None, script_file: str | None = None,
                 task_config: Any = None, shell: str = "/bin/sh", inputs: Mapping[str, Any] | None = None,
                 output_locs: Sequence[OutputLocation] | None = None, **options: Any):
        where = f"ShellTask '{name}'"
        if script and script_file:
            raise WorkflowDefinitionError(f"{where}: give script= or script_file=, not both")
        if not script and not script_file:
            raise WorkflowDefinitionError(f"{where}: give the script to run, as script=\"...\" or script_file=PATH")
        if script_file:
            if not os.path.isfile(script_file):
                raise WorkflowDefinitionError(f"{where}: script_file {script_file} does not exist")
            script_file = os.path.abspath(script_file)
        self.name, self.debug, self.shell = name, debug, shell
        self._script, self.script_file = script, script_file
        self.output_locs = list(output_locs or ())
        # the Slurm plugin's batch_script_args: the script's $1, $2, ... (as sbatch passes them)
        self.script_args = tuple(str(a) for a in getattr(task_config, "batch_script_args", None) or ())
        self.module = sys._getframe(self._frames_to_caller).f_globals.get("__name__", "__main__")
        self._qualname: str | None = None
        self.fn = self._execute
        unknown = sorted(set(options) - TASK_OPTIONS)
        if unknown:
            raise WorkflowDefinitionError(f"{where}: unknown option {unknown[0]}=; a ShellTask takes the options of "
                                          f"@task: {', '.join(sorted(TASK_OPTIONS))}")
        self.spec = make_spec(**options, **config_options(task_config, where))
        check_declared("ShellTask", name, self.spec)
        self._interface = _interface(inputs or {}, self.output_locs, self.spec.cache_ignore_input_vars, where)

    @property
    def script(self) -> str:
        """The script as written (read from script_file when given one)."""
        if self._script is None:
            return Path(self.script_file or "").read_text()
        return self._script

    @property
    def qualname(self) -> str:  # type: ignore[override]
        """The module-level name the task is bound to, so that job processes can import it."""
        if self._qualname is None:
            found = bound_name(self, self.module)
            if found is None:
                return f"<locals>.{self.name}"  # not (yet) at module level: compile says to define it there
            self._qualname = found
        return self._qualname

    def code_fingerprint(self) -> str:
        """What the cache keys a ShellTask's code on: its script, shell and output locations."""
        parts = [self.shell, self.script, *self.script_args] + [f"{o.var}={o.location}" for o in self.output_locs]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()

    def run_concrete(self, *args: Any, **kwargs: Any) -> Any:
        """Run the script on concrete inputs, as flytekit's local execution does."""
        if args:
            raise WorkflowDefinitionError(f"ShellTask '{self.name}': call it with keyword arguments")
        return self._execute(**kwargs)

    def _execute(self, **inputs: Any) -> Any:
        where = f"ShellTask '{self.name}'"
        workdir = _workdir()
        outputs = {o.var: interpolate(str(o.location), inputs, {}, where) for o in self.output_locs}
        script = interpolate(self.script, inputs, outputs, where)
        if self.debug:
            print(f"hpcflow: {where} runs in {workdir}:\n{script}", flush=True)
        done = subprocess.run([self.shell, "-c", script, self.name, *self.script_args], cwd=workdir, capture_output=True, text=True)
        sys.stdout.write(done.stdout)
        sys.stderr.write(done.stderr)
        sys.stdout.flush()
        sys.stderr.flush()
        if done.returncode != 0:
            tail = " | ".join(done.stderr.rstrip().splitlines()[-STDERR_LINES:]) or "(empty)"  # one line, for status
            raise ShellScriptError(f"{where}: the script exited with status {done.returncode}; stderr: {tail}")
        values = []
        for o in self.output_locs:
            path = os.path.join(workdir, outputs[o.var])  # a relative location is in the script's folder
            if not os.path.exists(path):
                raise ShellScriptError(f"{where}: output '{o.var}' is not at {path} after the script ran; "
                                       f"write it there (e.g. > {{outputs.{o.var}}})")
            values.append(o.var_type(path))
        return None if not values else values[0] if len(values) == 1 else tuple(values)


def _workdir() -> str:
    """A fresh folder for one run of a script: in the element's folder when running as an element
    (the shared filesystem), else a temporary one."""
    log = current_trace()
    if log is None:
        return tempfile.mkdtemp(prefix="hpcflow-shell-")
    base = log.folder.parent / "shell"  # the trace log lives in the element's folder
    base.mkdir(parents=True, exist_ok=True)
    return tempfile.mkdtemp(prefix="run-", dir=base)  # a retry gets a folder of its own


def _interface(inputs: Mapping[str, Any], output_locs: Sequence[OutputLocation], ignored: Sequence[str],
               where: str) -> Interface:
    if not isinstance(inputs, Mapping):
        raise WorkflowDefinitionError(f"{where}: inputs= takes kwtypes(name=type, ...), not {inputs!r}")
    for name, tp in inputs.items():
        reason = unsupported_reason(tp)
        if reason:
            raise WorkflowDefinitionError(f"{where}: input '{name}': {reason}")
    outputs = []
    for o in output_locs:
        if not isinstance(o, OutputLocation):
            raise WorkflowDefinitionError(f"{where}: output_locs takes OutputLocation(var=, var_type=, location=), "
                                          f"not {o!r}")
        if not (isinstance(o.var_type, type) and issubclass(o.var_type, (File, Directory))):
            raise WorkflowDefinitionError(f"{where}: output '{o.var}' has type {type_name(o.var_type)}; a ShellTask's "
                                          "outputs are FlyteFile or FlyteDirectory (print a value to a file for others)")
        if not o.location:
            raise WorkflowDefinitionError(f"{where}: output '{o.var}' needs a location, e.g. '{{inputs.x}}.out'")
        outputs.append((o.var, o.var_type))
    for name in ignored:
        if name not in inputs:
            raise WorkflowDefinitionError(f"{where}: cache_ignore_input_vars names '{name}', which is not an input")
    params = tuple(Param(n, tp) for n, tp in inputs.items())
    if not outputs:
        return Interface(params, (), "none")
    if len(outputs) == 1:
        return Interface(params, (("o0", outputs[0][1]),), "single")
    return Interface(params, tuple(outputs), "tuple")
