"""flytekit's TaskMetadata: the options of a task as one record, as `map_task(t, metadata=...)` takes them.

As in flytekit, a map given `metadata=` runs its elements with those options in place of the
task's own (caching, retries, timeout, interruptible); the task's resources still hold. Options
that need Kubernetes or Flyte's console are refused when set, never silently ignored.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional, Union

from hpcflow.errors import InvalidValueError, WorkflowDefinitionError
from hpcflow.sdk.spec import is_timedelta

if TYPE_CHECKING:
    import datetime

_REFUSED = {
    "pod_template_name": "hpcflow runs tasks as Slurm jobs, not Kubernetes pods; use @task(task_config=SlurmFunctionConfig(...))",
    "generates_deck": "hpcflow renders no Flyte decks",
    "is_eager": "hpcflow has no eager workflows; use a @dynamic",
    "labels": "hpcflow keeps no labels on tasks",
    "annotations": "hpcflow keeps no annotations on tasks",
}


@dataclass(frozen=True)
class TaskMetadata:
    """Caching, retries, timeout and interruptibility of a task (flytekit.TaskMetadata's fields)."""

    cache: bool = False
    cache_serialize: bool = False
    cache_version: str = ""
    cache_ignore_input_vars: tuple[str, ...] = ()
    interruptible: Optional[bool] = None
    deprecated: str = ""
    retries: int = 0
    timeout: Union[datetime.timedelta, int, None] = None
    pod_template_name: Optional[str] = None
    generates_deck: bool = False
    is_eager: bool = False
    labels: Optional[dict[str, str]] = None
    annotations: Optional[dict[str, str]] = None

    def __post_init__(self) -> None:
        # flytekit's own checks, with its exception type (ValueError)
        if self.timeout is not None and (isinstance(self.timeout, bool)
                                         or not (isinstance(self.timeout, int) or is_timedelta(self.timeout))):
            raise InvalidValueError(f"TaskMetadata(timeout={self.timeout!r}): give a datetime.timedelta or whole "
                                    "seconds as an int")
        if self.cache and not self.cache_version:
            raise InvalidValueError("TaskMetadata(cache=True) needs a cache_version, e.g. cache_version=\"1\"")
        if self.cache_serialize and not self.cache:
            raise InvalidValueError("TaskMetadata(cache_serialize=True) needs cache=True")
        for name, why in _REFUSED.items():
            if getattr(self, name) not in (None, False):
                raise WorkflowDefinitionError(f"TaskMetadata({name}=...): {why}")

    def spec_options(self) -> dict[str, Any]:
        """The TaskSpec options these stand for (make_spec checks them as it does @task's)."""
        return {"cache": self.cache, "cache_serialize": self.cache_serialize, "cache_version": self.cache_version,
                "cache_ignore_input_vars": self.cache_ignore_input_vars, "interruptible": bool(self.interruptible),
                "retries": self.retries, "timeout": self.timeout}
