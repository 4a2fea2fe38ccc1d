"""flytekit.exceptions.base's classes."""
from hpcflow.errors import HpcflowError, RecoverableError


class FlyteException(HpcflowError):
    """The base of flytekit's exceptions."""


FlyteRecoverableException = RecoverableError  # the same class: raising it makes a task with retries retry

__all__ = ["FlyteException", "FlyteRecoverableException"]
