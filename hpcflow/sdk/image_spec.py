"""flytekit's ImageSpec: an image described by its packages, for `@task(container_image=...)`.

flytekit builds such an image (docker, envd) and pushes it to a registry. A cluster's compute
nodes build and pull nothing, so hpcflow takes the description as a name only: the site config
maps it to an image already built on the shared filesystem (`[container.images] NAME = PATH`),
and a submit without that mapping fails, saying how to build one. The packages and the rest are
kept, as flytekit keeps them, for the one who builds the image (`recipe()` lists them); nothing
checks that the mapped image has them. In-process calls (`wf(...)`) ignore the image, as
flytekit's local run does.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any, Optional

IMAGE_ENV = "HPCFLOW_CONTAINER_IMAGE"  # set inside a container to the image name the task asked for


@dataclass
class ImageSpec:
    """flytekit's constructor arguments, kept as given (see the module's docstring)."""

    name: str = "flytekit"
    python_version: Optional[str] = None
    builder: Optional[str] = None
    source_root: Optional[str] = None
    env: Optional[dict[str, str]] = None
    registry: Optional[str] = None
    packages: Optional[list[str]] = None
    conda_packages: Optional[list[str]] = None
    conda_channels: Optional[list[str]] = None
    requirements: Optional[str] = None
    apt_packages: Optional[list[str]] = None
    cuda: Optional[str] = None
    cudnn: Optional[str] = None
    base_image: Any = None  # a name, or another ImageSpec
    platform: str = "linux/amd64"
    pip_index: Optional[str] = None
    pip_extra_index_url: Optional[list[str]] = None
    pip_secret_mounts: Optional[list[tuple[str, str]]] = None
    pip_extra_args: Optional[str] = None
    registry_config: Optional[str] = None
    entrypoint: Optional[list[str]] = None
    commands: Optional[list[str]] = None
    tag_format: Optional[str] = None
    source_copy_mode: Any = None
    copy: Optional[list[str]] = None
    python_exec: Optional[str] = None
    builder_options: Optional[dict[str, Any]] = None

    def __post_init__(self) -> None:
        self.name = self.name.lower()  # as flytekit
        if self.registry:
            self.registry = self.registry.lower()

    def _hash(self) -> str:
        fields = {k: v for k, v in dataclasses.asdict(self).items() if k != "base_image"}
        base = self.base_image.image_name() if isinstance(self.base_image, ImageSpec) else self.base_image
        return hashlib.sha256(json.dumps([fields, base], sort_keys=True, default=str).encode()).hexdigest()[:22]

    def image_name(self) -> str:
        """`registry/name:tag` with a tag from the spec's contents, as flytekit names the image it
        builds (hpcflow's own digest, not flytekit's). The site maps the spec by `name`."""
        tag = self.tag_format.format(spec_hash=self._hash()) if self.tag_format else self._hash()
        return f"{self.registry}/{self.name}:{tag}" if self.registry else f"{self.name}:{tag}"

    def is_container(self) -> bool:
        """True inside this spec's image, as the task's function runs there (so `if
        image.is_container(): import pandas` imports it only where it is installed)."""
        return os.environ.get(IMAGE_ENV) == self.name

    def exist(self) -> Optional[bool]:
        """Whether the image is in its registry: hpcflow asks no registry (None: unknown)."""
        return None

    def force_push(self) -> "ImageSpec":
        """flytekit pushes even an existing image; hpcflow pushes nothing."""
        return self

    def with_commands(self, commands: str | list[str]) -> "ImageSpec":
        """A copy with more build commands."""
        return self._plus("commands", commands)

    def with_packages(self, packages: str | list[str]) -> "ImageSpec":
        """A copy with more Python packages."""
        return self._plus("packages", packages)

    def with_apt_packages(self, apt_packages: str | list[str]) -> "ImageSpec":
        """A copy with more apt packages."""
        return self._plus("apt_packages", apt_packages)

    def _plus(self, key: str, more: str | list[str]) -> "ImageSpec":
        added = [more] if isinstance(more, str) else list(more)
        return dataclasses.replace(self, **{key: [*(getattr(self, key) or []), *added]})

    def recipe(self) -> str:
        """What the image needs, for the one who builds it (one line per kind of content)."""
        base = self.base_image.image_name() if isinstance(self.base_image, ImageSpec) else self.base_image
        lines = [f"base image: {base or 'a Python ' + (self.python_version or '3') + ' image'}"]
        for label, items in (("apt packages", self.apt_packages), ("pip packages", self.packages),
                             ("conda packages", self.conda_packages), ("commands", self.commands)):
            if items:
                lines.append(f"{label}: {' '.join(items)}")
        if self.requirements:
            lines.append(f"pip requirements file: {self.requirements}")
        lines.append("and hpcflow-slurm (pip install hpcflow-slurm), which runs the task inside it")
        return "\n".join(lines)
