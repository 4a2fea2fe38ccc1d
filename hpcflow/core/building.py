"""Whether a workflow body is being traced here, and into what.

Its own module so that @task and @workflow can check it without loading the tracer (core/trace.py):
a map's element imports the user's module, decorates its tasks and never traces.
"""
from __future__ import annotations

import sys
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hpcflow.core.trace import Builder

# The builder of the workflow being traced in this context, if any. Public so that a task's
# __call__ reads it with ACTIVE_BUILDER.get(), the one check every call of a task makes.
ACTIVE_BUILDER: ContextVar["Builder | None"] = ContextVar("hpcflow_active_builder", default=None)


def holds_promise(value: object) -> bool:
    """True when a value is, or holds, a promise of a workflow being traced. A promise is made only by
    the tracer, so before anything loaded it no value can hold one, and this does not load it."""
    trace = sys.modules.get("hpcflow.core.trace")
    return trace is not None and trace.contains_promise(value)
