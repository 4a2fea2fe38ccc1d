"""LaunchPlan, as in flytekit: a workflow under a name, with default and fixed inputs.

`LaunchPlan.get_or_create(wf, name, default_inputs=..., fixed_inputs=...)` gives a workflow
that can be called inside workflows and dynamics like a sub-workflow (a missing input takes
its default; a fixed one cannot be passed), called in-process, and run with
`hpcflow run|submit FILE.py:PLAN`. flytekit starts a launch plan called from a workflow as a
separate execution; here it runs inside the run that calls it, like a sub-workflow, because a
Slurm run has no separate executions to start. What flytekit's launch plans do that hpcflow
cannot (notifications, labels, ...) is an error at once, never silently ignored. A `schedule`
(CronSchedule, FixedRate: sdk/schedule.py) is validated and kept as `plan.schedule`; the plan runs when
called or submitted, as flytekit's local run does, and `hpcflow run|submit` say that hpcflow keeps no
schedule and print the scrontab line that does.
`max_parallelism` holds for a run of the plan (core/parallelism.py: maps throttled at compile time).
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from hpcflow.core.building import ACTIVE_BUILDER
from hpcflow.errors import WorkflowDefinitionError
from hpcflow.sdk.schedule import CronSchedule, FixedRate, Schedule
from hpcflow.sdk.workflow import Workflow
from hpcflow.types.interface import Interface

_UNSUPPORTED = {
    "notifications": "hpcflow sends no notifications: Slurm's --mail-type in the site's extra_directives does",
    "security_context": "jobs run as the user who submits them",
    "auth_role": "jobs run as the user who submits them",
    "raw_output_data_config": "outputs go to the run directory and the site's cache_dir",
    "labels": "hpcflow keeps no labels on runs",
    "annotations": "hpcflow keeps no annotations on runs",
    "trigger": "hpcflow starts runs only when you submit them",
}


class LaunchPlan(Workflow):
    """A workflow under a name, with default and fixed inputs."""

    _by_name: dict[str, "LaunchPlan"] = {}

    def __init__(self, workflow: Workflow, name: str, default_inputs: Mapping[str, Any],
                 fixed_inputs: Mapping[str, Any], max_parallelism: int | None = None, schedule: Schedule | None = None):
        fixed = dict(fixed_inputs)
        if schedule is not None and not isinstance(schedule, (CronSchedule, FixedRate)):
            raise WorkflowDefinitionError(f"LaunchPlan '{name}': schedule= takes CronSchedule(schedule=...) or "
                                          f"FixedRate(duration=...), not {schedule!r}")

        def launch(**kwargs: Any) -> Any:  # its body is what the plan's graph records: the workflow's node
            return workflow(**kwargs, **fixed)

        launch.__name__ = launch.__qualname__ = name
        launch.__module__ = workflow.module
        super().__init__(launch)
        self.failure_policy = workflow.failure_policy  # the run's policy is the workflow's (its handler is its node's)
        self.workflow, self.default_inputs, self.fixed_inputs = workflow, dict(default_inputs), fixed
        if max_parallelism is not None and (not isinstance(max_parallelism, int) or max_parallelism < 1):
            raise WorkflowDefinitionError(f"LaunchPlan '{name}': max_parallelism={max_parallelism!r} must be a whole "
                                          "number >= 1")
        self.max_parallelism = max_parallelism  # for a run of this plan (runs.compile_for)
        self.schedule = schedule  # recorded; the CLI says how to keep it (scrontab)
        inner = workflow.interface
        where = f"LaunchPlan '{name}' of workflow '{workflow.name}'"
        for given, what in ((self.default_inputs, "default_inputs"), (fixed, "fixed_inputs")):
            unknown = sorted(set(given) - set(inner.input_names))
            if unknown:
                raise WorkflowDefinitionError(f"{where}: {what} names {', '.join(unknown)}, which the workflow does "
                                              f"not take; its inputs are: {', '.join(inner.input_names) or 'none'}")
        inputs = tuple(dataclasses.replace(p, default=self.default_inputs[p.name]) if p.name in self.default_inputs
                       else p for p in inner.inputs if p.name not in fixed)
        self._interface = Interface(inputs, inner.outputs, inner.output_kind, inner.output_class)

    @classmethod
    def get_or_create(cls, workflow: Workflow, name: str | None = None, default_inputs: Mapping[str, Any] | None = None,
                      fixed_inputs: Mapping[str, Any] | None = None, max_parallelism: int | None = None,
                      schedule: Schedule | None = None, **options: Any) -> "LaunchPlan":
        """The launch plan called `name` (default: the workflow's module and name), made on first use."""
        if not isinstance(workflow, Workflow):
            raise WorkflowDefinitionError(f"LaunchPlan.get_or_create takes a @workflow, not {workflow!r}")
        refused = {k: _UNSUPPORTED.get(k, "hpcflow does not know it") for k, v in options.items() if v is not None}
        if refused:
            key, why = next(iter(refused.items()))
            raise WorkflowDefinitionError(f"LaunchPlan.get_or_create({key}=...): {why}")
        name = name or f"{workflow.module}.{workflow.name}"
        defaults, fixed = dict(default_inputs or {}), dict(fixed_inputs or {})
        known = cls._by_name.get(name)
        if known is not None:
            if (known.workflow is workflow or known.workflow.qualname == workflow.qualname) and \
                    (known.default_inputs, known.fixed_inputs, known.max_parallelism, known.schedule) == \
                    (defaults, fixed, max_parallelism, schedule):
                return known
            if default_inputs is None and fixed_inputs is None and known.workflow.qualname == workflow.qualname:
                return known  # flytekit: get_or_create(wf) with the name of one made before gives that one
            raise WorkflowDefinitionError(f"a LaunchPlan named '{name}' exists with other inputs or another "
                                          "workflow; give this one another name")
        plan = cls(workflow, name, defaults, fixed, max_parallelism, schedule)
        cls._by_name[name] = plan
        return plan

    @classmethod
    def create(cls, name: str, workflow: Workflow, default_inputs: Mapping[str, Any] | None = None,
               fixed_inputs: Mapping[str, Any] | None = None, max_parallelism: int | None = None,
               schedule: Schedule | None = None, **options: Any) -> "LaunchPlan":
        """flytekit's LaunchPlan.create: a launch plan called `name`, made now (one of that name
        made before with the same workflow and inputs is the same plan)."""
        return cls.get_or_create(workflow, name, default_inputs if default_inputs is not None else {},
                                 fixed_inputs if fixed_inputs is not None else {}, max_parallelism, schedule,
                                 **options)

    @classmethod
    def get_default_launch_plan(cls, ctx: Any, workflow: Workflow) -> "LaunchPlan":
        """flytekit's default launch plan of a workflow: its own name, no defaults or fixed inputs
        beyond its own (`ctx`, flytekit's context, is not needed here)."""
        return cls.get_or_create(workflow)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        clash = sorted(set(kwargs) & set(self.fixed_inputs))
        if self.max_parallelism is not None and ACTIVE_BUILDER.get() is not None:
            raise WorkflowDefinitionError(
                f"LaunchPlan '{self.name}' has max_parallelism, which holds only for a run of the plan itself: "
                "called from a workflow it runs inside the caller's run; set max_parallelism on the plan you run")
        if clash:
            raise WorkflowDefinitionError(f"LaunchPlan '{self.name}': input {clash[0]} is fixed; it cannot be passed")
        return super().__call__(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<LaunchPlan {self.name} of {self.workflow!r}>"
