"""The options of Flyte 2 task environments and tasks, and the TaskSpec hpcflow builds from them.

Each option is honoured or refused with a one-line reason: nothing is silently dropped.
Options that only shape a container (Image, pod templates) are accepted and do nothing for
local runs, as in Flyte's own local runs.
"""
from __future__ import annotations

import dataclasses
import datetime
import math
from dataclasses import dataclass, field
from typing import Any, Literal, Optional, Union

from hpcflow.errors import InvalidValueError, WorkflowDefinitionError
from hpcflow.sdk.resources import Resources
from hpcflow.sdk.spec import TaskSpec, make_spec

CacheBehavior = Literal["auto", "override", "disable"]
_CACHE_ALIASES = {"enable": "auto", "enabled": "auto", "on": "auto", "true": "auto",
                  "disabled": "disable", "off": "disable", "false": "disable"}


@dataclass(frozen=True)
class Cache:
    """Flyte 2's cache: "auto" reuses a result of the same task on the same inputs (keyed also
    on the function's source, or on `version_override`); "override" recomputes and stores."""

    behavior: CacheBehavior = "auto"
    version_override: Optional[str] = None
    serialize: bool = False
    ignored_inputs: Union[tuple[str, ...], str] = ()
    salt: str = ""
    policies: Any = None

    def __post_init__(self) -> None:
        behavior = _CACHE_ALIASES.get(str(self.behavior).lower(), self.behavior)
        if behavior not in ("auto", "override", "disable"):
            raise InvalidValueError(f"Cache(behavior={self.behavior!r}) must be 'auto', 'override' or 'disable'")
        object.__setattr__(self, "behavior", behavior)
        if isinstance(self.ignored_inputs, str):
            object.__setattr__(self, "ignored_inputs", (self.ignored_inputs,))
        if self.policies not in (None, [], ()):
            raise WorkflowDefinitionError("Cache(policies=...): hpcflow keys a cache on the function's source; "
                                          "give version_override='...' to choose the version yourself")

    def is_enabled(self) -> bool:
        """True when results are stored (auto and override)."""
        return self.behavior != "disable"


def cache_of(request: Any) -> Cache:
    """A Cache from what `cache=` was given: a behaviour name, True/False, or a Cache."""
    if isinstance(request, Cache):
        return request
    if isinstance(request, bool):
        return Cache("auto" if request else "disable")
    if request is None:
        return Cache("disable")
    return Cache(request)


@dataclass(frozen=True)
class Backoff:
    """Flyte 2's pacing of retries: the n-th retry waits min(base * factor**n, cap)."""

    base: datetime.timedelta
    factor: float = 1.0
    cap: Optional[datetime.timedelta] = None

    def __post_init__(self) -> None:
        if self.base < datetime.timedelta(0) or not math.isfinite(self.factor) or self.factor < 1.0:
            raise InvalidValueError("Backoff needs base >= 0 and a finite factor >= 1.0")
        if self.factor > 1.0 and self.cap is None:
            raise InvalidValueError("Backoff.cap is required when factor > 1.0, so that the delay stays bounded")

    def compute_delay(self, n: int) -> datetime.timedelta:
        """The delay before the n-th retry (0-based)."""
        delay = self.base * (self.factor ** n)
        return min(delay, self.cap) if self.cap is not None else delay


@dataclass(frozen=True)
class RetryStrategy:
    """Flyte 2's retries: `count` more attempts after a failure, paced by `backoff`."""

    count: int = 0
    backoff: Optional[Backoff] = None

    def __post_init__(self) -> None:
        if not isinstance(self.count, int) or self.count < 0:
            raise InvalidValueError(f"RetryStrategy(count={self.count!r}) must be a whole number >= 0")


def retries_of(retries: Union[int, RetryStrategy, None]) -> RetryStrategy:
    """A RetryStrategy from an int or a RetryStrategy."""
    if isinstance(retries, RetryStrategy):
        return retries
    return RetryStrategy(int(retries or 0))


@dataclass(frozen=True)
class Timeout:
    """Flyte 2's timeouts. `max_runtime` bounds each attempt (a job's --time); `deadline` bounds all
    attempts together (a local run stops the call there); `max_queued_time` bounds the wait in a
    queue, which a local call does not have and Slurm does not offer per job: it is accepted and
    not enforced."""

    max_runtime: Union[datetime.timedelta, int, None] = None
    max_queued_time: Union[datetime.timedelta, int, None] = None
    deadline: Union[datetime.timedelta, int, None] = None


def timeout_seconds(timeout: Any) -> float | None:
    """Seconds of `timeout=` (an int, a timedelta or a Timeout's max_runtime); None when unlimited (0 or None)."""
    if isinstance(timeout, Timeout):
        timeout = timeout.max_runtime
    return _seconds(timeout)


def deadline_seconds(timeout: Any) -> float | None:
    """Seconds of a Timeout's deadline (every attempt together); None when unlimited or not a Timeout."""
    return _seconds(timeout.deadline) if isinstance(timeout, Timeout) else None


def _seconds(timeout: Any) -> float | None:
    if isinstance(timeout, datetime.timedelta):
        timeout = timeout.total_seconds()
    if not timeout:
        return None
    if not isinstance(timeout, (int, float)) or timeout < 0:
        raise InvalidValueError(f"timeout={timeout!r} must be seconds, a timedelta or flyte.Timeout(max_runtime=...)")
    return float(timeout)


@dataclass(frozen=True)
class Image:
    """Flyte 2's container image. hpcflow runs tasks in the Python that runs hpcflow (or an
    Environment's conda/venv): an image is accepted and, as in Flyte's local runs, not built."""

    base: str = "auto"
    steps: tuple[str, ...] = ()
    name: str = ""

    @classmethod
    def from_debian_base(cls, *args: Any, **kwargs: Any) -> "Image":
        """A Debian-based image (not built by hpcflow)."""
        return cls("debian", name=str(kwargs.get("name", "")))

    @classmethod
    def from_base(cls, image_uri: str, *args: Any, **kwargs: Any) -> "Image":
        """An image from a base URI (not built by hpcflow)."""
        return cls(image_uri)

    @classmethod
    def from_uv_script(cls, script: Any, *args: Any, **kwargs: Any) -> "Image":
        """An image from a uv script's dependencies (not built by hpcflow)."""
        return cls(f"uv-script:{script}", name=str(kwargs.get("name", "")))

    @classmethod
    def from_dockerfile(cls, file: Any, *args: Any, **kwargs: Any) -> "Image":
        """An image from a Dockerfile (not built by hpcflow)."""
        return cls(f"dockerfile:{file}")

    @classmethod
    def from_ref_name(cls, name: str) -> "Image":
        """An image known by name (not built by hpcflow)."""
        return cls(name, name=name)

    def clone(self, name: Optional[str] = None, **changes: Any) -> "Image":
        """A copy under another name (registry=, python_version=, ... shape a build: none here)."""
        return dataclasses.replace(self, name=name or self.name)

    def _with(self, step: str) -> "Image":
        return dataclasses.replace(self, steps=self.steps + (step,))

    def __getattr__(self, name: str) -> Any:
        # with_pip_packages, with_apt_packages, with_requirements, with_source_folder, with_env_vars,
        # with_commands, with_uv_project, ...: each gives an image with that step recorded
        if name.startswith("with_"):
            return lambda *args, **kwargs: self._with(f"{name}{args!r}")
        raise AttributeError(f"flyte.Image has no attribute '{name}'")


@dataclass(frozen=True)
class Secret:
    """Flyte 2's secret request: hpcflow has no secret store, so using one is refused."""

    key: str = ""
    group: Optional[str] = None
    mount: Any = None
    as_env_var: Optional[str] = None


@dataclass(frozen=True)
class PodTemplate:
    """Flyte 2's Kubernetes pod template: refused where it is used (there are no pods on Slurm)."""

    pod_spec: Any = None
    primary_container_name: str = "primary"
    labels: Any = None
    annotations: Any = None


@dataclass(frozen=True)
class TaskOptions:
    """What a task's behaviour depends on, resolved from its environment and its decorator."""

    cache: Cache = field(default_factory=lambda: Cache("disable"))
    retries: RetryStrategy = field(default_factory=RetryStrategy)
    timeout_s: float | None = None
    deadline_s: float | None = None  # all attempts together (Timeout(deadline=...))
    resources: Resources | None = None
    env_vars: tuple[tuple[str, str], ...] = ()
    interruptible: bool = False
    reusable: Any = None  # a ReusePolicy
    # Flyte's queue picks the cluster a task runs on; an hpcflow task runs on the cluster it was submitted
    # to (its partition comes from resources=), so the name is kept for the user to read and not used.
    queue: Optional[str] = None
    triggers: tuple[Any, ...] = ()  # triggers.Trigger: kept, not armed (triggers.py)


def spec_of(fn: Any, options: TaskOptions, environment: Any) -> TaskSpec:
    """hpcflow's TaskSpec for a Flyte 2 task: what a Slurm plan and the cache read."""
    cache = options.cache
    return make_spec(
        cache=cache.is_enabled(), cache_version=cache.version_override or "",
        cache_serialize=cache.serialize and cache.is_enabled(),
        cache_ignore_input_vars=tuple(cache.ignored_inputs),
        retries=options.retries.count, timeout=options.timeout_s, interruptible=options.interruptible,
        resources=options.resources, environment=environment, pickle_untyped=True)


def refuse(where: str, name: str, value: Any) -> None:
    """Refuse an option that hpcflow cannot honour, naming what to do instead."""
    if value in (None, (), [], {}, False, "", 0):
        return
    why = {
        "secrets": "hpcflow has no secret store; read the secret from a file of yours or pass it in env_vars=",
        "pod_template": "there are no pods on Slurm; give resources= (and a Slurm partition through your site config)",
        "depends_on": "environments are not deployed on Slurm; leave depends_on out",
        "plugin_config": "this plugin needs Flyte's backend; run the task as an ordinary task",
    }.get(name, "hpcflow cannot honour it; leave it out")
    raise WorkflowDefinitionError(f"{where}: {name}={value!r}: {why}")
