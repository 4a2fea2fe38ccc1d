"""Flyte 2's triggers (flyte.Trigger with flyte.Cron or flyte.OnArtifact) and artifacts (flyte.artifacts).

A trigger fires where Flyte deploys it; hpcflow deploys nothing and has no scheduler service, so a
task keeps its triggers (`task.triggers`), checked as flyte checks them, and a run never fires one.
A Cron trigger's `cron_line()` gives the five fields for a scrontab line that submits the task
(Slurm's scrontab, or cron, keeps the schedule, as for a flytekit launch plan's schedule).
An artifact is a File or Dir a task returns with metadata for Flyte's catalogue: `artifacts.new`
checks it and gives the value itself, as a local flyte run passes it on.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Union

from hpcflow.core.cron import alias_line, parse_cron
from hpcflow.sdk.schedule import FixedRate

log = logging.getLogger("hpcflow.triggers")


class _Sentinel:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"flyte.{self.name}"


TriggerTime = _Sentinel("TriggerTime")  # bind the trigger's time to an input
TriggeredArtifact = _Sentinel("TriggeredArtifact")  # bind the artifact that fired the trigger to an input


@dataclass(frozen=True)
class Cron:
    """Run on a cron schedule: five fields (or an alias such as "@daily"), in `timezone`."""

    expression: str
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        parse_cron(self.expression)  # a mistake fails where the trigger is written

    def cron_line(self) -> str:
        """The five cron fields (a scrontab line's first part); CRON_TZ sets the zone there."""
        return alias_line(self.expression) or " ".join(self.expression.split())


@dataclass(frozen=True)
class OnArtifact:
    """Fire on a new version of the named artifact (Flyte's catalogue: no such service here)."""

    name: str
    version: Optional[str] = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("OnArtifact requires a non-empty artifact name")


@dataclass(frozen=True)
class Trigger:
    """Run a task on `automation` with `inputs` (see the module's doc for what hpcflow does with it)."""

    name: str
    automation: Union[Cron, FixedRate, OnArtifact]
    description: str = ""
    auto_activate: bool = True
    inputs: Optional[dict[str, Any]] = None
    env_vars: Optional[dict[str, str]] = None
    interruptible: Optional[bool] = None
    overwrite_cache: bool = False
    queue: Optional[str] = None
    max_action_concurrency: Optional[int] = None
    labels: Optional[Mapping[str, str]] = None
    annotations: Optional[Mapping[str, str]] = None
    notifications: Any = None
    custom_context: Optional[Mapping[str, str]] = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("Trigger name cannot be empty")
        if not isinstance(self.automation, (Cron, FixedRate, OnArtifact)):
            raise TypeError(f"Trigger '{self.name}': automation= takes flyte.Cron(...) or flyte.OnArtifact(...), "
                            f"not {self.automation!r}")
        if len(self.description) > 255:
            raise ValueError(f"Trigger '{self.name}': description is longer than 255 characters")
        if self.max_action_concurrency not in (None, 0) and self.max_action_concurrency < 2:
            raise ValueError(f"Trigger '{self.name}': max_action_concurrency must be 0 or at least 2")

    def cron_line(self) -> Optional[str]:
        """The five cron fields that fire it, when cron can (a Cron, or a rate that divides an hour or a day)."""
        return None if isinstance(self.automation, OnArtifact) else self.automation.cron_line()

    @classmethod
    def hourly(cls, **kwargs: Any) -> "Trigger":
        """Every hour, on the hour."""
        return cls(kwargs.pop("name", "hourly"), Cron("0 * * * *"), **kwargs)

    @classmethod
    def daily(cls, **kwargs: Any) -> "Trigger":
        """Every day at midnight (UTC)."""
        return cls(kwargs.pop("name", "daily"), Cron("0 0 * * *"), **kwargs)


def triggers_of(where: str, given: Any) -> tuple[Trigger, ...]:
    """A task's triggers=, checked: kept on the task, fired by nothing here (logged so that nobody waits on one)."""
    items = () if given is None else tuple(given) if isinstance(given, (list, tuple)) else (given,)
    for item in items:
        if not isinstance(item, Trigger):
            raise TypeError(f"{where}: triggers= takes flyte.Trigger(...)s, not {item!r}")
        log.info("%s: trigger %r is kept on the task and not armed (hpcflow deploys nothing; %s)", where, item.name,
                 f"a scrontab line '{item.cron_line()} hpcflow submit ...' keeps its schedule" if item.cron_line()
                 else "nothing here announces new artifact versions")
    return items


@dataclass(frozen=True, kw_only=True)
class Metadata:
    """An artifact's name, version and description for Flyte's catalogue."""

    name: str
    version: Optional[str] = None
    description: Optional[str] = None
    attrs: Optional[Mapping[str, str]] = None
    card: Any = None
    kind: Optional[str] = None


def new_artifact(obj: Any, metadata: Metadata, artifact_types: tuple[type, ...]) -> Any:
    """flyte.artifacts.new: only a File or Dir can be an artifact; the value goes on as itself."""
    if not isinstance(obj, artifact_types):
        raise TypeError(f"artifacts.new: only a flyte.io File or Dir can be an artifact, not {type(obj).__name__}")
    if not isinstance(metadata, Metadata):
        raise TypeError(f"artifacts.new: metadata= takes flyte.artifacts.Metadata(name=...), not {metadata!r}")
    return obj

