"""Whether a workflow body is being traced here, and into what.

Its own module so that @task and @workflow can check it without loading the tracer (core/trace.py):
a map's element imports the user's module, decorates its tasks and never traces.
"""
from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hpcflow.core.trace import Builder

# The builder of the workflow being traced in this context, if any. Public so that a task's
# __call__ reads it with ACTIVE_BUILDER.get(), the one check every call of a task makes.
ACTIVE_BUILDER: ContextVar["Builder | None"] = ContextVar("hpcflow_active_builder", default=None)
