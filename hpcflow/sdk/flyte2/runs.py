"""flyte.init, flyte.init_from_config, flyte.run, flyte.with_runcontext and the Run they give.

A run is local (in this process), as the flyte SDK's is when no endpoint is configured, or, in mode
"remote", submitted to a site's Slurm as `hpcflow submit` submits it: its root's body runs in a job
and its children in waves. Where flyte's config names a Flyte endpoint, hpcflow's names a site:
`flyte.init_from_config("site.toml")` (an hpcflow site config), or a Flyte YAML config with an
`hpcflow:` section that says `site: NAME_OR_PATH`; then runs are remote unless
`with_runcontext(mode="local")` says otherwise. The sdk does not import the runtime: the runtime's
submit is handed in through remote.py's `use_remote` (hpcflow/__init__.py does it).
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

from hpcflow.errors import InitializationError, TaskTimeoutError, WorkflowDefinitionError
from hpcflow.sdk.flyte2.children import ChildCall
from hpcflow.sdk.flyte2.local import LocalRunner, new_run_name
from hpcflow.sdk.flyte2.notify import ActionPhase, announce, check_notifications
from hpcflow.sdk.flyte2.remote import remote_submitter, use_remote  # noqa: F401 - use_remote: its old home

_SETTINGS: dict[str, Any] = {}  # what flyte.init(...) was given: only project, domain and root_dir mean anything


def init(org: Optional[str] = None, project: Optional[str] = None, domain: Optional[str] = None,
         root_dir: Optional[Path] = None, endpoint: Optional[str] = None, api_key: Optional[str] = None,
         **settings: Any) -> None:
    """Flyte 2's init: hpcflow has no Flyte endpoint, so runs are local (with a note when one is given)."""
    if endpoint or api_key:
        print(f"hpcflow: runs are local; the Flyte endpoint {endpoint or '(api key)'} is not used "
              "(submit to Slurm with hpcflow submit)", file=sys.stderr)
    _SETTINGS.clear()  # as flyte's: a later init replaces what an earlier one set (a site included)
    _SETTINGS.update(org=org, project=project, domain=domain, root_dir=root_dir, **settings)


def init_from_config(path_or_config: Any = None, root_dir: Optional[Path] = None, **settings: Any) -> None:
    """Flyte 2's init_from_config: a config file given must exist. An hpcflow site config (TOML), or a Flyte
    config whose `hpcflow:` section names a site, makes runs remote on that site; a Flyte endpoint is not used."""
    site = None
    if isinstance(path_or_config, (str, Path)):
        path = (Path(root_dir).expanduser() / path_or_config) if root_dir else Path(path_or_config).expanduser()
        if not path.exists():
            raise InitializationError("ConfigFileNotFoundError", "user",
                                      f"Configuration file '{path}' does not exist; give an existing path, or none")
        site = site_in_config(path)
        if site is None:
            print(f"hpcflow: runs are local; the Flyte endpoint in {path} is not used (name an hpcflow site in it, "
                  "`hpcflow:` then `  site: NAME`, to submit runs to Slurm)", file=sys.stderr)
    init(root_dir=root_dir, **settings)
    _SETTINGS["site"] = site


def site_in_config(path: Path) -> Optional[str]:
    """The hpcflow site a config file names: the file itself when it is a site config (TOML, checked
    now so that a broken one fails here), else `site:` in its `hpcflow:` section (YAML), else None."""
    from hpcflow.site.config import load_site

    if path.suffix == ".toml":
        load_site(str(path))
        return str(path.resolve())
    found = re.search(r"^hpcflow:[ \t]*\n(?:[ \t]+.*\n)*?[ \t]+site:[ \t]*[\"']?([^\"'\s#]+)",
                      path.read_text(errors="replace") + "\n", re.MULTILINE)
    if found is None:
        return None
    site = found.group(1)
    relative = path.parent / site
    return str(relative.resolve()) if site.endswith(".toml") and relative.exists() else site


def current_site() -> Optional[str]:
    """The site flyte.init_from_config named, if any."""
    return _SETTINGS.get("site")


class Outputs(tuple):
    """A run's outputs as Flyte 2 gives them: a tuple, with each value also as .o0, .o1, ..."""

    def __new__(cls, values: tuple) -> "Outputs":
        made = super().__new__(cls, values)
        for i, value in enumerate(values):
            setattr(made, f"o{i}", value)
        return made

    def __repr__(self) -> str:
        return f"ActionOutputs({', '.join(f'o{i}={v!r}' for i, v in enumerate(self))})"

    @property
    def named_outputs(self) -> dict[str, Any]:
        """The values by name: {"o0": ..., "o1": ...}."""
        return {f"o{i}": v for i, v in enumerate(self)}


@dataclass
class Run:
    """A finished local run: its name, outputs() and wait(), as Flyte 2's Run."""

    name: str
    value: Any
    calls: int = 0  # task calls the run made, its root's included
    mode: str = "local"

    @property
    def url(self) -> str:
        """Where the run can be seen: local runs have no console, so a local:// name."""
        return f"local://{self.name}"

    @property
    def phase(self) -> str:
        """A local run returns once it has ended: SUCCEEDED (a failed one raised)."""
        return "SUCCEEDED"

    def outputs(self) -> Outputs:
        """The root task's value(s): a tuple, `outputs()[0]` or `outputs().o0` for a single value."""
        return Outputs(self.value if isinstance(self.value, tuple) else (self.value,))

    def wait(self, quiet: bool = False, wait_for: str = "terminal") -> None:
        """A local run has finished when flyte.run returns: nothing to wait for."""

    def done(self) -> bool:
        """True: a local run has finished when flyte.run returns."""
        return True


@dataclass(frozen=True)
class RunSettings:
    """with_runcontext's settings that a run honours (a remote run: mode, name aside, and env_vars)."""

    mode: Optional[str] = None  # None: remote when init_from_config named a site, else local
    name: Optional[str] = None
    env_vars: tuple[tuple[str, str], ...] = ()
    overwrite_cache: bool = False
    disable_run_cache: bool = False
    custom_context: tuple[tuple[str, str], ...] = ()
    notifications: tuple[Any, ...] = ()  # flyte.notify's, logged when the run ends (notify.py)


def runner_for(settings: RunSettings, loop: asyncio.AbstractEventLoop) -> LocalRunner:
    """The ChildRunner a run in this process goes through (children.py). A remote run's children run
    in waves on Slurm, through the WaveRunner of its root's jobs (waves.py)."""
    return LocalRunner(loop, settings.name or new_run_name(), dict(settings.custom_context),
                       settings.disable_run_cache, settings.overwrite_cache)


def check_mode(mode: Optional[str]) -> None:
    """Refuse a run mode hpcflow does not have."""
    if mode not in (None, "local", "remote"):
        raise WorkflowDefinitionError(f"with_runcontext(mode={mode!r}): hpcflow runs a task here (mode='local') or "
                                      "submits it to Slurm (mode='remote'); there is no other mode")


def mode_of(settings: RunSettings) -> str:
    """The run's mode: as given, else remote when init_from_config named a site."""
    return settings.mode or ("remote" if current_site() else "local")


def submit_remote(task: Any, args: tuple, kwargs: dict[str, Any], settings: RunSettings) -> Any:
    """flyte.run in mode "remote": the root task submitted to the site's Slurm; its run, at once."""
    if not hasattr(task, "options") or not hasattr(task, "bind"):
        raise WorkflowDefinitionError(f"flyte.run takes a task of a flyte.TaskEnvironment (@env.task), not {task!r}")
    site = current_site() or os.environ.get("HPCFLOW_SITE")
    if not site:
        raise WorkflowDefinitionError("flyte.run in mode 'remote' needs a site to submit to: call "
                                      "flyte.init_from_config('SITE.toml') first, or set HPCFLOW_SITE")
    submit = remote_submitter()
    if submit is None:
        raise WorkflowDefinitionError("flyte.run in mode 'remote' needs hpcflow's runtime; import hpcflow first")
    with _environment(dict(settings.env_vars)):  # the jobs inherit the submitting environment (sbatch --export=ALL)
        return submit(task, task.bind(args, kwargs), site, settings)


async def run_async(settings: RunSettings, task: Any, args: tuple, kwargs: dict[str, Any]) -> Run:
    """Run `task` as a run's root, with its children, on the running event loop."""
    if not hasattr(task, "options") or not hasattr(task, "bind"):
        raise WorkflowDefinitionError(f"flyte.run takes a task of a flyte.TaskEnvironment (@env.task), not {task!r}")
    runner = runner_for(settings, asyncio.get_running_loop())
    with _environment(dict(settings.env_vars)):
        try:
            value = await runner.run(ChildCall(task, task.bind(args, kwargs), None, 0))
        except BaseException as exc:
            phase = ActionPhase.TIMED_OUT if isinstance(exc, TaskTimeoutError) else ActionPhase.FAILED
            announce(settings.notifications, phase, runner.run_name)
            raise
    announce(settings.notifications, ActionPhase.SUCCEEDED, runner.run_name)
    return Run(runner.run_name, value, runner.calls, "local")


def run_local(task: Any, args: tuple, kwargs: dict[str, Any], settings: RunSettings = RunSettings()) -> Run:
    """Run `task` to its end from sync code (no event loop may be running in this thread)."""
    try:
        asyncio.get_running_loop()
        in_async_code = True
    except RuntimeError:
        in_async_code = False
    if not in_async_code:  # outside the except block, so that a run's error does not chain to this probe's
        return asyncio.run(run_async(settings, task, args, kwargs))
    raise WorkflowDefinitionError(f"flyte.run({getattr(task, 'name', task)}) is called inside async code, which it "
                                  "would block; write `await flyte.run.aio(...)` there")


@contextlib.contextmanager
def _environment(env_vars: dict[str, str]) -> Iterator[None]:
    """with_runcontext(env_vars=...): set for the run's length (its tasks run in this process)."""
    saved = {k: os.environ.get(k) for k in env_vars}
    os.environ.update(env_vars)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class _RunEntry:
    """flyte.run(task, **inputs) -> Run, and `await flyte.run.aio(task, **inputs)` in async code."""

    def __init__(self, settings: RunSettings):
        self.settings = settings

    def __call__(self, task: Any, *args: Any, **kwargs: Any) -> Any:
        if mode_of(self.settings) == "remote":
            return submit_remote(task, args, kwargs, self.settings)
        return run_local(task, args, kwargs, self.settings)

    async def aio(self, task: Any, *args: Any, **kwargs: Any) -> Any:
        """The run, awaited on the running event loop (a remote one returns once it is submitted)."""
        if mode_of(self.settings) == "remote":
            return submit_remote(task, args, kwargs, self.settings)
        return await run_async(self.settings, task, args, kwargs)


run = _RunEntry(RunSettings())


@dataclass
class Runner:
    """What with_runcontext(...) gives: `.run(task, **inputs)` with those settings."""

    settings: RunSettings
    run: _RunEntry = field(init=False)

    def __post_init__(self) -> None:
        self.run = _RunEntry(self.settings)


_ACCEPTED = ("copy_style", "dry_run", "copy_bundle_to", "interactive_mode", "raw_data_path", "run_base_dir",
             "log_level", "log_format", "user_log_level", "reset_root_logger", "project", "domain", "labels",
             "annotations", "version", "run_start_time", "preserve_original_types", "debug", "cache_lookup_scope",
             "queue")  # queue: Flyte's picks a cluster; a run here runs where it was started or submitted
_REFUSED = {"service_account": "there are no service accounts on Slurm; leave it out",
            "max_action_concurrency": "use flyte.map(..., concurrency=N) or an asyncio.Semaphore in the parent",
            "interruptible": "set interruptible= on the TaskEnvironment or the task",
            "tracked": "runs are not tracked in a Flyte console here; leave it out"}


def with_runcontext(mode: Optional[str] = None, *, name: Optional[str] = None, env_vars: Optional[dict] = None,
                    overwrite_cache: bool = False, disable_run_cache: bool = False,
                    custom_context: Optional[dict] = None, notifications: Any = None, **options: Any) -> Runner:
    """Flyte 2's run settings: `flyte.with_runcontext(mode="local", name=..., env_vars=...).run(task, ...)`."""
    for key, value in options.items():
        if key in _REFUSED and value not in (None, False, (), {}):
            raise WorkflowDefinitionError(f"with_runcontext({key}=...): {_REFUSED[key]}")
        if key not in _ACCEPTED and key not in _REFUSED:
            raise WorkflowDefinitionError(f"with_runcontext: unknown option {key}=")
    settings = RunSettings(mode, name, tuple(sorted((env_vars or {}).items())), overwrite_cache,
                           disable_run_cache, tuple(sorted((custom_context or {}).items())),
                           check_notifications(notifications))
    check_mode(settings.mode)  # refused now, with its reason, rather than at .run()
    return Runner(settings)
