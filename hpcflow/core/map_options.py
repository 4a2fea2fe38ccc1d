"""The checks on a map's options (concurrency, min_success_ratio, batch_size), wherever they are given:
map_task(...) and .with_overrides(...) alike, so an override cannot slip a value past them."""
from __future__ import annotations

import math
from typing import Any

from hpcflow.errors import WorkflowDefinitionError


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def check_map_options(where: str, options: dict[str, Any]) -> None:
    """Raise WorkflowDefinitionError for the first bad map option in `options` (absent ones are fine)."""
    for key in ("concurrency", "batch_size"):
        value = options.get(key)
        if value is not None and not _whole(value):
            raise WorkflowDefinitionError(f"{where}: {key}={value!r} must be a whole number >= 1")
    ratio = options.get("min_success_ratio")
    if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, (int, float))
                              or not math.isfinite(ratio) or not 0.0 <= ratio <= 1.0):
        raise WorkflowDefinitionError(f"{where}: min_success_ratio={ratio!r} must be a number within [0, 1]")
