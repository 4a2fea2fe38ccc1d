"""Resources(cpu=, mem=, gpu=, ...) as in flytekit, with Kubernetes-style quantities.

Each value is one quantity, or (as flytekit 1.16 takes for `@task(resources=...)`) a
(request, limit) pair: `Resources(cpu=("1", "2"), mem=("1Gi", "2Gi"))`. A pair belongs in
`resources=`; `requests=` and `limits=` take one value per resource (flytekit refuses a pair
there when it serializes the task, hpcflow where it is declared).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any, Union

from hpcflow.errors import InvalidValueError
from hpcflow.exceptions.user import FlyteValidationException
from hpcflow.quantities import ParsedResources, Quantity, parse_resources

Value = Union[Quantity, tuple, list]  # one quantity, or a (request, limit) pair

# The Python types flytekit takes for each field (bool is an int, as there).
_TYPES: dict[str, tuple[type, ...]] = {"cpu": (str, int, float), "mem": (str, int), "gpu": (str, int),
                                       "ephemeral_storage": (str, int)}
_EXAMPLES = {"cpu": ("2", "4"), "mem": ("16Gi", "32Gi"), "gpu": ("1", "1"), "ephemeral_storage": ("10Gi", "20Gi")}


@dataclass(frozen=True)
class Resources:
    """Requested or limiting resources of a task: cpu, mem, gpu, ephemeral_storage."""

    cpu: Value = None
    mem: Value = None
    gpu: Value = None
    ephemeral_storage: Value = None
    parsed: ParsedResources = field(init=False, repr=False, compare=False)  # what the compiler reads (the requests)

    def __post_init__(self) -> None:
        for name, types in _TYPES.items():
            _check(name, getattr(self, name), types)
        # Parse now so that a typo fails where the task is declared, not on the cluster.
        request, limit = self._halves()
        if limit != request:  # (request, limit) pairs: the limits must parse too
            parse_resources(**limit)
        object.__setattr__(self, "parsed", parse_resources(**request))

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
        return Resources(**request), Resources(**limit)

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
