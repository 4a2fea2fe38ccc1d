"""A site's container runtime ([container] in its config): how a task's function is run inside
an image, and which local image an image name stands for. Pure: templates are rendered into argv
lists here, and launched by the runtime (runtime/container.py).

hpcflow builds no images. A task names an image (`container_image="/shared/images/x.sif"`, a
registry name, or an ImageSpec); the site maps names to images that are already on its shared
filesystem (`[container.images]`), since compute nodes pull nothing.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from hpcflow.errors import HpcflowError

# Built-in exec templates, one argv each: `{binds}` becomes one bind flag per host folder (the
# `bind` template, `{src}` and `{dst}` filled in), `{command}` the command's words. Each starts in
# `/`, so `python3 -m` puts nothing of the host's working folder on the image's sys.path.
RUNTIMES: dict[str, tuple[str, str]] = {
    # a root-filesystem directory (or a SquashFS file); ~13 ms to start
    "charliecloud": ("ch-run {binds} -c / {image} -- {command}", "-b {src}:{dst}"),
    "apptainer": ("apptainer exec --pwd / {binds} {image} {command}", "--bind {src}:{dst}"),
    "singularity": ("singularity exec --pwd / {binds} {image} {command}", "--bind {src}:{dst}"),
    # a root-filesystem directory; runc, no network: podman's default network adds NAT rules, and
    # crun cannot raise the limits it asks for where cgroups are in hybrid mode
    "podman": ("podman --runtime runc run --rm --network none --ulimit nofile=20000:20000 "
               "--ulimit nproc=4096:4096 -w / {binds} --rootfs {image} {command}", "-v {src}:{dst}"),
}
EXECUTABLES = {"charliecloud": "ch-run", "apptainer": "apptainer", "singularity": "singularity", "podman": "podman"}
URI_SCHEMES = ("docker://", "docker-archive:", "oras://", "library://", "shub://")  # what the runtime fetches itself


class ContainerError(HpcflowError):
    """A task's image cannot be found or run."""


@dataclass(frozen=True)
class ContainerConfig:
    """How this site runs functions in images."""

    runtime: str = ""  # a name of RUNTIMES, or "" for a site's own `exec` template
    exec: str = ""  # the exec template (the runtime's unless the site gives one)
    bind: str = ""  # the bind-flag template
    python: str = "python3"  # the interpreter inside images (with options: "python3 -s")
    binds: tuple[str, ...] = ()  # host folders every container sees besides the run's and the cache's
    images: tuple[tuple[str, str], ...] = ()  # image name (or ImageSpec name) -> local image
    site: str = ""  # the site config file, for messages

    def to_json(self) -> dict[str, Any]:
        """A JSON object for the run directory (runs keep the config they were submitted with)."""
        return {"runtime": self.runtime, "exec": self.exec, "bind": self.bind, "python": self.python,
                "binds": list(self.binds), "images": [list(kv) for kv in self.images], "site": self.site}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "ContainerConfig":
        """Read back to_json()."""
        return cls(**{**obj, "binds": tuple(obj.get("binds", ())),
                      "images": tuple(tuple(kv) for kv in obj.get("images", ()))})  # type: ignore[arg-type]


def container_config(runtime: str = "", exec: str = "", bind: str = "", **options: Any) -> ContainerConfig:
    """A ContainerConfig for a built-in runtime and/or a site's own exec template; ContainerError
    when the template lacks {image}, or {binds} or {command} as a word of its own."""
    if runtime and runtime not in RUNTIMES:
        raise ContainerError(f"unknown container runtime {runtime!r}; one of {', '.join(RUNTIMES)}")
    if not runtime and not exec:
        raise ContainerError(f"runtime = one of {', '.join(RUNTIMES)}, or exec = a template")
    default_exec, default_bind = RUNTIMES.get(runtime, ("", "--bind {src}:{dst}"))
    config = ContainerConfig(runtime=runtime, exec=exec or default_exec, bind=bind or default_bind, **options)
    words = shlex.split(config.exec)
    missing = [w for w in ("{binds}", "{command}") if w not in words] + ([] if "{image}" in config.exec else ["{image}"])
    if missing:
        raise ContainerError(f"exec template {config.exec!r} lacks {', '.join(missing)} ({{binds}} and {{command}} "
                             "each a word of its own)")
    if "{src}" not in config.bind:
        raise ContainerError(f"bind template {config.bind!r} lacks {{src}}")
    return config


def render_exec(config: ContainerConfig, image: str, binds: list[tuple[str, str]], command: list[str]) -> list[str]:
    """The argv that runs `command` inside `image` with each (host, container) folder of `binds` mounted."""
    argv: list[str] = []
    for word in shlex.split(config.exec):
        if word == "{binds}":
            for src, dst in binds:
                argv += [w.replace("{src}", src).replace("{dst}", dst) for w in shlex.split(config.bind)]
        elif word == "{command}":
            argv += command
        else:
            argv.append(word.replace("{image}", image))
    return argv


def is_local_image(ref: str) -> bool:
    """True for an image named by its path (absolute, ~ or relative), not a registry name."""
    return ref.startswith(("/", "~", "./", "../"))


def resolve_image(config: ContainerConfig, ref: str, from_spec: bool, where: str) -> str:
    """The local image (or runtime URI) that a task's `container_image` stands for on this site."""
    mapped = dict(config.images).get(ref)
    if mapped:
        return mapped
    if not from_spec and (is_local_image(ref) or ref.startswith(URI_SCHEMES)):
        return ref
    stem = ref.rsplit("/", 1)[-1].split(":")[0] or "image"
    build = (f"`apptainer build /shared/images/{stem}.sif docker://{ref}`" if not from_spec else
             f"an image with its packages (`apptainer build /shared/images/{stem}.sif {stem}.def`, or `ch-image build`)")
    what = f"ImageSpec '{ref}'" if from_spec else f"image '{ref}'"
    where_map = f"the site config {config.site}" if config.site else "a site config (and pass --site)"
    raise ContainerError(f"{where}: {what} has no local image{' on site ' + config.site if config.site else ''}; "
                         f"hpcflow builds and pulls no images: build {build}, then map it in {where_map}: "
                         f"[container.images] \"{ref}\" = \"/shared/images/{stem}.sif\"")

