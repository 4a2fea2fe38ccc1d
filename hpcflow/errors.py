"""One error hierarchy for hpcflow; every message says what to do next."""
from __future__ import annotations


class HpcflowError(Exception):
    """Base of every error hpcflow raises on purpose."""

    exit_code = 1


class WorkflowDefinitionError(HpcflowError):
    """A task or workflow is declared or called in a way hpcflow cannot compile."""


class InvalidValueError(WorkflowDefinitionError, ValueError):
    """An option has a value that is refused (where flytekit raises ValueError for it, so does this)."""


class TypeMismatchError(WorkflowDefinitionError, TypeError):
    """A value or promise does not match the annotated type it is bound to."""


class DefinitionAssertionError(WorkflowDefinitionError, AssertionError):
    """A declaration refused where flytekit raises AssertionError for it (either `except` catches this)."""


class CallArgumentsError(WorkflowDefinitionError, TypeError, AssertionError):
    """A task or workflow called with arguments that do not fit its inputs (Python raises
    TypeError for such a call, flytekit AssertionError: either `except` catches this)."""


class LoadError(HpcflowError):
    """A workflow file or entity cannot be imported."""


class InputError(HpcflowError):
    """Workflow inputs given on the command line or in a call are wrong."""


class RunDirError(HpcflowError):
    """A run directory is missing or unreadable."""


class TaskFailedError(HpcflowError):
    """A task raised while a workflow ran in-process or through a backend."""

    def __init__(self, message: str, *, node: str = "", cause: BaseException | None = None):
        super().__init__(message)
        self.node = node
        self.cause = cause


class ConditionFailedError(TaskFailedError, ValueError):
    """A conditional reached its `else_().fail(message)` (flytekit raises ValueError for it; either `except` works)."""


class RecoverableError(Exception):
    """Raise (or subclass) this in a task for failures worth retrying, e.g. a flaky network read."""


class ElementTimeout(BaseException):
    """Raised inside a task's function when its timeout expires.

    A BaseException, so that a user's `except Exception` cannot swallow it.
    """
