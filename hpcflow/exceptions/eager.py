"""`from flytekit.exceptions.eager import EagerException` becomes `from hpcflow.exceptions.eager import EagerException`."""
from hpcflow.exceptions.base import FlyteException


class EagerException(FlyteException):
    """A task or workflow awaited inside an @eager workflow failed; its own error is the __cause__."""


__all__ = ["EagerException"]
