"""Resources(cpu=, mem=, gpu=, ...) as in flytekit, with Kubernetes-style quantities.

Each value is one quantity, or (as flytekit 1.16 takes for `@task(resources=...)`) a
(request, limit) pair: `Resources(cpu=("1", "2"), mem=("1Gi", "2Gi"))`. A pair belongs in
`resources=`; `requests=` and `limits=` take one value per resource (flytekit refuses a pair
there when it serializes the task, hpcflow where it is declared).

Flyte 2 spells two of them differently, and both spellings work: `memory=` is `mem=` and
`disk=` is `ephemeral_storage=`; its `gpu="A100:2"` (or `GPU("A100", 2)`) asks for 2 GPUs of
type A100 (`gpu_type`, which a site's partitions list as `gpu_types`).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from typing import Any, Union

from hpcflow.errors import InvalidValueError, WorkflowDefinitionError
from hpcflow.exceptions.user import FlyteValidationException
from hpcflow.quantities import ParsedResources, Quantity, parse_resources

Value = Union[Quantity, tuple, list]  # one quantity, or a (request, limit) pair

# The Python types flytekit takes for each field (bool is an int, as there).
_TYPES: dict[str, tuple[type, ...]] = {"cpu": (str, int, float), "mem": (str, int), "gpu": (str, int),
                                       "ephemeral_storage": (str, int)}
_EXAMPLES = {"cpu": ("2", "4"), "mem": ("16Gi", "32Gi"), "gpu": ("1", "1"), "ephemeral_storage": ("10Gi", "20Gi")}


@dataclass(frozen=True)
class Device:
    """Flyte 2's accelerator: `quantity` devices of type `device` (GPU("A100", 2))."""

    device: str
    quantity: int = 1
    partition: str | None = None
    device_class: str = "GPU"  # GPU, TPU, NEURON, AMD_GPU, HABANA_GAUDI: on Slurm each is a typed gres
    topology: str | None = field(default=None, compare=False)  # a TPU slice's shape ("2x2x1"), as flyte gives it

    def __post_init__(self) -> None:
        if self.partition is not None:
            raise WorkflowDefinitionError(f"GPU(partition={self.partition!r}): Slurm gives whole GPUs; leave "
                                          "partition out (a MIG slice is a gres type your site must define)")


def GPU(device: str, quantity: int = 1, partition: str | None = None) -> Device:  # noqa: N802 - Flyte 2's name
    """Flyte 2's GPU(device, quantity): that many GPUs of one type."""
    return Device(device, quantity, partition)


def TPU(device: str, partition: str | None = None) -> Device:  # noqa: N802 - Flyte 2's name
    """Flyte 2's TPU("V5P", "2x2x1"): one TPU slice. Slurm knows it as a gres of that type (a partition's
    gpu_types must list it); the slice's shape is kept as its topology, for the site's gres to match."""
    return Device(device, 1, device_class="TPU", topology=partition)


def Neuron(device: str) -> Device:  # noqa: N802 - Flyte 2's name
    """Flyte 2's AWS Neuron device (Inf2, Trn1, ...): a gres of that type on Slurm."""
    return Device(device, 1, device_class="NEURON")


def AMD_GPU(device: str) -> Device:  # noqa: N802 - Flyte 2's name
    """Flyte 2's AMD GPU (MI250X, MI300X, ...): a gres of that type on Slurm."""
    return Device(device, 1, device_class="AMD_GPU")


def HABANA_GAUDI(device: str) -> Device:  # noqa: N802 - Flyte 2's name
    """Flyte 2's Habana Gaudi (Gaudi1): a gres of that type on Slurm."""
    return Device(device, 1, device_class="HABANA_GAUDI")


_GPU_TYPED = re.compile(r"^\s*([A-Za-z][\w .-]*?)\s*:\s*(\d+)\s*$")  # Flyte 2's "A100:2"


@dataclass(frozen=True)
class Resources:
    """Requested or limiting resources of a task: cpu, mem (memory), gpu, ephemeral_storage (disk)."""

    cpu: Value = None
    mem: Value = None
    gpu: Value = None
    ephemeral_storage: Value = None
    memory: Value = field(default=None, repr=False)  # Flyte 2's name for mem
    disk: Value = field(default=None, repr=False)  # Flyte 2's name for ephemeral_storage
    shm: Any = field(default=None, repr=False)
    gpu_type: str | None = field(default=None, compare=False)  # from Flyte 2's gpu="A100:2"
    parsed: ParsedResources = field(init=False, repr=False, compare=False)  # what the compiler reads (the requests)

    def __post_init__(self) -> None:
        self._merge_flyte2_names()
        for name, types in _TYPES.items():
            _check(name, getattr(self, name), types)
        # Parse now so that a typo fails where the task is declared, not on the cluster.
        request, limit = self._halves()
        if limit != request:  # (request, limit) pairs: the limits must parse too
            parse_resources(**limit)
        object.__setattr__(self, "parsed", parse_resources(**request))

    def _merge_flyte2_names(self) -> None:
        """memory= into mem=, disk= into ephemeral_storage=, "A100:2" into gpu=2 and gpu_type="A100"."""
        for alias, name in (("memory", "mem"), ("disk", "ephemeral_storage")):
            value = getattr(self, alias)
            if value is None:
                continue
            if getattr(self, name) is not None:
                raise InvalidValueError(f"Resources: give {name}= or {alias}= (the same thing), not both")
            object.__setattr__(self, name, value)
            object.__setattr__(self, alias, None)
        if self.shm is not None:
            raise WorkflowDefinitionError(f"Resources(shm={self.shm!r}): on Slurm /dev/shm counts against the job's "
                                          "memory; ask for more memory= instead and leave shm out")
        gpu = self.gpu
        if isinstance(gpu, Device):
            object.__setattr__(self, "gpu", gpu.quantity)
            object.__setattr__(self, "gpu_type", gpu.device)
        elif isinstance(gpu, str) and (typed := _GPU_TYPED.match(gpu)):
            object.__setattr__(self, "gpu", int(typed.group(2)))
            object.__setattr__(self, "gpu_type", typed.group(1))

    @property
    def pairs(self) -> tuple[str, ...]:
        """The fields given as (request, limit) pairs, e.g. ("cpu=('1', '2')",)."""
        return tuple(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                     if f.init and isinstance(getattr(self, f.name), (tuple, list)))

    def to_json(self) -> str:
        """The resources as a JSON object, as flytekit's to_json (every field, None as null)."""
        return json.dumps({f.name: getattr(self, f.name) for f in fields(self) if f.init})

    @classmethod
    def from_json(cls, text: str) -> "Resources":
        """Resources from to_json's JSON object."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise InvalidValueError(f"Resources.from_json takes a JSON object such as {{\"cpu\": \"2\"}}, not {text!r}")
        return cls(**data)

    def requests_and_limits(self) -> "tuple[Resources, Resources]":
        """flytekit's split of `resources=`: a pair gives its request and its limit, a single
        value is a request only."""
        request, limit = self._halves(single_is_limit=False)
        return Resources(**request, gpu_type=self.gpu_type), Resources(**limit, gpu_type=self.gpu_type)

    def _halves(self, single_is_limit: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
        request: dict[str, Any] = {}
        limit: dict[str, Any] = {}
        for name in _TYPES:
            value = getattr(self, name)
            if isinstance(value, (tuple, list)):
                request[name], limit[name] = value
            else:
                request[name] = value
                limit[name] = value if single_is_limit else None
        return request, limit


def _check(name: str, value: Any, types: tuple[type, ...]) -> None:
    """flytekit's checks: the right type (else AssertionError), and a pair has two values (else ValueError)."""
    if value is None:
        return
    single = isinstance(value, types)
    several = isinstance(value, (list, tuple)) and all(isinstance(v, types) for v in value)
    if not single and not several:
        names = ", ".join(t.__name__ for t in types)
        raise FlyteValidationException(f"Resources {name}={value!r} should be of type {names} or a (request, limit) "
                                       f"pair of them, e.g. {name}={_EXAMPLES[name][0]!r} or {name}={_EXAMPLES[name]!r}")
    if several and len(value) != 2:
        raise InvalidValueError(f"Resources {name}={value!r} must be one value or a (request, limit) pair of length 2")


@dataclass(frozen=True)
class ResourceSpec:
    """A task's requests and limits together (flytekit's; `task.resources` gives one)."""

    requests: Resources = field(default_factory=Resources)
    limits: Resources = field(default_factory=Resources)

    @classmethod
    def from_multiple_resource(cls, resource: Resources) -> "ResourceSpec":
        """Split `resources=`-style Resources: a (request, limit) pair gives both, a single value a request."""
        requests, limits = resource.requests_and_limits()
        return cls(requests=requests, limits=limits)
