"""hpcflow: Flyte's programming model on clusters run by Slurm.

Swap `from flytekit import task, workflow, ...` for `from hpcflow import ...`.
"""
from hpcflow.core.node_creation import create_node
from hpcflow.errors import HpcflowError, RecoverableError
from hpcflow.sdk.conditional import conditional
from hpcflow.sdk.context import current_context
from hpcflow.sdk.echo import Echo
from hpcflow.sdk.eager import eager
from hpcflow.sdk.failure import WorkflowFailurePolicy
from hpcflow.sdk.flyte_context import FlyteContext, FlyteContextManager
from hpcflow.sdk.environment import Environment, ReusePolicy
from hpcflow.sdk.image_spec import ImageSpec
from hpcflow.sdk.imperative import ImperativeWorkflow
from hpcflow.sdk.launch_plan import LaunchPlan
from hpcflow.sdk.map_task import ArrayNodeMapTask, map_task
from hpcflow.sdk.reference import reference_launch_plan, reference_task, reference_workflow
from hpcflow.sdk.resources import ResourceSpec, Resources
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

# Flyte 2 (`import hpcflow as flyte`): TaskEnvironment and its tasks, flyte.run/map/init/group/ctx, errors, io.
# map, run, init, group and ctx are attributes only, not in __all__: `from hpcflow import *` must not
# shadow the builtin map in flytekit-style code.
from hpcflow import artifacts, errors, io, models, notify, report
from hpcflow.sdk.flyte2.action import ctx, custom_context, get_custom_context, group
from hpcflow.sdk.flyte2.mapping import map
from hpcflow.sdk.flyte2.options import (Backoff, Cache, Image, PodTemplate, RetryStrategy, Secret, Timeout)
from hpcflow.sdk.flyte2.runs import init, init_from_config, run, with_runcontext
from hpcflow.sdk.flyte2.task import AsyncFunctionTaskTemplate, TaskEnvironment
from hpcflow.sdk.flyte2.triggers import Cron, OnArtifact, Trigger, TriggeredArtifact, TriggerTime
from hpcflow.sdk.resources import AMD_GPU, GPU, HABANA_GAUDI, TPU, Device, Neuron

import logging as _logging

logger = _logging.getLogger("hpcflow.user")
TaskTemplate = AsyncFunctionTaskTemplate  # flyte's base class of tasks: here every Flyte 2 task is one  # Flyte 2's flyte.logger: the user's own log lines
_FLYTE2_ATTRIBUTES = (artifacts, errors, io, models, notify, report, ctx, group, map, init, run)  # public as attributes, kept out of __all__ (above)

# flytekit's names for the same things, so that flytekit code runs with only its import line changed
FlyteRecoverableException = RecoverableError
FlyteFile = File
FlyteDirectory = Directory
# flytekit's `Workflow(name=...)` is its imperative workflow; @workflow's class stays hpcflow.sdk.workflow.Workflow
# (ImperativeWorkflow subclasses it, so the loader takes both)
Workflow = ImperativeWorkflow

__version__ = "0.1.0"


def _submit_flyte2(task, inputs, site, settings=None):  # noqa: ANN001, ANN202 - see below
    # flyte.run in mode "remote" submits through the runtime, which the sdk sits below: handed in from here,
    # the package's root, and imported only when a remote run is made
    from hpcflow.runtime.flyte2_submit import submit_flyte2

    return submit_flyte2(task, inputs, site, settings)


from hpcflow.sdk.flyte2.runs import use_remote as _use_remote  # noqa: E402

_use_remote(_submit_flyte2)


def __getattr__(name: str):  # noqa: ANN202 - submit/Run load the runtime only when asked for
    if name in ("submit", "Run"):
        from hpcflow.runtime import handle

        return getattr(handle, name)
    raise AttributeError(f"module 'hpcflow' has no attribute '{name}'")

__all__ = ["task", "workflow", "dynamic", "map_task", "ArrayNodeMapTask", "trace", "conditional", "current_context", "Echo", "LaunchPlan", "reference_workflow", "reference_task", "reference_launch_plan", "CronSchedule", "FixedRate", "Workflow", "ImperativeWorkflow",
           "create_node", "TaskMetadata", "eager", "WorkflowFailurePolicy", "WorkflowMetadata", "WorkflowMetadataDefaults", "FlyteContext", "FlyteContextManager", "Environment", "ReusePolicy", "inherit", "Resources", "ResourceSpec", "ImageSpec",
           "File", "Directory", "register_type", "BatchSize", "kwtypes", "HpcflowError", "RecoverableError", "FlyteRecoverableException",
           "FlyteFile", "FlyteDirectory", "submit", "Run", "__version__",
           "TaskEnvironment", "AsyncFunctionTaskTemplate", "TaskTemplate", "Cache", "RetryStrategy", "Backoff", "Timeout", "Image",
           "Secret", "PodTemplate", "GPU", "TPU", "Neuron", "AMD_GPU", "HABANA_GAUDI", "Device", "init_from_config", "with_runcontext", "custom_context",
           "get_custom_context", "Trigger", "Cron", "OnArtifact", "TriggerTime", "TriggeredArtifact"]
