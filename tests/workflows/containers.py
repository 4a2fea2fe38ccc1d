"""Tasks that run inside container images (scripts/test-image.sh builds them), and their
workflows: tests/test_container.py runs them with `hpcflow run`, tests/slurm/test_container_slurm.py
submits them."""
from __future__ import annotations

import os
import time
from pathlib import Path

from hpcflow import ImageSpec, current_context, dynamic, map_task, task, workflow

IMAGES = "/var/lib/hpcflow-test-images"
PYTHON_IMAGE, NO_PYTHON_IMAGE = f"{IMAGES}/python", f"{IMAGES}/busybox"
MARKER = Path("/etc/hpcflow-test-image")  # only the python image has it
SPEC = ImageSpec(name="hpcflow-test", packages=["numpy"], apt_packages=["python3"])  # the sites map it


@task(container_image=PYTHON_IMAGE)
def read_marker(x: int) -> tuple[str, int]:
    return MARKER.read_text().strip(), x * 2


@task
def on_host(text: str, y: int) -> str:
    return f"{text}|{y}|host has the marker: {MARKER.exists()}"


@workflow
def in_image(x: int = 3) -> str:
    text, y = read_marker(x=x)
    return on_host(text=text, y=y)


@task(container_image=SPEC, environment={"WHERE": "inside"})
def in_spec(x: int) -> tuple[bool, bool, str]:
    folder = current_context().working_directory  # the element's folder, on the run's (bound) filesystem
    (Path(folder) / "written-inside").write_text(str(x))
    return MARKER.exists(), SPEC.is_container(), os.environ.get("WHERE", "")


@workflow
def spec_wf(x: int = 1) -> tuple[bool, bool, str]:
    return in_spec(x=x)


@task
def plain() -> bool:
    return MARKER.exists()


@workflow
def overridden() -> tuple[bool, bool]:
    return plain(), plain().with_overrides(container_image=PYTHON_IMAGE)


@task(container_image=NO_PYTHON_IMAGE)
def no_python(x: int) -> int:
    return x


@workflow
def no_python_wf(x: int = 1) -> int:
    return no_python(x=x)


@task(container_image=PYTHON_IMAGE)
def raises(x: int) -> int:
    raise ValueError(f"no good: {x}")


@workflow
def raises_wf(x: int = 1) -> int:
    return raises(x=x)


@task(container_image=PYTHON_IMAGE, timeout=3)
def sleeps() -> int:
    time.sleep(600)
    return 0


@workflow
def sleeps_wf() -> int:
    return sleeps()


@task(container_image="ghcr.io/flyteorg/flytekit:py3.11-latest")
def from_registry(x: int) -> int:
    return x


@workflow
def registry_wf(x: int = 1) -> int:
    return from_registry(x=x)


@task(container_image=PYTHON_IMAGE)
def square_inside(x: int) -> int:
    assert MARKER.exists(), "not in the image"
    return x * x


@dynamic(container_image=PYTHON_IMAGE)  # the body runs on the host; its tasks in their images
def squares(n: int) -> list[int]:
    return map_task(square_inside)(x=list(range(n)))


@workflow
def dynamic_wf(n: int = 3) -> list[int]:
    return squares(n=n)
