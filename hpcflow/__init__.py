"""hpcflow: Flyte's programming model on clusters run by Slurm.

Swap `from flytekit import task, workflow, ...` for `from hpcflow import ...`, or `import flyte`
for `import hpcflow as flyte`.

Every public name is loaded on first use (PEP 562): a map's element imports this package, and
its user module does `from hpcflow import task`, so importing it must cost only what is used —
not the Flyte 2 SDK, the CLI or the runtime.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hpcflow.sdk.flyte2.remote import use_remote as _use_remote

if TYPE_CHECKING:  # what type checkers and editors see; at run time __getattr__ loads each name (_HOMES)
    import logging

    from hpcflow import artifacts, errors, io, models, notify, report
    from hpcflow.core.node_creation import create_node
    from hpcflow.errors import HpcflowError, RecoverableError
    from hpcflow.runtime.handle import Run, submit
    from hpcflow.sdk.conditional import conditional
    from hpcflow.sdk.context import current_context
    from hpcflow.sdk.eager import eager
    from hpcflow.sdk.echo import Echo
    from hpcflow.sdk.environment import Environment, ReusePolicy
    from hpcflow.sdk.failure import WorkflowFailurePolicy
    from hpcflow.sdk.flyte2.action import ctx, custom_context, get_custom_context, group
    from hpcflow.sdk.flyte2.mapping import map
    from hpcflow.sdk.flyte2.options import Backoff, Cache, Image, PodTemplate, RetryStrategy, Secret, Timeout
    from hpcflow.sdk.flyte2.runs import init, init_from_config, run, with_runcontext
    from hpcflow.sdk.flyte2.task import AsyncFunctionTaskTemplate, TaskEnvironment
    from hpcflow.sdk.flyte2.triggers import Cron, OnArtifact, Trigger, TriggeredArtifact, TriggerTime
    from hpcflow.sdk.flyte_context import FlyteContext, FlyteContextManager
    from hpcflow.sdk.image_spec import ImageSpec
    from hpcflow.sdk.imperative import ImperativeWorkflow
    from hpcflow.sdk.launch_plan import LaunchPlan
    from hpcflow.sdk.map_task import ArrayNodeMapTask, map_task
    from hpcflow.sdk.reference import reference_launch_plan, reference_task, reference_workflow
    from hpcflow.sdk.resources import AMD_GPU, GPU, HABANA_GAUDI, TPU, Device, Neuron, ResourceSpec, Resources
    from hpcflow.sdk.schedule import CronSchedule, FixedRate
    from hpcflow.sdk.shell import kwtypes
    from hpcflow.sdk.task import dynamic, task
    from hpcflow.sdk.task_defaults import inherit
    from hpcflow.sdk.task_metadata import TaskMetadata
    from hpcflow.sdk.trace import trace
    from hpcflow.sdk.workflow import workflow
    from hpcflow.sdk.workflow_metadata import WorkflowMetadata, WorkflowMetadataDefaults
    from hpcflow.types.custom import BatchSize, register_type
    from hpcflow.types.files import Directory, File

    FlyteRecoverableException = RecoverableError
    FlyteFile = File
    FlyteDirectory = Directory
    Workflow = ImperativeWorkflow
    TaskTemplate = AsyncFunctionTaskTemplate
    logger: logging.Logger

__version__ = "0.1.0"

# Where each public name lives: module -> names. Read by __getattr__ on first use.
_HOMES: dict[str, tuple[str, ...]] = {
    "hpcflow.core.node_creation": ("create_node",),
    "hpcflow.errors": ("HpcflowError", "RecoverableError"),
    "hpcflow.sdk.conditional": ("conditional",),
    "hpcflow.sdk.context": ("current_context",),
    "hpcflow.sdk.echo": ("Echo",),
    "hpcflow.sdk.eager": ("eager",),
    "hpcflow.sdk.failure": ("WorkflowFailurePolicy",),
    "hpcflow.sdk.flyte_context": ("FlyteContext", "FlyteContextManager"),
    "hpcflow.sdk.environment": ("Environment", "ReusePolicy"),
    "hpcflow.sdk.image_spec": ("ImageSpec",),
    "hpcflow.sdk.imperative": ("ImperativeWorkflow",),
    "hpcflow.sdk.launch_plan": ("LaunchPlan",),
    "hpcflow.sdk.map_task": ("ArrayNodeMapTask", "map_task"),
    "hpcflow.sdk.reference": ("reference_launch_plan", "reference_task", "reference_workflow"),
    "hpcflow.sdk.resources": ("ResourceSpec", "Resources", "AMD_GPU", "GPU", "HABANA_GAUDI", "TPU", "Device",
                              "Neuron"),
    "hpcflow.sdk.schedule": ("CronSchedule", "FixedRate"),
    "hpcflow.sdk.shell": ("kwtypes",),
    "hpcflow.sdk.task": ("dynamic", "task"),
    "hpcflow.sdk.task_defaults": ("inherit",),
    "hpcflow.sdk.task_metadata": ("TaskMetadata",),
    "hpcflow.sdk.trace": ("trace",),
    "hpcflow.sdk.workflow": ("workflow",),
    "hpcflow.sdk.workflow_metadata": ("WorkflowMetadata", "WorkflowMetadataDefaults"),
    "hpcflow.types.custom": ("BatchSize", "register_type"),
    "hpcflow.types.files": ("Directory", "File"),
    # Flyte 2 (`import hpcflow as flyte`): TaskEnvironment and its tasks, flyte.run/map/init/group/ctx
    "hpcflow.sdk.flyte2.action": ("ctx", "custom_context", "get_custom_context", "group"),
    "hpcflow.sdk.flyte2.mapping": ("map",),
    "hpcflow.sdk.flyte2.options": ("Backoff", "Cache", "Image", "PodTemplate", "RetryStrategy", "Secret", "Timeout"),
    "hpcflow.sdk.flyte2.runs": ("init", "init_from_config", "run", "with_runcontext"),
    "hpcflow.sdk.flyte2.task": ("AsyncFunctionTaskTemplate", "TaskEnvironment"),
    "hpcflow.sdk.flyte2.triggers": ("Cron", "OnArtifact", "Trigger", "TriggeredArtifact", "TriggerTime"),
    "hpcflow.runtime.handle": ("submit", "Run"),  # the Python API over the runtime
}
_WHERE: dict[str, str] = {name: module for module, names in _HOMES.items() for name in names}

# Other names for the same things: flytekit's, so that flytekit code runs with only its import line
# changed, and Flyte 2's TaskTemplate (every Flyte 2 task here is one). flytekit's `Workflow(name=...)`
# is its imperative workflow; @workflow's class stays hpcflow.sdk.workflow.Workflow (ImperativeWorkflow
# subclasses it, so the loader takes both).
_ALIASES: dict[str, str] = {
    "FlyteRecoverableException": "RecoverableError",
    "FlyteFile": "File",
    "FlyteDirectory": "Directory",
    "Workflow": "ImperativeWorkflow",
    "TaskTemplate": "AsyncFunctionTaskTemplate",
}

# Flyte 2's flyte.errors, flyte.io, ...: this package's own modules, reached as attributes
_SUBMODULES = ("artifacts", "errors", "io", "models", "notify", "report")


def __getattr__(name: str) -> Any:
    """Load a public name from its home on first use, and keep it here for the next."""
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
    elif name in _ALIASES:
        value = __getattr__(_ALIASES[name])
    elif name in _SUBMODULES:
        value = importlib.import_module(f"{__name__}.{name}")
    elif name == "logger":  # Flyte 2's flyte.logger: the user's own log lines
        import logging

        value = logging.getLogger("hpcflow.user")
    else:
        raise AttributeError(f"module 'hpcflow' has no attribute '{name}'")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE, *_ALIASES, *_SUBMODULES, "logger"})


def _submit_flyte2(task, inputs, site, settings=None):  # noqa: ANN001, ANN202 - see below
    # flyte.run in mode "remote" submits through the runtime, which the sdk sits below: handed in from here,
    # the package's root, and imported only when a remote run is made
    from hpcflow.runtime.flyte2_submit import submit_flyte2

    return submit_flyte2(task, inputs, site, settings)


_use_remote(_submit_flyte2)  # before any sdk module can exist: they are all imported after this package

# map, run, init, group, ctx, logger and the submodules are attributes only, not in __all__:
# `from hpcflow import *` must not shadow the builtin map in flytekit-style code.
__all__ = ["task", "workflow", "dynamic", "map_task", "ArrayNodeMapTask", "trace", "conditional", "current_context", "Echo", "LaunchPlan", "reference_workflow", "reference_task", "reference_launch_plan", "CronSchedule", "FixedRate", "Workflow", "ImperativeWorkflow",
           "create_node", "TaskMetadata", "eager", "WorkflowFailurePolicy", "WorkflowMetadata", "WorkflowMetadataDefaults", "FlyteContext", "FlyteContextManager", "Environment", "ReusePolicy", "inherit", "Resources", "ResourceSpec", "ImageSpec",
           "File", "Directory", "register_type", "BatchSize", "kwtypes", "HpcflowError", "RecoverableError", "FlyteRecoverableException",
           "FlyteFile", "FlyteDirectory", "submit", "Run", "__version__",
           "TaskEnvironment", "AsyncFunctionTaskTemplate", "TaskTemplate", "Cache", "RetryStrategy", "Backoff", "Timeout", "Image",
           "Secret", "PodTemplate", "GPU", "TPU", "Neuron", "AMD_GPU", "HABANA_GAUDI", "Device", "init_from_config", "with_runcontext", "custom_context",
           "get_custom_context", "Trigger", "Cron", "OnArtifact", "TriggerTime", "TriggeredArtifact"]
