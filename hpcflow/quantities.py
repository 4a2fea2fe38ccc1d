"""Kubernetes-style quantities, as flytekit's Resources takes them: "2", "500m", "16Gi". Pure."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

from hpcflow.errors import WorkflowDefinitionError

Quantity = Union[str, int, float, None]

_MEM_UNITS = {
    "": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
}
_MEM_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kMGT]i?|)\s*$")


def parse_cpu(value: Quantity) -> float | None:
    """CPUs as a number: "2" -> 2.0, "500m" -> 0.5."""
    if value is None:
        return None
    text = str(value).strip()
    milli = text.endswith("m")  # Kubernetes' suffixes: "500m" is half a CPU, "10M" ten million CPUs
    match = _MEM_RE.match(text[:-1] if milli else text)
    if not match or (milli and match.group(2)):
        raise WorkflowDefinitionError(f"Resources cpu={value!r} is not a CPU count; use e.g. cpu=\"2\" or cpu=\"500m\"")
    cpus = float(match.group(1)) * _MEM_UNITS[match.group(2)] / (1000 if milli else 1)
    if cpus <= 0:
        raise WorkflowDefinitionError(f"Resources cpu={value!r} must be positive")
    return cpus


def parse_mem(value: Quantity) -> int | None:
    """Bytes from a quantity such as "16Gi", "500Mi", "1G" or a plain number of bytes."""
    if value is None:
        return None
    match = _MEM_RE.match(str(value))
    if not match:
        raise WorkflowDefinitionError(
            f"Resources memory {value!r} is not a quantity; use e.g. \"16Gi\", \"500Mi\" or \"2G\"")
    return int(float(match.group(1)) * _MEM_UNITS[match.group(2)])


def parse_gpu(value: Quantity) -> int | None:
    """A whole number of GPUs."""
    if value is None:
        return None
    try:
        gpus = int(str(value).strip())
    except ValueError:
        raise WorkflowDefinitionError(f"Resources gpu={value!r} must be a whole number, e.g. gpu=\"1\"") from None
    if gpus < 0:
        raise WorkflowDefinitionError(f"Resources gpu={value!r} must not be negative")
    return gpus


@dataclass(frozen=True)
class ParsedResources:
    """One Resources(...) in numbers; None where it names nothing."""

    cpus: float | None = None
    mem_bytes: int | None = None
    gpus: int | None = None
    storage_bytes: int | None = None


def parse_resources(cpu: Quantity = None, mem: Quantity = None, gpu: Quantity = None,
                    ephemeral_storage: Quantity = None) -> ParsedResources:
    """All of a Resources' quantities at once (parsed where it is declared, so a typo fails there)."""
    return ParsedResources(parse_cpu(cpu), parse_mem(mem), parse_gpu(gpu), parse_mem(ephemeral_storage))
