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


class DamagedFileError(RunDirError, ValueError):
    """A record (run.json, state.json, a status or outputs file) that is not the JSON hpcflow wrote."""


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


# Flyte 2's `flyte.errors` (after `import hpcflow as flyte`, `flyte.errors` is this module): what a
# Flyte 2 parent sees when a child task fails, with the child's exception class name as `code`.

class BaseRuntimeError(HpcflowError, RuntimeError):
    """Flyte 2's base of the errors a task's run raises: `code` names the cause, `kind` who caused it."""

    def __init__(self, code: str, kind: str, root_cause_message: str, worker: str | None = None):
        super().__init__(root_cause_message)
        self.code, self.kind, self.worker = code, kind, worker


class RuntimeUserError(BaseRuntimeError):
    """A child task failed in the user's code (`code` is its exception's class name)."""

    def __init__(self, code: str, message: str, worker: str | None = None):
        super().__init__(code, "user", message, worker)


class RuntimeSystemError(BaseRuntimeError):
    """hpcflow itself failed while running a task."""

    def __init__(self, code: str, message: str, worker: str | None = None):
        super().__init__(code, "system", message, worker)


class RuntimeUnknownError(BaseRuntimeError):
    """A task failed for a reason nobody could tell."""

    def __init__(self, code: str, message: str, worker: str | None = None):
        super().__init__(code, "unknown", message, worker)


class InitializationError(BaseRuntimeError):
    """flyte.init(...) was given something hpcflow cannot use."""


class OOMError(RuntimeUserError):
    """A task ran out of memory (a MemoryError, or Slurm's OUT_OF_MEMORY): give it more `memory=`."""


class TaskInterruptedError(RuntimeUserError):
    """A task's run was interrupted (preempted) and not resumed."""


class RetriesExhaustedError(RuntimeUserError):
    """A task failed on every one of its attempts (`retries=` + 1)."""


class TaskTimeoutError(RuntimeUserError):
    """A task ran longer than its `timeout=`."""

    def __init__(self, message: str):
        super().__init__("TaskTimeoutError", message, "user")


class NonRecoverableError(RuntimeUserError):
    """Raise it in a task to fail at once, without its remaining retries."""

    def __init__(self, message: str, code: str = "NonRecoverableError"):
        super().__init__(code, message)


class CustomError(RuntimeUserError):
    """A user error with a code of the user's choosing."""

    def __init__(self, code: str, message: str):
        super().__init__(code, message, "user")


class NotInTaskContextError(RuntimeUserError):
    """Something that only a running task can do was asked for outside one."""


class TraceDoesNotAllowNestedTasksError(RuntimeUserError):
    """A task was called inside a @trace function; call its function with `task.forward(...)` there."""

    def __init__(self, message: str):
        super().__init__("TraceDoesNotAllowNestedTasksError", message)


class RuntimeDataValidationError(RuntimeUserError):
    """A task's input or output does not match its annotation."""

    def __init__(self, var: str, e: Exception | str, task_name: str = ""):
        super().__init__("DataValidationError",
                         f"In task {task_name} variable {var}, failed to serialize/deserialize because of {e}", "user")


class InlineIOMaxBytesBreached(RuntimeUserError):
    """flyte raises it for a value over a task's max_inline_io_bytes. hpcflow stores large values by reference
    and has no such limit, so it never raises it; it is here so that code catching it runs unchanged."""
