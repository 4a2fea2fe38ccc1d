"""Flyte 2's typed GPUs (`Resources(gpu="A100:2")`): a partition that lists the type in the site config's
gpu_types, and Slurm's type:count in --gres or --gpus; a type the site lacks is refused naming the types it has."""
from __future__ import annotations

import pytest

import hpcflow as flyte
from hpcflow.core.compile import compile_plan
from hpcflow.core.layout import RunPlace
from hpcflow.core.partition import NoPartitionFits
from hpcflow.site.config import load_site

PLACE = RunPlace("wf-20260101-000000-abcd", "/runs/wf-20260101-000000-abcd")


@flyte.task(requests=flyte.Resources(cpu="2", gpu="A100:2"))
def on_a100(x: int) -> int:
    return x


@flyte.task(requests=flyte.Resources(cpu="2", gpu="H100:1"))
def on_h100(x: int) -> int:
    return x


@flyte.task(requests=flyte.Resources(cpu="2", gpu="2"))
def on_any(x: int) -> int:
    return x


@flyte.workflow
def a100_wf(x: int) -> int:
    return on_a100(x=x)


@flyte.workflow
def h100_wf(x: int) -> int:
    return on_h100(x=x)


@flyte.workflow
def any_wf(x: int) -> int:
    return on_any(x=x)


def _directives(site: str, wf) -> list[str]:
    return list(compile_plan(wf.graph, {"x": 1}, load_site(site), PLACE).calls[0].directives)


def test_a_typed_gpu_lands_on_the_partition_that_has_it_in_slurms_type_count_form():
    assert "#SBATCH --gres=gpu:a100:2" in _directives("university", a100_wf)  # the site's own spelling
    assert "#SBATCH --partition=gpu" in _directives("university", a100_wf)
    assert "#SBATCH --gpus=h100:1" in _directives("bigcentre", h100_wf)
    assert "#SBATCH --gres=gpu:2" in _directives("university", any_wf)  # untyped as before


def test_a_gpu_type_the_site_does_not_have_is_refused_naming_the_types_it_has():
    with pytest.raises(NoPartitionFits) as info:
        _directives("university", h100_wf)
    assert "1 H100 gpus" in str(info.value) and "gpu: GPU types a100, not H100" in str(info.value)
