"""Flyte 2's TaskEnvironment and its `@env.task`: ordinary (often async) functions as tasks.

How calling a task behaves, as in the flyte SDK:
- inside a running task (under flyte.run): a *child call*, through the seam in children.py. An
  async task's call gives an awaitable (so `asyncio.gather` runs children concurrently); a sync
  task's call blocks the calling sync task until the child is done; `task.aio(...)` gives an
  awaitable for either;
- anywhere else: the plain function (`task.forward`), so an async task's call is a coroutine;
- inside a flytekit-style @workflow: a sync task is an ordinary node; an async one is refused.
"""
from __future__ import annotations

import copy
import dataclasses
import inspect
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Union

from hpcflow.core.trace import ACTIVE_BUILDER
from hpcflow.errors import CallArgumentsError, WorkflowDefinitionError
from hpcflow.sdk.environment import Environment, ReusePolicy
from hpcflow.sdk.flyte2.action import CURRENT_ACTION
from hpcflow.sdk.flyte2.children import call_child, call_child_blocking
from hpcflow.sdk.flyte2.options import (Image, TaskOptions, cache_of, deadline_seconds, refuse, retries_of,
                                        spec_of, timeout_seconds)
from hpcflow.sdk.flyte2.triggers import triggers_of
from hpcflow.sdk.resources import Resources
from hpcflow.sdk.task import Task


class AsyncFunctionTaskTemplate(Task):
    """A Flyte 2 task: a function, its environment and its options (Flyte 2's class name)."""

    kind = "task"

    def __init__(self, fn: Callable[..., Any], env: "TaskEnvironment", options: TaskOptions,
                 short_name: str = "", report: bool = False, docs: Any = None):
        super().__init__(fn, spec_of(fn, options, env.hpcflow_environment(options)))
        self.func, self.env, self.options = fn, env, options
        self.short_name = short_name or fn.__name__
        self.name = f"{env.name}.{fn.__name__}"  # Flyte 2's task name: environment.function
        self.report, self.docs = report, docs
        self.is_async = inspect.iscoroutinefunction(fn)

    @property
    def retries(self) -> Any:
        """The RetryStrategy (`.count` more attempts after a failure)."""
        return self.options.retries

    @property
    def cache(self) -> Any:
        """The Cache of this task (behavior "auto", "override" or "disable")."""
        return self.options.cache

    @property
    def triggers(self) -> tuple:
        """The flyte.Trigger(s) declared on the task (kept, never fired here: sdk/flyte2/triggers.py)."""
        return self.options.triggers

    @property
    def resources(self) -> Optional[Resources]:
        """What each call of this task asks for."""
        return self.options.resources

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if ACTIVE_BUILDER.get() is not None:
            if self.is_async:
                raise WorkflowDefinitionError(f"async task '{self.name}' is called inside a @workflow; call it inside "
                                              "another Flyte 2 task, or run it with flyte.run(...)")
            return super().__call__(*args, **kwargs)
        if CURRENT_ACTION.get() is None:
            return self.forward(*args, **kwargs)
        if self.is_async:
            return call_child(self, args, kwargs)
        return call_child_blocking(self, args, kwargs)

    async def aio(self, *args: Any, **kwargs: Any) -> Any:
        """The call as an awaitable, for a sync task too (so async parents can gather sync children)."""
        if CURRENT_ACTION.get() is not None:
            return await call_child(self, args, kwargs)
        value = self.forward(*args, **kwargs)
        return await value if inspect.isawaitable(value) else value

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The function itself, called directly (no child call, no cache, no retries)."""
        return self.func(*args, **kwargs)

    def bind(self, args: tuple, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """The call's arguments by parameter name, defaults filled in."""
        try:
            bound = inspect.signature(self.func).bind(*args, **kwargs)
        except TypeError as exc:
            raise CallArgumentsError(f"task '{self.name}': {exc}") from None
        bound.apply_defaults()
        return dict(bound.arguments)

    def override(self, **options: Any) -> "AsyncFunctionTaskTemplate":
        """A copy with other options: short_name, resources, cache, retries, timeout, env_vars, reusable, ..."""
        short_name = options.pop("short_name", None)
        new = copy.copy(self)
        new.options = _task_options(f"task '{self.name}'.override", self.options, **options)
        new.spec = spec_of(self.func, new.options, self.env.hpcflow_environment(new.options))
        new.short_name = short_name or self.short_name
        return new

    def run_concrete(self, *args: Any, **kwargs: Any) -> Any:
        """An ordinary task's call outside Flyte 2 (a @workflow's node, a job's element): a local
        Flyte 2 run of this task, so that its own child calls work too."""
        from hpcflow.sdk.flyte2.runs import run_local

        return run_local(self, args, kwargs).value

    def call_in_job(self, inputs: dict[str, Any]) -> Any:
        """Its call as a job's element: a local run of its own, so that its own children run inside
        the job (runtime/call.py; the job's entry point has looked the cache up already)."""
        from hpcflow.sdk.flyte2.runs import RunSettings, run_local

        return run_local(self, (), inputs, RunSettings(disable_run_cache=True)).value

    # A root submitted to a scheduler runs in waves (sdk/waves.py), as an @eager workflow does.
    async def run_body(self, **inputs: Any) -> Any:
        """The body on `inputs`, its child calls answered from earlier waves (sdk/flyte2/waves.py)."""
        from hpcflow.sdk.flyte2.waves import run_root_body

        return await run_root_body(self, inputs)

    def child_failed(self, entity: Any, error: str) -> Exception:
        """What this body gets at the await of a child that failed in an earlier wave."""
        from hpcflow.sdk.flyte2.waves import child_failed

        return child_failed(entity, error)

    @property
    def continuation(self) -> Any:
        """The dynamic node that runs (and after each wave of children, replays) this task's body in a job."""
        from hpcflow.sdk.waves import Continuation

        if getattr(self, "_continuation", None) is None:
            self._continuation = Continuation(self)
        return self._continuation

    @property
    def graph(self) -> Any:
        """What `hpcflow submit` runs: this task's body as a dynamic node, its children in waves."""
        from hpcflow.core.trace import Builder
        from hpcflow.sdk.body import traced

        return traced(Builder(f"task '{self.name}'"), self.func.__name__, lambda **kw: self.continuation(**kw),
                      self.interface)

    pickle_untyped, failure_handler, failure_policy = False, None, "FAIL_IMMEDIATELY"  # as a workflow, for submit

    def __repr__(self) -> str:
        return f"<flyte2 task {self.name}>"


def _task_options(where: str, base: TaskOptions, **given: Any) -> TaskOptions:
    """`base` with the options given to @env.task or .override() applied."""
    for name in ("pod_template", "secrets", "plugin_config"):
        refuse(where, name, given.pop(name, None))
    # max_inline_io_bytes caps the values flyte inlines in its metadata; hpcflow stores large values by
    # reference and has no such cap, so every size the limit allows works here too
    for name in ("docs", "links", "max_inline_io_bytes", "task_resolver", "entrypoint", "produces_artifacts",
                 "report", "image", "env"):  # what a Flyte 2 console shows or a build reads: nothing runs differently
        given.pop(name, None)
    changes: dict[str, Any] = {}
    if given.get("triggers") is not None:
        changes["triggers"] = triggers_of(where, given.pop("triggers"))
    given.pop("triggers", None)
    if given.get("cache") is not None:
        changes["cache"] = cache_of(given.pop("cache"))
    given.pop("cache", None)
    if "retries" in given:
        changes["retries"] = retries_of(given.pop("retries"))
    if "timeout" in given:
        timeout = given.pop("timeout")
        changes.update(timeout_s=timeout_seconds(timeout), deadline_s=deadline_seconds(timeout))
    if given.get("resources") is not None:
        changes["resources"] = _resources(where, given.pop("resources"))
    given.pop("resources", None)
    if given.get("env_vars") is not None:
        changes["env_vars"] = tuple(sorted({**dict(base.env_vars), **given.pop("env_vars")}.items()))
    given.pop("env_vars", None)
    if given.get("queue") is not None:
        changes["queue"] = str(given.pop("queue"))
    given.pop("queue", None)
    if given.get("interruptible") is not None:
        changes["interruptible"] = bool(given.pop("interruptible"))
    given.pop("interruptible", None)
    if "reusable" in given:
        reusable = given.pop("reusable")
        changes["reusable"] = None if reusable == "off" else _reuse(where, reusable)
    if given:
        raise WorkflowDefinitionError(f"{where}: unknown option(s) {', '.join(sorted(given))}")
    return dataclasses.replace(base, **changes)


def _resources(where: str, value: Any) -> Resources:
    if not isinstance(value, Resources):
        raise WorkflowDefinitionError(f"{where}: resources= takes flyte.Resources(cpu=..., memory=...), not {value!r}")
    return value


def _reuse(where: str, value: Any) -> Optional[ReusePolicy]:
    if value is not None and not isinstance(value, ReusePolicy):
        raise WorkflowDefinitionError(f"{where}: reusable= takes flyte.ReusePolicy(replicas=..., ...), not {value!r}")
    return value


@dataclass
class TaskEnvironment:
    """Flyte 2's TaskEnvironment: what its tasks share (resources, env_vars, cache, warm workers).

    Flyte 2 SDK releases call warm workers `reusable=`, its guides `reuse_policy=`: both work."""

    name: str
    depends_on: list = field(default_factory=list)
    pod_template: Any = None
    description: Optional[str] = None
    secrets: Any = None
    env_vars: Optional[dict[str, str]] = None
    resources: Optional[Resources] = None
    interruptible: bool = False
    image: Union[str, Image, None] = "auto"
    include: tuple = ()
    cache: Any = "disable"
    reusable: Optional[ReusePolicy] = None
    plugin_config: Any = None
    queue: Optional[str] = None
    reuse_policy: Optional[ReusePolicy] = None  # the guides' name for reusable
    tasks: dict[str, AsyncFunctionTaskTemplate] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        where = f"TaskEnvironment '{self.name}'"
        if not isinstance(self.name, str) or not re.fullmatch(r"[A-Za-z0-9_][\w.-]*", self.name):
            raise WorkflowDefinitionError(f"{where}: name must be letters, digits, '_', '-' or '.', e.g. 'my-env'")
        for name in ("pod_template", "secrets", "plugin_config"):
            refuse(where, name, getattr(self, name))
        if self.depends_on:
            pass  # Flyte 2 deploys the environments a task's children need; here every task runs where it is called
        if self.reuse_policy is not None:
            if self.reusable is not None and self.reusable != self.reuse_policy:
                raise WorkflowDefinitionError(f"{where}: give reusable= or reuse_policy= (the same thing), not both")
            self.reusable = self.reuse_policy
        self._defaults = _task_options(where, TaskOptions(), cache=self.cache, resources=self.resources,
                                       env_vars=self.env_vars or {}, interruptible=self.interruptible,
                                       reusable=self.reusable, queue=self.queue)

    def hpcflow_environment(self, options: TaskOptions) -> Environment:
        """The hpcflow Environment that carries a task's env_vars and warm workers to a Slurm plan."""
        return Environment(re.sub(r"[^\w-]", "_", self.name), reuse=options.reusable, env_vars=dict(options.env_vars))

    def task(self, _func: Optional[Callable[..., Any]] = None, *, short_name: Optional[str] = None,
             **options: Any) -> Any:
        """@env.task, or @env.task(cache="auto", retries=3, timeout=60, ...): declare a task."""
        def decorate(fn: Callable[..., Any]) -> AsyncFunctionTaskTemplate:
            where = f"task '{self.name}.{getattr(fn, '__name__', fn)}'"
            task_options = _task_options(where, self._defaults, **options)
            made = AsyncFunctionTaskTemplate(fn, self, task_options, short_name or "",
                                             bool(options.get("report")), options.get("docs"))
            self.tasks[made.name] = made
            return made

        return decorate(_func) if _func is not None else decorate

    def clone_with(self, name: str, **changes: Any) -> "TaskEnvironment":
        """A copy under another name with some fields changed (resources=, env_vars=, reusable=, ...)."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
        fields.update(name=name, reuse_policy=None, **changes)
        return TaskEnvironment(**fields)

    @classmethod
    def from_task(cls, name: str, *tasks: AsyncFunctionTaskTemplate) -> "TaskEnvironment":
        """An environment holding tasks already declared (Flyte 2's from_task)."""
        env = cls(name=name)
        for t in tasks:
            env.tasks[t.name] = t
        return env

    def add_dependency(self, *envs: "TaskEnvironment") -> None:
        """Flyte 2 deploys dependencies together; here every task runs where it is called."""
        self.depends_on = [*self.depends_on, *envs]
