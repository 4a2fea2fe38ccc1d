"""A task's function run inside its image (`@task(container_image=...)`), from the element's
process on the host.

Only the function call goes into the container: retries, timeouts, the cache, statuses and the
Slurm control that jobs do before they exit stay with the host's entry point (runtime/entry.py),
so an image needs nothing but Python and hpcflow. The host writes the call (the inputs encoded
with the value codec, large ones as blobs of the run) into the element's folder, runs

    <the site's exec template> python3 -m hpcflow.runtime.in_container ELEMENT/container/call.json

with the run directory and the cache bound at their own paths, and reads back the outputs (or
the error and its traceback) that the container wrote atomically. A timeout stops the container.
"""
from __future__ import annotations

import collections
import getpass
import os
import shlex
import signal
import subprocess
import sys
import threading
from typing import Any, Callable

from hpcflow.core.plan import JobPlan, Plan
from hpcflow.errors import RecoverableError
from hpcflow.runtime.rundir import RunDir
from hpcflow.sdk.trace import current_trace
from hpcflow.site.container import (
    EXECUTABLES, RUNTIMES, ContainerConfig, ContainerError, container_config, is_local_image, render_exec,
    resolve_image,
)
from hpcflow.store import atomic
from hpcflow.store.codec import decode, encode

PROTOCOL = 1  # the call.json / result.json format; in_container.py refuses another
CALL, RESULT = "call.json", "result.json"
STOP_GRACE_S = 5.0  # after SIGTERM, the container has this long before SIGKILL
_HOST_ONLY_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")  # name host folders: the image has its own Python


def needs_container(plan: Plan) -> list[JobPlan]:
    """The jobs whose functions run in an image (a @dynamic's body runs on the host: it only
    decides what to run, and the tasks it calls run in their own images)."""
    return [job for job in plan.jobs if job.container_image and job.kind != "dynamic"]


def container_for_run(plan: Plan, config: ContainerConfig | None, site: str,
                      which: Callable[[str], str | None] | None = None) -> ContainerConfig | None:
    """The container config a new run keeps, checked against its plan: every image resolves and
    every local image exists. `site` is the site config's path, or "" for `hpcflow run` without
    one, which uses the first runtime found on PATH. ContainerError, naming what to do, otherwise."""
    jobs = needs_container(plan)
    if not jobs:
        return config
    if config is None and site:
        raise ContainerError(f"task '{jobs[0].name}' has container_image={jobs[0].container_image!r} but site "
                             f"{site} has no container runtime; add to it: [container] runtime = \"apptainer\" "
                             f"(or {', '.join(r for r in RUNTIMES if r != 'apptainer')})")
    if config is None:
        config = detect_runtime(which)
        if config is None:
            raise ContainerError(f"task '{jobs[0].name}' has container_image= but no container runtime is on PATH "
                                 f"({', '.join(EXECUTABLES.values())}); install one, or pass --site SITE whose "
                                 "config has a [container] table")
    for job in jobs:
        image = resolve_image(config, job.container_image, job.image_spec, f"task '{job.name}'")
        if is_local_image(image) and not os.path.exists(os.path.expanduser(image)):
            mapped = image != job.container_image  # named by the site's [container.images], else by the task
            fix = f"its [container.images] entry in {site}" if mapped else "the task's container_image="
            raise ContainerError(f"task '{job.name}': image {image} does not exist; build it there, or fix {fix}")
    return config


def detect_runtime(which: Callable[[str], str | None] | None = None) -> ContainerConfig | None:
    """The first container runtime on PATH (charliecloud, apptainer, singularity, podman), with its
    built-in template; for `hpcflow run` without a site."""
    import shutil

    which = which or shutil.which
    return next((container_config(runtime=name, site="") for name, exe in EXECUTABLES.items() if which(exe)), None)


def mount_points(paths: list[str], image: str, runtime: str,
                 is_dir: Callable[[str], bool] | None = None) -> list[tuple[str, str]]:
    """(host, container) folders to bind so that every path of `paths` is seen at its own path.

    Charliecloud binds only onto folders that exist in the image (its image is read-only; it
    makes no mount points), so a directory image gets the deepest ancestor of each path that it
    has (/var/tmp for /var/tmp/hpcflow-me/runs). Other runtimes make their mount points."""
    is_dir = is_dir or (lambda p: _is_dir_in(image, p))
    lift = runtime == "charliecloud" and os.path.isdir(os.path.expanduser(image))
    wanted = []
    for path in paths:
        target = path
        if lift:
            while target != "/" and not is_dir(target):
                target = os.path.dirname(target)
            if target == "/":
                top = "/" + path.strip("/").split("/")[0]
                raise ContainerError(f"image {image} has no folder to mount {path} on; create it in the image "
                                     f"(mkdir {image.rstrip('/')}{top}), or put the site's runs_dir and cache_dir "
                                     "under a folder it has (/tmp, /var/tmp, /home)")
        wanted.append(target)
    kept: list[str] = []
    for path in sorted(set(wanted), key=len):  # a folder inside one already bound is seen through it
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return [(p, p) for p in kept]


def _is_dir_in(image: str, path: str) -> bool:
    """True when `path` is a real folder of a directory image (a symlink there points into the image)."""
    inside = os.path.join(image, path.lstrip("/"))
    return os.path.isdir(inside) and not os.path.islink(inside)


def run_in_container(task: Any, inputs: dict[str, Any], rd: RunDir, job: JobPlan, index: int,
                     where: str) -> dict[str, Any]:
    """Call the task's function on `inputs` inside the job's image; its outputs by name."""
    config, image = _runtime_and_image(rd, job, where)
    folder = (rd.element_dir(job.id, index) / "container").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RESULT).unlink(missing_ok=True)  # an earlier attempt's
    log = current_trace()
    atomic.write_json(folder / CALL, {
        "protocol": PROTOCOL, "file": rd.meta.file, "module": rd.meta.module, "where": where,
        "entity": {"module": job.entity.module, "qualname": job.entity.qualname},
        "inputs": {name: encode(value, rd.blobs) for name, value in inputs.items()},
        "blobs": str(rd.blobs.root.resolve()), "run_id": rd.meta.run_id,
        "element": str(rd.element_dir(job.id, index).resolve()), "trace": str(log.folder.resolve()) if log else "",
        "environment": dict(job.environment), "image": job.container_image, "result": str(folder / RESULT),
        "cwd": os.getcwd()})
    argv = _exec_argv(rd, config, image, ["-m", "hpcflow.runtime.in_container", str(folder / CALL)])
    returncode, tail = launch(argv)
    result = atomic.read_json(folder / RESULT)
    if result is None and returncode == -signal.SIGKILL:
        # the OOM killer (or Slurm) killed the function's process: this process dies the same way,
        # so the jobscript's recovery (backends/slurm/recover.py) sees what it sees without an image
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    if result is None:
        raise ContainerError(no_result_reason(image, config, returncode, tail))
    if log is not None:
        log.executed += result.get("trace_executed", 0)
        log.replayed += result.get("trace_replayed", 0)
    if "error" in result:
        raise remote_error(result["error"])
    return {name: decode(value, rd.blobs) for name, value in result["outputs"].items()}


def _runtime_and_image(rd: RunDir, job: JobPlan, where: str) -> tuple[ContainerConfig, str]:
    config = ContainerConfig.from_json(rd.meta.container) if rd.meta.container else None
    if config is None and not rd.meta.site and rd.meta.backend == "local":  # a dynamic's task, in `hpcflow run`
        config = detect_runtime()
    if config is None:
        raise ContainerError(f"{where} has container_image= but the run's site has no container runtime; add a "
                             "[container] table to the site config and submit again")
    return config, os.path.expanduser(resolve_image(config, job.container_image, job.image_spec, where))


def _exec_argv(rd: RunDir, config: ContainerConfig, image: str, python_args: list[str]) -> list[str]:
    """The command that runs the image's Python with `python_args`, the run directory and the cache bound in."""
    paths = [str(rd.root_path.resolve()), *([os.path.realpath(rd.meta.cache_dir)] if rd.meta.cache_dir and
                                             os.path.isdir(rd.meta.cache_dir) else []), *config.binds]
    return render_exec(config, image, mount_points(paths, image, config.runtime),
                       [*shlex.split(config.python), *python_args])


def python_in_image(rd: RunDir, job: JobPlan, where: str) -> list[str]:
    """The command prefix that runs the job's image's Python (the ranks of a multi-node task in an image)."""
    config, image = _runtime_and_image(rd, job, where)
    return _exec_argv(rd, config, image, [])


def container_env() -> dict[str, str]:
    """The environment a container command starts with: the host's, less what names the host's Python."""
    env = {k: v for k, v in os.environ.items() if k not in _HOST_ONLY_ENV}
    env.setdefault("USER", getpass.getuser())  # ch-run refuses to start without it
    return env


def launch(argv: list[str]) -> tuple[int, list[str]]:
    """Run a container command with its output going where the element's goes; its exit status
    and the last lines of its stderr. An exception while it runs (the task's timeout) stops it."""
    env = container_env()
    sys.stdout.flush()
    try:  # in the element's process group: the local backend's kill of the element reaches it
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    except FileNotFoundError:
        raise ContainerError(f"the container runtime {argv[0]} is not on PATH here ({os.uname().nodename}); "
                             "install it on the compute nodes, or fix the site's [container] table") from None
    tail: collections.deque[str] = collections.deque(maxlen=20)
    pump = threading.Thread(target=_pump, args=(proc.stderr, tail), daemon=True)
    pump.start()
    try:
        returncode = proc.wait()
    except BaseException:
        _stop(proc)
        raise
    pump.join(timeout=5)
    return returncode, list(tail)


def _pump(stream: Any, tail: collections.deque[str]) -> None:
    """Copy the container's stderr to the element's, keeping its last lines for a diagnosis."""
    for raw in iter(stream.readline, b""):
        sys.stderr.buffer.write(raw)
        sys.stderr.flush()
        tail.append(raw.decode(errors="replace").rstrip())


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM (podman and apptainer pass it on to the container), then SIGKILL."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def no_result_reason(image: str, config: ContainerConfig, returncode: int, tail: list[str]) -> str:
    """One line on why a container wrote no result: no Python, no hpcflow, or the runtime failed."""
    text = "\n".join(tail)
    last = next((line for line in reversed(tail) if line.strip()), "")
    if "No module named" in text and "hpcflow" in text:
        return f"hpcflow is not importable in image {image} by {config.python}; install hpcflow-slurm in the image"
    if shlex.split(config.python)[0] in text and any(s in text for s in ("No such file", "not found", "no such file")):
        return f"image {image} has no {config.python}; use an image with Python and hpcflow-slurm installed"
    if returncode < 0:
        return f"the container of image {image} was killed by signal {-returncode} ({signal.Signals(-returncode).name})"
    return (f"the container of image {image} exited with status {returncode} before the task ran"
            + (f": {last.strip()}" if last else ""))


class ContainerTaskError(Exception):
    """The error a task raised inside its image; its traceback is the cause (in error.txt)."""


class RecoverableContainerTaskError(ContainerTaskError, RecoverableError):
    """A recoverable error (RecoverableError, a transient OS error) raised inside an image: retried."""


class _RemoteTraceback(Exception):
    """Shows the container's traceback where the host's would be (as concurrent.futures does)."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text

    def __str__(self) -> str:
        return self.text


_ERROR_CLASSES: dict[tuple[str, bool], type] = {}


def remote_error(error: dict[str, Any]) -> Exception:
    """An exception standing for one raised in the container: named as it was (the element's
    error reads `ValueError: ...` as it would outside an image), recoverable if it was."""
    key = (error["type"], bool(error.get("recoverable")))
    cls = _ERROR_CLASSES.get(key)
    if cls is None:
        base = RecoverableContainerTaskError if key[1] else ContainerTaskError
        cls = _ERROR_CLASSES[key] = type(key[0], (base,), {"__module__": "container"})
    exc = cls(error["message"])
    exc.__cause__ = _RemoteTraceback(error.get("traceback", ""))
    return exc
