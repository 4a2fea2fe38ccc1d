"""The frozen options of a task, as given to @task / @dynamic."""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from hpcflow.errors import InvalidValueError, WorkflowDefinitionError
from hpcflow.text import name_problem, variable_problem

if TYPE_CHECKING:
    from hpcflow.sdk.resources import Resources


@dataclass(frozen=True)
class TaskSpec:
    """Everything @task accepts; later stages (Slurm, cache, faults) read their part."""

    cache: bool = False
    cache_version: str = ""
    cache_serialize: bool = False
    cache_ignore_input_vars: tuple[str, ...] = ()
    cache_fingerprint_source: bool = True
    retries: int = 0
    timeout: float | None = None  # seconds
    interruptible: bool = False
    requests: Resources | None = None
    limits: Resources | None = None
    environment: Mapping[str, str] | Any = field(default_factory=dict)
    sbatch: tuple[tuple[str, str], ...] = ()  # the task's own sbatch options (a Slurm plugin config's sbatch_conf)
    setup: str = ""  # shell lines its jobscript runs before the element (SlurmFunctionConfig's script)
    pickle_untyped: bool = False  # flytekit's: parameters and a return without annotations are Any
    nodes: int = 1  # a multi-node task's nodes, and its ranks on each (sdk/distributed.py)
    tasks_per_node: int = 1
    launcher: str = ""  # how its ranks find each other: "torch" (MASTER_ADDR, ...) or "mpi" (Slurm's PMI)
    container_image: Any = None  # an image name or path, or an ImageSpec: where its elements run (sdk/image_spec.py)

    def with_overrides(self, overrides: Mapping[str, Any]) -> "TaskSpec":
        """A copy with node-level overrides applied (unknown keys are ignored here)."""
        fields = {k: v for k, v in overrides.items() if k in self.__dataclass_fields__ or k == "resources"}
        return make_spec(self, **fields) if fields else self


def is_timedelta(value: object) -> bool:
    """True for a datetime.timedelta. A timedelta means datetime is loaded: the check does not load it."""
    datetime = sys.modules.get("datetime")
    return datetime is not None and isinstance(value, datetime.timedelta)


def make_spec(base: TaskSpec | None = None, **options: Any) -> TaskSpec:
    """Validate @task options and build a TaskSpec, starting from `base`. `resources=` (flytekit's
    request-and-limit form, a value or a (request, limit) pair per resource) becomes requests and limits."""
    resources = options.pop("resources", None)
    if resources is not None:
        if options.get("requests") is not None or options.get("limits") is not None:
            raise InvalidValueError("`resource` can not be used together with requests= or limits=: set only "
                                    "resources=Resources(cpu=(request, limit), ...), or only requests=/limits=")
        if not isinstance(resources, _resources_class()):
            raise WorkflowDefinitionError(f"resources= takes Resources(cpu=..., mem=..., gpu=...), not {resources!r}")
        options["requests"], options["limits"] = resources.requests_and_limits()
    current = dict(base.__dict__) if base else {}
    current.update(options)
    spec = TaskSpec(**current)
    if not isinstance(spec.retries, int) or spec.retries < 0:
        raise WorkflowDefinitionError(f"retries={spec.retries!r} must be a whole number >= 0")
    for name in ("requests", "limits"):
        value = getattr(spec, name)
        if value is not None and not isinstance(value, _resources_class()):
            raise WorkflowDefinitionError(f"{name}= takes Resources(cpu=..., mem=..., gpu=...), not {value!r}")
        if value is not None and value.pairs:
            raise InvalidValueError(f"{name}= takes one value per resource, not the (request, limit) pair(s) "
                                    f"{', '.join(value.pairs)}; pass them as resources=Resources(...) instead")
    timeout = spec.timeout
    if is_timedelta(timeout):
        timeout = timeout.total_seconds()
    if timeout is not None and (not isinstance(timeout, (int, float)) or timeout <= 0):
        raise InvalidValueError(f"timeout={spec.timeout!r} must be a datetime.timedelta or int seconds (> 0)")
    image = spec.container_image
    if image is not None and not (isinstance(image, str) and image.strip()) and not hasattr(image, "image_name"):
        raise WorkflowDefinitionError(f"container_image={image!r} takes an image (a path such as "
                                      "'/shared/images/app.sif', or a registry name) or an ImageSpec")
    check_environment = getattr(spec.environment, "check_as_task_environment", None)  # an sdk Environment
    if check_environment is not None:
        check_environment()
    ignore = spec.cache_ignore_input_vars
    ignore = (ignore,) if isinstance(ignore, str) else tuple(ignore)
    if spec.cache_serialize and not spec.cache:
        raise WorkflowDefinitionError("cache_serialize=True needs cache=True")
    return TaskSpec(**{**spec.__dict__, "timeout": None if timeout is None else float(timeout),
                       "cache_ignore_input_vars": ignore, "cache_version": str(spec.cache_version)})


def _resources_class() -> type:
    # only asked when a task was given resources: a task without any does not load their module
    from hpcflow.sdk.resources import Resources

    return Resources


def check_declared(kind: str, name: object, spec: TaskSpec) -> None:
    """Refuse a task whose name or environment variable names would break the jobscript its
    elements run in, naming the task and the character, where the task is declared."""
    problem = name_problem(name)
    if problem:
        raise WorkflowDefinitionError(f"{kind} name: {problem}")
    variables = spec.environment if isinstance(spec.environment, Mapping) else {}
    for key, value in variables.items():
        problem = variable_problem(key, value)
        if problem:
            raise WorkflowDefinitionError(f"{kind} '{name}': environment variable {problem}")


def config_options(task_config: Any, where: str) -> dict[str, Any]:
    """TaskSpec fields from a task's task_config= (flytekit's plugin configs): only the Slurm
    plugin's configs (hpcflow.plugins.slurm: sbatch options and setup lines) and the multi-node
    ones (hpcflow.plugins: PyTorch, Elastic, MPIJob, MPI: nodes and ranks) have any."""
    if task_config is None:
        return {}
    options = getattr(task_config, "spec_options", None)
    if options is None:
        raise WorkflowDefinitionError(f"{where}: task_config={task_config!r} is not supported; hpcflow takes the "
                                      "Slurm plugin's configs (hpcflow.plugins.slurm: SlurmFunctionConfig, "
                                      "SlurmConfig, ...) and hpcflow.plugins' PyTorch, Elastic, MPIJob and MPI, "
                                      "or none")
    return options()
