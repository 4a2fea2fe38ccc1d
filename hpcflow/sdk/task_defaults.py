"""flytekit's Environment as a bundle of @task options: `env = Environment(retries=2)`, then
`@env.task` (or `@env`, `@env.dynamic`, each with more options to merge) declares tasks with them.
`inherit(old, new)` merges two option dicts (nested dicts key by key), as `extend` and `update` do.
hpcflow's Environment (sdk/environment.py) carries these methods, so one class is both."""
from __future__ import annotations

import copy
import inspect
import pprint
from typing import Any, Callable, Mapping

from hpcflow.errors import InvalidValueError
from hpcflow.sdk.task import dynamic, task


def inherit(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """`old` updated by `new`, merging nested dicts key by key; neither is changed."""
    merged = copy.deepcopy(dict(old))
    for key, value in new.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = inherit(merged[key], value)
        else:
            merged[key] = value
    return merged


def check_task_options(options: Mapping[str, Any], where: str) -> None:
    """Refuse what @task and @dynamic do not take, where the options are given (not when first used)."""
    if "_task_function" in options:
        raise KeyError(f"{where}: cannot override the task function; decorate it with @env.task")
    known = {n for n, p in inspect.signature(task).parameters.items() if p.kind is p.KEYWORD_ONLY}
    unknown = sorted(set(options) - known)
    if unknown:
        raise InvalidValueError(f"{where}: unrecognized task option(s) {', '.join(unknown)}; see help(hpcflow.task) "
                                "for the options it takes")


class TaskDefaults:
    """The @task options an Environment hands to the tasks it declares. Subclasses give
    `task_options` and `decorator_options()` (the options plus anything of their own)."""

    task_options: Mapping[str, Any]

    def decorator_options(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        return inherit(self.task_options, overrides)

    def _declare(self, kind: str, fn: Callable[..., Any] | None, overrides: Mapping[str, Any]) -> Any:
        decorator = task if kind == "task" else dynamic
        if fn is not None and not callable(fn):
            raise ValueError(f"The first positional argument must be a callable (the function), not {fn!r}")
        declare = decorator(**self.decorator_options(overrides))
        return declare(fn) if fn is not None else declare

    def task(self, _task_function: Callable[..., Any] | None = None, /, **overrides: Any) -> Any:
        """@env.task or @env.task(**more_options): a @task with this environment's options."""
        return self._declare("task", _task_function, overrides)

    __call__ = task

    def dynamic(self, _task_function: Callable[..., Any] | None = None, /, **overrides: Any) -> Any:
        """@env.dynamic or @env.dynamic(**more_options): a @dynamic with this environment's options."""
        return self._declare("dynamic", _task_function, overrides)

    def shown(self) -> dict[str, Any]:
        """What show() prints."""
        return dict(self.task_options)

    def show(self) -> None:
        """Print the options (and, for an Environment, where its tasks run)."""
        print(pprint.pformat(self.shown(), sort_dicts=False))
